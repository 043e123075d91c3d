import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../../client/cli/arguments';
import { EXIT_CODE_HELP, EXIT_CODES, exitCodeFor } from '../../client/cli/exit-codes';
import { formatBytes, formatCancelled, formatDuration, formatError, formatProgress, formatStatus, formatSubmitted } from '../../client/cli/format';
import { helpText } from '../../client/cli/help';
import { QueryFileError } from '../../client/cli/main';
import { ApiError, ApiNetworkError, CredentialsError, InvalidClientOptionsError, ResultDownloadError, UnexpectedResponseError, WaitTimeoutError } from '../../client/errors';
import { TerraformOutputError, outputValue } from '../../client/terraform-output';
import type { QueryStatus } from '../../client/types';

const RUNNING: QueryStatus = {
  queryId: 'nightly-1',
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:q:nightly-1',
  status: 'RUNNING',
  startDate: '2024-01-01T00:00:00.000Z',
  queryExecutionId: 'qe-1',
  statistics: { DataScannedInBytes: 1_572_864, EngineExecutionTimeInMillis: 61_500 },
  callback: { status: 'pending' },
};

describe('exitCodeFor', () => {
  it.each([
    [new UsageError('x'), EXIT_CODES.usage],
    [new InvalidClientOptionsError('x'), EXIT_CODES.usage],
    [new TerraformOutputError('x'), EXIT_CODES.usage],
    [new QueryFileError('x'), EXIT_CODES.usage],
    [new ApiError({ method: 'GET', path: '/live/queries/a', status: 404, apiMessage: 'No query a' }), EXIT_CODES.apiError],
    [new ApiError({ method: 'GET', path: '/live/queries/a', status: 503, apiMessage: 'Service Unavailable' }), EXIT_CODES.apiError],
    [new UnexpectedResponseError('GET', '/p', 200, 'x'), EXIT_CODES.apiError],
    [new ResultDownloadError('https://b/k', 'AccessDenied', { status: 403 }), EXIT_CODES.apiError],
    [new ResultDownloadError('https://b/k', 'ECONNRESET', { network: true }), EXIT_CODES.unreachable],
    [new ApiNetworkError('GET', '/p', 'ECONNREFUSED'), EXIT_CODES.unreachable],
    [new CredentialsError('none'), EXIT_CODES.unreachable],
    [new WaitTimeoutError('a', 1000, undefined), EXIT_CODES.waitTimeout],
    [new Error('anything else'), EXIT_CODES.apiError],
  ])('maps %s', (error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });

  it('has distinct codes, each documented once', () => {
    const codes = Object.values(EXIT_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    expect(EXIT_CODE_HELP.map(([code]) => code)).toEqual(codes);
  });
});

describe('README "Client and CLI"', () => {
  it('documents the same exit codes as --help', () => {
    // GIVEN
    const readme = fs.readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Client and CLI'), readme.indexOf('## The offline twin'));
    // WHEN
    const rows = [...section.matchAll(/^\| (\d) \| (.+) \|$/gm)].map((m) => [Number(m[1]), m[2].replace(/`/g, '')]);
    // THEN
    expect(rows).toEqual(EXIT_CODE_HELP.map(([code, text]) => [code, text]));
  });
});

describe('helpText', () => {
  it('documents every exit code in the general and in each command\'s help', () => {
    for (const text of [helpText(), helpText('wait'), helpText('submit')]) {
      for (const [code, meaning] of EXIT_CODE_HELP) expect(text).toContain(`  ${code}  ${meaning}`);
    }
  });

  it('documents each option of a command in its help', () => {
    expect(helpText('submit')).toMatch(/--idempotency-key KEY[\s\S]*--param VALUE[\s\S]*--reuse-minutes N/);
    expect(helpText('result')).toMatch(/-o, --output FILE[\s\S]*--link/);
  });
});

describe('formatters', () => {
  it('prints the query id alone for submit, so a shell can capture it', () => {
    expect(formatSubmitted({ queryId: 'q-1', executionArn: 'arn', startDate: 1 })).toBe('q-1\n');
  });

  it('prints a status as aligned field: value lines', () => {
    expect(formatStatus(RUNNING)).toBe(
      [
        'queryId:             nightly-1',
        'status:              RUNNING',
        'executionArn:        arn:aws:states:eu-west-1:123456789012:execution:q:nightly-1',
        'startDate:           2024-01-01T00:00:00.000Z',
        'queryExecutionId:    qe-1',
        'dataScanned:         1.5 MiB',
        'engineExecutionTime: 1 min 1 s',
        'callback:            pending',
        '',
      ].join('\n'),
    );
  });

  it('prints the progress line with the time waited and data scanned, and the callback and reason once final', () => {
    expect(formatProgress(RUNNING, { polls: 3, elapsedMs: 42_100 }, false)).toBe('nightly-1: RUNNING, waited 42 s, scanned 1.5 MiB');
    expect(formatProgress({ ...RUNNING, status: 'FAILED', stateChangeReason: 'SYNTAX_ERROR' }, { polls: 4, elapsedMs: 3_725_000 }, true)).toBe(
      'nightly-1: FAILED, waited 1 h 2 min, scanned 1.5 MiB, callback pending, SYNTAX_ERROR',
    );
  });

  it('prints a cancel as id and state', () => {
    expect(formatCancelled({ queryId: 'q-1', status: 'CANCELLING' })).toBe('q-1 CANCELLING\n');
  });

  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [10 * 1024 ** 3, '10.0 GiB'],
    [512 * 1024 ** 4, '512 TiB'],
  ])('formats %d bytes as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    [850, '850 ms'],
    [59_999, '59 s'],
    [185_000, '3 min 5 s'],
    [7_200_000, '2 h 0 min'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('prints an API error with its status, the API\'s message and request id', () => {
    // GIVEN
    const error = new ApiError({ method: 'DELETE', path: '/live/queries/q-1', status: 409, apiMessage: 'Query q-1 has already finished: SUCCEEDED', requestId: 'r-1' });
    // THEN
    expect(formatError(error, false)).toBe('async-athena-query: DELETE /live/queries/q-1 answered 409: Query q-1 has already finished: SUCCEEDED (request id r-1)\n');
    expect(JSON.parse(formatError(error, true))).toEqual({
      error: { name: 'ApiError', message: error.message, status: 409, apiMessage: 'Query q-1 has already finished: SUCCEEDED', requestId: 'r-1' },
    });
  });
});

describe('outputValue', () => {
  const outputs = JSON.stringify({ api_invoke_url: { sensitive: false, type: 'string', value: 'https://abc.execute-api.eu-west-1.amazonaws.com/live/queries' }, other: { value: 3 } });

  it('takes the named output\'s value from terraform output -json', () => {
    expect(outputValue(outputs, 'api_invoke_url', 'infra')).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/live/queries');
  });

  it('lists the outputs there are when the named one is missing', () => {
    expect(() => outputValue(outputs, 'query_api', 'infra')).toThrow(
      'infra has no Terraform output "query_api": it has "api_invoke_url", "other"; name the one that holds the module\'s api_invoke_url with --terraform-output-name',
    );
  });

  it('says when there are no outputs at all', () => {
    expect(() => outputValue('{}', 'api_invoke_url', 'infra')).toThrow(/it has no outputs \(not applied yet\?\)/);
  });

  it('refuses an output that is not a string', () => {
    expect(() => outputValue(outputs, 'other', 'infra')).toThrow('Terraform output "other" in infra is not a non-empty string');
  });

  it('refuses text that is not JSON', () => {
    expect(() => outputValue('Warning: No outputs found', 'api_invoke_url', 'infra')).toThrow(expect.objectContaining({ name: 'TerraformOutputError' }));
  });
});

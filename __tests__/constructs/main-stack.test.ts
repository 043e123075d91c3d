import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import aslValidator from 'asl-validator';
import { unzipBundle } from '../../scripts/callbacker-zip';
import { type SynthesizedStack, evaluateInStack, synthesizeMainStack } from '../../twin/wiring/synthesized-stack';
import { resourceAt } from '../security/support/deployments';

let scratch: string;
let first: SynthesizedStack;
let second: SynthesizedStack;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'main-stack-'));
  first = synthesizeMainStack(path.join(scratch, 'a'));
  second = synthesizeMainStack(path.join(scratch, 'b'));
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const variables = { workgroup: 'analytics', output_location: 's3://my-results/athena/' };

/** The functions of the stack, by the construct path of each. */
const FUNCTIONS = { callbacker: '/Callbacker/Function', queryApi: '/QueryApi/Function' } as const;

/** The deployment package a function of the stack uploads. */
function packageFile(stack: SynthesizedStack, fn: keyof typeof FUNCTIONS): string {
  return path.join(stack.directory, String(resourceAt(stack, 'aws_lambda_function', FUNCTIONS[fn]).config.filename).replace('${path.module}/', ''));
}

/** The definition of a state machine of the stack, as synthesized. */
function definitionOf(stack: SynthesizedStack, suffix: '/Queries/StateMachine' | '/Cancellations/StateMachine'): unknown {
  return resourceAt(stack, 'aws_sfn_state_machine', suffix).config.definition;
}

describe('AsyncAthenaQueryStack: Terraform tokens', () => {
  it('leaves no unresolved cdktf token in the synthesized JSON', () => {
    expect(JSON.stringify(first.json)).not.toContain('TfToken[');
  });

  it('builds S3 statements from Terraform expressions on var.output_location', () => {
    const presigner = Object.values(first.json.resource?.aws_iam_role_policy ?? {}).find((p) => String(p.policy).includes('ReadResults'));
    expect(String(presigner?.policy)).toContain('${element(regex("^s3://([^/]+)/(.*)$", var.output_location), 0)}/${element(regex("^s3://([^/]+)/(.*)$", var.output_location), 1)}*');
  });

  it.each([
    ['s3://my-results/athena/', 'arn:aws:s3:::my-results/athena/*'],
    ['s3://my-results/', 'arn:aws:s3:::my-results/*'],
    ['s3://my.results/a/b/', 'arn:aws:s3:::my.results/a/b/*'],
  ])('scopes the presigner to %s as %s once terraform evaluates it', (location, arn) => {
    // GIVEN
    const policy = Object.values(first.json.resource?.aws_iam_role_policy ?? {}).find((p) => String(p.policy).includes('ReadResults'))?.policy;
    // WHEN
    const evaluated = evaluateInStack(first, { policy }, { variables: { ...variables, output_location: location } });
    // THEN
    expect(JSON.parse(String(evaluated.policy)).Statement[0].Resource).toEqual([arn]);
  });
});

describe('AsyncAthenaQueryStack: state machine definition', () => {
  it.each(['/Queries/StateMachine', '/Cancellations/StateMachine'] as const)('validates %s with asl-validator once terraform renders it', (suffix) => {
    // GIVEN
    const { definition } = evaluateInStack(first, { definition: definitionOf(first, suffix) }, { variables });
    // WHEN
    const result = aslValidator(JSON.parse(String(definition)), { checkArn: true, checkPaths: true });
    // THEN
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('counts attempts and bounds Retry-After waits with var.callback_retry, added up by terraform', () => {
    // GIVEN
    const config = definitionOf(first, '/Queries/StateMachine');
    // WHEN
    const { definition } = evaluateInStack(first, { definition: config }, { variables: { ...variables, callback_retry: { max_attempts: 3 } } });
    // THEN
    const { States } = JSON.parse(String(definition)) as { States: Record<string, { Parameters?: { DeadLetterRecord?: { Failure: unknown } }; Choices?: unknown[]; Retry?: { ErrorEquals: string[]; MaxAttempts: number }[] }> };
    expect(States.RetriesExhausted.Parameters?.DeadLetterRecord?.Failure).toEqual({ Kind: 'RetriesExhausted', MaxAttempts: 4 });
    expect(States.DeliveryRejected.Parameters?.DeadLetterRecord?.Failure).toEqual({ Kind: 'PermanentFailure', MaxAttempts: 4 });
    expect(States.RetryAfterBudgetLeft.Choices).toEqual([{ Variable: '$.RetryAfter.Waits', NumericGreaterThan: 3, Next: 'RetriesExhausted' }]);
    expect(States.DeliverCallback.Retry?.find((r) => r.ErrorEquals.includes('CallbackRetryableError'))?.MaxAttempts).toBe(3);
  });
});

describe('AsyncAthenaQueryStack: reproducible and portable output', () => {
  it('synthesizes identical cdk.tf.json twice', () => {
    expect(fs.readFileSync(path.join(second.directory, 'cdk.tf.json'), 'utf8')).toBe(fs.readFileSync(path.join(first.directory, 'cdk.tf.json'), 'utf8'));
  });

  it.each(['callbacker', 'queryApi'] as const)('ships an identical %s deployment package twice, and no archive to make at plan time', (fn) => {
    // GIVEN
    const [a, b] = [packageFile(first, fn), packageFile(second, fn)];
    // THEN
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
    expect(first.json.data).not.toHaveProperty('archive_file');
    expect(JSON.stringify(first.json.terraform)).not.toContain('archive');
  });

  it('contains no absolute path of the synthesizing machine', () => {
    const text = fs.readFileSync(path.join(first.directory, 'cdk.tf.json'), 'utf8');
    expect(text).not.toContain(scratch);
    expect(text).not.toContain(process.cwd());
    expect(text).not.toContain(os.tmpdir());
  });

  it('bundles a callbacker that exports handler and names this package in its user agent', () => {
    const code = Buffer.from(unzipBundle(fs.readFileSync(packageFile(first, 'callbacker')))).toString('utf8');
    expect(code).toMatch(/cdktf-async-athena-query\/\d+\.\d+\.\d+/);
    const loaded = { exports: {} as Record<string, unknown> };
    new Function('module', 'exports', 'require', code)(loaded, loaded.exports, require);
    expect(typeof loaded.exports.handler).toBe('function');
  });

  it('bundles a query API function that exports handler', () => {
    const code = Buffer.from(unzipBundle(fs.readFileSync(packageFile(first, 'queryApi')))).toString('utf8');
    const loaded = { exports: {} as Record<string, unknown> };
    new Function('module', 'exports', 'require', code)(loaded, loaded.exports, require);
    expect(typeof loaded.exports.handler).toBe('function');
  });
});

describe('AsyncAthenaQueryStack: policies', () => {
  const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
  const everyOption = {
    ...variables,
    database: 'sales',
    source_data_locations: ['s3://lake/sales/', 's3://lake/shared/'],
    results_kms_key_arn: KEY,
    signing_secret_kms_key_arn: KEY,
    dead_letter_queue_kms_key_arn: KEY,
    logs_kms_key_arn: KEY,
  };

  it.each([
    ['every optional key and location set', everyOption],
    ['the defaults', variables],
    ['signing disabled', { ...everyOption, disable_webhook_signing: true }],
  ])('every policy (role and queue policies) evaluates to a policy document with %s', (_case, values) => {
    // GIVEN every policy attribute of the stack
    const policies = Object.fromEntries(
      Object.entries(first.json.resource ?? {}).flatMap(([type, resources]) =>
        Object.entries(resources)
          .filter(([, config]) => typeof config.policy === 'string')
          .map(([name, config]) => [`${type}_${name}`, config.policy]),
      ),
    );
    // WHEN terraform evaluates them (it refuses a conditional whose branches it cannot unify)
    const evaluated = evaluateInStack(first, policies, { variables: values });
    // THEN
    expect(Object.keys(policies)).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy_/), expect.stringMatching(/^aws_sqs_queue_policy_/)]));
    for (const policy of Object.values(evaluated)) expect(JSON.parse(String(policy))).toMatchObject({ Version: '2012-10-17', Statement: expect.any(Array) });
  });
});

/**
 * The proxy the lifecycle suites put in front of moto (support/moto-gap-proxy.ts): it forwards what moto serves
 * unchanged, and each gap it fills behaves as AWS does, failing where AWS fails (it is no rubber stamp).
 */
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { effectiveLoggingConfig, type MotoGapProxy, startMotoGapProxy } from '../support/moto-gap-proxy';
import { type MotoServer, startMotoServer } from '../../twin/sqs/moto-server';
import { createQuietly } from '../support/quiet-sdk';
import { awsCall } from '../support/terraform-lifecycle';

const REGION = 'eu-west-1';
const ROLE = 'arn:aws:iam::123456789012:role/states';

const validateDefinition = (proxy: MotoGapProxy, definition: string) =>
  awsCall(proxy.endpoint, { region: REGION, service: 'states', method: 'POST', path: '/', target: 'AWSStepFunctions.ValidateStateMachineDefinition', body: { definition } });

describe('moto-gap-proxy: forwarding', () => {
  let upstream: http.Server;
  let proxy: MotoGapProxy;
  const received: { method?: string; url?: string; target?: string; body: string }[] = [];

  beforeAll(async () => {
    // GIVEN an upstream that records what it gets and answers with a status and a body of its own
    upstream = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        received.push({ method: request.method, url: request.url, target: request.headers['x-amz-target'] as string | undefined, body });
        response.writeHead(418, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        response.end('{"from":"upstream"}');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    proxy = await startMotoGapProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
  });

  afterAll(async () => {
    await proxy.close();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  test('passes an operation it does not fill through unchanged, both ways', async () => {
    // WHEN
    const answer = await awsCall(proxy.endpoint, { region: REGION, service: 'sqs', method: 'POST', path: '/?x=1', target: 'AmazonSQS.ListQueues', body: { MaxResults: 5 } });
    // THEN
    expect(received.at(-1)).toEqual({ method: 'POST', url: '/?x=1', target: 'AmazonSQS.ListQueues', body: '{"MaxResults":5}' });
    expect(answer).toEqual({ status: 418, body: { from: 'upstream' } });
    expect(proxy.calls.at(-1)).toEqual({ operation: 'AmazonSQS.ListQueues', status: 418, filledGap: false });
  });

  test('answers ValidateStateMachineDefinition itself: OK for a valid definition', async () => {
    // GIVEN
    const definition = JSON.stringify({ StartAt: 'Wait', States: { Wait: { Type: 'Wait', Seconds: 1, Next: 'Done' }, Done: { Type: 'Succeed' } } });
    // WHEN
    const answer = await validateDefinition(proxy, definition);
    // THEN
    expect(answer).toEqual({ status: 200, body: { result: 'OK', diagnostics: [], truncated: false } });
    expect(proxy.calls.at(-1)).toEqual({ operation: 'AWSStepFunctions.ValidateStateMachineDefinition', status: 200, filledGap: true });
  });

  test('FAIL with a diagnostic for a definition that names a missing state', async () => {
    // GIVEN
    const definition = JSON.stringify({ StartAt: 'Wait', States: { Wait: { Type: 'Wait', Seconds: 1, Next: 'Nowhere' } } });
    // WHEN
    const answer = await validateDefinition(proxy, definition);
    // THEN
    expect(answer.body).toMatchObject({ result: 'FAIL', diagnostics: expect.arrayContaining([expect.objectContaining({ severity: 'ERROR', code: 'MISSING_TRANSITION_TARGET' })]) });
  });

  test('FAIL for a definition that is not JSON', async () => {
    expect((await validateDefinition(proxy, '{"StartAt":')).body).toMatchObject({ result: 'FAIL', diagnostics: [expect.objectContaining({ code: 'INVALID_JSON_DESCRIPTION' })] });
  });
});

describe('moto-gap-proxy: gaps filled from moto state', () => {
  let moto: MotoServer;
  let proxy: MotoGapProxy;
  let secrets: SecretsManagerClient;

  beforeAll(async () => {
    moto = await startMotoServer();
    proxy = await startMotoGapProxy(moto.endpoint);
    secrets = createQuietly(() => new SecretsManagerClient({ region: REGION, endpoint: proxy.endpoint, credentials: { accessKeyId: 'gap', secretAccessKey: 'gap' } }));
  }, 120_000);

  afterAll(async () => {
    secrets.destroy();
    await proxy.close();
    await moto.close();
  });

  const sfn = (target: string, body: unknown) => awsCall(proxy.endpoint, { region: REGION, service: 'states', method: 'POST', path: '/', target: `AWSStepFunctions.${target}`, body });

  test('lists the versions moto published of a state machine, newest first', async () => {
    // GIVEN a state machine published twice
    const definition = JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } });
    const created = await sfn('CreateStateMachine', { name: 'versions', definition, roleArn: ROLE, publish: true });
    const arn = (created.body as { stateMachineArn: string }).stateMachineArn;
    await sfn('UpdateStateMachine', { stateMachineArn: arn, definition, publish: true });
    // WHEN
    const listed = await sfn('ListStateMachineVersions', { stateMachineArn: arn });
    // THEN
    const versions = (listed.body as { stateMachineVersions: { stateMachineVersionArn: string }[] }).stateMachineVersions;
    expect(versions.map((v) => v.stateMachineVersionArn)).toEqual([`${arn}:2`, `${arn}:1`]);
  });

  test('lists no version of an unpublished state machine', async () => {
    const definition = JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } });
    const created = await sfn('CreateStateMachine', { name: 'unpublished', definition, roleArn: ROLE });
    const listed = await sfn('ListStateMachineVersions', { stateMachineArn: (created.body as { stateMachineArn: string }).stateMachineArn });
    expect(listed).toEqual({ status: 200, body: { stateMachineVersions: [] } });
  });

  test("answers an unknown state machine with moto's own error", async () => {
    const listed = await sfn('ListStateMachineVersions', { stateMachineArn: `arn:aws:states:${REGION}:123456789012:stateMachine:absent` });
    expect(listed.status).toBe(400);
    expect(JSON.stringify(listed.body)).toContain('StateMachineDoesNotExist');
  });

  test('refuses a secret name that is scheduled for deletion with the error AWS gives', async () => {
    // GIVEN a secret deleted with a recovery window
    await secrets.send(new CreateSecretCommand({ Name: 'scheduled', SecretString: 'x' }));
    await secrets.send(new DeleteSecretCommand({ SecretId: 'scheduled', RecoveryWindowInDays: 7 }));
    // WHEN / THEN
    await expect(secrets.send(new CreateSecretCommand({ Name: 'scheduled', SecretString: 'y' }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: "You can't create this secret because a secret with this name is already scheduled for deletion.",
    });
  });

  test("leaves moto's answer for a name that a live secret holds", async () => {
    await secrets.send(new CreateSecretCommand({ Name: 'live', SecretString: 'x' }));
    await expect(secrets.send(new CreateSecretCommand({ Name: 'live', SecretString: 'y' }))).rejects.toMatchObject({ name: 'ResourceExistsException' });
  });
});

describe('moto-gap-proxy: Lambda logging configuration', () => {
  test.each([
    ['nothing given: Text to /aws/lambda/<name>', undefined, { LogFormat: 'Text', LogGroup: '/aws/lambda/fn' }],
    ['JSON without levels: INFO for both', { LogFormat: 'JSON' as const }, { LogFormat: 'JSON', LogGroup: '/aws/lambda/fn', ApplicationLogLevel: 'INFO', SystemLogLevel: 'INFO' }],
    [
      'JSON with levels and a log group: kept',
      { LogFormat: 'JSON' as const, LogGroup: 'own', ApplicationLogLevel: 'WARN', SystemLogLevel: 'DEBUG' },
      { LogFormat: 'JSON', LogGroup: 'own', ApplicationLogLevel: 'WARN', SystemLogLevel: 'DEBUG' },
    ],
  ])('%s', (_case, requested, expected) => {
    expect(effectiveLoggingConfig('fn', requested)).toEqual(expected);
  });
});

/**
 * Redrive against the twin, through its real AWS adapters (moto's SQS; the twin's Step Functions, Athena and Lambda
 * APIs): genuine records are re-derived from AWS and delivered; forged ones are refused, kept, and deliver nothing.
 *
 * The forger can send to the queue (the queue policy stops that in AWS: iam-simulation.test.ts); these tests show
 * redrive holds even when a forged record gets in.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { webhookIdFor } from '../../handler/signing';
import { SqsDeadLetterSource } from '../../redrive/aws';
import { redrive, type RedriveReport } from '../../redrive/redrive';
import { startWebhookReceiver, type WebhookReceiver } from '../../twin/receiver/webhook-receiver';
import { deploymentArguments, runRedriveCommand, type TwinRedrive, twinRedrive } from '../support/twin-redrive';
import { closedPort, finished, SAMPLE_QUERY, startWorld, type World } from './harness';

let world: World;
let aws: TwinRedrive;
let downPort: number;
/** Receives the callbacks of A and B once it is started on downPort. */
let back: WebhookReceiver;
/** A and B: callbacks dead-lettered (their receiver was down); C: delivered at once. */
let a: string;
let b: string;
let c: string;
/** A query no execution started. */
let orphanQueryId: string;
const urlA = () => `https://127.0.0.1:${downPort}/a?token=secret-of-a`;
const urlB = () => `https://127.0.0.1:${downPort}/b?token=secret-of-b`;
const attackerUrl = () => world.receiver.url('/attacker?token=stolen');

interface Outcome {
  QueryExecution: { QueryExecutionId: string; Status: { State: string }; ResultConfiguration: { OutputLocation: string } };
}

/** The outcome the state machine handed the callbacker, as a version-1 record carried it. */
function outcomeOf(executionArn: string): Outcome {
  const query = world.twin.queryOf(executionArn);
  if (query === undefined) throw new Error(`no query for ${executionArn}`);
  return { QueryExecution: { QueryExecutionId: query.QueryExecutionId, Status: { State: query.Status.State }, ResultConfiguration: query.ResultConfiguration } };
}

/** A version-1 record of an execution, as the state machine wrote them before version 2. */
function v1Record(executionArn: string, overrides: Record<string, unknown> = {}): string {
  const record = world.twin.stateMachine.describe(executionArn);
  const genuine = (world.twin.deadLetters.parsedBodies() as { ExecutionArn: string; ExecutionStartTime: string }[]).find((r) => r.ExecutionArn === executionArn);
  return JSON.stringify({
    RecordVersion: 1,
    ExecutionArn: executionArn,
    ExecutionStartTime: genuine?.ExecutionStartTime,
    CallbackUrl: (record?.input as { CallbackUrl: string }).CallbackUrl,
    QueryOutcome: outcomeOf(executionArn),
    Failure: { Kind: 'RetriesExhausted', MaxAttempts: 9 },
    LastError: { Error: 'CallbackRetryableError', Cause: '{}' },
    ...overrides,
  });
}

/** A queue of its own holding the bodies, read by redrive's SQS adapter. */
async function queueOf(...bodies: string[]): Promise<{ source: SqsDeadLetterSource; count: () => Promise<number> }> {
  const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: `forged-${randomBytes(4).toString('hex')}` }));
  const url = QueueUrl as string;
  for (const body of bodies) await aws.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
  const count = async (): Promise<number> => {
    const { Attributes } = await aws.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
  };
  return { source: new SqsDeadLetterSource(aws.sqs, url, 0), count };
}

beforeAll(async () => {
  downPort = await closedPort();
  world = await startWorld({ extraCallbackPorts: [downPort] });
  aws = twinRedrive(world.twin);
  world.receiver.respondWith(() => ({ status: 204 }));
  [a, b, c] = await Promise.all([
    world.submit(SAMPLE_QUERY, urlA()),
    world.submit(`${SAMPLE_QUERY} -- b`, urlB()),
    world.submit(`${SAMPLE_QUERY} -- c`, world.receiver.url('/c')),
  ]);
  await Promise.all([a, b, c].map((arn) => finished(world, arn)));
  ({ QueryExecutionId: orphanQueryId } = world.twin.athena.startQueryExecution({
    QueryString: `${SAMPLE_QUERY} -- started by no execution`,
    WorkGroup: 'primary',
    ResultConfiguration: { OutputLocation: `s3://${world.twin.outputLocation.bucket}/${world.twin.outputLocation.prefix}` },
  }));
  await world.twin.athena.waitForQueryExecution(orphanQueryId);
  back = await startWebhookReceiver({ tls: world.tls, signingSecret: world.twin.webhookSigningSecret, port: downPort, clock: world.clock });
});

afterAll(async () => {
  aws?.close();
  await back?.close();
  await world?.close();
});

describe('e2e: npm run redrive', () => {
  it('re-derives and delivers the genuine records of the queue, deletes them, and exits 0', async () => {
    // GIVEN the state machine's own records of A and B
    expect(await world.twin.deadLetters.messageCount()).toBe(2);

    // WHEN the command runs as an operator runs it
    const run = await runRedriveCommand(world.twin, [...deploymentArguments(world.twin), '--queue-url', world.twin.deadLetters.queueUrl]);

    // THEN
    expect([run.status, run.stderr, run.stdout]).toEqual([0, "", expect.stringContaining("redrive: 2 delivered, 0 failed, 0 refused, 0 invalid")]);
    expect(run.stdout).toContain('redrive: 2 delivered, 0 failed, 0 refused, 0 invalid');
    const delivered = back.deliveries.filter((d) => d.acknowledged);
    expect(delivered.map((d) => d.path).sort()).toEqual(['/a?token=secret-of-a', '/b?token=secret-of-b']);
    expect(delivered.every((d) => d.signatureVerified)).toBe(true);
    expect(delivered.map((d) => d.webhookId).sort()).toEqual([webhookIdFor(a), webhookIdFor(b)].sort());
    const download = await fetch((delivered.find((d) => d.path.startsWith('/a'))?.payload as { QueryResult: { PresignedUrl: string } }).QueryResult.PresignedUrl);
    expect(download.status).toBe(200);
    expect(await world.twin.deadLetters.messageCount()).toBe(0);
  });

  it('prints the usage and every problem, and exits 2, on bad arguments', async () => {
    // WHEN
    const run = await runRedriveCommand(world.twin, ['--state-machine-arn', 'nope', '--output-location', 's3://b/no-slash', '--max', 'ten']);
    // THEN
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^usage: npm run redrive -- --state-machine-arn ARN --output-location s3:\/\/bucket\/prefix\/ --function-name NAME/);
    for (const option of ['--state-machine-arn', '--output-location', '--function-name', '--max']) expect(run.stderr).toContain(`  ${option} must`);
    expect(run.stderr).toContain('give --queue-url, --unrecorded-since or both');
  });
});

describe('e2e: redrive refuses forged records, keeps them, and delivers nothing', () => {
  const attackerSaw = () => world.receiver.deliveries.filter((d) => d.path.startsWith('/attacker'));
  const noSecrets = (report: RedriveReport) => expect(JSON.stringify(report)).not.toMatch(/token|secret-of|stolen/);

  it.each([
    ['a record naming an attacker callback URL', () => v1Record(a, { CallbackUrl: attackerUrl() }), /the record's CallbackUrl https:\/\/127\.0\.0\.1:\d+\/attacker\?\.\.\. differs from the execution input's https:\/\/127\.0\.0\.1:\d+\/a\?\.\.\./],
    ['a record changing only the token of the callback URL', () => v1Record(a, { CallbackUrl: urlA().replace('secret-of-a', 'stolen') }), /differs from the execution input's https:\/\/127\.0\.0\.1:\d+\/a\?\.\.\. in its query or user info/],
    ["a record carrying another execution's query and result", () => v1Record(a, { QueryOutcome: outcomeOf(b) }), /the record names query [0-9a-f-]+, which the execution did not start \(it started [0-9a-f-]+\)/],
    ['a record naming a query no execution started', () => v1Record(a, { QueryOutcome: { ...outcomeOf(a), QueryExecution: { ...outcomeOf(a).QueryExecution, QueryExecutionId: orphanQueryId } } }), /the record names query .*, which the execution did not start/],
    ['a record of an execution of another state machine', () => JSON.stringify({ RecordVersion: 2, ExecutionArn: a.replace(':execution:async-athena-queries:', ':execution:other-queries:') }), /belongs to state machine arn:aws:states:us-east-1:123456789012:stateMachine:other-queries, not to/],
    ['a record claiming another state machine', () => JSON.stringify({ RecordVersion: 2, ExecutionArn: a, StateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:other-queries' }), /the record names state machine .*other-queries/],
    ['a record of an execution that did not fail', () => JSON.stringify({ RecordVersion: 2, ExecutionArn: c }), /it ended SUCCEEDED; only executions that FAILED with CallbackDeliveryFailed or CallbackDeadLetterWriteFailed are redriven/],
    ['a record of an execution that does not exist', () => JSON.stringify({ RecordVersion: 2, ExecutionArn: `${a.slice(0, a.lastIndexOf(':'))}:no-such-execution` }), /Step Functions has no such execution/],
    ['a record with a start time that is not the execution\'s', () => JSON.stringify({ RecordVersion: 2, ExecutionArn: a, ExecutionStartTime: '2020-01-01T00:00:00.000Z' }), /ExecutionStartTime 2020-01-01T00:00:00.000Z differs from the execution's/],
  ])('refuses %s', async (_label, forge, reason) => {
    // GIVEN
    const forged = await queueOf(forge());
    const before = attackerSaw().length;

    // WHEN
    const report = await redrive(aws.deployment, { ...aws.services, queue: forged.source });

    // THEN
    expect(report.delivered).toEqual([]);
    expect(report.refused).toHaveLength(1);
    expect(report.refused[0].error).toMatch(reason);
    noSecrets(report);
    expect(await forged.count()).toBe(1);
    expect(attackerSaw().length).toBe(before);
  });

  it("refuses a genuine record whose result Athena places outside the module's output location", async () => {
    // GIVEN a deployment whose output location does not hold A's result
    const forged = await queueOf(JSON.stringify({ RecordVersion: 2, ExecutionArn: a }));
    const elsewhere = { ...aws.deployment, outputLocation: `s3://${world.twin.outputLocation.bucket}/elsewhere/` };

    // WHEN
    const report = await redrive(elsewhere, { ...aws.services, queue: forged.source });

    // THEN
    expect(report.refused.map((r) => r.error)).toEqual([
      expect.stringMatching(/the result location s3:\/\/twin-athena-results\/queries\/[0-9a-f-]+\.csv lies outside this module's output location s3:\/\/twin-athena-results\/elsewhere\//),
    ]);
    expect(await forged.count()).toBe(1);
  });

  it('reports a message that is not a record as invalid, without echoing it, and keeps it', async () => {
    // GIVEN
    const forged = await queueOf(`not json ${attackerUrl()}`);

    // WHEN
    const report = await redrive(aws.deployment, { ...aws.services, queue: forged.source });

    // THEN
    expect(report.invalid.map((i) => i.error)).toEqual([expect.stringMatching(/^the message body must be a JSON object, got \d+ characters that do not parse as JSON$/)]);
    noSecrets(report);
    expect(await forged.count()).toBe(1);
  });
});

describe('e2e: redrive bookkeeping', () => {
  it('delivers an execution once when the queue holds two records of it, and deletes both', async () => {
    // GIVEN
    const queue = await queueOf(JSON.stringify({ RecordVersion: 2, ExecutionArn: a }), JSON.stringify({ RecordVersion: 2, ExecutionArn: a }));
    const before = back.deliveries.length;

    // WHEN
    const report = await redrive(aws.deployment, { ...aws.services, queue: queue.source });

    // THEN
    expect(report.delivered).toEqual([a]);
    expect(back.deliveries.length - before).toBe(1);
    expect(await queue.count()).toBe(0);
  });

  it('delivers a genuine version-1 record, written before version 2, whose claims all agree', async () => {
    // GIVEN
    const queue = await queueOf(v1Record(b));
    const before = back.deliveries.length;

    // WHEN
    const report = await redrive(aws.deployment, { ...aws.services, queue: queue.source });

    // THEN
    expect(report).toMatchObject({ delivered: [b], refused: [], failed: [] });
    expect(back.deliveries.length - before).toBe(1);
    expect(await queue.count()).toBe(0);
  });

  it('lists without delivering or deleting on a dry run', async () => {
    // GIVEN
    const queue = await queueOf(JSON.stringify({ RecordVersion: 2, ExecutionArn: b }));
    const before = back.deliveries.length;

    // WHEN
    const report = await redrive(aws.deployment, { ...aws.services, queue: queue.source }, { dryRun: true });

    // THEN
    expect(report.listed).toEqual([b]);
    expect(report.delivered).toEqual([]);
    expect(back.deliveries.length).toBe(before);
    expect(await queue.count()).toBe(1);
  });

  it('keeps a record whose callback fails again', async () => {
    // GIVEN the receiver of A rejects
    back.respondWith(() => ({ status: 503 }));
    const queue = await queueOf(JSON.stringify({ RecordVersion: 2, ExecutionArn: a }));

    // WHEN
    const report = await redrive(aws.deployment, { ...aws.services, queue: queue.source });
    back.respondWith(() => ({ status: 204 }));

    // THEN
    expect(report.failed).toEqual([{ executionArn: a, error: expect.stringMatching(/^CallbackRetryableError: Callback receiver https:\/\/127\.0\.0\.1:\d+\/a\?\.\.\. answered 503/) }]);
    expect(await queue.count()).toBe(1);
  });
});

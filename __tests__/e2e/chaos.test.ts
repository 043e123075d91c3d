/**
 * Chaos: 200 queries through the API while receivers fail at random (5xx, dropped connections, slow and too-slow
 * answers, rejections, rejections whose body holds characters SQS refuses, Retry-After, receivers down for good),
 * Athena throttles starts (an active-query quota plus random TooManyRequestsException), some queries are bad SQL, some
 * hold characters SQS refuses, SQS is unreachable for some dead-letter writes, and the API throttles the burst. Every
 * query must end with exactly one of: a delivered callback, a dead-letter record, or (when SQS was unreachable) its
 * record as the execution's Cause. None lost, none doubled.
 *
 * The receiver's behaviour comes from a seeded generator; set CHAOS_SEED to replay a run.
 */
import type { ExecutionRecord } from '../../twin/step-functions/state-machine-runner';
import type { ReceiverAnswer } from '../../twin/receiver/webhook-receiver';
import { closedPort, SAMPLE_QUERY, seededRandom, startWorld, within, type World } from './harness';

const QUERIES = 200;
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const random = seededRandom(SEED);
/** The function's POST timeout in this run; a too-slow receiver answers well after it. */
const CALLBACK_TIMEOUT_MS = 1500;

type Behaviour = 'ok' | 'slow' | 'too-slow' | '5xx' | '429' | 'retry-after' | 'drop' | 'reject' | 'reject-ffff';
const receiverSaw: Record<Behaviour, number> = { ok: 0, slow: 0, 'too-slow': 0, '5xx': 0, '429': 0, 'retry-after': 0, drop: 0, reject: 0, 'reject-ffff': 0 };

function chaoticAnswer(): ReceiverAnswer {
  const roll = random();
  const pick = (behaviour: Behaviour, answer: ReceiverAnswer): ReceiverAnswer => {
    receiverSaw[behaviour] += 1;
    return answer;
  };
  if (roll < 0.15) return pick('5xx', { status: [500, 502, 503, 504][Math.floor(random() * 4)] });
  if (roll < 0.25) return pick('drop', { drop: true });
  if (roll < 0.27) return pick('429', { status: 429 });
  if (roll < 0.29) return pick('too-slow', { status: 200, delayMs: CALLBACK_TIMEOUT_MS * 4 });
  if (roll < 0.31) return pick('reject', { status: 410 });
  if (roll < 0.32) return pick('reject-ffff', { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'bad \uffff\ufffe' });
  if (roll < 0.34) return pick('retry-after', { status: 429, headers: { 'Retry-After': String(1 + Math.floor(random() * 600)) } });
  if (roll < 0.46) return pick('slow', { status: 200, delayMs: 10 + Math.floor(random() * 50) });
  return pick('ok', { status: 200 });
}

let world: World;
let downPort: number;
let executions: ExecutionRecord[];
let apiThrottled = 0;
let elapsedMs = 0;

beforeAll(async () => {
  downPort = await closedPort();
  world = await startWorld({
    extraCallbackPorts: [downPort],
    callbackerEnvironment: { CALLBACK_TOTAL_TIMEOUT_MS: String(CALLBACK_TIMEOUT_MS) },
    athena: { activeQueryQuota: 25, throttle: () => random() < 0.1 },
    // A record's LastError names the callback URL's path: the queries sent to /sqs-down/ find SQS unreachable.
    sqs: { available: (body) => !body.includes('/sqs-down/') },
    lambdaSandboxes: 16,
  });
  world.receiver.respondWith(() => chaoticAnswer());
  const started = Date.now();
  const arns = await Promise.all(
    Array.from({ length: QUERIES }, async (_, i) => {
      const down = random() < 0.06;
      const sqsDown = down && random() < 0.5;
      const badSql = random() < 0.05;
      const unsafeText = random() < 0.05 ? ' \ufffe\uffff' : '';
      const body = {
        Query: badSql ? `SELEC ${i}${unsafeText}` : `${SAMPLE_QUERY} -- query ${i}${unsafeText}`,
        CallbackUrl: down ? `https://127.0.0.1:${downPort}/${sqsDown ? 'sqs-down' : 'down'}/${i}` : world.receiver.url(`/chaos/${i}`),
      };
      for (let attempt = 0; ; attempt++) {
        const response = await world.post(body);
        if (response.status === 429 && attempt < 100) {
          apiThrottled += 1;
          await new Promise((resolve) => setTimeout(resolve, 20 + random() * 80));
          continue;
        }
        if (response.status !== 200) throw new Error(`submission ${i}: ${response.status} ${response.text}`);
        return (response.json as { executionArn: string }).executionArn;
      }
    }),
  );
  executions = await within(40_000, 'all chaos executions', Promise.all(arns.map((arn) => world.twin.stateMachine.waitFor(arn))));
  elapsedMs = Date.now() - started;
});

afterAll(async () => {
  await world?.close();
});

describe('e2e: chaos', () => {
  it(`ends each of ${QUERIES} queries with exactly one delivered callback or exactly one dead-letter record`, () => {
    // GIVEN chaotic receivers and a throttling Athena (beforeAll)
    const acknowledged = new Map<string, number>();
    for (const d of world.receiver.deliveries) {
      const arn = (d.payload as { ExecutionArn?: string } | undefined)?.ExecutionArn;
      if (d.acknowledged && arn !== undefined) acknowledged.set(arn, (acknowledged.get(arn) ?? 0) + 1);
    }
    const deadLettered = new Map<string, number>();
    for (const body of world.twin.deadLetters.parsedBodies()) {
      const arn = (body as { ExecutionArn: string }).ExecutionArn;
      deadLettered.set(arn, (deadLettered.get(arn) ?? 0) + 1);
    }
    const unrecorded = new Set(executions.filter((e) => recordInCause(e) !== undefined).map((e) => e.executionArn));

    // WHEN counted per execution
    const outcomes = executions.map((e) => ({
      e,
      delivered: acknowledged.get(e.executionArn) ?? 0,
      dead: deadLettered.get(e.executionArn) ?? 0,
      inCause: unrecorded.has(e.executionArn) ? 1 : 0,
    }));
    const lost = outcomes.filter((o) => o.delivered + o.dead + o.inCause === 0);
    const doubled = outcomes.filter((o) => o.delivered + o.dead + o.inCause > 1);
    const states = new Map<string, number>();
    for (const d of world.receiver.deliveries) {
      const state = (d.payload as { State?: { State?: string } } | undefined)?.State?.State;
      if (d.acknowledged && state !== undefined) states.set(state, (states.get(state) ?? 0) + 1);
    }
    const deadBodies = world.twin.deadLetters.parsedBodies() as { Failure: { Kind: string } }[];
    process.stdout.write(
      [
        `chaos (CHAOS_SEED=${SEED}): ${QUERIES} queries in ${elapsedMs} ms`,
        `  delivered callbacks: ${outcomes.filter((o) => o.delivered === 1).length} (${[...states].map(([s, n]) => `${n} ${s}`).join(', ')})`,
        `  dead-letter records: ${outcomes.filter((o) => o.dead === 1).length} (${deadBodies.filter((b) => b.Failure.Kind === 'RetriesExhausted').length} retries exhausted, ${deadBodies.filter((b) => b.Failure.Kind === 'PermanentFailure').length} rejected)`,
        `  records kept in the execution Cause (SQS unreachable): ${unrecorded.size}`,
        `  lost: ${lost.length}, doubled: ${doubled.length}`,
        `  receiver attempts: ${world.receiver.deliveries.length} (${Object.entries(receiverSaw).map(([k, n]) => `${n} ${k}`).join(', ')}), plus connections refused by down receivers`,
        `  Athena throttled ${world.twin.athena.throttledStarts} starts; the API throttled ${apiThrottled} submissions (retried by the client); ${world.twin.lambda.coldStarts} Lambda cold starts`,
      ].join('\n') + '\n',
    );

    // THEN
    expect(executions).toHaveLength(QUERIES);
    expect(lost.map((o) => o.e.executionArn)).toEqual([]);
    expect(doubled.map((o) => o.e.executionArn)).toEqual([]);
  });

  it('ends every execution that delivered as SUCCEEDED, every dead-lettered one as CallbackDeliveryFailed, the rest as CallbackDeadLetterWriteFailed', () => {
    // THEN
    const deadArns = new Set(world.twin.deadLetters.parsedBodies().map((b) => (b as { ExecutionArn: string }).ExecutionArn));
    for (const e of executions) {
      if (deadArns.has(e.executionArn)) expect([e.executionArn, e.status, e.error]).toEqual([e.executionArn, 'FAILED', 'CallbackDeliveryFailed']);
      else if (recordInCause(e) !== undefined) expect([e.executionArn, e.status, e.error]).toEqual([e.executionArn, 'FAILED', 'CallbackDeadLetterWriteFailed']);
      else expect([e.executionArn, e.status]).toEqual([e.executionArn, 'SUCCEEDED']);
    }
  });

  it('dead-letters every query whose receiver was down for good, in the queue or, with SQS unreachable, in its Cause', () => {
    // THEN
    const down = executions.filter((e) => (e.input as { CallbackUrl: string }).CallbackUrl.includes(`:${downPort}/`));
    const deadArns = new Set(world.twin.deadLetters.parsedBodies().map((b) => (b as { ExecutionArn: string }).ExecutionArn));
    const kept = (e: ExecutionRecord) => ((e.input as { CallbackUrl: string }).CallbackUrl.includes('/sqs-down/') ? recordInCause(e) !== undefined : deadArns.has(e.executionArn));
    expect(down.filter((e) => !kept(e)).map((e) => e.executionArn)).toEqual([]);
  });
});

/** The delivery record an execution keeps in its Cause when the dead-letter write failed, or undefined. */
function recordInCause(execution: ExecutionRecord): { ExecutionArn: string } | undefined {
  if (execution.error !== 'CallbackDeadLetterWriteFailed' || execution.cause === undefined) return undefined;
  const record = JSON.parse(execution.cause) as { ExecutionArn?: string };
  return record.ExecutionArn === execution.executionArn ? { ExecutionArn: record.ExecutionArn } : undefined;
}

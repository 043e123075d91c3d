/**
 * Chaos: 200 queries through the API while receivers fail at random (5xx, dropped connections, slow and too-slow
 * answers, rejections, receivers down for good), Athena throttles starts (an active-query quota plus random
 * TooManyRequestsException), some queries are bad SQL and the API throttles the burst. Every query must end with
 * exactly one delivered callback or exactly one dead-letter record: none lost, none doubled.
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

type Behaviour = 'ok' | 'slow' | 'too-slow' | '5xx' | '429' | 'drop' | 'reject';
const receiverSaw: Record<Behaviour, number> = { ok: 0, slow: 0, 'too-slow': 0, '5xx': 0, '429': 0, drop: 0, reject: 0 };

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
    lambdaSandboxes: 16,
  });
  world.receiver.respondWith(() => chaoticAnswer());
  const started = Date.now();
  const arns = await Promise.all(
    Array.from({ length: QUERIES }, async (_, i) => {
      const down = random() < 0.04;
      const badSql = random() < 0.05;
      const body = {
        Query: badSql ? `SELEC ${i}` : `${SAMPLE_QUERY} -- query ${i}`,
        CallbackUrl: down ? `https://127.0.0.1:${downPort}/down/${i}` : world.receiver.url(`/chaos/${i}`),
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

    // WHEN counted per execution
    const outcomes = executions.map((e) => ({ e, delivered: acknowledged.get(e.executionArn) ?? 0, dead: deadLettered.get(e.executionArn) ?? 0 }));
    const lost = outcomes.filter((o) => o.delivered + o.dead === 0);
    const doubled = outcomes.filter((o) => o.delivered + o.dead > 1);
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

  it('ends every execution that delivered as SUCCEEDED and every dead-lettered one as CallbackDeliveryFailed', () => {
    // THEN
    const deadArns = new Set(world.twin.deadLetters.parsedBodies().map((b) => (b as { ExecutionArn: string }).ExecutionArn));
    for (const e of executions) {
      if (deadArns.has(e.executionArn)) expect([e.executionArn, e.status, e.error]).toEqual([e.executionArn, 'FAILED', 'CallbackDeliveryFailed']);
      else expect([e.executionArn, e.status]).toEqual([e.executionArn, 'SUCCEEDED']);
    }
  });

  it('dead-letters every query whose receiver was down for good', () => {
    // THEN
    const down = executions.filter((e) => (e.input as { CallbackUrl: string }).CallbackUrl.includes(`:${downPort}/`));
    const deadArns = new Set(world.twin.deadLetters.parsedBodies().map((b) => (b as { ExecutionArn: string }).ExecutionArn));
    expect(down.filter((e) => !deadArns.has(e.executionArn))).toEqual([]);
  });
});

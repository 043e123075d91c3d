/**
 * Chaos: 200 queries through the API while receivers fail at random (5xx, dropped connections, slow answers, answers
 * that come after the sender's timeout, rejections, rejections whose body holds characters SQS refuses, Retry-After,
 * receivers down for good), Athena throttles starts (an active-query quota plus random TooManyRequestsException), some
 * queries are bad SQL, some hold characters SQS refuses, SQS is unreachable for some dead-letter writes, and the API
 * throttles the burst.
 *
 * Delivery is at least once: every query ends with exactly one of a callback the sender saw accepted, a dead-letter
 * record, or (when SQS was unreachable) its record as the execution's Cause; none is lost, none is accepted twice, and
 * every delivery of one execution carries the same webhook-id, so a receiver whose late 2xx made us deliver again can
 * deduplicate.
 *
 * All of it runs on the twin clock, and every random choice is drawn per query from the seed (never in the order the
 * machine happens to run things), so a seed decides the whole run: it is run twice here and both runs must count the
 * same. Set CHAOS_SEED to replay a run.
 */
import { webhookIdFor } from '../../handler/signing';
import type { StartQueryExecutionInput } from '../../twin/athena/athena-engine';
import type { ReceivedDelivery, ReceiverAnswer } from '../../twin/receiver/webhook-receiver';
import type { ExecutionRecord } from '../../twin/step-functions/state-machine-runner';
import { closedPort, REAL_TIME_GUARD_MS, SAMPLE_QUERY, seededRandom, startWorld, type World } from './harness';

const QUERIES = 200;
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
/** The function's POST timeout in this run, in twin milliseconds; a too-slow receiver answers well after it. */
const CALLBACK_TIMEOUT_MS = 1500;

type Behaviour = 'ok' | 'slow' | 'too-slow' | '5xx' | '429' | 'retry-after' | 'drop' | 'reject' | 'reject-ffff';

/** A generator per key, seeded from the run's seed and the key, so draws do not depend on what else happens. */
function keyedRandom(seed: number): (key: string) => () => number {
  const generators = new Map<string, () => number>();
  return (key) => {
    let generator = generators.get(key);
    if (generator === undefined) {
      let hash = seed >>> 0;
      for (const char of key) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
      generator = seededRandom(hash);
      generators.set(key, generator);
    }
    return generator;
  };
}

interface ChaosRun {
  readonly executions: readonly ExecutionRecord[];
  readonly deliveries: readonly ReceivedDelivery[];
  readonly deadLetters: readonly { ExecutionArn: string; Failure: { Kind: string } }[];
  /** Executions whose dead-letter write failed, with their record kept in the Cause. */
  readonly unrecorded: ReadonlySet<string>;
  readonly receiverSaw: Readonly<Record<Behaviour, number>>;
  readonly athenaThrottled: number;
  readonly apiThrottled: number;
  readonly coldStarts: number;
  readonly downPort: number;
  readonly twinSeconds: number;
}

async function runChaos(seed: number): Promise<ChaosRun> {
  const draw = keyedRandom(seed);
  const receiverSaw: Record<Behaviour, number> = { ok: 0, slow: 0, 'too-slow': 0, '5xx': 0, '429': 0, 'retry-after': 0, drop: 0, reject: 0, 'reject-ffff': 0 };
  const chaoticAnswer = (delivery: ReceivedDelivery): ReceiverAnswer => {
    // One generator per receiver path: a query's attempts come one after another, so its draws are in a fixed order.
    const random = draw(`receiver ${delivery.path}`);
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
  };
  const downPort = await closedPort();
  let world: World | undefined;
  try {
    world = await startWorld({
      extraCallbackPorts: [downPort],
      callbackerEnvironment: { CALLBACK_TOTAL_TIMEOUT_MS: String(CALLBACK_TIMEOUT_MS) },
      athena: { activeQueryQuota: 25, throttle: (input: StartQueryExecutionInput) => draw(`athena ${input.QueryString}`)() < 0.1 },
      // A record's LastError names the callback URL's path: the queries sent to /sqs-down/ find SQS unreachable.
      sqs: { available: (body) => !body.includes('/sqs-down/') },
      random: seededRandom(seed),
      lambdaSandboxes: 16,
    });
    const w = world;
    w.receiver.respondWith((delivery) => chaoticAnswer(delivery));
    const startedAt = w.clock.now();
    const plan = seededRandom(seed + 1);
    let apiThrottled = 0;
    const arns: string[] = [];
    // One after another in real time, at the same twin instant until the stage throttles: the order is fixed.
    for (let i = 0; i < QUERIES; i++) {
      const down = plan() < 0.06;
      const sqsDown = down && plan() < 0.5;
      const badSql = plan() < 0.05;
      const unsafeText = plan() < 0.05 ? ' \ufffe\uffff' : '';
      const body = {
        Query: badSql ? `SELEC ${i}${unsafeText}` : `${SAMPLE_QUERY} -- query ${i}${unsafeText}`,
        CallbackUrl: down ? `https://127.0.0.1:${downPort}/${sqsDown ? 'sqs-down' : 'down'}/${i}` : w.receiver.url(`/chaos/${i}`),
      };
      for (let attempt = 0; ; attempt++) {
        const response = await w.post(body);
        if (response.status === 429 && attempt < 100) {
          apiThrottled += 1;
          await w.clock.sleep(20 + draw(`client ${i}`)() * 80);
          continue;
        }
        if (response.status !== 200) throw new Error(`submission ${i}: ${response.status} ${response.text}`);
        arns.push((response.json as { executionArn: string }).executionArn);
        break;
      }
    }
    const executions = await Promise.all(arns.map((arn) => w.twin.stateMachine.waitFor(arn)));
    return {
      executions,
      deliveries: [...w.receiver.deliveries],
      deadLetters: w.twin.deadLetters.parsedBodies() as ChaosRun['deadLetters'],
      unrecorded: new Set(executions.filter((e) => recordInCause(e) !== undefined).map((e) => e.executionArn)),
      receiverSaw,
      athenaThrottled: w.twin.athena.throttledStarts,
      apiThrottled,
      coldStarts: w.twin.lambda.coldStarts,
      downPort,
      twinSeconds: (w.clock.now() - startedAt) / 1000,
    };
  } finally {
    await world?.close();
  }
}

const arnOf = (d: ReceivedDelivery): string | undefined => (d.payload as { ExecutionArn?: string } | undefined)?.ExecutionArn;

/** The delivery record an execution keeps in its Cause when the dead-letter write failed, or undefined. */
function recordInCause(execution: ExecutionRecord): { ExecutionArn: string } | undefined {
  if (execution.error !== 'CallbackDeadLetterWriteFailed' || execution.cause === undefined) return undefined;
  const record = JSON.parse(execution.cause) as { ExecutionArn?: string };
  return record.ExecutionArn === execution.executionArn ? { ExecutionArn: record.ExecutionArn } : undefined;
}

/** What a run adds up to; equal for equal seeds. */
function tally(run: ChaosRun): Record<string, unknown> {
  const states = new Map<string, number>();
  for (const d of run.deliveries) {
    const state = (d.payload as { State?: { State?: string } } | undefined)?.State?.State;
    if (d.acknowledged && state !== undefined) states.set(state, (states.get(state) ?? 0) + 1);
  }
  return {
    succeeded: run.executions.filter((e) => e.status === 'SUCCEEDED').length,
    failed: run.executions.filter((e) => e.status === 'FAILED').length,
    acknowledged: run.deliveries.filter((d) => d.acknowledged).length,
    acknowledgedByState: Object.fromEntries([...states].sort()),
    answeredAfterSenderLeft: run.deliveries.filter((d) => d.answeredAfterSenderLeft).length,
    deadLetters: run.deadLetters.length,
    retriesExhausted: run.deadLetters.filter((b) => b.Failure.Kind === 'RetriesExhausted').length,
    rejected: run.deadLetters.filter((b) => b.Failure.Kind === 'PermanentFailure').length,
    recordsInCause: run.unrecorded.size,
    receiverAttempts: run.deliveries.length,
    receiverSaw: run.receiverSaw,
    athenaThrottled: run.athenaThrottled,
    apiThrottled: run.apiThrottled,
    coldStarts: run.coldStarts,
    twinSeconds: run.twinSeconds,
  };
}

let run: ChaosRun;
let replay: ChaosRun;

// Real time is only a guard against a broken twin here: on a loaded machine two runs can take minutes.
beforeAll(async () => {
  run = await runChaos(SEED);
  replay = await runChaos(SEED);
  const t = tally(run);
  process.stdout.write(
    [
      `chaos (CHAOS_SEED=${SEED}): ${QUERIES} queries over ${Number(t.twinSeconds).toFixed(1)} s of twin time`,
      `  executions: ${t.succeeded} SUCCEEDED, ${t.failed} FAILED`,
      `  callbacks the sender saw accepted: ${t.acknowledged} (${Object.entries(t.acknowledgedByState as object).map(([s, n]) => `${n} ${s}`).join(', ')})`,
      `  dead-letter records: ${t.deadLetters} (${t.retriesExhausted} retries exhausted, ${t.rejected} rejected)`,
      `  records kept in the execution Cause (SQS unreachable): ${t.recordsInCause}`,
      `  receiver attempts: ${t.receiverAttempts} (${Object.entries(run.receiverSaw).map(([k, n]) => `${n} ${k}`).join(', ')}); ${t.answeredAfterSenderLeft} answered 2xx after the sender's timeout`,
      `  Athena throttled ${t.athenaThrottled} starts; the API throttled ${t.apiThrottled} submissions (retried by the client); ${t.coldStarts} Lambda cold starts`,
      // One line, for .ci/e2e-under-load to compare with the run under load.
      `chaos tally: ${JSON.stringify({ seed: SEED, ...t })}`,
    ].join('\n') + '\n',
  );
}, REAL_TIME_GUARD_MS);

describe('e2e: chaos', () => {
  it(`ends each of ${QUERIES} queries with exactly one accepted callback, dead-letter record or record in its Cause`, () => {
    // GIVEN chaotic receivers and a throttling Athena (beforeAll)
    // WHEN counted per execution
    const accepted = new Map<string, number>();
    for (const d of run.deliveries) if (d.acknowledged && arnOf(d) !== undefined) accepted.set(arnOf(d)!, (accepted.get(arnOf(d)!) ?? 0) + 1);
    const dead = new Map<string, number>();
    for (const body of run.deadLetters) dead.set(body.ExecutionArn, (dead.get(body.ExecutionArn) ?? 0) + 1);
    const outcomes = run.executions.map((e) => ({
      arn: e.executionArn,
      kept: (accepted.get(e.executionArn) ?? 0) + (dead.get(e.executionArn) ?? 0) + (run.unrecorded.has(e.executionArn) ? 1 : 0),
    }));

    // THEN
    expect(run.executions).toHaveLength(QUERIES);
    expect(outcomes.filter((o) => o.kept === 0).map((o) => o.arn)).toEqual([]);
    expect(outcomes.filter((o) => o.kept > 1).map((o) => o.arn)).toEqual([]);
  });

  it('ends every execution that delivered as SUCCEEDED, every dead-lettered one as CallbackDeliveryFailed, the rest as CallbackDeadLetterWriteFailed', () => {
    // THEN
    const deadArns = new Set(run.deadLetters.map((b) => b.ExecutionArn));
    for (const e of run.executions) {
      if (deadArns.has(e.executionArn)) expect([e.executionArn, e.status, e.error]).toEqual([e.executionArn, 'FAILED', 'CallbackDeliveryFailed']);
      else if (run.unrecorded.has(e.executionArn)) expect([e.executionArn, e.status, e.error]).toEqual([e.executionArn, 'FAILED', 'CallbackDeadLetterWriteFailed']);
      else expect([e.executionArn, e.status]).toEqual([e.executionArn, 'SUCCEEDED']);
    }
  });

  it('dead-letters every query whose receiver was down for good, in the queue or, with SQS unreachable, in its Cause', () => {
    // THEN
    const callbackUrl = (e: ExecutionRecord): string => (e.input as { CallbackUrl: string }).CallbackUrl;
    const down = run.executions.filter((e) => callbackUrl(e).includes(`:${run.downPort}/`));
    const deadArns = new Set(run.deadLetters.map((b) => b.ExecutionArn));
    const kept = (e: ExecutionRecord): boolean => (callbackUrl(e).includes('/sqs-down/') ? run.unrecorded.has(e.executionArn) : deadArns.has(e.executionArn));
    expect(down.filter((e) => !kept(e)).map((e) => e.executionArn)).toEqual([]);
  });

  it("sends one webhook-id per execution, and delivers again (or dead-letters) after every 2xx that came after the sender's timeout", () => {
    // THEN every attempt for an execution carries its webhook-id
    for (const d of run.deliveries) expect([d.path, d.webhookId]).toEqual([d.path, webhookIdFor(arnOf(d) ?? '')]);
    // and a late 2xx is never the end of the story: a later attempt with the same webhook-id, or a dead-letter record
    const deadArns = new Set(run.deadLetters.map((b) => b.ExecutionArn));
    for (const late of run.deliveries.filter((d) => d.answeredAfterSenderLeft && (d.answeredStatus ?? 0) < 300)) {
      const later = run.deliveries.filter((d) => d.webhookId === late.webhookId && d.receivedAt > late.receivedAt);
      expect([late.path, later.length > 0 || deadArns.has(arnOf(late) ?? '')]).toEqual([late.path, true]);
    }
  });

  it('counts the same when replayed with the same seed', () => {
    // GIVEN a second run with CHAOS_SEED (beforeAll)
    // THEN
    expect(tally(replay)).toEqual(tally(run));
  });
});

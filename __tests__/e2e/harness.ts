/**
 * Shared set-up of the end-to-end suites: a twin of the synthesized stack with the sample data, an https receiver
 * it trusts, and a SigV4 client, all on one virtual twin clock (twin/clock/twin-clock.ts). Not a suite.
 *
 * Nothing a suite asserts may depend on real elapsed time or on the order in which the machine happens to schedule
 * work: durations are twin seconds, retry jitter and test randomness come from seeded generators, and submissions
 * that must arrive together are sent one after another at the same twin instant (the clock stands still while a
 * request is in flight), so their order is fixed. The real-time limits below (`within`) only stop a broken twin from
 * hanging a suite.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import { type ApiClientOptions, type ApiResponse, postSigned, type PostOptions, requestSigned } from '../../twin/api-gateway/signed-client';
import { createLocalCertificate, type LocalCertificate } from '../../twin/receiver/local-tls';
import { PACKAGE_ROOT } from '../../twin/wiring/stack-cache';
import type { ExecutionRecord } from '../../twin/step-functions/state-machine-runner';
import { startTwin, type Twin, type TwinOptions } from '../../twin/twin';
import { type TwinClock, VirtualClock } from '../../twin/clock/twin-clock';
import { startWebhookReceiver, type WebhookReceiver } from '../../twin/receiver/webhook-receiver';

// The twin's own S3 clients would print the SDK's Node 20 support notice in every suite; it says nothing about the twin.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The sample query of the original project's README. */
export const SAMPLE_QUERY = 'SELECT "col1", "col2" FROM "database1"."tableA" limit 10';

export const SAMPLE_DATA = path.join(PACKAGE_ROOT, 'data');

/** A twin, its receiver and a client. */
export interface World {
  readonly twin: Twin;
  readonly receiver: WebhookReceiver;
  readonly tls: LocalCertificate;
  readonly client: ApiClientOptions;
  /** The twin clock everything runs on. */
  readonly clock: TwinClock;
  /** POSTs a body to /queries (or another route), signed. */
  post(body: unknown, options?: PostOptions): Promise<ApiResponse>;
  /** POSTs `{Query, CallbackUrl}` and returns the execution ARN, failing unless the API answers 200. */
  submit(query: string, callbackUrl?: string): Promise<string>;
  /** Sends a signed request to a route (`GET /queries/abc`): a body (an object is sent as JSON) only when given. */
  call(method: 'GET' | 'POST' | 'DELETE', route: string, options?: { readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }): Promise<ApiResponse>;
  close(): Promise<void>;
}

/** Options of {@link startWorld}. */
export interface WorldOptions extends Omit<TwinOptions, 'callbackPorts' | 'trustedCertificates' | 'clock'> {
  /** More ports callbacks may go to (e.g. a port where nothing listens). */
  readonly extraCallbackPorts?: readonly number[];
  /** The clock. @default a virtual clock that advances whenever the twin is idle */
  readonly clock?: TwinClock;
}

/** The seed of the retry jitter unless a suite gives its own generator. */
export const DEFAULT_JITTER_SEED = 20260101;

/** Starts a receiver and a twin that trusts it and allows its port. */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const tls = createLocalCertificate();
  const clock = options.clock ?? new VirtualClock();
  const receiver = await startWebhookReceiver({ tls, clock });
  const twin = await startTwin({
    dataDirectories: [SAMPLE_DATA],
    random: seededRandom(DEFAULT_JITTER_SEED),
    ...options,
    clock,
    callbackPorts: [receiver.port, ...(options.extraCallbackPorts ?? [])],
    trustedCertificates: [tls.cert],
  });
  receiver.setSigningSecret(twin.webhookSigningSecret);
  const client: ApiClientOptions = { stageUrl: twin.stageUrl, credentials: twin.clientCredentials, region: twin.region, clock };
  const post = (body: unknown, postOptions?: PostOptions): Promise<ApiResponse> => postSigned(client, body, postOptions);
  const backoff = seededRandom(DEFAULT_JITTER_SEED + 1);
  return {
    twin,
    receiver,
    tls,
    client,
    clock,
    post,
    submit: async (query, callbackUrl = receiver.url('/hook')) => {
      const response = await post({ Query: query, CallbackUrl: callbackUrl }, { retriesOn429: 50, random: backoff });
      if (response.status !== 200) throw new Error(`The API answered ${response.status}: ${response.text}`);
      return (response.json as { executionArn: string }).executionArn;
    },
    call: (method, route, callOptions = {}) => {
      const body = callOptions.body === undefined ? undefined : typeof callOptions.body === 'string' ? callOptions.body : JSON.stringify(callOptions.body);
      return requestSigned(client, body, { method, route, headers: callOptions.headers });
    },
    close: async () => {
      await twin.close();
      await receiver.close();
      clock.dispose();
    },
  };
}

/**
 * Jest's real-time limit for set-ups that run the twin for a long stretch (the burst, chaos): never part of a
 * result, only a guard against a broken twin, generous because a loaded 2-core machine can be ten times slower.
 */
export const REAL_TIME_GUARD_MS = 900_000;

// Every e2e hook and test gets that guard (the bench imports this module too, outside jest).
if (typeof jest !== 'undefined') jest.setTimeout(REAL_TIME_GUARD_MS);

/** The world's clock when it is virtual (steppable by hand); throws otherwise. */
export function virtualClock(world: World): VirtualClock {
  if (!(world.clock instanceof VirtualClock)) throw new Error('This suite needs the virtual twin clock');
  return world.clock;
}

/**
 * On a clock that does not advance by itself (`new VirtualClock({ autoAdvance: false })`): moves twin time forward
 * `stepMs` at a time, firing what falls due, until `condition` holds; throws when `limitMs` of twin time pass first.
 * A suite then observes the twin between steps, at twin instants it chose.
 */
export async function advanceUntil(clock: VirtualClock, what: string, condition: () => boolean | Promise<boolean>, stepMs = 1000, limitMs = 3_600_000): Promise<void> {
  const deadline = clock.now() + limitMs;
  await clock.settled();
  while (!(await condition())) {
    if (clock.now() >= deadline) throw new Error(`${what} did not happen within ${limitMs} ms of twin time`);
    await clock.advanceBy(stepMs);
  }
}

/** Rejects when the promise takes longer than `ms`, so a broken twin fails a test instead of hanging it. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Waits for an execution to end (the real-time limit only guards against a broken twin). */
export function finished(world: World, executionArn: string, ms = 60_000): Promise<ExecutionRecord> {
  return within(ms, `execution ${executionArn}`, world.twin.stateMachine.waitFor(executionArn));
}

/** A port on 127.0.0.1 where nothing listens: a receiver that is down. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Names of the events of an execution, `Type:State`. */
export function eventNames(record: ExecutionRecord): string[] {
  return record.events.map((e) => (e.state === undefined ? e.type : `${e.type}:${e.state.name}`));
}

/** A small seeded PRNG (mulberry32), so a chaos run can be replayed from its printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

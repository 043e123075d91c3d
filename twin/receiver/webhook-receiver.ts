/**
 * A local https webhook receiver: it verifies Standard Webhooks signatures, records every delivery, and answers as a
 * script says (a status, a delay, or a dropped connection), so tests and the demo can play any receiver.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 *
 * It lives on the twin clock: timestamps are twin time, a delayed answer waits on a twin timer (the sender's exchange
 * is parked meanwhile, see twin/clock/twin-clock.ts), and the signature's timestamp is checked against twin time.
 * On a virtual clock, whether an answer reaches the sender before the sender's timeout is then decided in twin
 * seconds, the same way on every machine.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { RealTimeClock, type TwinClock } from '../clock/twin-clock';
import { flatHeaders, listenLocally, readBody } from '../wiring/http-util';
import type { LocalCertificate } from './local-tls';

/** How the receiver answers one request. */
export type ReceiverAnswer =
  | {
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body?: string;
      /** Milliseconds of twin time before answering. */
      readonly delayMs?: number;
    }
  | { readonly drop: true };

/** One request the receiver got. */
export interface ReceivedDelivery {
  /** The URL path (and query). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body exactly as received. */
  readonly body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly payload: unknown;
  readonly webhookId?: string;
  /** Whether the Standard Webhooks signature verified with the receiver's secret, within 5 minutes of twin time. */
  readonly signatureVerified: boolean;
  /** Twin time of arrival, epoch milliseconds. */
  readonly receivedAt: number;
  /** The status the receiver answered, also when the sender had already gone; undefined for a dropped connection. */
  answeredStatus?: number;
  /** Twin time of the answer, epoch milliseconds. */
  answeredAt?: number;
  /** True once the receiver answered 2xx on a connection the sender still held: the sender saw the acceptance. */
  acknowledged: boolean;
  /**
   * True when the receiver answered after the sender had given up (its timeout): the receiver did the work, but the
   * sender counts the attempt as failed and delivers again with the same webhook-id.
   */
  answeredAfterSenderLeft: boolean;
}

/** Decides the answer to a delivery; `attempt` counts earlier deliveries with the same webhook-id, from 1. */
export type Responder = (delivery: ReceivedDelivery, attempt: number) => ReceiverAnswer;

/** A running receiver. */
export interface WebhookReceiver {
  readonly port: number;
  /** `https://127.0.0.1:<port><path>`. */
  url(path?: string): string;
  readonly deliveries: readonly ReceivedDelivery[];
  /** Replaces the responder. */
  respondWith(responder: Responder): void;
  /** Sets the secret signatures are verified with. */
  setSigningSecret(secret: string): void;
  /** Deliveries that count (acknowledged), by webhook-id. */
  acknowledgedByWebhookId(): Map<string, ReceivedDelivery[]>;
  /**
   * Resolves with the first delivery matching the predicate. `timeoutMs` is real time: a guard against a broken
   * twin, not part of any behaviour.
   */
  waitFor(predicate: (delivery: ReceivedDelivery) => boolean, timeoutMs?: number): Promise<ReceivedDelivery>;
  close(): Promise<void>;
}

/** Always 204. */
export const ACCEPT: Responder = () => ({ status: 204 });

/** Standard Webhooks' tolerance for the `webhook-timestamp` header, as the reference library applies it. */
const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

/**
 * Verifies a Standard Webhooks signature with the reference library's `sign`, and the timestamp against the twin
 * clock. The library's own `verify` reads the tolerance window from the process's wall clock, which a virtual twin
 * clock runs ahead of, so only the window is checked here; the HMAC is the library's.
 */
function verifiedOnClock(webhook: Webhook, body: string, headers: Readonly<Record<string, string>>, nowMs: number): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (id === undefined || timestamp === undefined || signatures === undefined || !/^\d+$/.test(timestamp)) return false;
  const seconds = Number(timestamp);
  if (Math.abs(nowMs / 1000 - seconds) > TIMESTAMP_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(webhook.sign(id, new Date(seconds * 1000), body).split(',')[1]);
  return signatures.split(' ').some((versioned) => {
    const [version, signature = ''] = versioned.split(',');
    const given = Buffer.from(signature);
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** Starts the receiver on 127.0.0.1 with the given certificate. */
export async function startWebhookReceiver(options: {
  readonly tls: LocalCertificate;
  readonly signingSecret?: string;
  /** A fixed port (to bring a receiver back where senders expect it). @default a free port */
  readonly port?: number;
  /** The twin clock the receiver keeps time on. @default the wall clock */
  readonly clock?: TwinClock;
}): Promise<WebhookReceiver> {
  const clock = options.clock ?? new RealTimeClock();
  const deliveries: ReceivedDelivery[] = [];
  const attempts = new Map<string, number>();
  let responder: Responder = ACCEPT;
  let verifier = options.signingSecret === undefined ? undefined : new Webhook(options.signingSecret);
  const waiters = new Set<() => void>();
  const delays = new Set<ReturnType<TwinClock['setTimeout']>>();

  const answer = (req: IncomingMessage, res: ServerResponse, delivery: ReceivedDelivery, reply: ReceiverAnswer): void => {
    if ('drop' in reply) {
      req.socket.destroy();
      return;
    }
    let senderGone = false;
    const delayed = reply.delayMs !== undefined && reply.delayMs > 0;
    // While the answer waits on a twin timer, the sender's exchange does not hold the clock still.
    const parked = delayed ? clock.parkConnection(req.socket.remotePort ?? -1) : undefined;
    res.on('close', () => {
      if (!res.writableFinished) senderGone = true;
      parked?.release();
    });
    const write = (): void => {
      parked?.release();
      delivery.answeredStatus = reply.status;
      delivery.answeredAt = clock.now();
      // A sender that gave up (timed out) never sees this answer, though the receiver did its work.
      if (senderGone || res.destroyed) {
        delivery.answeredAfterSenderLeft = true;
      } else {
        delivery.acknowledged = reply.status >= 200 && reply.status < 300;
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body ?? '');
      }
      waiters.forEach((w) => w());
    };
    if (delayed) {
      const timer = clock.setTimeout(() => {
        delays.delete(timer);
        write();
      }, reply.delayMs);
      delays.add(timer);
    } else {
      write();
    }
  };

  const server = https.createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    readBody(req, 1024 * 1024)
      .then((body) => {
        const headers = flatHeaders(req);
        let payload: unknown;
        try {
          payload = JSON.parse(body);
        } catch {
          payload = undefined;
        }
        const signatureVerified = verifier !== undefined && verifiedOnClock(verifier, body, headers, clock.now());
        const webhookId = headers['webhook-id'];
        const delivery: ReceivedDelivery = {
          path: req.url ?? '/',
          headers,
          body,
          payload,
          ...(webhookId !== undefined && { webhookId }),
          signatureVerified,
          receivedAt: clock.now(),
          acknowledged: false,
          answeredAfterSenderLeft: false,
        };
        deliveries.push(delivery);
        const attempt = (attempts.get(webhookId ?? '') ?? 0) + 1;
        attempts.set(webhookId ?? '', attempt);
        answer(req, res, delivery, responder(delivery, attempt));
        waiters.forEach((w) => w());
      })
      .catch(() => req.socket.destroy());
  });
  const running = await listenLocally(server, { port: options.port, clock });

  return {
    port: running.port,
    url: (path = '/hook') => `https://127.0.0.1:${running.port}${path}`,
    deliveries,
    respondWith: (next) => {
      responder = next;
    },
    setSigningSecret: (secret) => {
      verifier = new Webhook(secret);
    },
    acknowledgedByWebhookId: () => {
      const byId = new Map<string, ReceivedDelivery[]>();
      for (const d of deliveries) if (d.acknowledged) byId.set(d.webhookId ?? '', [...(byId.get(d.webhookId ?? '') ?? []), d]);
      return byId;
    },
    waitFor: (predicate, timeoutMs = 10_000) =>
      new Promise<ReceivedDelivery>((resolve, reject) => {
        const check = (): boolean => {
          const found = deliveries.find(predicate);
          if (found === undefined) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`No matching delivery within ${timeoutMs} ms (${deliveries.length} received)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: async () => {
      delays.forEach((timer) => clock.clearTimeout(timer));
      await running.close();
    },
  };
}

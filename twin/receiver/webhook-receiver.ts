/**
 * A local https webhook receiver: it verifies Standard Webhooks signatures, records every delivery, and answers as a
 * script says (a status, a delay, or a dropped connection), so tests and the demo can play any receiver.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { flatHeaders, listenLocally, readBody } from '../wiring/http-util';
import type { LocalCertificate } from './local-tls';

/** How the receiver answers one request. */
export type ReceiverAnswer =
  | { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string; readonly delayMs?: number }
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
  /** Whether the Standard Webhooks signature verified with the receiver's secret. */
  readonly signatureVerified: boolean;
  readonly receivedAt: number;
  /** The status answered; undefined for a dropped connection. */
  answeredStatus?: number;
  /** True once the receiver answered 2xx on a connection the sender still held: the receiver accepted it. */
  acknowledged: boolean;
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
  /** Resolves with the first delivery matching the predicate, waiting at most `timeoutMs`. */
  waitFor(predicate: (delivery: ReceivedDelivery) => boolean, timeoutMs?: number): Promise<ReceivedDelivery>;
  close(): Promise<void>;
}

/** Always 204. */
export const ACCEPT: Responder = () => ({ status: 204 });

/** Starts the receiver on 127.0.0.1 with the given certificate. */
export async function startWebhookReceiver(options: {
  readonly tls: LocalCertificate;
  readonly signingSecret?: string;
  /** A fixed port (to bring a receiver back where senders expect it). @default a free port */
  readonly port?: number;
}): Promise<WebhookReceiver> {
  const deliveries: ReceivedDelivery[] = [];
  const attempts = new Map<string, number>();
  let responder: Responder = ACCEPT;
  let verifier = options.signingSecret === undefined ? undefined : new Webhook(options.signingSecret);
  const waiters = new Set<() => void>();
  const delays = new Set<NodeJS.Timeout>();

  const answer = (req: IncomingMessage, res: ServerResponse, delivery: ReceivedDelivery, reply: ReceiverAnswer): void => {
    if ('drop' in reply) {
      req.socket.destroy();
      return;
    }
    let senderGone = false;
    res.on('close', () => {
      if (!res.writableFinished) senderGone = true;
    });
    const write = (): void => {
      // A sender that gave up (timed out) never sees this answer: the receiver's work is lost with the connection.
      if (senderGone || res.destroyed) return;
      delivery.answeredStatus = reply.status;
      delivery.acknowledged = reply.status >= 200 && reply.status < 300;
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body ?? '');
      waiters.forEach((w) => w());
    };
    if (reply.delayMs !== undefined && reply.delayMs > 0) {
      const timer = setTimeout(() => {
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
        let signatureVerified = false;
        if (verifier !== undefined) {
          try {
            verifier.verify(body, headers);
            signatureVerified = true;
          } catch {
            signatureVerified = false;
          }
        }
        const webhookId = headers['webhook-id'];
        const delivery: ReceivedDelivery = {
          path: req.url ?? '/',
          headers,
          body,
          payload,
          ...(webhookId !== undefined && { webhookId }),
          signatureVerified,
          receivedAt: Date.now(),
          acknowledged: false,
        };
        deliveries.push(delivery);
        const attempt = (attempts.get(webhookId ?? '') ?? 0) + 1;
        attempts.set(webhookId ?? '', attempt);
        answer(req, res, delivery, responder(delivery, attempt));
        waiters.forEach((w) => w());
      })
      .catch(() => req.socket.destroy());
  });
  const running = await listenLocally(server, options.port);

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
      delays.forEach(clearTimeout);
      await running.close();
    },
  };
}

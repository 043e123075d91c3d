/** Small helpers shared by the twin's HTTP servers: bind to 127.0.0.1 on a free port, read bodies, stop cleanly. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { TwinClock } from '../clock/twin-clock';

/** A body larger than the reader's limit. */
export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`Request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads a request body as UTF-8, refusing more than `limit` bytes. */
export function readBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError(limit));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A listening server that can be stopped, including its open keep-alive connections. */
export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Options of {@link listenLocally}. */
export interface ListenOptions {
  /** @default 0, a free port */
  readonly port?: number;
  /**
   * The clock an HTTP(S) server keeps time on: its answers' `Date` header is then this clock's time when the headers
   * are sent. @default Node's own `Date` header, the wall clock
   */
  readonly clock?: TwinClock;
}

/**
 * Dates every answer of `server` on `clock`. AWS SDK clients correct their clock skew from each answer's `Date`
 * header (their `systemClockOffset`; @aws-sdk/core AwsSdkSigV4Signer), so a twin service that checks signatures on a
 * virtual clock but answers with Node's wall-clock `Date` teaches the callbacker's SDK to sign with the wall clock:
 * its signatures then depend on real time, and once twin time runs 5 minutes ahead of the wall clock they are refused
 * as expired.
 */
function dateAnswersOn(server: Server, clock: TwinClock): void {
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    // Every way of sending headers goes through writeHead (an implicit header too), at the moment they are sent:
    // a receiver that holds an answer on a timer dates it when it answers.
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      if (!res.headersSent) res.setHeader('Date', new Date(clock.now()).toUTCString());
      return writeHead(...args);
    }) as ServerResponse['writeHead'];
  });
}

/** Listens on 127.0.0.1 and a free port; `close` destroys every open socket so nothing keeps the process alive. */
export async function listenLocally(server: Server, options: ListenOptions = {}): Promise<RunningServer> {
  const port = options.port ?? 0;
  if (options.clock !== undefined) dateAnswersOn(server, options.clock);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Lower-case header names, first value only. */
export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

/**
 * A local webhook receiver on 127.0.0.1 that records every request and answers with scripted responses.
 * Test helper; not a suite.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** One request the receiver got, with the exact body bytes. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly receivedAt: number;
}

/** Answers one request; may write anything, or nothing at all. */
export type Responder = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface LocalReceiver {
  readonly port: number;
  /** `http://127.0.0.1:<port><path>`. */
  url(path?: string): string;
  readonly requests: ReceivedRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** Responders used in order, one per request; the last one repeats. Resets the recorded requests. */
  respondWith(...responders: Responder[]): void;
  close(): Promise<void>;
}

/** Answers with a status, optional headers and a body. */
export function status(code: number, headers: http.OutgoingHttpHeaders = {}, body = ''): Responder {
  return (_req, res) => {
    res.writeHead(code, headers);
    res.end(body);
  };
}

/** Starts a receiver that wraps an existing server type (http or https). */
export async function startReceiver(server: http.Server | https.Server = http.createServer()): Promise<LocalReceiver> {
  const requests: ReceivedRequest[] = [];
  let responders: Responder[] = [status(204)];
  let served = 0;
  let connections = 0;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, receivedAt: Date.now() });
      const responder = responders[Math.min(served, responders.length - 1)];
      served += 1;
      responder(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const scheme = server instanceof https.Server ? 'https' : 'http';
  return {
    port,
    url: (path = '/hook') => `${scheme}://127.0.0.1:${port}${path}`,
    requests,
    connections: () => connections,
    respondWith: (...next) => {
      responders = next;
      served = 0;
      requests.length = 0;
    },
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * moto's server (`moto_server`, the Python AWS emulator), which speaks the real SQS protocol: the twin's dead-letter
 * queue lives there, and the redrive's SQS adapter is tested against it (the handler suites use its STS and Secrets
 * Manager too). One server is shared when the environment
 * names it (`MOTO_ENDPOINT`, as `.ci/run` and the jest global set-up do); otherwise one is started on 127.0.0.1 and a
 * free port, and stopped by `close()`.
 * https://docs.getmoto.org/en/latest/docs/server_mode.html
 */
import { type ChildProcess, spawn } from 'node:child_process';

/** The variable naming a running moto server, `http://127.0.0.1:<port>`. */
export const MOTO_ENDPOINT_VARIABLE = 'MOTO_ENDPOINT';

/** A moto server to use. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Stops the server if this process started it; a shared one is left running. */
  close(): Promise<void>;
}

/** moto_server is missing or did not come up. */
export class MotoUnavailableError extends Error {
  constructor(detail: string) {
    super(
      `The twin keeps its dead-letter queue in moto's SQS (and the tests use moto's STS and Secrets Manager), and moto_server ${detail}. Install it with ` +
        `pip install 'moto[server]' (https://docs.getmoto.org), or set ${MOTO_ENDPOINT_VARIABLE} to a running moto server on 127.0.0.1.`,
    );
    this.name = 'MotoUnavailableError';
  }
}

/** Milliseconds to wait for moto_server to print its address: a slow start on a loaded machine is still a start. */
const START_TIMEOUT_MS = 60_000;

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Starts `moto_server -H 127.0.0.1 -p 0` and resolves with its endpoint once it listens. */
export function startMotoServer(command = 'moto_server'): Promise<MotoServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    let output = '';
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop(child).then(() => reject(error));
    };
    const timer = setTimeout(() => fail(new MotoUnavailableError(`did not listen within ${START_TIMEOUT_MS / 1000} s: ${output.slice(-500)}`)), START_TIMEOUT_MS);
    const read = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      // Werkzeug prints "Running on http://127.0.0.1:<port>" once the socket is bound.
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match === null || settled) return;
      settled = true;
      clearTimeout(timer);
      // Keep draining the pipes so a chatty server never blocks on a full one.
      child.stdout?.resume();
      child.stderr?.resume();
      resolve({ endpoint: match[1], close: () => stop(child) });
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('error', (error: NodeJS.ErrnoException) => fail(new MotoUnavailableError(error.code === 'ENOENT' ? 'is not on PATH' : `failed to start: ${error.message}`)));
    child.once('exit', (code) => fail(new MotoUnavailableError(`exited with code ${String(code)}: ${output.slice(-500)}`)));
  });
}

/** The shared server the environment names, or a new one this process owns. */
export async function motoServer(env: NodeJS.ProcessEnv = process.env): Promise<MotoServer> {
  const shared = env[MOTO_ENDPOINT_VARIABLE];
  if (shared !== undefined && shared !== '') {
    if (!/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(shared)) {
      throw new MotoUnavailableError(`cannot be used at ${MOTO_ENDPOINT_VARIABLE}=${shared}: it must be http://127.0.0.1:<port>`);
    }
    return { endpoint: shared.replace(/\/$/, ''), close: async () => undefined };
  }
  return startMotoServer();
}

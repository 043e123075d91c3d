/**
 * `async-athena-query`: the command line of the query API client. {@link runCli} runs one command line against
 * given streams and returns the exit code; client/bin.ts connects it to the process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { AsyncAthenaQueryClient, type AsyncAthenaQueryClientOptions, CLIENT_USER_AGENT, type WaitProgress } from '../client';
import { readTerraformOutput } from '../terraform-output';
import { isFinalQueryState, type QueryStatus, type SubmitQueryRequest } from '../types';
import { type CliCommand, type GlobalOptions, parseCliArguments, type QuerySource, UsageError } from './arguments';
import { EXIT_CODES, exitCodeFor } from './exit-codes';
import { formatCancelled, formatError, formatJson, formatProgress, formatStatus, formatSubmitted } from './format';
import { helpText } from './help';

/** The environment variable that holds the API URL when no option gives it. */
export const API_URL_ENVIRONMENT_VARIABLE = 'ASYNC_ATHENA_API_URL';

/** What a command line runs against. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  readonly env: NodeJS.ProcessEnv;
  /** Rewrite `wait`'s progress line in place (a terminal) instead of printing a line per change. */
  readonly stderrIsTty: boolean;
  /** Aborts the command (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** The package version, for --version and the User-Agent. */
  readonly version: string;
  /** Client options a caller pins (tests: clock, sleep, jitter). */
  readonly clientOptions?: Partial<AsyncAthenaQueryClientOptions>;
}

/** The SQL could not be read from its file or standard input. */
export class QueryFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueryFileError';
  }
}

function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(text, (error) => (error ? reject(error) : resolve())));
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8');
}

async function readQuery(source: QuerySource, stdin: Readable): Promise<string> {
  let text: string;
  try {
    if (source.kind === 'text') return source.text;
    text = source.kind === 'stdin' ? await readAll(stdin) : await fs.promises.readFile(source.path, 'utf8');
  } catch (error) {
    const where = source.kind === 'file' ? source.path : 'standard input';
    throw new QueryFileError(`cannot read the query from ${where}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  // An editor's byte order mark is not part of the SQL.
  return text.replace(/^\uFEFF/, '');
}

async function resolveApiUrl(global: GlobalOptions, env: NodeJS.ProcessEnv): Promise<string> {
  if (global.apiUrl !== undefined) return global.apiUrl;
  if (global.terraformOutputDir !== undefined) return readTerraformOutput(global.terraformOutputDir, global.terraformOutputName, env);
  const fromEnv = env[API_URL_ENVIRONMENT_VARIABLE];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  throw new UsageError(`the API URL is unknown: pass --api-url URL or --terraform-output-dir DIR, or set ${API_URL_ENVIRONMENT_VARIABLE}`);
}

/** Writes a download to a temporary file next to `target`, renamed into place only when complete. */
async function downloadToFile(client: AsyncAthenaQueryClient, queryId: string, target: string, signal: AbortSignal | undefined): Promise<{ bytes: number; expiredIn: number }> {
  const partial = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(4).toString('hex')}.part`);
  let file: fs.WriteStream;
  try {
    // Fails early (a missing directory, no permission) before the API is asked for a link.
    await fs.promises.writeFile(partial, '', { flag: 'wx' });
    file = fs.createWriteStream(partial);
  } catch (error) {
    throw new QueryFileError(`cannot write ${target}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  try {
    const { link, bytes } = await client.downloadResult(queryId, file, { signal });
    await fs.promises.rename(partial, target);
    return { bytes, expiredIn: link.expiredIn };
  } catch (error) {
    file.destroy();
    await fs.promises.rm(partial, { force: true });
    throw error;
  }
}

/** `wait`'s progress on standard error: rewritten in place on a terminal, a line per change of state otherwise. */
function progressPrinter(io: CliIo): { onProgress: (status: QueryStatus, progress: WaitProgress) => void; close: () => void } {
  let lastState: string | undefined;
  let open = false;
  return {
    onProgress: (status, progress) => {
      const final = isFinalQueryState(status.status);
      const line = formatProgress(status, progress, final);
      if (io.stderrIsTty) {
        io.stderr.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
        open = !final;
      } else if (status.status !== lastState) {
        io.stderr.write(`${line}\n`);
      }
      lastState = status.status;
    },
    close: () => {
      if (open) io.stderr.write('\n');
      open = false;
    },
  };
}

async function run(command: Exclude<CliCommand, { command: 'help' | 'version' }>, io: CliIo): Promise<number> {
  const { global } = command;
  const client = new AsyncAthenaQueryClient({
    apiUrl: await resolveApiUrl(global, io.env),
    ...(global.region !== undefined && { region: global.region }),
    ...(global.profile !== undefined && { profile: global.profile }),
    env: io.env,
    userAgent: `${CLIENT_USER_AGENT}/${io.version} cli`,
    ...io.clientOptions,
  });
  const signal = io.signal;
  switch (command.command) {
    case 'submit': {
      const request: SubmitQueryRequest = {
        Query: await readQuery(command.query, io.stdin),
        CallbackUrl: command.callbackUrl,
        ...(command.executionParameters.length > 0 && { ExecutionParameters: command.executionParameters }),
        ...(command.resultReuseMaxAgeMinutes !== undefined && { ResultReuseMaxAgeMinutes: command.resultReuseMaxAgeMinutes }),
      };
      const submitted = await client.submit(request, { ...(command.idempotencyKey !== undefined && { idempotencyKey: command.idempotencyKey }), signal });
      await write(io.stdout, global.json ? formatJson(submitted) : formatSubmitted(submitted));
      return EXIT_CODES.ok;
    }
    case 'status': {
      const status = await client.status(command.queryId, { signal });
      await write(io.stdout, global.json ? formatJson(status) : formatStatus(status));
      return EXIT_CODES.ok;
    }
    case 'wait': {
      const printer = progressPrinter(io);
      let status: QueryStatus;
      try {
        status = await client.wait(command.queryId, {
          signal,
          onProgress: printer.onProgress,
          ...(command.timeoutMs !== undefined && { timeoutMs: command.timeoutMs }),
          ...(command.maxIntervalMs !== undefined && { backoff: { initialDelayMs: Math.min(1000, command.maxIntervalMs), maxDelayMs: command.maxIntervalMs } }),
        });
      } finally {
        printer.close();
      }
      await write(io.stdout, global.json ? formatJson(status) : formatStatus(status));
      return status.status === 'SUCCEEDED' ? EXIT_CODES.ok : EXIT_CODES.queryNotSucceeded;
    }
    case 'cancel': {
      const cancelled = await client.cancel(command.queryId, { signal });
      await write(io.stdout, global.json ? formatJson(cancelled) : formatCancelled(cancelled));
      return EXIT_CODES.ok;
    }
    case 'result': {
      if (command.link) {
        const link = await client.resultLink(command.queryId, { signal });
        await write(io.stdout, global.json ? formatJson(link) : `${link.presignedUrl}\n`);
        return EXIT_CODES.ok;
      }
      if (command.output === undefined || command.output === '-') {
        await client.downloadResult(command.queryId, io.stdout, { signal, end: false });
        return EXIT_CODES.ok;
      }
      const { bytes, expiredIn } = await downloadToFile(client, command.queryId, command.output, signal);
      if (global.json) await write(io.stdout, formatJson({ queryId: command.queryId, output: command.output, bytes, expiredIn }));
      else await write(io.stderr, `Wrote ${bytes} bytes to ${command.output}\n`);
      return EXIT_CODES.ok;
    }
  }
}

/** Exit code of a run ended by the signal (Ctrl-C): 128 + SIGINT, as shells report it. */
const INTERRUPTED = 130;

/** Runs one command line; returns its exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCliArguments(argv);
  } catch (error) {
    const topic = error instanceof UsageError && error.command !== undefined ? ` ${error.command}` : '';
    io.stderr.write(`${formatError(error, argv.includes('--json'))}Run \`async-athena-query${topic} --help\` for usage.\n`);
    return EXIT_CODES.usage;
  }
  if (command.command === 'help') {
    await write(io.stdout, helpText(command.topic));
    return EXIT_CODES.ok;
  }
  if (command.command === 'version') {
    await write(io.stdout, `${io.version}\n`);
    return EXIT_CODES.ok;
  }
  try {
    return await run(command, io);
  } catch (error) {
    if (io.signal?.aborted === true) return INTERRUPTED;
    io.stderr.write(formatError(error, command.global.json));
    return exitCodeFor(error);
  }
}

/**
 * The command line of `async-athena-query`, parsed with Node's own `util.parseArgs` into one typed command. Pure:
 * nothing is read or sent here; a mistake throws {@link UsageError} naming the option, the rule and the value.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_TERRAFORM_OUTPUT } from '../terraform-output';

/** The subcommands. */
export const COMMANDS = ['submit', 'status', 'wait', 'cancel', 'result'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** The command line is wrong: nothing was sent. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to show, if known. */
    readonly command?: CommandName,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Options every command takes. */
export interface GlobalOptions {
  readonly apiUrl?: string;
  readonly terraformOutputDir?: string;
  /** @default 'api_invoke_url' */
  readonly terraformOutputName: string;
  readonly region?: string;
  readonly profile?: string;
  readonly json: boolean;
}

/** Where the SQL comes from. */
export type QuerySource = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'file'; readonly path: string } | { readonly kind: 'stdin' };

export type CliCommand =
  | { readonly command: 'help'; readonly topic?: CommandName }
  | { readonly command: 'version' }
  | {
      readonly command: 'submit';
      readonly global: GlobalOptions;
      readonly query: QuerySource;
      readonly callbackUrl: string;
      readonly idempotencyKey?: string;
      readonly executionParameters: readonly string[];
      readonly resultReuseMaxAgeMinutes?: number;
    }
  | { readonly command: 'status' | 'cancel'; readonly global: GlobalOptions; readonly queryId: string }
  | { readonly command: 'wait'; readonly global: GlobalOptions; readonly queryId: string; readonly timeoutMs?: number; readonly maxIntervalMs?: number }
  | { readonly command: 'result'; readonly global: GlobalOptions; readonly queryId: string; readonly output?: string; readonly link: boolean };

const OPTIONS = {
  'api-url': { type: 'string' },
  'terraform-output-dir': { type: 'string' },
  'terraform-output-name': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  query: { type: 'string', short: 'q' },
  'query-file': { type: 'string' },
  'callback-url': { type: 'string' },
  'idempotency-key': { type: 'string' },
  param: { type: 'string', multiple: true },
  'reuse-minutes': { type: 'string' },
  timeout: { type: 'string' },
  'max-interval': { type: 'string' },
  output: { type: 'string', short: 'o' },
  link: { type: 'boolean' },
} as const;

type OptionName = keyof typeof OPTIONS;

const GLOBAL_OPTIONS: readonly OptionName[] = ['api-url', 'terraform-output-dir', 'terraform-output-name', 'region', 'profile', 'json', 'help', 'version'];

/** Options of each command besides the global ones. */
export const COMMAND_OPTIONS: Readonly<Record<CommandName, readonly OptionName[]>> = {
  submit: ['query', 'query-file', 'callback-url', 'idempotency-key', 'param', 'reuse-minutes'],
  status: [],
  wait: ['timeout', 'max-interval'],
  cancel: [],
  result: ['output', 'link'],
};

function isCommand(word: string | undefined): word is CommandName {
  return (COMMANDS as readonly string[]).includes(word ?? '');
}

/** A whole number of minutes, written in decimal digits. */
function parseMinutes(text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`--reuse-minutes must be a whole number of minutes (0 disables reuse), got ${JSON.stringify(text)}`, 'submit');
  return Number(text);
}

/** Positive seconds (decimals allowed) as milliseconds. */
function parseSeconds(option: string, text: string): number {
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) <= 0) throw new UsageError(`--${option} must be a positive number of seconds, got ${JSON.stringify(text)}`, 'wait');
  return Math.round(Number(text) * 1000);
}

/**
 * Parses `argv` (without `node` and the script). Options may come before or after the command.
 *
 * @throws UsageError for an unknown command or option, an option the command does not take, a missing or extra
 * argument, or a malformed value.
 */
export function parseCliArguments(argv: readonly string[]): CliCommand {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  const first = argv.find((a) => !a.startsWith('-'));
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message, isCommand(first) ? first : undefined);
  }
  const { values, positionals } = parsed;
  const [word, ...rest] = positionals;
  if (values.version === true) return { command: 'version' };
  if (word === undefined) {
    if (values.help === true) return { command: 'help' };
    throw new UsageError(`a command is required: one of ${COMMANDS.join(', ')}`);
  }
  if (word === 'help') {
    if (rest.length > 1 || (rest.length === 1 && !isCommand(rest[0]))) throw new UsageError(`help takes one command name (${COMMANDS.join(', ')}), got ${JSON.stringify(rest.join(' '))}`);
    return rest.length === 1 ? { command: 'help', topic: rest[0] as CommandName } : { command: 'help' };
  }
  if (!isCommand(word)) throw new UsageError(`unknown command ${JSON.stringify(word)}: expected one of ${COMMANDS.join(', ')}`);
  if (values.help === true) return { command: 'help', topic: word };

  const allowed = new Set<string>([...GLOBAL_OPTIONS, ...COMMAND_OPTIONS[word]]);
  const foreign = Object.keys(values).filter((name) => !allowed.has(name));
  if (foreign.length > 0) throw new UsageError(`${word} does not take ${foreign.map((n) => `--${n}`).join(', ')}`, word);
  if (values['api-url'] !== undefined && values['terraform-output-dir'] !== undefined) {
    throw new UsageError('give the API URL one way: --api-url or --terraform-output-dir, not both', word);
  }
  if (values['terraform-output-name'] !== undefined && values['terraform-output-dir'] === undefined) {
    throw new UsageError('--terraform-output-name needs --terraform-output-dir', word);
  }
  const global: GlobalOptions = {
    ...(values['api-url'] !== undefined && { apiUrl: values['api-url'] }),
    ...(values['terraform-output-dir'] !== undefined && { terraformOutputDir: values['terraform-output-dir'] }),
    terraformOutputName: values['terraform-output-name'] ?? DEFAULT_TERRAFORM_OUTPUT,
    ...(values.region !== undefined && { region: values.region }),
    ...(values.profile !== undefined && { profile: values.profile }),
    json: values.json === true,
  };

  if (word === 'submit') {
    if (rest.length > 0) throw new UsageError(`submit takes no arguments, only options; got ${JSON.stringify(rest.join(' '))} (quote the SQL after --query)`, word);
    if ((values.query === undefined) === (values['query-file'] === undefined)) throw new UsageError('submit needs exactly one of --query SQL or --query-file FILE (- for standard input)', word);
    if (values['callback-url'] === undefined) throw new UsageError('submit needs --callback-url URL (the https URL the outcome is POSTed to)', word);
    const queryFile = values['query-file'];
    const query: QuerySource = values.query !== undefined ? { kind: 'text', text: values.query } : queryFile === '-' ? { kind: 'stdin' } : { kind: 'file', path: queryFile as string };
    return {
      command: 'submit',
      global,
      query,
      callbackUrl: values['callback-url'],
      ...(values['idempotency-key'] !== undefined && { idempotencyKey: values['idempotency-key'] }),
      executionParameters: values.param ?? [],
      ...(values['reuse-minutes'] !== undefined && { resultReuseMaxAgeMinutes: parseMinutes(values['reuse-minutes']) }),
    };
  }

  if (rest.length !== 1) throw new UsageError(`${word} takes one query id, got ${rest.length === 0 ? 'none' : rest.length}`, word);
  const queryId = rest[0];
  if (word === 'wait') {
    return {
      command: 'wait',
      global,
      queryId,
      ...(values.timeout !== undefined && { timeoutMs: parseSeconds('timeout', values.timeout) }),
      ...(values['max-interval'] !== undefined && { maxIntervalMs: parseSeconds('max-interval', values['max-interval']) }),
    };
  }
  if (word === 'result') {
    if (values.link === true && values.output !== undefined) throw new UsageError('result takes --link (print a fresh URL) or --output FILE (download), not both', word);
    if (global.json && values.link !== true && values.output === undefined) throw new UsageError('result --json needs --output FILE or --link: without them the CSV itself goes to standard output', word);
    return { command: 'result', global, queryId, ...(values.output !== undefined && { output: values.output }), link: values.link === true };
  }
  return { command: word, global, queryId };
}

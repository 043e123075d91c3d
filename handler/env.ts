/**
 * The callbacker's configuration, read from environment variables by small parsers that fail loudly and name the
 * variable and the value they rejected.
 */
import { CallbackerConfigurationError } from './errors';
import { type CallbackPolicy, type HostPattern, parseHostPattern } from './ssrf';

/** The environment, as `process.env` holds it. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Whether and how deliveries are signed. */
export type SigningConfig = { readonly enabled: false } | { readonly enabled: true; readonly secretArn: string };

/** Everything the handler reads from its environment. */
export interface CallbackerConfig {
  /** Requested lifetime of presigned URLs, in seconds. */
  readonly presignExpirySeconds: number;
  /** Role to presign with; absent means the function's own credentials. */
  readonly presignerRoleArn?: string;
  readonly signing: SigningConfig;
  readonly callbackPolicy: CallbackPolicy;
  readonly connectTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly retryAfterCapSeconds: number;
}

/**
 * Longest Retry-After the state machine waits for, in seconds (one hour): a receiver asking for more gets its next
 * attempt after an hour. `CALLBACK_RETRY_AFTER_CAP_SECONDS` may lower it.
 */
export const RETRY_AFTER_CAP_SECONDS = 3600;

/** SigV4 presigned URLs live at most 7 days. https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html */
export const MAX_PRESIGN_EXPIRY_SECONDS = 604_800;

interface StringOptions {
  readonly key: string;
  readonly defaultValue?: string;
}

/** A variable's value; empty counts as absent. Throws when it is absent and has no default. */
function getStringFromEnv(env: Environment, { key, defaultValue }: StringOptions): string {
  const value = env[key];
  if (value !== undefined && value.trim() !== '') return value.trim();
  if (defaultValue !== undefined) return defaultValue;
  throw new CallbackerConfigurationError(`Environment variable ${key} is required`);
}

/** A variable's value, or undefined when absent or empty. */
function getOptionalStringFromEnv(env: Environment, key: string): string | undefined {
  const value = env[key];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

interface IntegerOptions extends StringOptions {
  readonly min: number;
  readonly max: number;
}

function parseInteger(key: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CallbackerConfigurationError(`Environment variable ${key} must be an integer from ${min} to ${max}, got '${text}'`);
  }
  return value;
}

/** A whole number within bounds, written in decimal digits only. */
function getIntegerFromEnv(env: Environment, { key, defaultValue, min, max }: IntegerOptions): number {
  return parseInteger(key, getStringFromEnv(env, { key, defaultValue }), min, max);
}

/** One of the listed words, exactly. */
function getEnumFromEnv<T extends string>(env: Environment, key: string, allowed: readonly T[], defaultValue?: T): T {
  const value = getStringFromEnv(env, { key, defaultValue });
  const match = allowed.find((a) => a === value);
  if (match === undefined) {
    throw new CallbackerConfigurationError(`Environment variable ${key} must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return match;
}

/** A comma-separated list; blank entries are dropped. */
function getListFromEnv(env: Environment, key: string, defaultValue: string): string[] {
  return getStringFromEnv(env, { key, defaultValue })
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function parseAllowedHosts(env: Environment): HostPattern[] {
  const key = 'CALLBACK_ALLOWED_HOSTS';
  return getListFromEnv(env, key, '').map((entry) => {
    const pattern = parseHostPattern(entry);
    if (pattern === undefined) {
      throw new CallbackerConfigurationError(
        `Environment variable ${key} must list host names or *.suffix patterns (leave it empty to allow any public host), got '${entry}'`,
      );
    }
    return pattern;
  });
}

function parseAllowedPorts(env: Environment): number[] {
  const key = 'CALLBACK_ALLOWED_PORTS';
  const ports = getListFromEnv(env, key, '443').map((entry) => parseInteger(key, entry, 1, 65_535));
  if (ports.length === 0) throw new CallbackerConfigurationError(`Environment variable ${key} must list at least one port`);
  return ports;
}

/**
 * DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS lets local tests deliver to `http://127.0.0.1:<port>`.
 *
 * It is ignored whenever AWS_LAMBDA_RUNTIME_API is set, i.e. inside a real Lambda sandbox: there, loopback
 * reaches the Lambda Runtime API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html), so a deployed
 * stack can never turn it on, whatever its environment says.
 */
function parseLoopbackFlag(env: Environment): boolean {
  const key = 'DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS';
  const value = getEnumFromEnv(env, key, ['true', 'false'], 'false');
  const insideLambda = getOptionalStringFromEnv(env, 'AWS_LAMBDA_RUNTIME_API') !== undefined;
  return value === 'true' && !insideLambda;
}

function parseSigning(env: Environment): SigningConfig {
  const mode = getEnumFromEnv(env, 'WEBHOOK_SIGNING', ['enabled', 'disabled']);
  if (mode === 'disabled') return { enabled: false };
  return { enabled: true, secretArn: getStringFromEnv(env, { key: 'WEBHOOK_SECRET_ARN' }) };
}

function parseRoleArn(env: Environment): string | undefined {
  const key = 'PRESIGNER_ROLE_ARN';
  const value = getOptionalStringFromEnv(env, key);
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html (IAM role ARN shape)
  if (value !== undefined && !/^arn:[a-z0-9-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(value)) {
    throw new CallbackerConfigurationError(`Environment variable ${key} must be an IAM role ARN, got '${value}'`);
  }
  return value;
}

/** Reads and checks the whole configuration. Throws CallbackerConfigurationError naming the first bad variable. */
export function loadConfig(env: Environment): CallbackerConfig {
  return {
    presignExpirySeconds: getIntegerFromEnv(env, { key: 'PRESIGN_EXPIRY_SECONDS', min: 1, max: MAX_PRESIGN_EXPIRY_SECONDS }),
    presignerRoleArn: parseRoleArn(env),
    signing: parseSigning(env),
    callbackPolicy: {
      allowedHosts: parseAllowedHosts(env),
      allowedPorts: parseAllowedPorts(env),
      allowLoopbackHttp: parseLoopbackFlag(env),
    },
    connectTimeoutMs: getIntegerFromEnv(env, { key: 'CALLBACK_CONNECT_TIMEOUT_MS', defaultValue: '3000', min: 1, max: 60_000 }),
    // Lambda functions run at most 15 minutes. https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
    totalTimeoutMs: getIntegerFromEnv(env, { key: 'CALLBACK_TOTAL_TIMEOUT_MS', defaultValue: '10000', min: 1, max: 900_000 }),
    retryAfterCapSeconds: getIntegerFromEnv(env, { key: 'CALLBACK_RETRY_AFTER_CAP_SECONDS', defaultValue: String(RETRY_AFTER_CAP_SECONDS), min: 0, max: RETRY_AFTER_CAP_SECONDS }),
  };
}

export { getEnumFromEnv, getIntegerFromEnv, getListFromEnv, getOptionalStringFromEnv, getStringFromEnv };

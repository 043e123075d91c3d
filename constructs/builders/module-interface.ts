/**
 * The Terraform-module interface: every variable and output of the module (`terraform/async-athena-query/`) and of
 * the `cdktf deploy` stack, as data. The stack (async-athena-query-stack.ts) makes the variables and outputs from it,
 * the module generator writes them, and the README's input and output tables are generated from it, so the three
 * cannot drift apart. Each variable names the construct prop it feeds; its `validation` blocks apply the same
 * patterns and ranges as the construct's synth-time checks (validation.ts).
 *
 * Conventions (terraform-aws-modules): snake_case names prefixed by what they configure, a `description` and `type`
 * on every variable, `null` defaults for optional inputs, one validation per rule with a message naming the variable,
 * the rule and the value received. https://developer.hashicorp.com/terraform/language/values/variables
 */
import type { AsyncAthenaQueryProps } from '../async-athena-query-props';
import { DEFAULT_ATHENA_THROTTLE_RETRY, DEFAULT_CALLBACK_RETRY } from './asl';
import { MAX_NAME_PREFIX_LENGTH } from './naming';
import { OUTPUT_LOCATION_PATTERN } from './s3-location';
import { API_LOGGING_LEVELS, LOG_RETENTION_DAYS, MAX_CHAINED_SESSION_SECONDS, PATTERNS, RANGES, RECOVERY_WINDOW_DAYS, TAG_LIMITS } from './validation';

/** A JSON value (a variable's default). */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** How a variable's value reaches its prop. */
export type VariableKind = 'string' | 'number' | 'bool' | 'list(string)' | 'list(number)' | 'map(string)' | 'backoff';

/** One validation block: an HCL boolean expression over `var.<name>`, and the message when it is false. */
export interface VariableValidation {
  /** HCL expression, without `${ }`. */
  readonly condition: string;
  /** A Terraform template: literal text plus `${jsonencode(var.<name>)}` for the value received. */
  readonly errorMessage: string;
}

/** One module variable. */
export interface ModuleVariable {
  /** snake_case name. */
  readonly name: string;
  /** The construct prop it feeds. */
  readonly prop: keyof AsyncAthenaQueryProps;
  readonly kind: VariableKind;
  /** The HCL type constraint. */
  readonly type: string;
  readonly description: string;
  /** Absent for a required variable; `null` for an optional one. */
  readonly default?: JsonValue;
  readonly validations: readonly VariableValidation[];
  /** The README section the variable is listed under. */
  readonly group: string;
}

/** An HCL string literal of a text (regex patterns, messages): quotes, backslashes and template introducers escaped. */
export function hclStringLiteral(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '$$${').replace(/%\{/g, '%%{')}"`;
}

/** A message template: literal text with `${`/`%{` escaped, then the value received. */
function message(name: string, rule: string): string {
  const literal = `${name} must ${rule}, got `.replace(/\$\{/g, '$$${').replace(/%\{/g, '%%{');
  return `${literal}\${jsonencode(var.${name})}.`;
}

/** A regex test that is false (not an error) for a non-string. */
function matchesPattern(expression: string, pattern: string): string {
  return `can(regex(${hclStringLiteral(pattern)}, ${expression}))`;
}

function wholeNumberIn(expression: string, [min, max]: readonly [number, number]): string {
  return `${expression} >= ${min} && ${expression} <= ${max} && floor(${expression}) == ${expression}`;
}

/** A required or defaulted value must match. */
function pattern(name: string, regex: string, rule: string): VariableValidation {
  return { condition: matchesPattern(`var.${name}`, regex), errorMessage: message(name, rule) };
}

/** An optional (nullable) value must match when set. */
function optionalPattern(name: string, regex: string, rule: string): VariableValidation {
  return { condition: `var.${name} == null || ${matchesPattern(`var.${name}`, regex)}`, errorMessage: message(name, `be null or ${rule}`) };
}

function wholeNumber(name: string, range: readonly [number, number], unit: string): VariableValidation {
  return { condition: wholeNumberIn(`var.${name}`, range), errorMessage: message(name, `be a whole number of ${unit} from ${range[0]} to ${range[1]}`) };
}

/** Every element of an optional list must match. */
function eachMatches(name: string, regex: string, rule: string, nullable: boolean): VariableValidation {
  const all = `alltrue([for item in ${nullable ? `coalesce(var.${name}, [])` : `var.${name}`} : ${matchesPattern('item', regex)}])`;
  return { condition: nullable ? `var.${name} == null || ${all}` : all, errorMessage: message(name, `list only values that ${rule}`) };
}

const KMS_KEY_RULE = 'be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>; not an alias: IAM grants on an alias do not cover the key)';

/** The s3:// rule of output and source-data locations, in RE2: the pattern, then no `..` and no IP-address bucket. */
function s3LocationCondition(expression: string): string {
  return [
    matchesPattern(expression, OUTPUT_LOCATION_PATTERN),
    `!${matchesPattern(expression, '^s3://[^/]*[.][.]')}`,
    `!${matchesPattern(expression, '^s3://[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+/')}`,
  ].join(' && ');
}

const S3_LOCATION_RULE = "look like s3://<bucket>/<prefix>/ (a valid bucket name, ending in '/', without '*', '?' or '$', which IAM would read as wildcards)";

function kmsKey(name: string, prop: keyof AsyncAthenaQueryProps, what: string, group: string): ModuleVariable {
  return {
    name,
    prop,
    kind: 'string',
    type: 'string',
    description: `Customer-managed KMS key ARN ${what}. null uses AWS-managed encryption.`,
    default: null,
    validations: [optionalPattern(name, PATTERNS.kmsKeyArn, KMS_KEY_RULE)],
    group,
  };
}

const BACKOFF_TYPE = (defaults: typeof DEFAULT_ATHENA_THROTTLE_RETRY): string =>
  `object({ interval_seconds = optional(number, ${defaults.intervalSeconds}), backoff_rate = optional(number, ${defaults.backoffRate}), max_attempts = optional(number, ${defaults.maxAttempts}), max_delay_seconds = optional(number, ${defaults.maxDelaySeconds}) })`;

function backoff(name: string, prop: keyof AsyncAthenaQueryProps, what: string, defaults: typeof DEFAULT_ATHENA_THROTTLE_RETRY): ModuleVariable {
  const v = `var.${name}`;
  return {
    name,
    prop,
    kind: 'backoff',
    type: BACKOFF_TYPE(defaults),
    description:
      `Backoff ${what}: delays of interval_seconds x backoff_rate^n, capped at max_delay_seconds, with full jitter, for ` +
      `max_attempts retries. Attributes left out keep their defaults (${defaults.intervalSeconds}, ${defaults.backoffRate}, ${defaults.maxAttempts}, ${defaults.maxDelaySeconds}).`,
    default: {},
    validations: [
      { condition: wholeNumberIn(`${v}.interval_seconds`, RANGES.intervalSeconds), errorMessage: message(name, `have interval_seconds a whole number from ${RANGES.intervalSeconds[0]} to ${RANGES.intervalSeconds[1]}`) },
      { condition: `${v}.backoff_rate >= 1`, errorMessage: message(name, 'have backoff_rate a number of at least 1.0') },
      { condition: wholeNumberIn(`${v}.max_attempts`, RANGES.maxAttempts), errorMessage: message(name, `have max_attempts a whole number from ${RANGES.maxAttempts[0]} to ${RANGES.maxAttempts[1]}`) },
      { condition: wholeNumberIn(`${v}.max_delay_seconds`, RANGES.maxDelaySeconds), errorMessage: message(name, `have max_delay_seconds a whole number from ${RANGES.maxDelaySeconds[0]} to ${RANGES.maxDelaySeconds[1]}`) },
    ],
    group: 'Retries',
  };
}

/** Every variable of the module, in README order. */
export const MODULE_VARIABLES: readonly ModuleVariable[] = [
  {
    name: 'output_location',
    prop: 'outputLocation',
    kind: 'string',
    type: 'string',
    description: 'S3 URI where Athena writes results, ending in "/", e.g. s3://my-results/athena/. IAM is scoped to it.',
    validations: [{ condition: s3LocationCondition('var.output_location'), errorMessage: message('output_location', S3_LOCATION_RULE) }],
    group: 'Athena',
  },
  {
    name: 'workgroup',
    prop: 'workGroup',
    kind: 'string',
    type: 'string',
    description: 'Athena workgroup the queries run in.',
    default: 'primary',
    validations: [pattern('workgroup', PATTERNS.workGroup, `match ${PATTERNS.workGroup} (1-128 letters, digits, '.', '_' or '-')`)],
    group: 'Athena',
  },
  {
    name: 'database',
    prop: 'database',
    kind: 'string',
    type: 'string',
    description: 'Default database for unqualified table names (QueryExecutionContext.Database); also scopes Glue read access. null: queries name their database.',
    default: null,
    validations: [optionalPattern('database', PATTERNS.database, 'be 1-255 letters, digits, underscores or hyphens')],
    group: 'Athena',
  },
  {
    name: 'glue_databases',
    prop: 'glueDatabases',
    kind: 'list(string)',
    type: 'list(string)',
    description: 'Glue databases queries may read (read-only Glue actions). null: [database] when database is set, else every database ("*") of this account\'s catalog.',
    default: null,
    validations: [eachMatches('glue_databases', `${PATTERNS.database}|^[*]$`, "are database names (1-255 letters, digits, underscores or hyphens) or '*'", true)],
    group: 'Athena',
  },
  {
    name: 'source_data_locations',
    prop: 'sourceDataLocations',
    kind: 'list(string)',
    type: 'list(string)',
    description: 'S3 locations (s3://bucket/prefix/) of the source data queries read, granted to the state machine. Empty: grant data access with Lake Formation instead.',
    default: [],
    validations: [
      {
        condition: 'alltrue([for location in var.source_data_locations : ' + s3LocationCondition('location') + '])',
        errorMessage: message('source_data_locations', `list only locations that ${S3_LOCATION_RULE}`),
      },
    ],
    group: 'Athena',
  },
  kmsKey('results_kms_key_arn', 'resultsKmsKeyArn', 'of SSE-KMS query results: Athena writes with it, the presigner reads with it (the key policy must allow both roles)', 'Athena'),
  {
    name: 'query_timeout_seconds',
    prop: 'queryTimeoutSeconds',
    kind: 'number',
    type: 'number',
    description: 'Seconds a query may run before Step Functions stops it; the caller then gets a FAILED callback (States.Timeout).',
    default: 1800,
    validations: [wholeNumber('query_timeout_seconds', RANGES.queryTimeoutSeconds, 'seconds')],
    group: 'Athena',
  },
  {
    name: 'name_prefix',
    prop: 'namePrefix',
    kind: 'string',
    type: 'string',
    description: `Prefix of every physical name (IAM role names also carry the region). At most ${MAX_NAME_PREFIX_LENGTH} characters so derived names fit AWS limits. Give each instance its own.`,
    default: 'async-athena',
    validations: [
      {
        condition: `length(var.name_prefix) <= ${MAX_NAME_PREFIX_LENGTH} && ${matchesPattern('var.name_prefix', PATTERNS.namePrefix)}`,
        errorMessage: message('name_prefix', `start with a letter, contain only letters, digits and hyphens, and be at most ${MAX_NAME_PREFIX_LENGTH} characters`),
      },
    ],
    group: 'Naming and tags',
  },
  {
    name: 'tags',
    prop: 'tags',
    kind: 'map(string)',
    type: 'map(string)',
    description: 'Tags for every taggable resource, merged over ManagedBy = "cdktf-async-athena-query".',
    default: {},
    validations: [
      {
        condition: `length(var.tags) <= ${TAG_LIMITS.maxTags} && alltrue([for key, value in var.tags : length(key) >= 1 && length(key) <= ${TAG_LIMITS.maxKeyLength} && !startswith(lower(key), ${hclStringLiteral(TAG_LIMITS.reservedPrefix)}) && length(value) <= ${TAG_LIMITS.maxValueLength}])`,
        errorMessage: message('tags', `have at most ${TAG_LIMITS.maxTags} entries, keys of 1-${TAG_LIMITS.maxKeyLength} characters not starting with '${TAG_LIMITS.reservedPrefix}', values of at most ${TAG_LIMITS.maxValueLength} characters`),
      },
    ],
    group: 'Naming and tags',
  },
  {
    name: 'presign_expiry_seconds',
    prop: 'presignExpirySeconds',
    kind: 'number',
    type: 'number',
    description: `Requested lifetime of presigned result URLs, in seconds. The presigner session caps the real lifetime at ${MAX_CHAINED_SESSION_SECONDS}; callbacks report it in ExpiredIn.`,
    default: 3600,
    validations: [wholeNumber('presign_expiry_seconds', RANGES.presignExpirySeconds, 'seconds')],
    group: 'Callbacks',
  },
  {
    name: 'allowed_callback_hosts',
    prop: 'allowedCallbackHosts',
    kind: 'list(string)',
    type: 'list(string)',
    description: 'Hosts callbacks may go to: exact lowercase names or "*.suffix". Empty: any host whose addresses are all public.',
    default: [],
    validations: [eachMatches('allowed_callback_hosts', PATTERNS.host, "are lowercase host names or '*.suffix' patterns", false)],
    group: 'Callbacks',
  },
  {
    name: 'allowed_callback_ports',
    prop: 'allowedCallbackPorts',
    kind: 'list(number)',
    type: 'list(number)',
    description: 'Ports callbacks may go to.',
    default: [443],
    validations: [
      {
        condition: `length(var.allowed_callback_ports) > 0 && alltrue([for port in var.allowed_callback_ports : ${wholeNumberIn('port', RANGES.port)}])`,
        errorMessage: message('allowed_callback_ports', `list at least one port, each a whole number from ${RANGES.port[0]} to ${RANGES.port[1]}`),
      },
    ],
    group: 'Callbacks',
  },
  {
    name: 'disable_webhook_signing',
    prop: 'disableWebhookSigning',
    kind: 'bool',
    type: 'bool',
    description: 'Sends callbacks unsigned (no webhook-signature header). Only for receivers that authenticate callbacks another way.',
    default: false,
    validations: [],
    group: 'Callbacks',
  },
  {
    name: 'existing_signing_secret_arn',
    prop: 'existingSigningSecretArn',
    kind: 'string',
    type: 'string',
    description: 'An existing Secrets Manager secret holding the signing secret(s) (whsec_..., space-separated while rotating). null: the module creates one.',
    default: null,
    validations: [optionalPattern('existing_signing_secret_arn', PATTERNS.secretArn, 'be a Secrets Manager secret ARN')],
    group: 'Callbacks',
  },
  kmsKey('signing_secret_kms_key_arn', 'signingSecretKmsKeyArn', 'of the signing secret (the callbacker gets kms:Decrypt on it)', 'Callbacks'),
  {
    name: 'signing_secret_recovery_window_days',
    prop: 'signingSecretRecoveryWindowDays',
    kind: 'number',
    type: 'number',
    description: 'Days a deleted signing secret can be restored: 0 (deleted at once) or 7 to 30. Its name has a generated suffix, so destroy and apply again work the same day either way.',
    default: 30,
    validations: [
      {
        condition: `var.signing_secret_recovery_window_days == ${RECOVERY_WINDOW_DAYS.none} || (${wholeNumberIn('var.signing_secret_recovery_window_days', [RECOVERY_WINDOW_DAYS.min, RECOVERY_WINDOW_DAYS.max])})`,
        errorMessage: message('signing_secret_recovery_window_days', `be ${RECOVERY_WINDOW_DAYS.none} or a whole number from ${RECOVERY_WINDOW_DAYS.min} to ${RECOVERY_WINDOW_DAYS.max}`),
      },
    ],
    group: 'Callbacks',
  },
  {
    name: 'callbacker_memory_mb',
    prop: 'callbackerMemoryMb',
    kind: 'number',
    type: 'number',
    description: 'Memory of the callbacker Lambda, in MB.',
    default: 256,
    validations: [wholeNumber('callbacker_memory_mb', RANGES.callbackerMemoryMb, 'MB')],
    group: 'Callbacks',
  },
  {
    name: 'callbacker_timeout_seconds',
    prop: 'callbackerTimeoutSeconds',
    kind: 'number',
    type: 'number',
    description: 'Timeout of one callbacker invocation, in seconds.',
    default: 45,
    validations: [wholeNumber('callbacker_timeout_seconds', RANGES.callbackerTimeoutSeconds, 'seconds')],
    group: 'Callbacks',
  },
  {
    name: 'callbacker_reserved_concurrency',
    prop: 'callbackerReservedConcurrency',
    kind: 'number',
    type: 'number',
    description: 'Reserved concurrency of the callbacker. null: unreserved.',
    default: null,
    validations: [
      {
        condition: `var.callbacker_reserved_concurrency == null || (${wholeNumberIn('coalesce(var.callbacker_reserved_concurrency, 0)', RANGES.callbackerReservedConcurrency)})`,
        errorMessage: message('callbacker_reserved_concurrency', `be null or a whole number from ${RANGES.callbackerReservedConcurrency[0]} to ${RANGES.callbackerReservedConcurrency[1]}`),
      },
    ],
    group: 'Callbacks',
  },
  backoff('athena_throttle_retry', 'athenaThrottleRetry', "when Athena's active-query quota is full (Athena.TooManyRequestsException)", DEFAULT_ATHENA_THROTTLE_RETRY),
  backoff('callback_retry', 'callbackRetry', 'of transient callback failures (connect errors, timeouts, 408, 429, 5xx)', DEFAULT_CALLBACK_RETRY),
  {
    name: 'stage_name',
    prop: 'stageName',
    kind: 'string',
    type: 'string',
    description: 'API stage name, the first path segment of the URL.',
    default: 'live',
    validations: [pattern('stage_name', PATTERNS.stageName, 'be 1-128 letters, digits, underscores or hyphens')],
    group: 'API',
  },
  {
    name: 'throttling_rate_limit',
    prop: 'throttlingRateLimit',
    kind: 'number',
    type: 'number',
    description: 'Steady-state request rate limit of the API, per second.',
    default: 50,
    validations: [{ condition: 'var.throttling_rate_limit > 0', errorMessage: message('throttling_rate_limit', 'be greater than 0 requests per second') }],
    group: 'API',
  },
  {
    name: 'throttling_burst_limit',
    prop: 'throttlingBurstLimit',
    kind: 'number',
    type: 'number',
    description: 'Burst limit of the API, in requests.',
    default: 100,
    validations: [wholeNumber('throttling_burst_limit', RANGES.throttlingBurstLimit, 'requests')],
    group: 'API',
  },
  {
    name: 'api_logging_level',
    prop: 'apiLoggingLevel',
    kind: 'string',
    type: 'string',
    description: 'Execution logging level of the API methods: OFF, ERROR or INFO (never request or response bodies).',
    default: 'ERROR',
    validations: [
      {
        condition: `contains([${API_LOGGING_LEVELS.map(hclStringLiteral).join(', ')}], var.api_logging_level)`,
        errorMessage: message('api_logging_level', `be one of ${API_LOGGING_LEVELS.join(', ')}`),
      },
    ],
    group: 'API',
  },
  {
    name: 'web_acl_arn',
    prop: 'webAclArn',
    kind: 'string',
    type: 'string',
    description: 'A regional WAFv2 web ACL ARN to associate with the API stage. null: no WAF.',
    default: null,
    validations: [optionalPattern('web_acl_arn', PATTERNS.webAclArn, 'be a regional WAFv2 web ACL ARN')],
    group: 'API',
  },
  {
    name: 'manage_api_gateway_account_role',
    prop: 'manageApiGatewayAccountRole',
    kind: 'bool',
    type: 'bool',
    description: 'Creates the account-wide API Gateway CloudWatch role access logs need (one setting per account and region: true in exactly one stack, or set it up outside).',
    default: false,
    validations: [],
    group: 'API',
  },
  {
    name: 'query_api_memory_mb',
    prop: 'queryApiMemoryMb',
    kind: 'number',
    type: 'number',
    description: 'Memory of the query API function (the Lambda behind every API route), in MB.',
    default: 256,
    validations: [wholeNumber('query_api_memory_mb', RANGES.queryApiMemoryMb, 'MB')],
    group: 'API',
  },
  {
    name: 'query_api_reserved_concurrency',
    prop: 'queryApiReservedConcurrency',
    kind: 'number',
    type: 'number',
    description: 'Reserved concurrency of the query API function: the most API requests served at once. null: unreserved.',
    default: null,
    validations: [
      {
        condition: `var.query_api_reserved_concurrency == null || (${wholeNumberIn('coalesce(var.query_api_reserved_concurrency, 0)', RANGES.queryApiReservedConcurrency)})`,
        errorMessage: message('query_api_reserved_concurrency', `be null or a whole number from ${RANGES.queryApiReservedConcurrency[0]} to ${RANGES.queryApiReservedConcurrency[1]}`),
      },
    ],
    group: 'API',
  },
  {
    name: 'log_retention_days',
    prop: 'logRetentionDays',
    kind: 'number',
    type: 'number',
    description: 'Retention of every log group, in days.',
    default: 30,
    validations: [{ condition: `contains([${LOG_RETENTION_DAYS.join(', ')}], var.log_retention_days)`, errorMessage: message('log_retention_days', `be one of ${LOG_RETENTION_DAYS.join(', ')}`) }],
    group: 'Logs and encryption',
  },
  kmsKey('logs_kms_key_arn', 'logsKmsKeyArn', 'for every log group', 'Logs and encryption'),
  kmsKey('dead_letter_queue_kms_key_arn', 'deadLetterQueueKmsKeyArn', 'of the dead-letter queue (null: SSE-SQS)', 'Logs and encryption'),
];

/** One module output. */
export interface ModuleOutput {
  readonly name: string;
  readonly description: string;
}

/** Every output of the module, in README order; the stack gives each its value. */
export const MODULE_OUTPUTS: readonly ModuleOutput[] = [
  { name: 'api_invoke_url', description: 'Full URL of POST /queries (IAM-signed requests only); the other routes are under the same stage URL.' },
  { name: 'api_stage_arn', description: 'ARN of the API stage (for a WAF web ACL association made outside this module).' },
  { name: 'query_api_function_arn', description: 'ARN of the query API function, the Lambda behind every API route.' },
  { name: 'query_api_role_arn', description: 'ARN of the query API function execution role.' },
  { name: 'state_machine_arn', description: 'ARN of the query state machine.' },
  { name: 'state_machine_role_arn', description: 'ARN of the state machine execution role.' },
  { name: 'cancellation_state_machine_arn', description: 'ARN of the state machine that delivers the callbacks of queries cancelled before they started (for npm run redrive).' },
  { name: 'callbacker_function_arn', description: 'ARN of the callbacker Lambda function.' },
  { name: 'callbacker_role_arn', description: 'ARN of the callbacker execution role.' },
  { name: 'presigner_role_arn', description: 'ARN of the role that presigns result URLs.' },
  { name: 'dead_letter_queue_url', description: 'URL of the queue of undeliverable callbacks (for npm run redrive).' },
  { name: 'dead_letter_queue_arn', description: 'ARN of the queue of undeliverable callbacks.' },
  { name: 'output_location', description: 'S3 URI where Athena writes the results (for npm run redrive --output-location).' },
  { name: 'webhook_signing_secret_arn', description: 'ARN of the Secrets Manager secret that signs callbacks (share its value with receivers); null when signing is disabled.' },
  { name: 'api_gateway_account_role_arn', description: 'ARN of the account-wide API Gateway CloudWatch role; null unless manage_api_gateway_account_role is true.' },
];

/** A resource address that changed, and where its object now lives. */
export interface ModuleMove {
  readonly from: string;
  readonly to: string;
}

/**
 * `moved` blocks of the module: a resource address is API (renaming it would destroy and re-create the resource), so
 * every address that changes between releases is listed here, and the stack writes a `moved` block for it. A test
 * pins the module's addresses (`__tests__/module/resource-addresses.json`) and fails when one disappears without a
 * move. https://developer.hashicorp.com/terraform/language/modules/develop/refactoring
 */
export const MODULE_MOVES: readonly ModuleMove[] = [];

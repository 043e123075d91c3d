/**
 * Synth-time validation of literal prop values. Terraform tokens are skipped: their values are checked by the
 * Terraform variable `validation` blocks instead. Each rule returns problems; the construct throws them all at once.
 */
import type { AsyncAthenaQueryProps } from '../async-athena-query-props';
import type { BackoffPolicy } from './asl';
import type { IsUnresolved } from './deferred';
import type { PropProblem } from './errors';
import { MAX_NAME_PREFIX_LENGTH, NAME_PREFIX_PATTERN } from './naming';
import { CALLBACKER_PACKAGINGS } from './packaging';
import { bucketNameProblem, OUTPUT_LOCATION_PATTERN, parseOutputLocation } from './s3-location';

export type { IsUnresolved } from './deferred';

/**
 * Athena workgroup names. https://docs.aws.amazon.com/athena/latest/APIReference/API_CreateWorkGroup.html#athena-CreateWorkGroup-request-Name
 */
export const WORK_GROUP_PATTERN = '^[a-zA-Z0-9._-]{1,128}$';

/** Longest presigned-URL lifetime SigV4 allows: 7 days. https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html */
export const MAX_PRESIGN_EXPIRY_SECONDS = 604800;

/**
 * Longest session a role assumed from another role's session can have (role chaining): the presigner role is assumed
 * from the Lambda's own session, so presigned URLs live at most one hour.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining
 */
export const MAX_CHAINED_SESSION_SECONDS = 3600;

/** Retention values CloudWatch Logs accepts. https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * Patterns of the validated strings, in the syntax JavaScript and Terraform's RE2 both read the same way, so the
 * construct's checks and the module's variable `validation` blocks (module-interface.ts) apply one rule.
 */
export const PATTERNS = {
  workGroup: WORK_GROUP_PATTERN,
  /**
   * KMS key ARNs. Key ARNs only: an IAM grant on an alias ARN does not match the key's use, and log groups need the
   * key ARN. https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html
   */
  kmsKeyArn: '^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$',
  /** Secrets Manager secret ARNs. */
  secretArn: '^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$',
  /** WAFv2 regional web ACL ARNs. */
  webAclArn: '^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[!-~]+$',
  /** A host name or `*.suffix`, lowercase. */
  host: '^([*][.])?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?[.])*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
  /** Glue database names. https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html */
  database: '^[A-Za-z0-9_-]{1,255}$',
  /** API Gateway stage names. */
  stageName: '^[A-Za-z0-9_-]{1,128}$',
  namePrefix: NAME_PREFIX_PATTERN.source,
} as const;

/** Whole-number ranges (inclusive) of the validated numbers. */
export const RANGES = {
  presignExpirySeconds: [1, MAX_PRESIGN_EXPIRY_SECONDS],
  queryTimeoutSeconds: [1, 86400],
  // https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
  callbackerMemoryMb: [128, 10240],
  callbackerTimeoutSeconds: [30, 900],
  callbackerReservedConcurrency: [1, 1000],
  queryApiMemoryMb: [128, 10240],
  queryApiReservedConcurrency: [1, 1000],
  throttlingBurstLimit: [1, 5000],
  port: [1, 65535],
  // https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-retrying-after-an-error
  intervalSeconds: [1, 99999999],
  maxAttempts: [0, 99999999],
  maxDelaySeconds: [1, 31622400],
} as const satisfies Record<string, readonly [number, number]>;

/** Execution logging levels of API Gateway methods. https://docs.aws.amazon.com/apigateway/latest/api/API_MethodSetting.html */
export const API_LOGGING_LEVELS = ['OFF', 'ERROR', 'INFO'] as const;

/** Recovery windows Secrets Manager accepts: 0 (no window) or 7 to 30 days. https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html */
export const RECOVERY_WINDOW_DAYS = { none: 0, min: 7, max: 30 } as const;

/** Tag limits. https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions */
export const TAG_LIMITS = { maxTags: 50, maxKeyLength: 128, maxValueLength: 256, reservedPrefix: 'aws:' } as const;

const KMS_KEY_ARN = new RegExp(PATTERNS.kmsKeyArn);
const SECRET_ARN = new RegExp(PATTERNS.secretArn);
const WEB_ACL_ARN = new RegExp(PATTERNS.webAclArn);
const HOST_PATTERN = new RegExp(PATTERNS.host);
const DATABASE_PATTERN = new RegExp(PATTERNS.database);
const STAGE_PATTERN = new RegExp(PATTERNS.stageName);

/**
 * The props validated; every member optional so partial objects can be checked. A type-only import: the props are a
 * plain interface, and this module stays free of cdktf at run time.
 */
export type ValidatableProps = Partial<AsyncAthenaQueryProps>;

type Rule = (props: ValidatableProps, isUnresolved: IsUnresolved) => PropProblem[];

/** A list to check element by element: none when absent or a Terraform list token (its elements are not values). */
function literalList<T>(list: readonly T[] | undefined, isUnresolved: IsUnresolved): readonly T[] {
  return list === undefined || isUnresolved(list) ? [] : list;
}

function problem(prop: string, rule: string, value: unknown, hint?: string): PropProblem[] {
  return [{ prop, rule, value, ...(hint ? { hint } : {}) }];
}

function integerIn(prop: string, value: number | undefined, min: number, max: number, isUnresolved: IsUnresolved): PropProblem[] {
  if (value === undefined || isUnresolved(value)) return [];
  if (!Number.isInteger(value) || value < min || value > max) return problem(prop, `be an integer from ${min} to ${max}`, value);
  return [];
}

function matches(prop: string, value: string | undefined, pattern: RegExp, rule: string, isUnresolved: IsUnresolved, hint?: string): PropProblem[] {
  if (value === undefined || isUnresolved(value)) return [];
  return pattern.test(value) ? [] : problem(prop, rule, value, hint);
}

function backoff(prop: string, policy: Partial<BackoffPolicy> | undefined, isUnresolved: IsUnresolved): PropProblem[] {
  if (!policy || isUnresolved(policy)) return [];
  const found: PropProblem[] = [
    ...integerIn(`${prop}.intervalSeconds`, policy.intervalSeconds, ...RANGES.intervalSeconds, isUnresolved),
    ...integerIn(`${prop}.maxAttempts`, policy.maxAttempts, ...RANGES.maxAttempts, isUnresolved),
    ...integerIn(`${prop}.maxDelaySeconds`, policy.maxDelaySeconds, ...RANGES.maxDelaySeconds, isUnresolved),
  ];
  if (policy.backoffRate !== undefined && !isUnresolved(policy.backoffRate) && !(policy.backoffRate >= 1)) {
    found.push(...problem(`${prop}.backoffRate`, 'be a number of at least 1.0', policy.backoffRate));
  }
  return found;
}

function s3Uri(prop: string, value: string | undefined, isUnresolved: IsUnresolved): PropProblem[] {
  if (value === undefined || isUnresolved(value)) return [];
  if (/[*?$]/.test(value)) {
    return problem(prop, "not contain '*', '?' or '$' (IAM reads them as wildcards or policy variables, which would grant access beyond the prefix)", value);
  }
  const parsed = parseOutputLocation(value);
  if (!parsed) {
    const match = /^s3:\/\/([^/]*)/.exec(value);
    const bucketProblem = match ? bucketNameProblem(match[1]) : undefined;
    if (bucketProblem) return problem(prop, `name a valid bucket: the bucket name must ${bucketProblem}`, value);
    return problem(prop, `match ${OUTPUT_LOCATION_PATTERN} (an s3:// URI of a bucket and optional prefix, ending in '/')`, value, "For example 's3://my-results/athena/'.");
  }
  const bucketProblem = bucketNameProblem(parsed.bucket);
  return bucketProblem ? problem(prop, `name a valid bucket: the bucket name must ${bucketProblem}`, value) : [];
}

const rules: readonly Rule[] = [
  (p, u) => (p.workGroup === undefined ? problem('workGroup', 'be set (the Athena workgroup queries run in)', p.workGroup) : matches('workGroup', p.workGroup, new RegExp(WORK_GROUP_PATTERN), `match ${WORK_GROUP_PATTERN}`, u)),
  (p, u) => (p.outputLocation === undefined ? problem('outputLocation', "be set (an s3:// URI such as 's3://my-results/athena/')", p.outputLocation) : s3Uri('outputLocation', p.outputLocation, u)),
  (p, u) => {
    if (p.namePrefix === undefined || u(p.namePrefix)) return [];
    if (p.namePrefix.length > MAX_NAME_PREFIX_LENGTH) {
      return problem('namePrefix', `be at most ${MAX_NAME_PREFIX_LENGTH} characters so every derived name fits AWS limits (IAM role 64, Lambda 64, state machine 80)`, p.namePrefix);
    }
    return matches('namePrefix', p.namePrefix, NAME_PREFIX_PATTERN, 'start with a letter and contain only letters, digits and hyphens', u);
  },
  (p, u) => integerIn('presignExpirySeconds', p.presignExpirySeconds, ...RANGES.presignExpirySeconds, u),
  (p, u) => matches('database', p.database, DATABASE_PATTERN, 'be 1-255 letters, digits, underscores or hyphens', u),
  (p, u) => integerIn('queryTimeoutSeconds', p.queryTimeoutSeconds, ...RANGES.queryTimeoutSeconds, u),
  (p, u) =>
    p.logRetentionDays === undefined || u(p.logRetentionDays) || (LOG_RETENTION_DAYS as readonly number[]).includes(p.logRetentionDays)
      ? []
      : problem('logRetentionDays', `be one of ${LOG_RETENTION_DAYS.join(', ')}`, p.logRetentionDays),
  (p, u) => {
    if (!p.tags || u(p.tags)) return [];
    const found: PropProblem[] = [];
    const entries = Object.entries(p.tags);
    // https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions
    if (entries.length > TAG_LIMITS.maxTags) found.push(...problem('tags', `have at most ${TAG_LIMITS.maxTags} entries`, entries.length));
    for (const [key, value] of entries) {
      if (u(key) || u(value)) continue;
      if (key.length < 1 || key.length > TAG_LIMITS.maxKeyLength) found.push(...problem(`tags[${JSON.stringify(key)}]`, `have a key of 1-${TAG_LIMITS.maxKeyLength} characters`, key));
      if (key.toLowerCase().startsWith(TAG_LIMITS.reservedPrefix)) found.push(...problem(`tags[${JSON.stringify(key)}]`, `not use the reserved '${TAG_LIMITS.reservedPrefix}' key prefix`, key));
      if (value.length > TAG_LIMITS.maxValueLength) found.push(...problem(`tags[${JSON.stringify(key)}]`, `have a value of at most ${TAG_LIMITS.maxValueLength} characters`, value));
    }
    return found;
  },
  (p, u) => matches('resultsKmsKeyArn', p.resultsKmsKeyArn, KMS_KEY_ARN, 'be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>; not an alias)', u),
  (p, u) => matches('logsKmsKeyArn', p.logsKmsKeyArn, KMS_KEY_ARN, 'be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>; not an alias)', u),
  (p, u) => matches('deadLetterQueueKmsKeyArn', p.deadLetterQueueKmsKeyArn, KMS_KEY_ARN, 'be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>; not an alias)', u),
  (p, u) => matches('signingSecretKmsKeyArn', p.signingSecretKmsKeyArn, KMS_KEY_ARN, 'be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>; not an alias)', u),
  (p, u) => integerIn('callbackerMemoryMb', p.callbackerMemoryMb, ...RANGES.callbackerMemoryMb, u),
  (p, u) => integerIn('callbackerTimeoutSeconds', p.callbackerTimeoutSeconds, ...RANGES.callbackerTimeoutSeconds, u),
  (p, u) => integerIn('callbackerReservedConcurrency', p.callbackerReservedConcurrency, ...RANGES.callbackerReservedConcurrency, u),
  (p, u) => integerIn('queryApiMemoryMb', p.queryApiMemoryMb, ...RANGES.queryApiMemoryMb, u),
  (p, u) => integerIn('queryApiReservedConcurrency', p.queryApiReservedConcurrency, ...RANGES.queryApiReservedConcurrency, u),
  (p) =>
    p.callbackerPackaging === undefined || (CALLBACKER_PACKAGINGS as readonly string[]).includes(p.callbackerPackaging)
      ? []
      : problem('callbackerPackaging', `be one of ${CALLBACKER_PACKAGINGS.map((m) => `'${m}'`).join(', ')}`, p.callbackerPackaging),
  (p, u) => matches('stageName', p.stageName, STAGE_PATTERN, 'be 1-128 letters, digits, underscores or hyphens', u),
  (p, u) =>
    p.apiLoggingLevel === undefined || u(p.apiLoggingLevel) || (API_LOGGING_LEVELS as readonly string[]).includes(p.apiLoggingLevel)
      ? []
      : problem('apiLoggingLevel', `be one of ${API_LOGGING_LEVELS.join(', ')}`, p.apiLoggingLevel),
  (p, u) => (p.throttlingRateLimit === undefined || u(p.throttlingRateLimit) || p.throttlingRateLimit > 0 ? [] : problem('throttlingRateLimit', 'be greater than 0 requests per second', p.throttlingRateLimit)),
  (p, u) => integerIn('throttlingBurstLimit', p.throttlingBurstLimit, ...RANGES.throttlingBurstLimit, u),
  (p, u) =>
    literalList(p.allowedCallbackHosts, u).flatMap((host, i) =>
      matches(`allowedCallbackHosts[${i}]`, host, HOST_PATTERN, "be a lowercase host name or '*.suffix'", u),
    ),
  (p, u) => [
    ...(p.allowedCallbackPorts !== undefined && !u(p.allowedCallbackPorts) && p.allowedCallbackPorts.length === 0 ? problem('allowedCallbackPorts', 'list at least one port', p.allowedCallbackPorts) : []),
    ...literalList(p.allowedCallbackPorts, u).flatMap((port, i) => integerIn(`allowedCallbackPorts[${i}]`, port, ...RANGES.port, u)),
  ],
  (p, u) => literalList(p.sourceDataLocations, u).flatMap((loc, i) => s3Uri(`sourceDataLocations[${i}]`, loc, u)),
  (p, u) =>
    literalList(p.glueDatabases, u).flatMap((db, i) =>
      db === '*' ? [] : matches(`glueDatabases[${i}]`, db, DATABASE_PATTERN, "be a database name (1-255 letters, digits, underscores or hyphens) or '*'", u),
    ),
  (p, u) => matches('existingSigningSecretArn', p.existingSigningSecretArn, SECRET_ARN, 'be a Secrets Manager secret ARN', u),
  (p, u) => matches('webAclArn', p.webAclArn, WEB_ACL_ARN, 'be a regional WAFv2 web ACL ARN', u),
  (p, u) => {
    const days = p.signingSecretRecoveryWindowDays;
    if (days === undefined || u(days)) return [];
    const ok = days === RECOVERY_WINDOW_DAYS.none || (Number.isInteger(days) && days >= RECOVERY_WINDOW_DAYS.min && days <= RECOVERY_WINDOW_DAYS.max);
    return ok ? [] : problem('signingSecretRecoveryWindowDays', `be ${RECOVERY_WINDOW_DAYS.none} or an integer from ${RECOVERY_WINDOW_DAYS.min} to ${RECOVERY_WINDOW_DAYS.max}`, days);
  },
  (p, u) => backoff('athenaThrottleRetry', p.athenaThrottleRetry, u),
  (p, u) => backoff('callbackRetry', p.callbackRetry, u),
];

/** Every problem in the literal props, in rule order; empty when all is well. */
export function validateAsyncAthenaQueryProps(props: ValidatableProps, isUnresolved: IsUnresolved): PropProblem[] {
  return rules.flatMap((rule) => rule(props, isUnresolved));
}

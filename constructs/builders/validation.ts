/**
 * Synth-time validation of literal prop values. Terraform tokens are skipped: their values are checked by the
 * Terraform variable `validation` blocks instead. Each rule returns problems; the construct throws them all at once.
 */
import type { AsyncAthenaQueryProps } from '../async-athena-query-props';
import type { BackoffPolicy } from './asl';
import type { PropProblem } from './errors';
import { MAX_NAME_PREFIX_LENGTH, NAME_PREFIX_PATTERN } from './naming';
import { CALLBACKER_PACKAGINGS } from './packaging';
import { bucketNameProblem, OUTPUT_LOCATION_PATTERN, parseOutputLocation } from './s3-location';

/** Tells whether a value is an unresolved Terraform token (injected, so this module needs no cdktf import). */
export type IsUnresolved = (value: unknown) => boolean;

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

/** KMS key or alias ARNs. */
// Key ARNs only: an IAM grant on an alias ARN does not match the key's use, and log groups need the key ARN.
// https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
/** Secrets Manager secret ARNs. */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
/** WAFv2 regional web ACL ARNs. */
const WEB_ACL_ARN = /^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/\S+$/;
/** A host name or `*.suffix`, lowercase. */
const HOST_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Glue database names, or `*` for every database. https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html */
const DATABASE_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
/** API Gateway stage names. */
const STAGE_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The props validated; every member optional so partial objects can be checked. A type-only import: the props are a
 * plain interface, and this module stays free of cdktf at run time.
 */
export type ValidatableProps = Partial<AsyncAthenaQueryProps>;

type Rule = (props: ValidatableProps, isUnresolved: IsUnresolved) => PropProblem[];

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
  if (!policy) return [];
  const found: PropProblem[] = [
    // https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-retrying-after-an-error
    ...integerIn(`${prop}.intervalSeconds`, policy.intervalSeconds, 1, 99999999, isUnresolved),
    ...integerIn(`${prop}.maxAttempts`, policy.maxAttempts, 0, 99999999, isUnresolved),
    ...integerIn(`${prop}.maxDelaySeconds`, policy.maxDelaySeconds, 1, 31622400, isUnresolved),
  ];
  if (policy.backoffRate !== undefined && !(policy.backoffRate >= 1)) {
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
  (p, u) => integerIn('presignExpirySeconds', p.presignExpirySeconds, 1, MAX_PRESIGN_EXPIRY_SECONDS, u),
  (p, u) => matches('database', p.database, DATABASE_PATTERN, 'be 1-255 letters, digits, underscores or hyphens', u),
  (p, u) => integerIn('queryTimeoutSeconds', p.queryTimeoutSeconds, 1, 86400, u),
  (p, u) =>
    p.logRetentionDays === undefined || u(p.logRetentionDays) || (LOG_RETENTION_DAYS as readonly number[]).includes(p.logRetentionDays)
      ? []
      : problem('logRetentionDays', `be one of ${LOG_RETENTION_DAYS.join(', ')}`, p.logRetentionDays),
  (p, u) => {
    if (!p.tags || u(p.tags)) return [];
    const found: PropProblem[] = [];
    const entries = Object.entries(p.tags);
    // https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions
    if (entries.length > 50) found.push(...problem('tags', 'have at most 50 entries', entries.length));
    for (const [key, value] of entries) {
      if (u(key) || u(value)) continue;
      if (key.length < 1 || key.length > 128) found.push(...problem(`tags[${JSON.stringify(key)}]`, 'have a key of 1-128 characters', key));
      if (key.toLowerCase().startsWith('aws:')) found.push(...problem(`tags[${JSON.stringify(key)}]`, "not use the reserved 'aws:' key prefix", key));
      if (value.length > 256) found.push(...problem(`tags[${JSON.stringify(key)}]`, 'have a value of at most 256 characters', value));
    }
    return found;
  },
  (p, u) => matches('resultsKmsKeyArn', p.resultsKmsKeyArn, KMS_KEY_ARN, 'be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>; not an alias)', u),
  (p, u) => matches('logsKmsKeyArn', p.logsKmsKeyArn, KMS_KEY_ARN, 'be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>; not an alias)', u),
  (p, u) => matches('deadLetterQueueKmsKeyArn', p.deadLetterQueueKmsKeyArn, KMS_KEY_ARN, 'be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>; not an alias)', u),
  (p, u) => matches('signingSecretKmsKeyArn', p.signingSecretKmsKeyArn, KMS_KEY_ARN, 'be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>; not an alias)', u),
  // https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
  (p, u) => integerIn('callbackerMemoryMb', p.callbackerMemoryMb, 128, 10240, u),
  (p, u) => integerIn('callbackerTimeoutSeconds', p.callbackerTimeoutSeconds, 30, 900, u),
  (p, u) => integerIn('callbackerReservedConcurrency', p.callbackerReservedConcurrency, 1, 1000, u),
  (p) =>
    p.callbackerPackaging === undefined || (CALLBACKER_PACKAGINGS as readonly string[]).includes(p.callbackerPackaging)
      ? []
      : problem('callbackerPackaging', `be one of ${CALLBACKER_PACKAGINGS.map((m) => `'${m}'`).join(', ')}`, p.callbackerPackaging),
  (p, u) => matches('stageName', p.stageName, STAGE_PATTERN, 'be 1-128 letters, digits, underscores or hyphens', u),
  (p, u) => (p.throttlingRateLimit === undefined || u(p.throttlingRateLimit) || p.throttlingRateLimit > 0 ? [] : problem('throttlingRateLimit', 'be greater than 0 requests per second', p.throttlingRateLimit)),
  (p, u) => integerIn('throttlingBurstLimit', p.throttlingBurstLimit, 1, 5000, u),
  (p, u) =>
    (p.allowedCallbackHosts ?? []).flatMap((host, i) =>
      matches(`allowedCallbackHosts[${i}]`, host, HOST_PATTERN, "be a lowercase host name or '*.suffix'", u),
    ),
  (p, u) => [
    ...(p.allowedCallbackPorts !== undefined && p.allowedCallbackPorts.length === 0 ? problem('allowedCallbackPorts', 'list at least one port', p.allowedCallbackPorts) : []),
    ...(p.allowedCallbackPorts ?? []).flatMap((port, i) => integerIn(`allowedCallbackPorts[${i}]`, port, 1, 65535, u)),
  ],
  (p, u) => (p.sourceDataLocations ?? []).flatMap((loc, i) => s3Uri(`sourceDataLocations[${i}]`, loc, u)),
  (p, u) =>
    (p.glueDatabases ?? []).flatMap((db, i) =>
      db === '*' ? [] : matches(`glueDatabases[${i}]`, db, DATABASE_PATTERN, "be a database name (1-255 letters, digits, underscores or hyphens) or '*'", u),
    ),
  (p, u) => matches('existingSigningSecretArn', p.existingSigningSecretArn, SECRET_ARN, 'be a Secrets Manager secret ARN', u),
  (p, u) => matches('webAclArn', p.webAclArn, WEB_ACL_ARN, 'be a regional WAFv2 web ACL ARN', u),
  (p, u) => backoff('athenaThrottleRetry', p.athenaThrottleRetry, u),
  (p, u) => backoff('callbackRetry', p.callbackRetry, u),
];

/** Every problem in the literal props, in rule order; empty when all is well. */
export function validateAsyncAthenaQueryProps(props: ValidatableProps, isUnresolved: IsUnresolved): PropProblem[] {
  return rules.flatMap((rule) => rule(props, isUnresolved));
}

import { createHash } from 'node:crypto';

/**
 * Physical names of every named resource, derived from one `namePrefix`. The suffixes are fixed so that the longest
 * name a prefix produces is known, and the prefix's length limit follows from AWS's limits.
 */
export const NAME_SUFFIXES = {
  callbackerFunction: 'callbacker',
  queryApiFunction: 'query-api',
  stateMachine: 'queries',
  cancellationStateMachine: 'cancellations',
  restApi: 'api',
  deadLetterQueue: 'callback-dlq',
  signingSecret: 'webhook-signing-secret-',
} as const;

/**
 * IAM role names. IAM is global to the account while everything else here is regional, so a role name also carries
 * the region: the same inputs applied in two regions of one account must not collide (EntityAlreadyExists).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
 */
export const ROLE_SUFFIXES = {
  callbackerRole: 'callbacker',
  presignerRole: 'presigner',
  stateMachineRole: 'states',
  cancellationStateMachineRole: 'cancel',
  queryApiRole: 'query-api',
  apiGatewayAccountRole: 'apigw-logs',
} as const;

/** The kinds of named regional resource. */
export type NamedResource = keyof typeof NAME_SUFFIXES;

/** The kinds of role. */
export type NamedRole = keyof typeof ROLE_SUFFIXES;

/**
 * Longest region name, the room role names keep for it: `us-isof-south-1` has 15 characters.
 * https://docs.aws.amazon.com/general/latest/gr/rande.html
 */
export const MAX_REGION_NAME_LENGTH = 15;

/**
 * AWS name length limits for the resources whose names are the tightest.
 *
 * - IAM role names: 64 characters, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 * - Lambda function names: 64 characters, https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
 * - State machine names: 80 characters, https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html
 */
export const NAME_LIMITS: Readonly<Record<'iamRole' | 'lambdaFunction' | 'stateMachine', number>> = {
  iamRole: 64,
  lambdaFunction: 64,
  stateMachine: 80,
};

const longest = (names: Readonly<Record<string, string>>): number => Math.max(...Object.values(names).map((n) => n.length));

/** The longest `namePrefix` whose every derived name fits its AWS limit (separators included). */
export const MAX_NAME_PREFIX_LENGTH = Math.min(
  NAME_LIMITS.iamRole - 1 - longest(ROLE_SUFFIXES) - 1 - MAX_REGION_NAME_LENGTH,
  NAME_LIMITS.lambdaFunction - 1 - Math.max(NAME_SUFFIXES.callbackerFunction.length, NAME_SUFFIXES.queryApiFunction.length),
  NAME_LIMITS.stateMachine - 1 - Math.max(NAME_SUFFIXES.stateMachine.length, NAME_SUFFIXES.cancellationStateMachine.length),
);

/**
 * What a name prefix may contain: the characters every one of the resources above accepts (IAM allows more, the
 * state machine and Lambda fewer). It starts with a letter so it reads as a name.
 */
export const NAME_PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9-]*$/;

/**
 * The physical name of a regional resource: `<namePrefix>-<suffix>`. The signing secret's is a name *prefix*
 * (`name_prefix`): Secrets Manager keeps a deleted secret's name for its recovery window, so a fixed name could not be
 * created again the day a stack is destroyed and re-applied.
 */
export function resourceName(namePrefix: string, resource: NamedResource): string {
  return `${namePrefix}-${NAME_SUFFIXES[resource]}`;
}

/** The physical name of a role: `<namePrefix>-<suffix>-<region>` (see {@link ROLE_SUFFIXES}). */
export function roleName(namePrefix: string, role: NamedRole, region: string): string {
  return `${namePrefix}-${ROLE_SUFFIXES[role]}-${region}`;
}

/**
 * A default prefix unique to one construct instance: its id (sanitised, shortened) plus 8 hex characters of a hash of
 * its construct path, so two instances in one stack never collide and the name is stable across synths.
 */
export function defaultNamePrefix(constructId: string, constructPath: string): string {
  const hash = createHash('sha256').update(constructPath).digest('hex').slice(0, 8);
  const base = constructId
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/^[^A-Za-z]+/, '')
    .replace(/-+$/, '')
    .toLowerCase();
  const room = MAX_NAME_PREFIX_LENGTH - hash.length - 1;
  const stem = (base || 'async-athena').slice(0, room).replace(/-+$/, '');
  return `${stem}-${hash}`;
}

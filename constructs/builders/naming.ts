import { createHash } from 'node:crypto';

/**
 * Physical names of every named resource, derived from one `namePrefix`. The suffixes are fixed so that the longest
 * name a prefix produces is known, and the prefix's length limit follows from AWS's limits.
 */
export const NAME_SUFFIXES = {
  callbackerFunction: 'callbacker',
  callbackerRole: 'callbacker-role',
  presignerRole: 'presigner-role',
  stateMachine: 'queries',
  stateMachineRole: 'state-machine-role',
  restApi: 'api',
  apiRole: 'api-role',
  deadLetterQueue: 'callback-dlq',
  signingSecret: 'webhook-signing-secret',
  apiGatewayAccountRole: 'apigw-logs-role',
} as const;

/** The kinds of named resource. */
export type NamedResource = keyof typeof NAME_SUFFIXES;

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

/** The longest `namePrefix` whose every derived name fits its AWS limit (the `-` separator included). */
export const MAX_NAME_PREFIX_LENGTH = Math.min(
  NAME_LIMITS.iamRole - 1 - Math.max(NAME_SUFFIXES.callbackerRole.length, NAME_SUFFIXES.presignerRole.length, NAME_SUFFIXES.stateMachineRole.length, NAME_SUFFIXES.apiRole.length),
  NAME_LIMITS.lambdaFunction - 1 - NAME_SUFFIXES.callbackerFunction.length,
  NAME_LIMITS.stateMachine - 1 - NAME_SUFFIXES.stateMachine.length,
);

/**
 * What a name prefix may contain: the characters every one of the resources above accepts (IAM allows more, the
 * state machine and Lambda fewer). It starts with a letter so it reads as a name.
 */
export const NAME_PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9-]*$/;

/** The physical name of a resource: `<namePrefix>-<suffix>`. */
export function resourceName(namePrefix: string, resource: NamedResource): string {
  return `${namePrefix}-${NAME_SUFFIXES[resource]}`;
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

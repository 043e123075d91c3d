/**
 * The query API function's configuration, from its environment (set by constructs/query-api-function.ts): the two
 * state machines, the output location result links are limited to, and how to presign them.
 */
import { parseOutputLocation, type S3Location } from '../../constructs/builders/s3-location';
import { type Environment, getIntegerFromEnv, getStringFromEnv, MAX_PRESIGN_EXPIRY_SECONDS } from '../env';
import { QueryApiConfigurationError } from './errors';

/** Everything the function reads from its environment. */
export interface QueryApiConfig {
  /** ARN of the query state machine (STATE_MACHINE_ARN). */
  readonly stateMachineArn: string;
  /** ARN of the cancellation state machine (CANCELLATION_STATE_MACHINE_ARN). */
  readonly cancellationStateMachineArn: string;
  /** This module's output location (OUTPUT_LOCATION): result links are only made for objects under it. */
  readonly outputLocation: S3Location;
  /** Role the result links are signed with (PRESIGNER_ROLE_ARN). */
  readonly presignerRoleArn: string;
  /** Requested lifetime of result links, in seconds (PRESIGN_EXPIRY_SECONDS). */
  readonly presignExpirySeconds: number;
}

/** https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html (stateMachineArn) */
const STATE_MACHINE_ARN = /^arn:[a-z0-9-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
/** https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html (IAM role ARN shape) */
const ROLE_ARN = /^arn:[a-z0-9-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/;

function matching(env: Environment, key: string, pattern: RegExp, what: string): string {
  const value = getStringFromEnv(env, { key });
  if (!pattern.test(value)) throw new QueryApiConfigurationError(`Environment variable ${key} must be ${what}, got '${value}'`);
  return value;
}

/**
 * Reads and checks the whole configuration.
 *
 * @throws QueryApiConfigurationError naming the first bad variable
 */
export function loadQueryApiConfig(env: Environment): QueryApiConfig {
  try {
    const outputLocationText = getStringFromEnv(env, { key: 'OUTPUT_LOCATION' });
    const outputLocation = parseOutputLocation(outputLocationText);
    if (outputLocation === undefined) {
      throw new QueryApiConfigurationError(`Environment variable OUTPUT_LOCATION must be s3://<bucket>/<prefix>/, got '${outputLocationText}'`);
    }
    return {
      stateMachineArn: matching(env, 'STATE_MACHINE_ARN', STATE_MACHINE_ARN, 'a state machine ARN'),
      cancellationStateMachineArn: matching(env, 'CANCELLATION_STATE_MACHINE_ARN', STATE_MACHINE_ARN, 'a state machine ARN'),
      outputLocation,
      presignerRoleArn: matching(env, 'PRESIGNER_ROLE_ARN', ROLE_ARN, 'an IAM role ARN'),
      presignExpirySeconds: getIntegerFromEnv(env, { key: 'PRESIGN_EXPIRY_SECONDS', min: 1, max: MAX_PRESIGN_EXPIRY_SECONDS }),
    };
  } catch (error) {
    if (error instanceof QueryApiConfigurationError) throw error;
    // The shared parsers name the variable and the value; the callbacker's error class is not this function's.
    throw new QueryApiConfigurationError((error as Error).message);
  }
}

/** The ARN of the execution of a state machine with this name. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

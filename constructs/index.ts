export { AsyncAthenaQuery } from './async-athena-query';
export type { AsyncAthenaQueryProps } from './async-athena-query-props';
export { AwsContext } from './aws-context';
export { CallbackDeadLetterQueue, type CallbackDeadLetterQueueProps, DEAD_LETTER_RETENTION_SECONDS } from './callback-dead-letter-queue';
export { MissingCallbackerBundleError, MissingPeerDependencyError, shippedCallbacker, type ShippedCallbacker } from './callbacker-bundle';
export { CallbackerFunction, type CallbackerFunctionProps } from './callbacker-function';
export { QueryRestApi, type QueryRestApiProps } from './query-rest-api';
export { QueryStateMachine, type QueryStateMachineProps, RETRYABLE_CALLBACK_ERRORS } from './query-state-machine';
export { WebhookSigningSecret, type WebhookSigningSecretProps } from './webhook-signing-secret';
export {
  type AslDefinition,
  type BackoffPolicy,
  buildQueryDefinition,
  DEFAULT_ATHENA_THROTTLE_RETRY,
  DEFAULT_CALLBACK_RETRY,
  STATE_NAMES,
  TRANSITIONS_PER_SUCCESSFUL_QUERY,
} from './builders/asl';
export { buildRequestModel, buildStartExecutionTemplate, QUERY_ROUTES } from './builders/api-contract';
export { InvalidPropsError, NamePrefixCollisionError, type PropProblem } from './builders/errors';
export { MAX_NAME_PREFIX_LENGTH } from './builders/naming';
export { AsyncAthenaQueryStack, type AsyncAthenaQueryStackOptions, REQUIRED_AWS_PROVIDER, REQUIRED_TERRAFORM_VERSION } from './async-athena-query-stack';
export { MODULE_OUTPUTS, MODULE_VARIABLES, type ModuleOutput, type ModuleVariable } from './builders/module-interface';
export { CALLBACKER_PACKAGINGS, type CallbackerPackaging, DEFAULT_CALLBACKER_PACKAGING } from './builders/packaging';

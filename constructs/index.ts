export { AsyncAthenaQuery } from './async-athena-query';
export type { AsyncAthenaQueryProps } from './async-athena-query-props';
export { AwsContext } from './aws-context';
export { CallbackDeadLetterQueue, type CallbackDeadLetterQueueProps, DEAD_LETTER_RETENTION_SECONDS } from './callback-dead-letter-queue';
export { MissingCallbackerBundleError, MissingPeerDependencyError, shippedCallbacker, type ShippedCallbacker, shippedQueryApi } from './callbacker-bundle';
export { CallbackerFunction, type CallbackerFunctionProps } from './callbacker-function';
export { CancellationStateMachine, type CancellationStateMachineProps } from './cancellation-state-machine';
export { QUERY_API_TIMEOUT_SECONDS, QueryApiFunction, type QueryApiFunctionProps } from './query-api-function';
export { QueryRestApi, type QueryRestApiProps } from './query-rest-api';
export { QueryStateMachine, type QueryStateMachineProps, RETRYABLE_CALLBACK_ERRORS } from './query-state-machine';
export { WebhookSigningSecret, type WebhookSigningSecretProps } from './webhook-signing-secret';
export {
  type AslDefinition,
  type BackoffPolicy,
  buildCancellationDefinition,
  buildQueryDefinition,
  DEFAULT_ATHENA_THROTTLE_RETRY,
  DEFAULT_CALLBACK_RETRY,
  STATE_NAMES,
  TRANSITIONS_PER_SUCCESSFUL_QUERY,
} from './builders/asl';
export {
  API_ROUTES,
  type ApiRoute,
  buildRequestModel,
  executionInputOf,
  IDEMPOTENCY_KEY_HEADER,
  MAX_EXECUTION_INPUT_BYTES,
  MAX_QUERY_CHARACTERS,
  QUERY_ID_PATTERN,
  QUERY_ROUTES,
} from './builders/api-contract';
export { InvalidPropsError, NamePrefixCollisionError, type PropProblem } from './builders/errors';
export { MAX_NAME_PREFIX_LENGTH } from './builders/naming';
export { AsyncAthenaQueryStack, type AsyncAthenaQueryStackOptions, REQUIRED_AWS_PROVIDER, REQUIRED_TERRAFORM_VERSION } from './async-athena-query-stack';
export { MODULE_OUTPUTS, MODULE_VARIABLES, type ModuleOutput, type ModuleVariable } from './builders/module-interface';
export { CALLBACKER_PACKAGINGS, type CallbackerPackaging, DEFAULT_CALLBACKER_PACKAGING } from './builders/packaging';

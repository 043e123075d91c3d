/**
 * The query API's client (`cdktf-async-athena-query/client`): a typed, SigV4-signing client of the routes the
 * module deploys. The `async-athena-query` command line is built on it.
 */
export { AsyncAthenaQueryClient, CLIENT_USER_AGENT } from './client';
export type { AsyncAthenaQueryClientOptions, AwsCredentials, AwsCredentialsProvider, CallOptions, DownloadedResult, DownloadOptions, SubmitOptions, WaitOptions, WaitProgress } from './client';
export { backoffCeilingMs, DEFAULT_POLL_BACKOFF, DEFAULT_RETRY_BACKOFF, fullJitterDelayMs, PollSchedule } from './backoff';
export type { BackoffOptions } from './backoff';
export { ApiError, ApiNetworkError, CredentialsError, InvalidClientOptionsError, ResultDownloadError, UnexpectedResponseError, WaitTimeoutError } from './errors';
export type { ApiErrorDetails, ResultDownloadFailure } from './errors';
export { DEFAULT_TERRAFORM_OUTPUT, readTerraformOutput, TerraformOutputError } from './terraform-output';
export { FINAL_QUERY_STATES, isFinalQueryState } from './types';
export type { ApiErrorBody, CallbackStatus, CancelledQuery, QueryState, QueryStatistics, QueryStatus, ResultLink, SubmitQueryRequest, SubmittedQuery } from './types';

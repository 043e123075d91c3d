/**
 * The props of {@link AsyncAthenaQuery}, in a module of their own: the pure builders (validation, the Terraform-module
 * variable table) read this interface without importing the construct, so no import circle runs through them.
 */
import type { BackoffPolicy } from './builders/asl';
import type { CallbackerPackaging } from './builders/packaging';

/** Props of `AsyncAthenaQuery`. Literal values are validated at synth time; Terraform tokens are accepted. */
export interface AsyncAthenaQueryProps {
  /**
   * Athena workgroup the queries run in.
   *
   * @see https://docs.aws.amazon.com/athena/latest/ug/workgroups-manage-queries-control-costs.html
   */
  readonly workGroup: string;
  /**
   * `s3://bucket/prefix/` where Athena writes results (`ResultConfiguration.OutputLocation`). The IAM policies are
   * scoped to this bucket and prefix. A Terraform variable is split with Terraform's `regex()`.
   *
   * If the workgroup enforces its own output location ("Override client-side settings"), set this to that location,
   * or the presigner will not be allowed to read the results.
   */
  readonly outputLocation: string;
  /**
   * Prefix of every physical name (`<prefix>-callbacker`, `<prefix>-queries`, `<prefix>-api`, ...). At most 45
   * characters, so every derived name fits AWS limits (IAM role 64, Lambda 64, state machine 80).
   *
   * @default - the construct id plus a hash of the construct path, unique per instance
   */
  readonly namePrefix?: string;
  /**
   * Requested lifetime of presigned result URLs, in seconds (1 to 604800). A URL dies with the session that signed
   * it; the presigner session lasts at most an hour, and the callback's `ExpiredIn` reports the real lifetime.
   *
   * @default 3600
   */
  readonly presignExpirySeconds?: number;
  /**
   * Default database for unqualified table names (`QueryExecutionContext.Database`).
   *
   * @default - none; queries name their database
   */
  readonly database?: string;
  /**
   * Glue databases queries may read (Glue read-only actions).
   *
   * @default - `[database]` when `database` is set, otherwise every database (`*`) of this account's catalog
   */
  readonly glueDatabases?: readonly string[];
  /**
   * S3 locations (`s3://bucket/prefix/`) of the source data queries read. Athena reads source data with the state
   * machine role's credentials.
   *
   * @default - none; grant data access with Lake Formation, or list locations here
   */
  readonly sourceDataLocations?: readonly string[];
  /**
   * Seconds a query may run before Step Functions stops it and the caller gets a FAILED callback.
   *
   * @default 1800
   */
  readonly queryTimeoutSeconds?: number;
  /**
   * Retention of every log group, in days.
   *
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Tags for every taggable resource.
   *
   * @default - only `ManagedBy: cdktf-async-athena-query`
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * KMS key of SSE-KMS query results. Athena writes with it (the state machine gets `kms:GenerateDataKey` and
   * `kms:Decrypt`) and the presigner reads with it (`kms:Decrypt`). The key policy must allow both roles.
   *
   * @default - results use the bucket's or workgroup's encryption
   */
  readonly resultsKmsKeyArn?: string;
  /**
   * KMS key for every log group.
   *
   * @default - CloudWatch Logs default encryption
   */
  readonly logsKmsKeyArn?: string;
  /**
   * Customer-managed KMS key for the dead-letter queue.
   *
   * @default - SQS-managed encryption (SSE-SQS)
   */
  readonly deadLetterQueueKmsKeyArn?: string;
  /**
   * Customer-managed KMS key for the signing secret the construct creates (the callbacker gets `kms:Decrypt` on it).
   * With `existingSigningSecretArn`, give the key of that secret here if it has one.
   *
   * @default - the AWS-managed key `aws/secretsmanager`
   */
  readonly signingSecretKmsKeyArn?: string;
  /**
   * Memory of the callbacker, in MB.
   *
   * @default 256
   */
  readonly callbackerMemoryMb?: number;
  /**
   * Timeout of one callbacker invocation, in seconds.
   *
   * @default 45
   */
  readonly callbackerTimeoutSeconds?: number;
  /**
   * Reserved concurrency of the callbacker.
   *
   * @default - unreserved
   */
  readonly callbackerReservedConcurrency?: number;
  /**
   * Memory of the query API function (the Lambda behind every route of the API), in MB.
   *
   * @default 256
   */
  readonly queryApiMemoryMb?: number;
  /**
   * Reserved concurrency of the query API function: caps how many API requests are served at once (beyond it API
   * Gateway answers 500 while Lambda throttles), and keeps that much of the account's concurrency for the API.
   *
   * @default - unreserved
   */
  readonly queryApiReservedConcurrency?: number;
  /**
   * How the deployment packages of both functions (the callbacker and the query API function) reach Lambda.
   * `prebuilt-zip` uploads the deterministic zips this package ships (Terraform hashes the files); nothing is written
   * during `terraform plan`, so a saved plan applies in a fresh checkout. `archive-provider` has the `archive` provider
   * zip the shipped bundles during `terraform plan` instead: it
   * needs the optional peer dependency `@cdktf/provider-archive`, adds an `archive` provider to the stack when it has
   * none, and needs plan and apply in one working directory.
   *
   * @default 'prebuilt-zip'
   */
  readonly callbackerPackaging?: CallbackerPackaging;
  /**
   * API stage name, the first path segment of the URL.
   *
   * @default 'live'
   */
  readonly stageName?: string;
  /**
   * Steady-state request rate limit of the API, per second.
   *
   * @default 50
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst limit of the API.
   *
   * @default 100
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Execution logging level of the API methods.
   *
   * @default 'ERROR'
   */
  readonly apiLoggingLevel?: 'OFF' | 'ERROR' | 'INFO';
  /**
   * Creates the account-wide API Gateway CloudWatch role (`aws_api_gateway_account`), which API access and execution
   * logs need. It is one setting per account and region: turn this on in exactly one stack, or set it up outside.
   *
   * @default false
   * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
   */
  readonly manageApiGatewayAccountRole?: boolean;
  /**
   * A regional WAFv2 web ACL for the API stage.
   *
   * @default - no WAF
   */
  readonly webAclArn?: string;
  /**
   * Hosts callbacks may go to: exact names or `*.suffix`.
   *
   * @default - any public host
   */
  readonly allowedCallbackHosts?: readonly string[];
  /**
   * Ports callbacks may go to.
   *
   * @default [443]
   */
  readonly allowedCallbackPorts?: readonly number[];
  /**
   * An existing Secrets Manager secret with the signing secret(s) (`whsec_...`, space-separated while rotating).
   *
   * @default - a secret is created with a random value
   */
  readonly existingSigningSecretArn?: string;
  /**
   * Sends callbacks unsigned.
   *
   * @default false
   */
  readonly disableWebhookSigning?: boolean;
  /**
   * Days a deleted signing secret (the one this construct creates) can be restored: 0 (deleted at once) or 7 to 30.
   * Its name carries a generated suffix, so a destroyed stack can be applied again the same day either way.
   *
   * @default 30
   * @see https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html
   */
  readonly signingSecretRecoveryWindowDays?: number;
  /**
   * Backoff when Athena's active-query quota is full.
   *
   * @default DEFAULT_ATHENA_THROTTLE_RETRY (1 s doubling to 30 s, 120 retries, full jitter)
   */
  readonly athenaThrottleRetry?: Partial<BackoffPolicy>;
  /**
   * Backoff of transient callback failures (connect errors, timeouts, 408, 429, 5xx).
   *
   * @default DEFAULT_CALLBACK_RETRY (5 s x 3^n capped at 15 min, 8 retries, full jitter)
   */
  readonly callbackRetry?: Partial<BackoffPolicy>;
  /**
   * Lets the callbacker POST over plain http to loopback addresses, for the offline twin. Ignored inside a real
   * Lambda sandbox.
   *
   * @default false
   */
  readonly dangerouslyAllowLoopbackHttpCallbacksForLocalTesting?: boolean;
}

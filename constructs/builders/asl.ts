/**
 * The state-machine definition, as a plain typed object (Amazon States Language, JSONPath flavour).
 *
 * JSONPath, not JSONata: the local interpreter that executes the synthesized definition in our tests ignores JSONata.
 * https://states-language.net/spec.html
 */
import { type Deferred, type IsUnresolved, keysWhenSet, objectWith, ONLY_LITERALS, type Sum, sum } from './deferred';

/** One Retry rule. https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-retrying-after-an-error */
export interface AslRetrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds: number;
  readonly BackoffRate: number;
  readonly MaxAttempts: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

/** One Catch rule. */
export interface AslCatcher {
  readonly ErrorEquals: readonly string[];
  /** Where the error goes; absent means the default `$` (the error replaces the input), null discards it. */
  readonly ResultPath?: string | null;
  readonly Next: string;
}

/**
 * JSON given to a state's Parameters, ResultSelector or Result. Parts that depend on a Terraform variable are deferred
 * nodes (./deferred.ts), decided by Terraform at plan time.
 */
export type AslPayload = { readonly [key: string]: AslPayloadValue };
/** A value inside an {@link AslPayload}. */
export type AslPayloadValue = string | number | boolean | null | Deferred | AslPayload | readonly AslPayloadValue[];

/** A Task state. */
export interface AslTaskState {
  readonly Type: 'Task';
  readonly Comment?: string;
  readonly Resource: string;
  readonly Parameters: AslPayload | Deferred;
  readonly ResultSelector?: AslPayload;
  readonly ResultPath?: string | null;
  readonly TimeoutSeconds?: number;
  readonly Retry?: readonly AslRetrier[];
  readonly Catch?: readonly AslCatcher[];
  readonly Next?: string;
  readonly End?: true;
}

/** A Pass state. */
export interface AslPassState {
  readonly Type: 'Pass';
  readonly Comment?: string;
  readonly Parameters?: AslPayload;
  readonly Result?: AslPayload;
  readonly ResultPath?: string;
  readonly Next: string;
}

/** A Fail state: a fixed Cause, or one read from the state's input with CausePath (plain JSONPath). */
export type AslFailState = {
  readonly Type: 'Fail';
  readonly Comment?: string;
  readonly Error: string;
} & ({ readonly Cause: string } | { readonly CausePath: string });

/** A Wait state that reads its seconds from the input. */
export interface AslWaitState {
  readonly Type: 'Wait';
  readonly Comment?: string;
  readonly SecondsPath: string;
  readonly Next: string;
}

/** One rule of a Choice state: a numeric comparison or a presence test. */
export type AslChoiceRule =
  | { readonly Variable: string; readonly NumericGreaterThan: number; readonly Next: string }
  | { readonly Variable: string; readonly IsPresent: boolean; readonly Next: string };

/** A Choice state. */
export interface AslChoiceState {
  readonly Type: 'Choice';
  readonly Comment?: string;
  readonly Choices: readonly AslChoiceRule[];
  readonly Default: string;
}

/** Any state this builder emits. */
export type AslState = AslTaskState | AslPassState | AslFailState | AslWaitState | AslChoiceState;

/** A whole definition. */
export interface AslDefinition {
  readonly Comment: string;
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

/**
 * State names. The offline twin and the tests override Task states by name, so these names are API: renaming one is a
 * breaking change.
 */
export const STATE_NAMES = {
  hasExecutionParameters: 'HasExecutionParameters',
  startQuery: 'StartQuery',
  startParameterizedQuery: 'StartParameterizedQuery',
  wrapQueryFailure: 'WrapQueryFailure',
  buildCancelledOutcome: 'BuildCancelledOutcome',
  deliverCallback: 'DeliverCallback',
  readRetryAfter: 'ReadRetryAfter',
  retryAfterBudgetLeft: 'RetryAfterBudgetLeft',
  parseRetryAfter: 'ParseRetryAfter',
  waitRetryAfter: 'WaitRetryAfter',
  retriesExhausted: 'RetriesExhausted',
  deliveryRejected: 'DeliveryRejected',
  recordDeadLetter: 'RecordDeadLetter',
  deliveryFailed: 'DeliveryFailed',
  renderUnrecordedDelivery: 'RenderUnrecordedDelivery',
  deadLetterWriteFailed: 'DeadLetterWriteFailed',
} as const;

/** The error a failed delivery ends the execution with, after its record is in the dead-letter queue. */
export const DELIVERY_FAILED_ERROR = 'CallbackDeliveryFailed';

/**
 * The error a failed delivery ends the execution with when even its dead-letter write failed (every retry of
 * RecordDeadLetter). The execution's Cause is then the delivery record itself, and `npm run redrive` finds such
 * executions through Step Functions (ListExecutions), so nothing is lost.
 */
export const DEAD_LETTER_WRITE_FAILED_ERROR = 'CallbackDeadLetterWriteFailed';

/**
 * The callbacker's error for a 429/503 with a Retry-After (handler/errors.ts `CallbackRetryAfterError`). Its Lambda
 * Cause is `{"errorType","errorMessage","trace"}` JSON whose errorMessage is itself JSON, `{"RetryAfterSeconds": n,
 * "Detail": "..."}`; the handler keeps both whole (printable ASCII, at most 1,000 characters), which matters here:
 * `States.StringToJson` on text that is not JSON raises States.Runtime, which no Catch can catch.
 */
export const RETRY_AFTER_ERROR = 'CallbackRetryAfterError';

/** Version of the dead-letter record (redrive/dead-letter-record.ts reads versions 1 and 2). */
export const DEAD_LETTER_RECORD_VERSION = 2;

/**
 * The largest dead-letter record, in UTF-8 bytes of its JSON (the SQS message body). The record holds no text a
 * caller or a receiver chose (no query, no callback URL, no query outcome: redrive re-derives them from Step
 * Functions and Athena), only:
 *
 *   ExecutionArn, StateMachineArn   2 x 256 characters (Step Functions' ARN limit)
 *   ExecutionStartTime              32 characters (ISO 8601)
 *   Failure                         64 characters (our constants)
 *   LastError.Error                 256 characters (Step Functions' error limit)
 *   LastError.Cause                 32,768 characters (Step Functions' cause limit; the callbacker's own causes are at
 *                                   most 8,338 printable ASCII characters, handler/errors.ts MAX_LAMBDA_CAUSE_CHARS)
 *   keys and punctuation            256
 *
 * Each character costs at most 6 bytes in JSON (`\u001f`; a non-ASCII character is at most 3 bytes per UTF-16
 * unit), so 6 x (512 + 32 + 64 + 256 + 32,768) + 256 = 202,048 bytes: within SQS's 1 MiB message limit (and its former
 * 256 KiB), and within Step Functions' 256 KiB payload limit, so RenderUnrecordedDelivery (which holds only the
 * record, rendered) cannot fail on size either. Characters SQS refuses can only come from the execution ARN (a name
 * given to StartExecution directly; the API names executions with its request id) or a cause that is not the
 * callbacker's; should one ever reach RecordDeadLetter, the write fails and the execution ends in
 * DeadLetterWriteFailed with the record as its Cause.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
export const MAX_DEAD_LETTER_RECORD_BYTES = 6 * (2 * 256 + 32 + 64 + 256 + 32768) + 256;

/**
 * State transitions of a successful execution: HasExecutionParameters, StartQuery (or StartParameterizedQuery),
 * DeliverCallback. This is the cost metric (Step Functions Standard bills per transition,
 * https://aws.amazon.com/step-functions/pricing/); the seed's polling design needs 2 + 3 x ceil(T / 15 s). A failed or
 * cancelled query takes one more (WrapQueryFailure); each Retry-After a receiver asks for takes four more
 * (ReadRetryAfter, RetryAfterBudgetLeft, ParseRetryAfter, WaitRetryAfter) plus the new attempt.
 *
 * The Choice costs one transition per query, and it cannot be avoided: Athena's ExecutionParameters must hold at least
 * one value when given, and a JSONPath Parameters field cannot be left out when its path is missing (the execution
 * fails with States.Runtime, which no Catch handles), so a query without parameters needs a Task state without the
 * field. https://docs.aws.amazon.com/step-functions/latest/dg/input-output-inputpath-params.html
 */
export const TRANSITIONS_PER_SUCCESSFUL_QUERY = 3;

/**
 * The fields of Athena's QueryExecution that StartQuery keeps (its ResultSelector): what the callbacker, the status
 * route and redrive read. `Query` and `ExecutionParameters` are left out, so the query text travels no further than
 * the state that starts it (see QUERY_EXECUTION_FIELD_BYTES in api-contract.ts for why that matters). Each is present
 * in every GetQueryExecution answer of a SUCCEEDED query (a missing one would fail the ResultSelector with
 * States.Runtime). Result reuse is reported in Statistics.ResultReuseInformation.
 * https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecution.html
 */
export const QUERY_EXECUTION_FIELDS_KEPT = ['QueryExecutionId', 'Status', 'Statistics', 'ResultConfiguration', 'WorkGroup', 'EngineVersion'] as const;

/** The reason a cancellation machine's callback gives for a query cancelled before Athena started it. */
export const CANCELLED_BEFORE_START_REASON = 'Cancelled through DELETE /queries/{id} before Athena started the query.';

/** Exponential backoff for one class of errors. Delays are `interval x rate^n`, capped, with full jitter. */
export interface BackoffPolicy {
  /** Seconds before the first retry. */
  readonly intervalSeconds: number;
  /** Multiplier applied to the delay after each retry. */
  readonly backoffRate: number;
  /** Retries after the first attempt. */
  readonly maxAttempts: number;
  /** Cap on a single delay. */
  readonly maxDelaySeconds: number;
}

/**
 * Retry on Athena's active-query quota (`TooManyRequestsException`, which counts queued queries too,
 * https://docs.aws.amazon.com/athena/latest/ug/service-limits.html). 1 s doubling to a 30 s cap, 120 retries, full
 * jitter: a start keeps trying for about 29 minutes on average and 58 at most (the capped delays added up) before the
 * caller gets a FAILED callback. Every retry is a billed state transition.
 *
 * Sized with `npm run bench` (Burst): 500 queries of 10 s submitted at once against a quota of 20 all get their
 * callback within 1.3 x the ideal ceil(500 / 20) x 10 s. The cap bounds how long a slot freed by a finished query stays
 * unclaimed; the previous 60 s cap gave 1.23-1.28 x, and its 40 retries (about 18 minutes on average) were too few for
 * a backlog of longer queries. With n starts waiting there are about n / 15 attempts a second; past Athena's
 * per-account StartQueryExecution call quota the excess is throttled and retried the same way, but competes with other
 * Athena callers in the account.
 */
export const DEFAULT_ATHENA_THROTTLE_RETRY: BackoffPolicy = { intervalSeconds: 1, backoffRate: 2, maxAttempts: 120, maxDelaySeconds: 30 };

/**
 * Athena's throttling errors, as Step Functions names service exceptions (`Athena.<Exception>`): the active-query
 * quota (`TooManyRequestsException`) and the API call rate (`ThrottlingException`).
 */
export const ATHENA_THROTTLE_ERRORS = ['Athena.TooManyRequestsException', 'Athena.ThrottlingException'] as const;

/** Retry on Athena's transient `InternalServerException`: 2 s, 4 s, 8 s, 16 s, 32 s (with jitter). */
export const DEFAULT_ATHENA_ERROR_RETRY: BackoffPolicy = { intervalSeconds: 2, backoffRate: 2, maxAttempts: 5, maxDelaySeconds: 60 };

/**
 * Retry of a callback the receiver did not accept for a transient reason (connect error, timeout, 408, 429, 5xx):
 * 5 s x 3^n capped at 15 min, 8 retries, so the last attempt comes at most about 55 minutes after the first. Retries
 * happen in the state machine, so no Lambda is billed while waiting.
 */
export const DEFAULT_CALLBACK_RETRY: BackoffPolicy = { intervalSeconds: 5, backoffRate: 3, maxAttempts: 8, maxDelaySeconds: 900 };

/**
 * Retry of the Lambda service itself (not our code).
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/**
 * Backoff of Retry-After waits is the receiver's: at most `callbackRetry.maxAttempts` waits (8 by default) of at most
 * the callbacker's cap each (one hour, handler/env.ts RETRY_AFTER_CAP_SECONDS), then the delivery is dead-lettered as
 * RetriesExhausted. May be a Terraform token (a module variable): used as a value only, never in arithmetic or text.
 */
function retryAfterWaits(options: DeliveryDefinitionOptions): number {
  return options.callbackRetry.maxAttempts;
}

/** What every definition needs to deliver the outcome. ARNs may be Terraform tokens. */
export interface DeliveryDefinitionOptions {
  /** The AWS partition (`aws`, `aws-cn`, `aws-us-gov`), from `aws_partition`. */
  readonly partition: string;
  /** ARN of the callbacker function. */
  readonly callbackerFunctionArn: string;
  /** URL of the dead-letter queue. */
  readonly deadLetterQueueUrl: string;
  /** Names of the callbacker errors worth retrying. */
  readonly retryableCallbackErrors: readonly string[];
  /** Backoff on retryable callback failures. */
  readonly callbackRetry: BackoffPolicy;
  /**
   * Tells Terraform tokens from literals, so optional inputs that are tokens (`database`, `resultsKmsKeyArn`) are
   * decided by Terraform.
   *
   * @default - every value is a literal
   */
  readonly isUnresolved?: IsUnresolved;
}

/** Options for {@link buildQueryDefinition}. ARNs may be Terraform tokens. */
export interface QueryDefinitionOptions extends DeliveryDefinitionOptions {
  /** Athena workgroup. */
  readonly workGroup: string;
  /** `s3://bucket/prefix/` for `ResultConfiguration.OutputLocation`. */
  readonly outputLocation: string;
  /** Default database for unqualified table names. */
  readonly database?: string;
  /** KMS key for SSE_KMS results. */
  readonly resultsKmsKeyArn?: string;
  /** Seconds the query may run before the task times out and Step Functions stops it. */
  readonly queryTimeoutSeconds: number;
  /** Backoff on `Athena.TooManyRequestsException`. */
  readonly athenaThrottleRetry: BackoffPolicy;
  /** Backoff on `Athena.InternalServerException`. */
  readonly athenaErrorRetry: BackoffPolicy;
}

/** The Step Functions optimized-integration ARN for a service API and pattern. */
export function integrationArn(partition: string, service: string, api: string, pattern: 'requestResponse' | 'sync'): string {
  // https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html
  const suffix: Record<typeof pattern, string> = { requestResponse: '', sync: '.sync' };
  return `arn:${partition}:states:::${service}:${api}${suffix[pattern]}`;
}

function retrier(errors: readonly string[], policy: BackoffPolicy): AslRetrier {
  return {
    ErrorEquals: errors,
    IntervalSeconds: policy.intervalSeconds,
    BackoffRate: policy.backoffRate,
    MaxAttempts: policy.maxAttempts,
    MaxDelaySeconds: policy.maxDelaySeconds,
    JitterStrategy: 'FULL',
  };
}

/**
 * The dead-letter record, as a Pass state builds it into `$.DeadLetterRecord` (replacing the rest of the state, so
 * the query outcome is not carried on). Pointers and our own text only; see {@link MAX_DEAD_LETTER_RECORD_BYTES}.
 */
function deadLetterRecord(kind: 'RetriesExhausted' | 'PermanentFailure', maxAttempts: number | Sum): AslPayload {
  return {
    DeadLetterRecord: {
      RecordVersion: DEAD_LETTER_RECORD_VERSION,
      'ExecutionArn.$': '$$.Execution.Id',
      'ExecutionStartTime.$': '$$.Execution.StartTime',
      'StateMachineArn.$': '$$.StateMachine.Id',
      Failure: { Kind: kind, MaxAttempts: maxAttempts },
      'LastError.$': '$.DeliveryError',
    },
  };
}

/** Where DeliverCallback reads whose outcome it delivers, and to where. */
interface DeliverySource {
  /** The execution the callback is about (its `ExecutionArn` and `webhook-id`). */
  readonly executionArn: string;
  /** That execution's start time. */
  readonly executionStartTime: string;
  readonly callbackUrl: string;
}

/** The query machine delivers its own execution's outcome. */
const QUERY_DELIVERY: DeliverySource = {
  executionArn: '$$.Execution.Id',
  executionStartTime: '$$.Execution.StartTime',
  callbackUrl: '$$.Execution.Input.CallbackUrl',
};

/**
 * The cancellation machine delivers the outcome of the execution it was started for, named in its input, so the
 * caller's CANCELLED callback carries the original ExecutionArn and webhook-id (handler/signing.ts webhookIdFor).
 */
const CANCELLATION_DELIVERY: DeliverySource = {
  executionArn: '$$.Execution.Input.ExecutionArn',
  executionStartTime: '$$.Execution.Input.ExecutionStartTime',
  callbackUrl: '$$.Execution.Input.CallbackUrl',
};

/**
 * DeliverCallback and the states after it, shared by both machines: the callbacker invocation with its retries, the
 * receiver's Retry-After waits, and the dead-letter record (whose ExecutionArn is always the execution that failed to
 * deliver, so redrive finds it in Step Functions).
 */
function deliveryStates(options: DeliveryDefinitionOptions, source: DeliverySource): Record<string, AslState> {
  const isUnresolved = options.isUnresolved ?? ONLY_LITERALS;
  const {
    deliverCallback,
    readRetryAfter,
    retryAfterBudgetLeft,
    parseRetryAfter,
    waitRetryAfter,
    retriesExhausted,
    deliveryRejected,
    recordDeadLetter,
    deliveryFailed,
    renderUnrecordedDelivery,
    deadLetterWriteFailed,
  } = STATE_NAMES;
  // Attempts in all: the first plus the retries. The retry count may be a Terraform token: Terraform adds.
  const maxAttempts = sum(options.callbackRetry.maxAttempts, 1, isUnresolved);
  return {
    [deliverCallback]: {
      Type: 'Task',
      Comment: 'Presigns the result and POSTs the callback. Transient failures are retried here, not inside Lambda.',
      Resource: integrationArn(options.partition, 'lambda', 'invoke', 'requestResponse'),
      Parameters: {
        FunctionName: options.callbackerFunctionArn,
        Payload: {
          'ExecutionArn.$': source.executionArn,
          'ExecutionStartTime.$': source.executionStartTime,
          'CallbackUrl.$': source.callbackUrl,
          'QueryOutcome.$': '$.QueryOutcome',
        },
      },
      ResultSelector: { 'Delivery.$': '$.Payload' },
      ResultPath: '$.Callback',
      Retry: [
        retrier(LAMBDA_SERVICE_ERRORS, { intervalSeconds: 1, backoffRate: 2, maxAttempts: 6, maxDelaySeconds: 30 }),
        retrier(options.retryableCallbackErrors, options.callbackRetry),
      ],
      Catch: [
        { ErrorEquals: [RETRY_AFTER_ERROR], ResultPath: '$.DeliveryError', Next: readRetryAfter },
        { ErrorEquals: [...LAMBDA_SERVICE_ERRORS, ...options.retryableCallbackErrors], ResultPath: '$.DeliveryError', Next: retriesExhausted },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.DeliveryError', Next: deliveryRejected },
      ],
      End: true,
    },
    [readRetryAfter]: {
      Type: 'Pass',
      Comment: 'Counts this Retry-After and reads the Lambda Cause, {"errorType","errorMessage","trace"} JSON.',
      Parameters: {
        'Waits.$': 'States.MathAdd($.RetryAfter.Waits, 1)',
        'Lambda.$': 'States.StringToJson($.DeliveryError.Cause)',
      },
      ResultPath: '$.RetryAfter',
      Next: retryAfterBudgetLeft,
    },
    [retryAfterBudgetLeft]: {
      Type: 'Choice',
      // No number in the comment: the retry count may be a Terraform token, which has no literal value here.
      Comment: 'At most as many Retry-After waits as callback retries (MaxAttempts of the callback retry policy); then the delivery is dead-lettered.',
      Choices: [{ Variable: '$.RetryAfter.Waits', NumericGreaterThan: retryAfterWaits(options), Next: retriesExhausted }],
      Default: parseRetryAfter,
    },
    [parseRetryAfter]: {
      Type: 'Pass',
      Comment: 'The errorMessage is JSON too, {"RetryAfterSeconds","Detail"}: a sub-path of an intrinsic cannot be read in one step.',
      Parameters: {
        'Waits.$': '$.RetryAfter.Waits',
        'Requested.$': 'States.StringToJson($.RetryAfter.Lambda.errorMessage)',
      },
      ResultPath: '$.RetryAfter',
      Next: waitRetryAfter,
    },
    [waitRetryAfter]: {
      Type: 'Wait',
      Comment: "Waits the receiver's Retry-After (capped by the callbacker), billed as one transition, not as Lambda time.",
      SecondsPath: '$.RetryAfter.Requested.RetryAfterSeconds',
      Next: deliverCallback,
    },
    [retriesExhausted]: {
      Type: 'Pass',
      Comment: 'Every retry failed with a transient error (or the Retry-After budget is spent): builds the delivery record.',
      Parameters: deadLetterRecord('RetriesExhausted', maxAttempts),
      Next: recordDeadLetter,
    },
    [deliveryRejected]: {
      Type: 'Pass',
      Comment: 'A permanent failure (URL blocked, receiver rejected with 3xx/4xx, bad input), not retried: builds the delivery record.',
      Parameters: deadLetterRecord('PermanentFailure', maxAttempts),
      Next: recordDeadLetter,
    },
    [recordDeadLetter]: {
      Type: 'Task',
      Comment: 'Keeps the pointers redrive re-derives everything from (npm run redrive). No caller text, no presigned URL, no secret.',
      Resource: integrationArn(options.partition, 'sqs', 'sendMessage', 'requestResponse'),
      Parameters: {
        QueueUrl: options.deadLetterQueueUrl,
        'MessageBody.$': '$.DeadLetterRecord',
      },
      ResultPath: '$.DeadLetter',
      Retry: [retrier(['States.ALL'], { intervalSeconds: 1, backoffRate: 2, maxAttempts: 6, maxDelaySeconds: 30 })],
      // The error is left out of the state (ResultPath null): it is in the execution history, and keeping it would
      // count twice against the 256 KiB payload limit. https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultpath.html
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: renderUnrecordedDelivery }],
      Next: deliveryFailed,
    },
    [deliveryFailed]: {
      Type: 'Fail',
      Error: DELIVERY_FAILED_ERROR,
      Cause: 'The callback could not be delivered. Its delivery record is in the dead-letter queue; redeliver it with npm run redrive.',
    },
    [renderUnrecordedDelivery]: {
      Type: 'Pass',
      Comment: 'The dead-letter write failed after every retry: renders the record as text for the Fail state (CausePath takes plain JSONPath).',
      Parameters: { 'Record.$': 'States.JsonToString($.DeadLetterRecord)' },
      Next: deadLetterWriteFailed,
    },
    [deadLetterWriteFailed]: {
      Type: 'Fail',
      Comment: 'The delivery record is the Cause. npm run redrive --unrecorded-since finds these executions through ListExecutions.',
      Error: DEAD_LETTER_WRITE_FAILED_ERROR,
      CausePath: '$.Record',
    },
  };
}

/**
 * Builds the query machine's definition:
 *
 * HasExecutionParameters → StartQuery or StartParameterizedQuery (athena:startQueryExecution.sync) → DeliverCallback
 * (lambda:invoke) → end. A query that fails, is cancelled, times out or cannot start is caught, wrapped
 * (WrapQueryFailure) and delivered too. A receiver's Retry-After is waited out by a Wait state (ReadRetryAfter →
 * RetryAfterBudgetLeft → ParseRetryAfter → WaitRetryAfter → DeliverCallback), bounded. A callback that cannot be
 * delivered is recorded in the dead-letter queue (RecordDeadLetter) and the execution fails (DeliveryFailed); if even
 * that write fails, the record is rendered as the execution's Cause (RenderUnrecordedDelivery → DeadLetterWriteFailed).
 *
 * The execution input is written by the query API function (api-contract.ts `executionInputOf`): `Query`,
 * `CallbackUrl`, `ResultReuseConfiguration` and, when the caller gave any, `ExecutionParameters`.
 *
 * Why the caught Cause and not a GetQueryExecution call: the Catch is the only place that sees every failure (a query
 * that FAILED or was CANCELLED, but also throttling retries exhausted, `States.Timeout`, and errors thrown by
 * StartQueryExecution itself, which have no query id to look up). Parsing the Cause in the state machine
 * (`States.StringToJson`) would raise `States.Runtime` on a non-JSON Cause, which no Catch can catch; the callbacker
 * parses it instead, with a fallback for text causes.
 */
export function buildQueryDefinition(options: QueryDefinitionOptions): AslDefinition {
  const isUnresolved = options.isUnresolved ?? ONLY_LITERALS;
  const resultConfiguration: AslPayloadValue = objectWith(
    { OutputLocation: options.outputLocation },
    keysWhenSet(options.resultsKmsKeyArn, isUnresolved, (key) => ({ EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: key } })),
  );
  const startQueryParameters = (withExecutionParameters: boolean): AslPayload | Deferred =>
    objectWith(
      {
        'QueryString.$': '$.Query',
        ...(withExecutionParameters && { 'ExecutionParameters.$': '$.ExecutionParameters' }),
        WorkGroup: options.workGroup,
        // Athena requires 32-128 characters; a SHA-256 of the execution ARN is 64 hex characters, and is the same on every
        // retry of this state, so a retried start returns the query already started instead of running it twice.
        // https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html#athena-StartQueryExecution-request-ClientRequestToken
        'ClientRequestToken.$': "States.Hash($$.Execution.Id, 'SHA-256')",
        ResultConfiguration: resultConfiguration,
        'ResultReuseConfiguration.$': '$.ResultReuseConfiguration',
      },
      keysWhenSet(options.database, isUnresolved, (database) => ({ QueryExecutionContext: { Database: database } })),
    );
  const { hasExecutionParameters, startQuery, startParameterizedQuery, wrapQueryFailure, deliverCallback } = STATE_NAMES;
  const startState = (withExecutionParameters: boolean): AslTaskState => ({
    Type: 'Task',
    Comment: withExecutionParameters
      ? "Starts the query with the caller's ExecutionParameters and waits for it to finish (.sync polls for us, at no transition cost)."
      : 'Starts the query and waits for it to finish (the .sync integration polls for us, at no transition cost).',
    Resource: integrationArn(options.partition, 'athena', 'startQueryExecution', 'sync'),
    Parameters: startQueryParameters(withExecutionParameters),
    // Keep only the fields later states read (QUERY_EXECUTION_FIELDS_KEPT): with the default ResultPath ($) the output
    // replaces the input, and Athena's Query and ExecutionParameters are left behind, so the query text travels no
    // further than this state (state payloads are limited to 256 KiB). The callback URL is read from
    // $$.Execution.Input later. RetryAfter.Waits counts the receiver's Retry-After waits (ReadRetryAfter adds one each
    // time); set here, in the ResultSelector, it costs no transition.
    ResultSelector: {
      QueryOutcome: { QueryExecution: Object.fromEntries(QUERY_EXECUTION_FIELDS_KEPT.map((field) => [`${field}.$`, `$.QueryExecution.${field}`])) },
      RetryAfter: { Waits: 0 },
    },
    TimeoutSeconds: options.queryTimeoutSeconds,
    Retry: [
      // https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html#API_StartQueryExecution_Errors
      // TooManyRequestsException: the active-query quota is full. ThrottlingException: the StartQueryExecution call
      // rate (20 a second, bursts of 80) is exceeded; AWS's troubleshooting lists both
      // (https://repost.aws/knowledge-center/athena-service-quota-errors), and both pass once a slot or the rate frees.
      retrier(ATHENA_THROTTLE_ERRORS, options.athenaThrottleRetry),
      retrier(['Athena.InternalServerException'], options.athenaErrorRetry),
    ],
    // The default ResultPath ($): the {Error, Cause} replaces the input, so the query text is not carried on (a
    // failed query's Cause, Athena's answer with the query in it, is cut by Step Functions to 32,768 characters).
    Catch: [{ ErrorEquals: ['States.ALL'], Next: wrapQueryFailure }],
    Next: deliverCallback,
  });

  return {
    Comment: 'Runs one Athena query and delivers its outcome to the caller\'s callback URL. No polling: .sync waits.',
    StartAt: hasExecutionParameters,
    States: {
      [hasExecutionParameters]: {
        Type: 'Choice',
        Comment: 'ExecutionParameters, when given, must hold at least one value, and a Parameters path cannot be optional: one start state each.',
        Choices: [{ Variable: '$.ExecutionParameters', IsPresent: true, Next: startParameterizedQuery }],
        Default: startQuery,
      },
      [startQuery]: startState(false),
      [startParameterizedQuery]: startState(true),
      [wrapQueryFailure]: {
        Type: 'Pass',
        Comment: 'Puts the caught {Error, Cause} where DeliverCallback reads the outcome.',
        Parameters: { 'QueryOutcome.$': '$', RetryAfter: { Waits: 0 } },
        Next: deliverCallback,
      },
      ...deliveryStates(options, QUERY_DELIVERY),
    },
  };
}

/**
 * Builds the cancellation machine's definition: BuildCancelledOutcome → DeliverCallback → end, with the same delivery,
 * retry and dead-letter states as the query machine. The query API function starts it when a query is cancelled
 * before Athena started it (it stops the query's execution first, which would otherwise send nothing), with the input
 * `{ExecutionArn, ExecutionStartTime, CallbackUrl}` of the stopped execution and the same execution name. The callback
 * is the CANCELLED outcome of the original execution: its ExecutionArn, start time and webhook-id. Two transitions.
 */
export function buildCancellationDefinition(options: DeliveryDefinitionOptions): AslDefinition {
  const { buildCancelledOutcome, deliverCallback } = STATE_NAMES;
  return {
    Comment: 'Delivers the CANCELLED callback of a query cancelled before it started, as the execution it was started for.',
    StartAt: buildCancelledOutcome,
    States: {
      [buildCancelledOutcome]: {
        Type: 'Pass',
        Comment: 'The outcome of the stopped execution: CANCELLED, completed when this execution started (the moment of the cancel).',
        Parameters: {
          QueryOutcome: {
            QueryExecution: { Status: { State: 'CANCELLED', StateChangeReason: CANCELLED_BEFORE_START_REASON, 'CompletionDateTime.$': '$$.Execution.StartTime' } },
          },
          RetryAfter: { Waits: 0 },
        },
        Next: deliverCallback,
      },
      ...deliveryStates(options, CANCELLATION_DELIVERY),
    },
  };
}

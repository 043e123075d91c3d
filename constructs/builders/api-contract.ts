/**
 * The HTTP contract of the query API: routes, the JSON-schema request model, the identifiers the API accepts, and the
 * arithmetic of the largest query that fits Step Functions' payload quota. Pure: the construct turns these into
 * aws_api_gateway_* resources, the query API function (handler/api/) re-checks every request with the same rules, and
 * the offline twin serves the synthesized result.
 */

/**
 * Route paths accepting a query (`POST`). `queries` is the documented one; `invocation` is the seed sample's path,
 * kept as an alias with the same contract so clients of the sample keep working.
 */
export const QUERY_ROUTES = ['queries', 'invocation'] as const;

/** The name of the path parameter holding a query id (`/queries/{id}`). */
export const QUERY_ID_PARAMETER = 'id';

/** What a route does. */
export type ApiOperation = 'submit' | 'status' | 'cancel' | 'result';

/** One method of the API. */
export interface ApiRoute {
  readonly method: 'POST' | 'GET' | 'DELETE';
  /** Resource path as API Gateway writes it (`/queries/{id}`). */
  readonly path: string;
  readonly operation: ApiOperation;
}

/**
 * Every method of the API, each served by the query API function through a Lambda proxy integration.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 */
export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'POST', path: '/queries', operation: 'submit' },
  { method: 'POST', path: '/invocation', operation: 'submit' },
  { method: 'GET', path: `/queries/{${QUERY_ID_PARAMETER}}`, operation: 'status' },
  { method: 'DELETE', path: `/queries/{${QUERY_ID_PARAMETER}}`, operation: 'cancel' },
  { method: 'GET', path: `/queries/{${QUERY_ID_PARAMETER}}/result`, operation: 'result' },
];

/** The only request content type accepted. Others get 415 (passthrough NEVER). */
export const REQUEST_CONTENT_TYPE = 'application/json';

/** The optional request header that makes a POST idempotent (the IETF httpapi draft's name). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * Idempotency keys and query ids: 1 to 80 letters, digits, `_` or `-`. A safe subset of the characters Step Functions
 * accepts in execution names (which also take other punctuation and non-ASCII letters), so a key is usable as the
 * execution name as it is, and an id never needs escaping in a URL path. API Gateway request ids (the names of
 * executions started without a key) are UUIDs, which match.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#StepFunctions-StartExecution-request-name
 * https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/
 */
export const QUERY_ID_PATTERN = '^[A-Za-z0-9_-]{1,80}$';

/** The rule of {@link QUERY_ID_PATTERN}, in words, for messages. */
export const QUERY_ID_RULE = 'be 1 to 80 characters, each a letter, a digit, "_" or "-"';

/** Largest query string Athena accepts, in bytes. https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html */
export const MAX_QUERY_BYTES = 262144;

/** Longest callback URL accepted. */
export const MAX_CALLBACK_URL_LENGTH = 2048;

/**
 * The shape of a callback URL: https:// then a host, in printable ASCII (international names and paths are percent- or
 * punycode-encoded). Checked by the query API function (handler/api/request.ts), not by the request model: API
 * Gateway's validator quotes a failing value whole in its 400, query string (and the token in it) included.
 */
export const CALLBACK_URL_PATTERN = '^https://[!-.0-9;=A-Z\\[\\]^-~]+(:[0-9]{1,5})?([/?#][!-~]*)?$';

/**
 * Longest value of one execution parameter, in characters, and the fewest: Athena's limits
 * (`ExecutionParameters`: a list of at least one string of 1 to 1024 characters; the model sets no largest count).
 * https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html#athena-StartQueryExecution-request-ExecutionParameters
 */
export const EXECUTION_PARAMETER_LENGTH = { min: 1, max: 1024 } as const;

/**
 * `ResultReuseMaxAgeMinutes`: 0 (no reuse) to Athena's largest `MaxAgeInMinutes`, 10,080 (7 days).
 * https://docs.aws.amazon.com/athena/latest/APIReference/API_ResultReuseByAgeConfiguration.html
 */
export const RESULT_REUSE_MAX_AGE_MINUTES = { min: 0, max: 10080 } as const;

/**
 * Text a caller may put in the query and the execution parameters: no C0 control character but tab, line feed and
 * carriage return. Each character then costs at most 2 bytes of JSON escaping (`\"`, `\\`, `\t`, `\n`, `\r`), never
 * the 6 of `\u0001`, and nothing SQS or a log line would choke on travels on.
 */
export const TEXT_PATTERN = '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$';

// ---------------------------------------------------------------------------------------------------------------
// The execution input, and the arithmetic of the largest one
// ---------------------------------------------------------------------------------------------------------------

/** A request body after validation. */
export interface QueryRequest {
  readonly Query: string;
  readonly CallbackUrl: string;
  readonly ExecutionParameters?: readonly string[];
  readonly ResultReuseMaxAgeMinutes?: number;
}

/** `ResultReuseConfiguration` as StartQueryExecution takes it. */
export interface ResultReuseConfiguration {
  readonly ResultReuseByAgeConfiguration: { readonly Enabled: boolean; readonly MaxAgeInMinutes?: number };
}

/**
 * The execution input the query API function starts the state machine with. The state machine passes `Query`,
 * `ExecutionParameters` and `ResultReuseConfiguration` to StartQueryExecution (constructs/builders/asl.ts) and reads
 * `CallbackUrl` when it delivers the outcome.
 */
export interface ExecutionInput {
  readonly Query: string;
  readonly CallbackUrl: string;
  readonly ExecutionParameters?: readonly string[];
  readonly ResultReuseConfiguration: ResultReuseConfiguration;
}

/**
 * The execution input of a request, keys always in the same order: the same request gives the same text, which is how
 * a retried idempotent POST is recognised (its input equals the execution's). `ResultReuseMaxAgeMinutes` absent or 0
 * disables reuse.
 */
export function executionInputOf(request: QueryRequest): ExecutionInput {
  const minutes = request.ResultReuseMaxAgeMinutes ?? 0;
  return {
    Query: request.Query,
    CallbackUrl: request.CallbackUrl,
    ...(request.ExecutionParameters !== undefined && { ExecutionParameters: [...request.ExecutionParameters] }),
    ResultReuseConfiguration: { ResultReuseByAgeConfiguration: minutes > 0 ? { Enabled: true, MaxAgeInMinutes: minutes } : { Enabled: false } },
  };
}

/** Bytes of a text in UTF-8 (what Step Functions counts). */
export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Bytes of the execution input of a request, exactly as the function sends it. */
export function executionInputBytes(request: QueryRequest): number {
  return utf8Bytes(JSON.stringify(executionInputOf(request)));
}

/**
 * Step Functions' payload quota: the execution input, every state's input and output, a task's parameters and a
 * connector's result are each at most 256 KiB of UTF-8. A payload over it fails the execution with
 * States.DataLimitExceeded, which no Retry or Catch handles: the caller would get no callback and no dead-letter record.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-task-executions
 */
export const STEP_FUNCTIONS_PAYLOAD_BYTES = 262144;

/**
 * Why the execution input must stay below the quota: the query text is in the input, and in two payloads after it,
 * both holding more than the input holds besides the query.
 *
 * - StartQuery's parameters: QueryString and ExecutionParameters as in the input, plus WorkGroup, the
 *   ClientRequestToken, ResultConfiguration (output location, KMS key) and QueryExecutionContext.
 * - StartQuery's connector result, the GetQueryExecution answer `.sync` returns: Athena echoes Query and
 *   ExecutionParameters, and adds the fields below. (Its ResultSelector then keeps only what later states need, so
 *   the query travels no further; a failed query's Cause is cut by Step Functions to 32,768 characters.)
 *
 * The input holds Query and ExecutionParameters in the same JSON form, so an input of at most
 * {@link MAX_EXECUTION_INPUT_BYTES} keeps both payloads under the quota, whatever the callback URL. Each entry is the
 * field's largest JSON size, in bytes (its AWS limit, doubled where its characters could be escaped).
 * https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecution.html
 */
export const QUERY_EXECUTION_FIELD_BYTES = {
  /** About 30 keys with their quotes, colons, commas and braces. */
  keysAndPunctuation: 1024,
  /** QueryExecutionId (128), StatementType and SubstatementType (64). */
  identifiers: 128 + 64,
  /** WorkGroup: 128 characters. */
  workGroup: 128,
  /** ResultConfiguration.OutputLocation: `s3://`, a 63-character bucket and a key of at most 1,024 bytes, escaped. */
  outputLocation: 2 * (5 + 63 + 1 + 1024),
  /** ResultConfiguration: a KMS key ARN (2,048), the expected bucket owner (12) and the ACL option (32). */
  encryptionAndAcl: 2048 + 12 + 32,
  /** ManagedQueryResultsConfiguration: its own KMS key ARN (2,048) and flag. */
  managedResults: 2048 + 32,
  /** QueryExecutionContext: Database (255) and Catalog (256). */
  context: 255 + 256,
  /** ResultReuseConfiguration and QueryResultsS3AccessGrantsConfiguration. */
  reuseAndAccessGrants: 96 + 128,
  /** Status: state and two timestamps (a SUCCEEDED query has no reason or error). */
  status: 128,
  /** Statistics: about a dozen counters and ResultReuseInformation. */
  statistics: 1024,
  /** EngineVersion: two names of at most 128 characters. */
  engineVersion: 256,
  /** What Step Functions adds to an integration's answer (SdkHttpMetadata with its headers, SdkResponseMetadata). */
  stepFunctionsMetadata: 2048,
} as const;

/** The room kept for those fields, rounded up from their sum (11,893 bytes) with margin for fields Athena may add. */
export const QUERY_EXECUTION_RESERVE_BYTES = 16384;

/**
 * The largest execution input, in bytes of UTF-8: 262,144 - 16,384 = 245,760. The function refuses a larger request
 * with 413 and both numbers.
 */
export const MAX_EXECUTION_INPUT_BYTES = STEP_FUNCTIONS_PAYLOAD_BYTES - QUERY_EXECUTION_RESERVE_BYTES;

/** The shortest callback URL accepted (CALLBACK_URL_PATTERN). */
const SHORTEST_CALLBACK_URL = 'https://a';

/** Bytes of the smallest execution input with an empty query: what every input holds besides the query. */
const MIN_INPUT_BYTES_BESIDES_QUERY = executionInputBytes({ Query: '', CallbackUrl: SHORTEST_CALLBACK_URL });

/**
 * The longest Query the model lets through, in characters: the most that can ever fit, with every character one byte
 * (ASCII that needs no escaping) and the shortest callback URL, 245,760 - 117 = 245,643 characters (the input of an empty
 * query and `https://a` takes 117 bytes); still below Athena's
 * own 262,144 bytes, which no longer binds. A query of many multi-byte characters (at most 4 bytes each, or 2 for an
 * escaped `"`, `\`, tab or line break) reaches the byte limit with fewer characters; the function counts the exact bytes
 * and answers 413 then. The model's count is of characters (code points) because JSON Schema's `maxLength` is.
 */
export const MAX_QUERY_CHARACTERS = Math.min(MAX_QUERY_BYTES, MAX_EXECUTION_INPUT_BYTES - MIN_INPUT_BYTES_BESIDES_QUERY);

/**
 * The most execution parameters that can ever fit: each costs at least 4 bytes (`"x",`) after the shortest query and
 * callback URL and the key itself. Athena sets no largest count; this is the model's `maxItems`.
 */
export const MAX_EXECUTION_PARAMETERS = Math.floor(
  (MAX_EXECUTION_INPUT_BYTES - executionInputBytes({ Query: 'x', CallbackUrl: SHORTEST_CALLBACK_URL, ExecutionParameters: [] }) + 1) / 4,
);

/** A JSON Schema draft-04 document, the dialect API Gateway models use. */
export type JsonSchemaDraft4 = { readonly [key: string]: JsonSchemaValue };
type JsonSchemaValue = string | number | boolean | JsonSchemaDraft4 | readonly JsonSchemaValue[];

/**
 * The request model of `POST /queries` (and `/invocation`). API Gateway validates bodies against it (draft-04) before
 * the function runs; the function re-checks them with the same rules (handler/api/request.ts) and counts the exact bytes.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/models-mappings-models.html
 *
 * `maxLength` counts characters (see {@link MAX_QUERY_CHARACTERS}).
 */
export function buildRequestModel(): JsonSchemaDraft4 {
  return {
    $schema: 'http://json-schema.org/draft-04/schema#',
    title: 'AsyncAthenaQueryRequest',
    type: 'object',
    required: ['Query', 'CallbackUrl'],
    additionalProperties: false,
    properties: {
      Query: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_QUERY_CHARACTERS,
        allOf: [
          // At least one character that is not white space.
          { pattern: '\\S' },
          { pattern: TEXT_PATTERN },
        ],
        description: 'The SQL to run in Athena, with a ? for each execution parameter.',
      },
      CallbackUrl: {
        type: 'string',
        // Only the type: the length and the https:// shape (CALLBACK_URL_PATTERN) are checked by the function, whose
        // 400 shows the URL without its query string or user info. API Gateway's validator would quote it whole.
        description: 'The https URL the outcome is POSTed to.',
      },
      ExecutionParameters: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_EXECUTION_PARAMETERS,
        items: { type: 'string', minLength: EXECUTION_PARAMETER_LENGTH.min, maxLength: EXECUTION_PARAMETER_LENGTH.max, pattern: TEXT_PATTERN },
        description: "Values of the query's ? placeholders, in order, each an Athena literal ('text' in single quotes, 42, DATE '2026-01-31').",
      },
      ResultReuseMaxAgeMinutes: {
        type: 'integer',
        minimum: RESULT_REUSE_MAX_AGE_MINUTES.min,
        maximum: RESULT_REUSE_MAX_AGE_MINUTES.max,
        description: 'Reuse the result of the same query run at most this many minutes ago (Athena result reuse); 0 or absent: never.',
      },
    },
  };
}

/**
 * The access-log format: one JSON object per request, with the request id, caller identity and status; never a
 * request body or a value taken from one.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html#apigateway-cloudwatch-log-formats
 */
export function buildAccessLogFormat(): string {
  const fields: Record<string, string> = {
    requestId: '$context.requestId',
    extendedRequestId: '$context.extendedRequestId',
    ip: '$context.identity.sourceIp',
    caller: '$context.identity.caller',
    user: '$context.identity.user',
    userArn: '$context.identity.userArn',
    requestTime: '$context.requestTime',
    httpMethod: '$context.httpMethod',
    resourcePath: '$context.resourcePath',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    integrationStatus: '$context.integration.status',
    integrationLatency: '$context.integration.latency',
    errorMessage: '$context.error.message',
    // Not $context.error.validationErrorString: API Gateway's validator quotes the offending values, and a callback
    // URL's query string (where tokens live) must never reach a log. The caller sees the details in the 400 answer.
  };
  return JSON.stringify(fields);
}

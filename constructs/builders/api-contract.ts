/**
 * The HTTP contract of the query API: routes, the JSON-schema request model, and the API Gateway mapping templates.
 * Pure: the construct turns these into aws_api_gateway_* resources, the offline twin serves them.
 */

/**
 * Route paths accepting a query. `queries` is the documented one; `invocation` is the seed sample's path, kept as an
 * alias with the same contract so clients of the sample keep working.
 */
export const QUERY_ROUTES = ['queries', 'invocation'] as const;

/** The only request content type accepted. Others get 415 (passthrough NEVER). */
export const REQUEST_CONTENT_TYPE = 'application/json';

/** Largest query string Athena accepts, in bytes. https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html */
export const MAX_QUERY_BYTES = 262144;

/**
 * Longest Query the API accepts, in characters: less than Athena's limit, because the query travels through Step
 * Functions, whose state payloads are limited to 256 KiB (262,144 bytes), and a payload over it fails with
 * States.DataLimitExceeded, which no Catch handles: the caller would get no callback and no dead-letter record.
 *
 * Worst case per character, as JSON in UTF-8: 4 bytes (a character outside the BMP; `"` and `\` escape to 2; C0
 * control characters, which would escape to 6, are refused). The largest state is the dead-letter path: the query
 * execution (45,000 x 4 = 180,000 bytes of query plus a few KB of Athena fields), the callback URL (2,048 x 2), and
 * the callbacker's error (Step Functions keeps at most 32,768 characters of a cause, up to 65,536 bytes once
 * escaped): about 252 KB, under 262,144.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-task-executions
 */
export const MAX_QUERY_CHARACTERS = 45000;

/** Longest callback URL accepted. */
export const MAX_CALLBACK_URL_LENGTH = 2048;

/** A JSON Schema draft-04 document, the dialect API Gateway models use. */
export type JsonSchemaDraft4 = { readonly [key: string]: JsonSchemaValue };
type JsonSchemaValue = string | number | boolean | JsonSchemaDraft4 | readonly JsonSchemaValue[];

/**
 * The request model. API Gateway validates bodies against it (draft-04) before any execution starts.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/models-mappings-models.html
 *
 * `maxLength` counts characters (see {@link MAX_QUERY_CHARACTERS} for why it is below Athena's 262,144 bytes).
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
          // No C0 control character but tab, line feed and carriage return (see MAX_QUERY_CHARACTERS).
          { pattern: '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$' },
        ],
        description: 'The SQL to run in Athena.',
      },
      CallbackUrl: {
        type: 'string',
        maxLength: MAX_CALLBACK_URL_LENGTH,
        // https:// then a host, in printable ASCII (international names and paths are percent- or punycode-encoded);
        // API Gateway's draft-04 validator has no "format: uri", so the shape is a pattern.
        pattern: '^https://[!-.0-9;=A-Z\\[\\]^-~]+(:[0-9]{1,5})?([/?#][!-~]*)?$',
        description: 'The https URL the outcome is POSTed to.',
      },
    },
  };
}

/**
 * The request mapping template: the POST body becomes a StartExecution request.
 *
 * `$util.escapeJavaScript` escapes `'` as `\'`, which is not valid JSON and makes StartExecution fail with a
 * SerializationException on any query with an apostrophe. AWS's documented fix is to turn `\'` back into `'` with
 * Java's regex `replaceAll`. https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html#util-template-reference
 *
 * The execution name is the API Gateway request id: unique per request, 36 characters, allowed in execution names.
 * `$context.requestId` is written without braces on purpose: `${...}` would be Terraform interpolation.
 */
export function buildStartExecutionTemplate(stateMachineArn: string): string {
  if (/["\\]/.test(stateMachineArn)) throw new Error(`stateMachineArn must not contain quotes or backslashes, got ${stateMachineArn}`);
  return [
    '{',
    `  "stateMachineArn": "${stateMachineArn}",`,
    '  "name": "$context.requestId",',
    // Velocity passes string literals through unescaped, so Java's replaceAll receives the regex \\' (a backslash
    // followed by a quote) and the replacement '.
    String.raw`  "input": "$util.escapeJavaScript($input.json('$')).replaceAll("\\'", "'")"`,
    '}',
  ].join('\n');
}

/** Maps StartExecution's 200 answer to the seed's response: `{"executionArn", "startDate"}`. */
export function buildSuccessResponseTemplate(): string {
  return ['{', '  "executionArn": $input.json(\'$.executionArn\'),', '  "startDate": $input.json(\'$.startDate\')', '}'].join('\n');
}

/**
 * Maps a StartExecution error to a JSON error body. Step Functions answers errors with
 * `{"__type": "...#ExecutionLimitExceeded", "message": "..."}`.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#API_StartExecution_Errors
 */
export function buildErrorResponseTemplate(): string {
  return [
    '{',
    '  "message": $input.json(\'$.message\'),',
    '  "type": $input.json(\'$.__type\'),',
    '  "requestId": "$context.requestId"',
    '}',
  ].join('\n');
}

/** One integration response: a backend status pattern and the status the client sees. */
export interface IntegrationResponseRule {
  /** Regex on the backend HTTP status; undefined for the default response. */
  readonly selectionPattern?: string;
  /** Status code returned to the client. */
  readonly statusCode: '200' | '400' | '500';
  /** Mapping template for the body. */
  readonly template: string;
}

/**
 * How StartExecution answers map to client responses. For AWS-service integrations the selection pattern is matched
 * against the backend's HTTP status, so a 4xx from Step Functions is a client 400 and a 5xx a 500; never a 200.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-integration-settings-integration-response.html
 */
export function buildIntegrationResponses(): readonly IntegrationResponseRule[] {
  return [
    { statusCode: '200', template: buildSuccessResponseTemplate() },
    { selectionPattern: '4\\d{2}', statusCode: '400', template: buildErrorResponseTemplate() },
    { selectionPattern: '5\\d{2}', statusCode: '500', template: buildErrorResponseTemplate() },
  ];
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

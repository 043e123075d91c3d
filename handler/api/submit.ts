/**
 * `POST /queries` (and the seed's `POST /invocation`): checks the body, builds the execution input, and starts the
 * query's execution, named after the `Idempotency-Key` when one is given (else after the API Gateway request id).
 *
 * Idempotency: Step Functions itself answers a StartExecution of a running execution's name and input with that
 * execution, but refuses the name of a closed one (ExecutionAlreadyExists) whatever the input. So on
 * ExecutionAlreadyExists the function reads the execution (DescribeExecution) and compares inputs: the same input (the
 * same request) answers 200 with that execution and starts nothing; another input is a 409.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
import {
  executionInputOf,
  IDEMPOTENCY_KEY_HEADER,
  MAX_EXECUTION_INPUT_BYTES,
  QUERY_EXECUTION_RESERVE_BYTES,
  STEP_FUNCTIONS_PAYLOAD_BYTES,
  utf8Bytes,
} from '../../constructs/builders/api-contract';
import { describeExecution, startExecution } from './aws';
import { executionArnOf, type QueryApiConfig } from './config';
import { InconsistentStateError, PayloadTooLargeError, QueryConflictError, UnsupportedMediaTypeError } from './errors';
import { bodyOf, headerOf, type ProxyEvent } from './proxy';
import { checkIdempotencyKey, parseQueryRequest } from './request';

/** The answer of a submit: the seed's fields plus the query id. */
export interface SubmitAnswer {
  readonly executionArn: string;
  /** Epoch seconds, as the seed's response has it. */
  readonly startDate: number;
  readonly queryId: string;
}

/** A request without Content-Type is read as JSON, as API Gateway does when it picks the model. */
function checkContentType(event: ProxyEvent): void {
  const contentType = headerOf(event, 'Content-Type');
  if (contentType === undefined) return;
  if (contentType.split(';')[0].trim().toLowerCase() !== 'application/json') throw new UnsupportedMediaTypeError(contentType);
}

/**
 * Serves a submit.
 *
 * @param requestId the API Gateway request id: the execution name when no key is given
 * @throws InvalidRequestError, UnsupportedMediaTypeError, PayloadTooLargeError, QueryConflictError, ServiceCallError
 */
export async function submitQuery(event: ProxyEvent, requestId: string, config: QueryApiConfig): Promise<SubmitAnswer> {
  checkContentType(event);
  const request = parseQueryRequest(bodyOf(event));
  const key = checkIdempotencyKey(headerOf(event, IDEMPOTENCY_KEY_HEADER));
  const name = key ?? requestId;

  const input = JSON.stringify(executionInputOf(request));
  const bytes = utf8Bytes(input);
  if (bytes > MAX_EXECUTION_INPUT_BYTES) {
    throw new PayloadTooLargeError(
      `The execution input of this request would be ${bytes} bytes of UTF-8, and at most ${MAX_EXECUTION_INPUT_BYTES} are allowed: ` +
        `Step Functions' payload quota of ${STEP_FUNCTIONS_PAYLOAD_BYTES} bytes less ${QUERY_EXECUTION_RESERVE_BYTES} kept for the fields Athena's answer ` +
        'adds around the query. Shorten Query or ExecutionParameters (multi-byte characters count up to 4 bytes each).',
      { allowedBytes: MAX_EXECUTION_INPUT_BYTES, receivedBytes: bytes },
    );
  }

  const started = await startExecution(config.stateMachineArn, name, input);
  if (started.started) return { executionArn: started.executionArn, startDate: started.startDate.getTime() / 1000, queryId: name };

  // ExecutionAlreadyExists: the name is taken by a closed execution (or, without a key, by a request id reused).
  const executionArn = executionArnOf(config.stateMachineArn, name);
  const existing = await describeExecution(executionArn);
  if (existing === undefined) throw new InconsistentStateError(`Step Functions answered ExecutionAlreadyExists for ${executionArn}, then found no such execution; retry the request`);
  if (key !== undefined && existing.input === input) {
    return { executionArn, startDate: existing.startDate.getTime() / 1000, queryId: name };
  }
  throw new QueryConflictError(
    key === undefined
      ? `An execution named after this request id already exists (${executionArn}); retry the request`
      : `${IDEMPOTENCY_KEY_HEADER} '${key}' was already used for another request (query ${name}, ${existing.status}); the same key must come with the same body. Use a new key for a new query.`,
    { queryId: name, executionArn },
  );
}

/**
 * The query API function: the Lambda behind every route of the API (Lambda proxy integrations), bundled by
 * `npm run build` into dist/query-api/ (scripts/build-callbacker.ts).
 *
 * Routes (constructs/builders/api-contract.ts API_ROUTES), all IAM-authenticated by API Gateway first:
 * - `POST /queries`, `POST /invocation`: submit (handler/api/submit.ts);
 * - `GET /queries/{id}`: status; `DELETE /queries/{id}`: cancel; `GET /queries/{id}/result`: a fresh result link
 *   (handler/api/query-routes.ts).
 *
 * Every answer is JSON; errors are `{"message", "requestId", ...}` with the field, the rule and the value named. No
 * request body, callback URL or presigned URL is logged: one line per request with its route, status and query id.
 */
import { API_ROUTES, type ApiOperation, QUERY_ID_PARAMETER } from '../../constructs/builders/api-contract';
import { scrubError, secretPiecesOf, withoutSecrets } from '../redact';
import { loadQueryApiConfig, type QueryApiConfig } from './config';
import { ApiRequestError, ServiceCallError } from './errors';
import { bodyOf, jsonResult, type ProxyEvent, type ProxyResult } from './proxy';
import { cancelQuery, queryStatus, resultLink } from './query-routes';
import { checkQueryId } from './request';
import { submitQuery } from './submit';

/** Read on the first request rather than at import, so a bad variable is a 500 naming it, not a crashed sandbox. */
let config: QueryApiConfig | undefined;

/** The parts of Lambda's context the function reads. */
interface LambdaContext {
  readonly awsRequestId?: string;
}

function operationOf(event: ProxyEvent): ApiOperation | undefined {
  return API_ROUTES.find((route) => route.method === event.httpMethod && route.path === event.resource)?.operation;
}

async function serve(operation: ApiOperation, event: ProxyEvent, requestId: string, settings: QueryApiConfig): Promise<{ status: number; body: Record<string, unknown> }> {
  if (operation === 'submit') return { status: 200, body: { ...(await submitQuery(event, requestId, settings)) } };
  const queryId = checkQueryId(event.pathParameters?.[QUERY_ID_PARAMETER]);
  switch (operation) {
    case 'status':
      return { status: 200, body: { ...(await queryStatus(queryId, settings)) } };
    case 'cancel':
      return { status: 202, body: { ...(await cancelQuery(queryId, settings)) } };
    case 'result':
      return { status: 200, body: { ...(await resultLink(queryId, settings)) } };
  }
}

/** The secret pieces (token-like query values, user info) of the body's CallbackUrl, to keep out of messages and logs. */
function callbackSecretsOf(event: ProxyEvent): string[] {
  try {
    const body = JSON.parse(bodyOf(event)) as { CallbackUrl?: unknown };
    return typeof body?.CallbackUrl === 'string' ? secretPiecesOf(body.CallbackUrl) : [];
  } catch {
    // Not JSON: nothing to scrub.
    return [];
  }
}

/** The Lambda handler. */
export async function handler(event: ProxyEvent, context: LambdaContext = {}): Promise<ProxyResult> {
  const requestId = event.requestContext?.requestId ?? context.awsRequestId ?? 'unknown';
  const operation = operationOf(event);
  let status = 500;
  let queryId: unknown;
  try {
    if (operation === undefined) {
      status = 404;
      return jsonResult(404, { message: `No route ${String(event.httpMethod).slice(0, 10)} ${String(event.resource).slice(0, 100)} in this API`, requestId });
    }
    config ??= loadQueryApiConfig(process.env);
    const answer = await serve(operation, event, requestId, config);
    status = answer.status;
    queryId = answer.body.queryId;
    return jsonResult(answer.status, { ...answer.body });
  } catch (error) {
    const pieces = callbackSecretsOf(event);
    if (error instanceof ApiRequestError) {
      status = error.statusCode;
      queryId = error.details.queryId;
      // A service's message (StartExecution's, say) could quote the input: the callback URL's secrets are removed.
      // The function's own messages already show URLs redacted.
      const message = error instanceof ServiceCallError ? withoutSecrets(error.message, pieces) : error.message;
      return jsonResult(error.statusCode, { message, requestId, ...error.details }, error.headers);
    }
    // A bug or an unexpected runtime failure: logged with any callback URL secrets removed, answered without detail.
    const scrubbed = scrubError(error, pieces) as Error;
    console.error(JSON.stringify({ message: 'unexpected error', requestId, operation, error: `${scrubbed?.name}: ${scrubbed?.message}` }));
    return jsonResult(500, { message: `Internal error (${scrubbed?.name ?? 'Error'}); quote the request id when reporting it`, requestId });
  } finally {
    console.log(JSON.stringify({ message: 'request', requestId, operation: operation ?? 'none', status, ...(typeof queryId === 'string' && { queryId }) }));
  }
}

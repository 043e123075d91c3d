/**
 * The Lambda proxy integration's event and result, as API Gateway REST APIs send and read them (payload format 1.0),
 * and the JSON answers the query API function gives.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format
 */

/** The parts of the proxy event the function reads. */
export interface ProxyEvent {
  /** The resource path of the route, as defined in the API (`/queries/{id}`). */
  readonly resource: string;
  readonly httpMethod: string;
  /** Header values by the name the client sent (API Gateway keeps its case). */
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly pathParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly requestContext?: { readonly requestId?: string } | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

/** What the function answers; API Gateway turns it into the HTTP response. */
export interface ProxyResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A header's value, found case-insensitively; undefined when absent. */
export function headerOf(event: ProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const entry = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === wanted);
  return entry?.[1] ?? undefined;
}

/** The body as text (API Gateway base64-encodes it only for binary media types, which this API has none of). */
export function bodyOf(event: ProxyEvent): string {
  if (event.body === undefined || event.body === null) return '';
  return event.isBase64Encoded === true ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** A JSON answer. The request id is in every body, so a caller can quote it. */
export function jsonResult(statusCode: number, body: Readonly<Record<string, unknown>>, headers: Readonly<Record<string, string>> = {}): ProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

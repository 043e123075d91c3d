/**
 * The synthesized REST API, served locally: the routes and methods of the stage (path parameters such as `{id}`
 * included), AWS_IAM (SigV4) authentication, the request validators (the JSON-schema model of a body, required
 * request parameters), Lambda proxy integrations (AWS_PROXY) checked against the stack's Lambda permissions, the
 * customised gateway responses, stage throttling and the access-log format.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 *
 * A proxy integration invokes the function with API Gateway's event (payload format 1.0) and turns its answer into
 * the HTTP response; an answer that is not `{statusCode, headers?, body?}`, a function error or a timeout is a 502 or
 * 504 as in AWS, and a route whose function has no permission for this API's source ARN is a 500.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { RealTimeClock, type TwinClock, type TwinTimer } from '../clock/twin-clock';
import { BodyTooLargeError, flatHeaders, listenLocally, readBody, type RunningServer } from '../wiring/http-util';
import { RequestModel, validationErrorString } from './request-model';
import { type StaticCredentials, verifySignature } from '../iam/sigv4-verifier';
import type { LambdaService } from '../lambda/lambda-sandbox';
import type { ApiRouteArtifact, LambdaPermissionArtifact, TwinArtifacts } from '../wiring/stack-artifacts';
import { renderMappingTemplate, type TemplateContext } from './vtl';

/** Options of {@link startApiGateway}. */
export interface ApiGatewayOptions {
  readonly api: TwinArtifacts['api'];
  readonly region: string;
  readonly accountId: string;
  /** Callers whose signatures are accepted (IAM users allowed execute-api:Invoke). */
  readonly callers: readonly (StaticCredentials & { readonly userArn: string })[];
  /** The functions proxy integrations invoke. */
  readonly functions: readonly LambdaService[];
  /** The stack's Lambda permissions: a proxy integration needs one letting API Gateway invoke its function. */
  readonly lambdaPermissions: readonly LambdaPermissionArtifact[];
  /**
   * Applies the stage's throttling (token bucket of `burstLimit`, refilled at `rateLimit` per second).
   *
   * @default true
   */
  readonly throttling?: boolean;
  /**
   * The twin clock: request times and the throttling bucket's refill.
   *
   * @default the wall clock
   */
  readonly clock?: TwinClock;
}

/** A running API. */
export interface LocalApiGateway {
  /** The stage URL, `http://127.0.0.1:<port>/<stage>`. */
  readonly stageUrl: string;
  /** One line per request, in the stage's access-log format. */
  readonly accessLog: readonly string[];
  close(): Promise<void>;
}

/** API Gateway's limit on a request body. https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** Status and message of each default gateway response. https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html */
const GATEWAY_RESPONSES: Readonly<Record<string, { status: number; message: string; errorType: string }>> = {
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: 'Missing Authentication Token', errorType: 'MissingAuthenticationTokenException' },
  INVALID_SIGNATURE: { status: 403, message: 'Forbidden', errorType: 'InvalidSignatureException' },
  BAD_REQUEST_BODY: { status: 400, message: 'Invalid request body', errorType: 'BadRequestException' },
  BAD_REQUEST_PARAMETERS: { status: 400, message: 'Invalid request parameters', errorType: 'BadRequestException' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported Media Type', errorType: 'UnsupportedMediaTypeException' },
  THROTTLED: { status: 429, message: 'Too Many Requests', errorType: 'TooManyRequestsException' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Too Long', errorType: 'RequestTooLongException' },
  DEFAULT_5XX: { status: 500, message: 'Internal server error', errorType: 'InternalServerErrorException' },
  BAD_GATEWAY: { status: 502, message: 'Internal server error', errorType: 'InternalServerErrorException' },
  INTEGRATION_TIMEOUT: { status: 504, message: 'Endpoint request timed out', errorType: 'InternalServerErrorException' },
};

/** The default template of every gateway response. */
const DEFAULT_GATEWAY_TEMPLATE = '{"message":$context.error.messageString}';

/** The stage's throttling: `burst` tokens, refilled at `rate` per second of twin time. */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly clock: TwinClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  take(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

function requestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** A resource path template (`/queries/{id}/result`) as a matcher of request paths, giving the path parameters. */
function pathMatcher(template: string): (path: string) => Record<string, string> | undefined {
  const names: string[] = [];
  const pattern = template.split('/').map((part) => {
    const parameter = /^\{([A-Za-z0-9_]+)\}$/.exec(part);
    if (parameter === null) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    names.push(parameter[1]);
    return '([^/]+)';
  });
  const regex = new RegExp(`^${pattern.join('/')}$`);
  return (path) => {
    const match = regex.exec(path);
    if (match === null) return undefined;
    return Object.fromEntries(names.map((name, i) => [name, safeDecode(match[i + 1])]));
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** IAM's ArnLike: `*` matches any characters, `?` one. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN */
function arnLike(pattern: string, value: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}

/** The function a proxy integration URI names: `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`. */
function functionOfUri(uri: string, region: string): string | undefined {
  const match = new RegExp(`^arn:[a-z-]+:apigateway:${region}:lambda:path/2015-03-31/functions/(.+)/invocations$`).exec(uri);
  return match?.[1];
}

/** What a function may answer a proxy integration with. */
interface ProxyAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The function's answer, or undefined when it is malformed (API Gateway then answers 502). */
function proxyAnswerOf(result: unknown): ProxyAnswer | undefined {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return undefined;
  const { statusCode, headers, body, isBase64Encoded } = result as Record<string, unknown>;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return undefined;
  if (headers !== undefined && (headers === null || typeof headers !== 'object' || Object.values(headers).some((v) => typeof v !== 'string'))) return undefined;
  if (body !== undefined && body !== null && typeof body !== 'string') return undefined;
  if (isBase64Encoded === true) return undefined;
  return { statusCode, headers: (headers ?? {}) as Record<string, string>, body: typeof body === 'string' ? body : '' };
}

/** Starts the API on 127.0.0.1. */
export async function startApiGateway(options: ApiGatewayOptions): Promise<LocalApiGateway> {
  const accessLog: string[] = [];
  const clock = options.clock ?? new RealTimeClock();
  // The stack's own API id (a stand-in Terraform evaluated), so the Lambda permissions' source ARNs name this API.
  const apiId = options.api.id;
  const models = new Map<ApiRouteArtifact, Map<string, RequestModel>>(
    options.api.routes.map((r) => [r, new Map(Object.entries(r.requestModels).map(([type, schema]) => [type, new RequestModel(schema)]))]),
  );
  const bucket =
    options.throttling !== false && options.api.throttling !== undefined ? new TokenBucket(options.api.throttling.rateLimit, options.api.throttling.burstLimit, clock) : undefined;
  const secretFor = (key: string): string | undefined => options.callers.find((c) => c.accessKeyId === key)?.secretAccessKey;
  const stagePrefix = `/${options.api.stageName}`;
  const matchers = options.api.routes.map((route) => ({ route, match: pathMatcher(route.path) }));

  const server = http.createServer((req, res) => {
    const started = clock.now();
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers = flatHeaders(req);
    const resourcePath = url.pathname.startsWith(`${stagePrefix}/`) ? url.pathname.slice(stagePrefix.length) : undefined;
    let pathParameters: Record<string, string> = {};
    const route = matchers.find((m) => {
      if (m.route.httpMethod !== req.method || resourcePath === undefined) return false;
      const found = m.match(resourcePath);
      if (found !== undefined) pathParameters = found;
      return found !== undefined;
    })?.route;
    const context: Record<string, string | number | TemplateContext> = {
      requestId,
      extendedRequestId: randomBytes(6).toString('base64url'),
      accountId: options.accountId,
      apiId,
      stage: options.api.stageName,
      resourcePath: route?.path ?? '',
      path: url.pathname,
      httpMethod: req.method ?? '',
      protocol: `HTTP/${req.httpVersion}`,
      domainName: headers.host ?? '',
      domainPrefix: '',
      requestTime: requestTime(new Date(started)),
      requestTimeEpoch: started,
      identity: { sourceIp: req.socket.remoteAddress ?? '', caller: '', user: '', userArn: '', accessKey: '', accountId: '', userAgent: headers['user-agent'] ?? '', cognitoIdentityId: '' },
      error: { message: '', messageString: '', responseType: '', validationErrorString: '' },
      integration: { status: '', latency: '', error: '' },
      status: '',
      responseLength: '',
    };

    const send = (status: number, body: string, extraHeaders: Record<string, string> = {}): void => {
      context.status = status;
      context.responseLength = Buffer.byteLength(body, 'utf8');
      res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId, 'x-amz-apigw-id': String(context.extendedRequestId), ...extraHeaders });
      res.end(body);
      if (options.api.accessLogFormat !== undefined) accessLog.push(renderMappingTemplate(options.api.accessLogFormat, { body: '' }, context));
    };
    const gatewayResponse = (type: string, message?: string, validationErrors?: readonly string[]): void => {
      const defaults = GATEWAY_RESPONSES[type] ?? GATEWAY_RESPONSES.DEFAULT_5XX;
      const custom = options.api.gatewayResponses[type];
      const text = message ?? defaults.message;
      context.error = {
        message: text,
        messageString: JSON.stringify(text),
        responseType: type,
        validationErrorString: validationErrors === undefined ? '' : validationErrorString(validationErrors),
      };
      const template = custom?.responseTemplates['application/json'] ?? DEFAULT_GATEWAY_TEMPLATE;
      send(custom === undefined ? defaults.status : Number(custom.statusCode), renderMappingTemplate(template, { body: '' }, context), { 'x-amzn-ErrorType': defaults.errorType });
    };

    const handle = async (): Promise<void> => {
      if (route === undefined) return gatewayResponse('MISSING_AUTHENTICATION_TOKEN');
      let body: string;
      try {
        body = await readBody(req, MAX_PAYLOAD_BYTES);
      } catch (error) {
        if (error instanceof BodyTooLargeError) return gatewayResponse('REQUEST_TOO_LARGE');
        throw error;
      }
      if (bucket !== undefined && !bucket.take()) return gatewayResponse('THROTTLED');
      if (route.authorization === 'AWS_IAM') {
        const verdict = await verifySignature({ method: req.method ?? '', url, headers, body }, { region: options.region, service: 'execute-api', secretFor, now: clock.now() });
        if (!verdict.ok) return gatewayResponse(verdict.gatewayResponseType, verdict.gatewayResponseType === 'MISSING_AUTHENTICATION_TOKEN' ? undefined : verdict.message);
        const caller = options.callers.find((c) => c.accessKeyId === verdict.accessKeyId);
        context.identity = { ...(context.identity as TemplateContext), caller: verdict.accessKeyId, user: verdict.accessKeyId, accessKey: verdict.accessKeyId, userArn: caller?.userArn ?? '', accountId: options.accountId };
      } else if (route.authorization !== 'NONE') {
        return gatewayResponse('DEFAULT_5XX', `The twin does not implement authorization type ${route.authorization}`);
      }
      if (route.validateParameters) {
        const missing = Object.entries(route.requestParameters)
          .filter(([, required]) => required)
          .map(([name]) => name)
          .filter((name) => {
            const header = /^method\.request\.header\.(.+)$/.exec(name);
            if (header !== null) return headers[header[1].toLowerCase()] === undefined;
            const query = /^method\.request\.querystring\.(.+)$/.exec(name);
            if (query !== null) return !url.searchParams.has(query[1]);
            const path = /^method\.request\.path\.(.+)$/.exec(name);
            return path !== null && (pathParameters[path[1]] ?? '') === '';
          });
        if (missing.length > 0) {
          return gatewayResponse('BAD_REQUEST_PARAMETERS', undefined, [`Missing required request parameters: [${missing.map((m) => m.replace(/^method\.request\.[a-z]+\./, '')).join(', ')}]`]);
        }
      }
      // A request without Content-Type is treated as application/json when the model is picked.
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html
      const contentType = (headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
      const model = models.get(route)?.get(contentType);
      if (route.validateBody && model !== undefined) {
        const checked = model.check(body);
        if (!checked.valid) return gatewayResponse('BAD_REQUEST_BODY', undefined, checked.errors);
      }
      if (route.integration.type !== 'AWS_PROXY') {
        return gatewayResponse('DEFAULT_5XX', `The twin does not implement the integration ${route.integration.type} ${route.integration.uri}`);
      }
      const functionArn = functionOfUri(route.integration.uri, options.region);
      const fn = options.functions.find((f) => f.spec.functionArn === functionArn);
      if (fn === undefined) return gatewayResponse('DEFAULT_5XX', `No function ${String(functionArn)} for ${route.httpMethod} ${route.path}`);
      // API Gateway invokes the function only when a resource policy statement of the function lets it, from this
      // method's ARN. https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html
      const sourceArn = `${options.api.executionArn}/${options.api.stageName}/${route.httpMethod}${resourcePath ?? ''}`;
      const permitted = options.lambdaPermissions.some(
        (p) =>
          p.principal === 'apigateway.amazonaws.com' &&
          p.action === 'lambda:InvokeFunction' &&
          (p.functionName === fn.spec.functionName || p.functionName === fn.spec.functionArn) &&
          p.sourceArn !== undefined &&
          arnLike(p.sourceArn, sourceArn),
      );
      if (!permitted) return gatewayResponse('DEFAULT_5XX', `Execution failed due to configuration error: Invalid permissions on Lambda function (no permission for ${sourceArn})`);

      const event = {
        resource: route.path,
        path: resourcePath,
        httpMethod: route.httpMethod,
        headers: Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : String(value)])),
        multiValueHeaders: Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value : [String(value)]])),
        queryStringParameters: url.searchParams.size === 0 ? null : Object.fromEntries(url.searchParams),
        multiValueQueryStringParameters: url.searchParams.size === 0 ? null : Object.fromEntries([...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k)])),
        pathParameters: Object.keys(pathParameters).length === 0 ? null : pathParameters,
        stageVariables: null,
        requestContext: {
          accountId: options.accountId,
          apiId,
          resourcePath: route.path,
          httpMethod: route.httpMethod,
          path: url.pathname,
          stage: options.api.stageName,
          requestId,
          extendedRequestId: context.extendedRequestId,
          requestTime: context.requestTime,
          requestTimeEpoch: started,
          protocol: context.protocol,
          identity: context.identity,
          domainName: context.domainName,
        },
        body: body === '' ? null : body,
        isBase64Encoded: false,
      };
      const integrationStarted = clock.now();
      let timer: TwinTimer | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = clock.setTimeout(() => resolve('timeout'), route.integration.timeoutMilliseconds);
      });
      let outcome: unknown;
      try {
        outcome = await Promise.race([fn.invoke(event), timeout]);
      } catch {
        // A function error (its errorType and message go to the execution log, not to the caller).
        context.integration = { status: 200, latency: clock.now() - integrationStarted, error: 'Lambda function error' };
        return gatewayResponse('BAD_GATEWAY');
      } finally {
        clock.clearTimeout(timer);
      }
      context.integration = { status: 200, latency: clock.now() - integrationStarted, error: '' };
      if (outcome === 'timeout') return gatewayResponse('INTEGRATION_TIMEOUT');
      const answer = proxyAnswerOf(outcome);
      if (answer === undefined) return gatewayResponse('BAD_GATEWAY', 'Malformed Lambda proxy response');
      const { 'Content-Type': _ct, 'content-type': _lct, ...extra } = answer.headers;
      send(answer.statusCode, answer.body, { ...extra, 'Content-Type': answer.headers['Content-Type'] ?? answer.headers['content-type'] ?? 'application/json' });
    };
    handle().catch((error: unknown) => {
      if (!res.headersSent) gatewayResponse('DEFAULT_5XX');
      process.emitWarning(`twin API: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    });
  });
  const running: RunningServer = await listenLocally(server, { clock });
  return { stageUrl: `http://127.0.0.1:${running.port}${stagePrefix}`, accessLog, close: running.close };
}

/**
 * The synthesized REST API, served locally: the routes and methods of the stage, AWS_IAM (SigV4) authentication,
 * the request validator with the JSON-schema model, the request mapping template rendered with API Gateway's VTL,
 * the AWS-service integration (StartExecution), the integration responses, the customised gateway responses, stage
 * throttling and the access-log format.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-data-transformations.html
 *
 * The integration request is parsed as JSON exactly as Step Functions would parse it, so a template that produces
 * invalid JSON fails here with the same SerializationException it would get in AWS.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { RealTimeClock, type TwinClock } from '../clock/twin-clock';
import { BodyTooLargeError, flatHeaders, listenLocally, readBody, type RunningServer } from '../wiring/http-util';
import { RequestModel, validationErrorString } from './request-model';
import { type StaticCredentials, verifySignature } from '../iam/sigv4-verifier';
import type { ApiRouteArtifact, TwinArtifacts } from '../wiring/stack-artifacts';
import { StepFunctionsError } from '../step-functions/state-machine-runner';
import { MappingTemplateError, renderMappingTemplate, type TemplateContext } from './vtl';

/** The backend behind `arn:aws:apigateway:<region>:states:action/StartExecution`. */
export interface StepFunctionsBackend {
  startExecution(request: unknown): { executionArn: string; startDate: number };
}

/** Options of {@link startApiGateway}. */
export interface ApiGatewayOptions {
  readonly api: TwinArtifacts['api'];
  readonly region: string;
  readonly accountId: string;
  /** Callers whose signatures are accepted (IAM users allowed execute-api:Invoke). */
  readonly callers: readonly (StaticCredentials & { readonly userArn: string })[];
  readonly stepFunctions: StepFunctionsBackend;
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
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported Media Type', errorType: 'UnsupportedMediaTypeException' },
  THROTTLED: { status: 429, message: 'Too Many Requests', errorType: 'TooManyRequestsException' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Too Long', errorType: 'RequestTooLongException' },
  DEFAULT_5XX: { status: 500, message: 'Internal server error', errorType: 'InternalServerErrorException' },
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

/** Full-match of a selection pattern, as API Gateway applies it. */
function selects(pattern: string, value: string): boolean {
  return new RegExp(`^(?:${pattern})$`, 's').test(value);
}

/** Starts the API on 127.0.0.1. */
export async function startApiGateway(options: ApiGatewayOptions): Promise<LocalApiGateway> {
  const accessLog: string[] = [];
  const clock = options.clock ?? new RealTimeClock();
  const apiId = randomBytes(5).toString('hex');
  const models = new Map<ApiRouteArtifact, Map<string, RequestModel>>(
    options.api.routes.map((r) => [r, new Map(Object.entries(r.requestModels).map(([type, schema]) => [type, new RequestModel(schema)]))]),
  );
  const bucket =
    options.throttling !== false && options.api.throttling !== undefined ? new TokenBucket(options.api.throttling.rateLimit, options.api.throttling.burstLimit, clock) : undefined;
  const secretFor = (key: string): string | undefined => options.callers.find((c) => c.accessKeyId === key)?.secretAccessKey;
  const stagePrefix = `/${options.api.stageName}`;

  const server = http.createServer((req, res) => {
    const started = clock.now();
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers = flatHeaders(req);
    const resourcePath = url.pathname.startsWith(`${stagePrefix}/`) ? url.pathname.slice(stagePrefix.length) : undefined;
    const route = options.api.routes.find((r) => r.path === resourcePath && r.httpMethod === req.method);
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
      // A request without Content-Type is treated as application/json. https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-passthrough-behaviors.html
      const contentType = (headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
      const model = models.get(route)?.get(contentType);
      if (route.validateBody && model !== undefined) {
        const checked = model.check(body);
        if (!checked.valid) return gatewayResponse('BAD_REQUEST_BODY', undefined, checked.errors);
      }
      const template = route.integration.requestTemplates[contentType];
      if (template === undefined && route.integration.passthroughBehavior !== 'WHEN_NO_MATCH') return gatewayResponse('UNSUPPORTED_MEDIA_TYPE');
      let integrationBody: string;
      try {
        integrationBody = template === undefined ? body : renderMappingTemplate(template, { body, headers, queryString: Object.fromEntries(url.searchParams) }, context);
      } catch (error) {
        if (error instanceof MappingTemplateError) return gatewayResponse('DEFAULT_5XX');
        throw error;
      }

      const integrationStarted = clock.now();
      const [backendStatus, backendBody] = invokeIntegration(route, integrationBody, options);
      context.integration = { status: backendStatus, latency: clock.now() - integrationStarted, error: '' };
      const rules = route.integrationResponses;
      const rule = rules.find((r) => r.selectionPattern !== undefined && selects(r.selectionPattern, String(backendStatus))) ?? rules.find((r) => r.selectionPattern === undefined);
      if (rule === undefined) return gatewayResponse('DEFAULT_5XX');
      const responseTemplate = rule.responseTemplates['application/json'];
      send(Number(rule.statusCode), responseTemplate === undefined ? backendBody : renderMappingTemplate(responseTemplate, { body: backendBody }, context));
    };
    handle().catch((error: unknown) => {
      if (!res.headersSent) gatewayResponse('DEFAULT_5XX');
      process.emitWarning(`twin API: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    });
  });
  const running: RunningServer = await listenLocally(server, { clock });
  return { stageUrl: `http://127.0.0.1:${running.port}${stagePrefix}`, accessLog, close: running.close };
}

/** Calls the integration's backend; returns its HTTP status and JSON body. */
function invokeIntegration(route: ApiRouteArtifact, body: string, options: ApiGatewayOptions): [number, string] {
  const startExecution = new RegExp(`^arn:[a-z-]+:apigateway:${options.region}:states:action/StartExecution$`);
  if (route.integration.type !== 'AWS' || !startExecution.test(route.integration.uri)) {
    return [500, JSON.stringify({ message: `The twin does not implement the integration ${route.integration.type} ${route.integration.uri}` })];
  }
  try {
    let request: unknown;
    try {
      request = JSON.parse(body);
    } catch (error) {
      // What Step Functions answers to a request body that is not JSON (for example `\'` from escapeJavaScript).
      throw new StepFunctionsError('SerializationException', `Unable to parse the request body as JSON: ${(error as Error).message}`);
    }
    return [200, JSON.stringify(options.stepFunctions.startExecution(request))];
  } catch (error) {
    if (error instanceof StepFunctionsError) return [error.statusCode, JSON.stringify(error.body())];
    return [500, JSON.stringify({ __type: 'InternalFailure', message: error instanceof Error ? error.message : String(error) })];
  }
}

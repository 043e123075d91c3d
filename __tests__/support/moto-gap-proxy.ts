/**
 * A small HTTP proxy in front of moto_server for the Terraform lifecycle suites: it forwards every AWS request to
 * moto unchanged and fills, itself, only the gaps of moto that the AWS provider (5.100.0) runs into while planning,
 * applying and destroying the module. Binds 127.0.0.1 on a free port and stops on close. Test helper; not a suite.
 *
 * Gaps filled here, each with real behaviour:
 * - Step Functions `ValidateStateMachineDefinition`: moto raises NotImplementedError (a 500 the provider retries, so
 *   `terraform apply` of an `aws_sfn_state_machine` never ends). Answered by running asl-validator (ARN and path
 *   checks on) on the definition the provider sends, in the API's shape (`result` OK/FAIL, `diagnostics`,
 *   `truncated`). https://docs.aws.amazon.com/step-functions/latest/apireference/API_ValidateStateMachineDefinition.html
 * - Step Functions `ListStateMachineVersions`: moto keeps published versions but has no such operation, which the
 *   provider calls after every create and read. Answered from moto's own state (DescribeStateMachine of `<arn>:1`,
 *   `<arn>:2`, ...). https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListStateMachineVersions.html
 * - Lambda `LoggingConfig`: moto ignores it on CreateFunction/UpdateFunctionConfiguration and never returns it, so
 *   every plan after an apply wants to add the function's `logging_config` again (a diff that real Lambda does not
 *   give). The proxy remembers what each function was given and adds it to moto's function configurations, with
 *   Lambda's defaults: log format Text and log group `/aws/lambda/<name>` when unset; application and system log level
 *   INFO when the format is JSON and no level is set.
 *   https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html
 *   https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
 * - Secrets Manager `CreateSecret` with the name of a secret scheduled for deletion: moto refuses it as if the secret
 *   were live (ResourceExistsException); answered with AWS's InvalidRequestException "... already scheduled for
 *   deletion".
 *
 * Gaps not filled (nothing the lifecycle operations need; each limits what an apply against moto proves):
 * - moto checks no IAM permission, so the module's least-privilege policies are not exercised here (the IAM
 *   simulation suites do that).
 * - moto checks neither that a KMS key given to Secrets Manager exists nor its key policy (examples/complete names
 *   placeholder keys and applies).
 * - API Gateway in moto creates a stage with access logs although the account has no CloudWatch role set, which AWS
 *   refuses ("CloudWatch Logs role ARN must be set in account settings"; see the README's prerequisite).
 * - moto's SQS queue URLs carry no region (`http://<endpoint>/<account>/<name>`), so two regions' queues of one name
 *   have the same URL there (their ARNs differ, as on AWS).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import aslValidator from 'asl-validator';

/** One request that went through the proxy: which operation, its status, and whether a gap handler took part. */
export interface ProxiedCall {
  readonly operation: string;
  readonly status: number;
  readonly filledGap: boolean;
}

export interface MotoGapProxy {
  /** `http://127.0.0.1:<port>`: the endpoint to give the AWS provider for every service. */
  readonly endpoint: string;
  /** Every request so far, in arrival order. */
  readonly calls: readonly ProxiedCall[];
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly headers: http.OutgoingHttpHeaders;
  /** Bytes as moto sent them (forwarded unchanged), or text a gap handler wrote. */
  readonly body: Buffer | string;
}

/** What a gap handler gets about one request. */
interface GapRequest {
  readonly operation: string;
  readonly body: string;
  /** The request as it came, answered by moto. */
  readonly forward: () => Promise<Answer>;
  /** A JSON-protocol request to moto with the original request's credentials, for reading moto's state. */
  readonly askMoto: (target: string, body: unknown) => Promise<Answer>;
}

type GapHandler = (request: GapRequest) => Promise<Answer>;

const AMZ_JSON = 'application/x-amz-json-1.0';

function json(status: number, value: unknown): Answer {
  return { status, headers: { 'content-type': AMZ_JSON }, body: JSON.stringify(value) };
}

/**
 * The ValidateStateMachineDefinition request and response shapes.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_ValidateStateMachineDefinition.html
 */
interface ValidateStateMachineDefinitionInput {
  readonly definition: string;
  readonly maxResults?: number;
}

interface ValidationDiagnostic {
  readonly severity: 'ERROR' | 'WARNING';
  readonly code: string;
  readonly message: string;
  readonly location?: string;
}

/** The API's default and maximum number of diagnostics returned. */
const MAX_DIAGNOSTICS = 100;

async function validateStateMachineDefinition({ body }: GapRequest): Promise<Answer> {
  const input = JSON.parse(body) as ValidateStateMachineDefinitionInput;
  let definition: unknown;
  try {
    definition = JSON.parse(input.definition);
  } catch (error) {
    // Step Functions reports an unparseable definition as a diagnostic, not as a request error.
    return json(200, { result: 'FAIL', diagnostics: [{ severity: 'ERROR', code: 'INVALID_JSON_DESCRIPTION', message: (error as Error).message }], truncated: false });
  }
  const verdict = aslValidator(definition, { checkArn: true, checkPaths: true });
  const all = verdict.errors.map((e): ValidationDiagnostic => {
    const error = e as { readonly 'Error code'?: string; readonly Message?: string; readonly path?: string };
    return { severity: 'ERROR', code: error['Error code'] ?? 'SCHEMA_VALIDATION_FAILED', message: error.Message ?? JSON.stringify(e), location: error.path };
  });
  const limit = Math.min(input.maxResults ?? MAX_DIAGNOSTICS, MAX_DIAGNOSTICS);
  return json(200, { result: verdict.isValid ? 'OK' : 'FAIL', diagnostics: all.slice(0, limit), truncated: all.length > limit });
}

/**
 * Lists the versions moto keeps of a state machine. moto numbers versions from 1 without gaps (it cannot delete
 * one), so asking for `:1`, `:2`, ... until moto has none lists them all.
 */
async function listStateMachineVersions({ body, askMoto }: GapRequest): Promise<Answer> {
  const { stateMachineArn } = JSON.parse(body) as { readonly stateMachineArn: string };
  const machine = await askMoto('AWSStepFunctions.DescribeStateMachine', { stateMachineArn });
  // An unknown state machine gets moto's own StateMachineDoesNotExist answer.
  if (machine.status !== 200) return machine;
  const versions: { stateMachineVersionArn: string; creationDate: unknown }[] = [];
  for (let n = 1; ; n += 1) {
    const version = await askMoto('AWSStepFunctions.DescribeStateMachine', { stateMachineArn: `${stateMachineArn}:${n}` });
    if (version.status !== 200) break;
    versions.push({ stateMachineVersionArn: `${stateMachineArn}:${n}`, creationDate: (JSON.parse(version.body.toString()) as { creationDate: unknown }).creationDate });
  }
  // The API lists the newest version first.
  return json(200, { stateMachineVersions: versions.reverse() });
}

/** https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html */
export interface LoggingConfig {
  readonly LogFormat?: 'Text' | 'JSON';
  readonly LogGroup?: string;
  readonly ApplicationLogLevel?: string;
  readonly SystemLogLevel?: string;
}

interface FunctionConfiguration {
  readonly FunctionName?: string;
  readonly FunctionArn?: string;
  LoggingConfig?: LoggingConfig;
}

/** Lambda's answer for a function given `requested` (or nothing): the defaults filled in. */
export function effectiveLoggingConfig(functionName: string, requested: LoggingConfig | undefined): LoggingConfig {
  const format = requested?.LogFormat ?? 'Text';
  const base = { LogFormat: format, LogGroup: requested?.LogGroup ?? `/aws/lambda/${functionName}` };
  if (format !== 'JSON') return base;
  return { ...base, ApplicationLogLevel: requested?.ApplicationLogLevel ?? 'INFO', SystemLogLevel: requested?.SystemLogLevel ?? 'INFO' };
}

/** The unqualified ARN of a function, the key of what it was given (moto may answer with `:$LATEST`). */
const unqualified = (arn: string): string => arn.split(':').slice(0, 7).join(':');

function lambdaLoggingConfig(): GapHandler {
  const given = new Map<string, LoggingConfig>();
  const withLogging = (configuration: FunctionConfiguration): FunctionConfiguration => {
    if (configuration.FunctionArn === undefined || configuration.FunctionName === undefined) return configuration;
    return { ...configuration, LoggingConfig: given.get(unqualified(configuration.FunctionArn)) ?? effectiveLoggingConfig(configuration.FunctionName, undefined) };
  };
  return async (request) => {
    const answer = await request.forward();
    if (answer.status >= 300) return answer;
    const parsed = JSON.parse(answer.body.toString()) as FunctionConfiguration & { Configuration?: FunctionConfiguration };
    if (request.operation === 'Lambda.CreateFunction' || request.operation === 'Lambda.UpdateFunctionConfiguration') {
      const requested = (JSON.parse(request.body) as { LoggingConfig?: LoggingConfig }).LoggingConfig;
      const key = parsed.FunctionArn === undefined ? undefined : unqualified(parsed.FunctionArn);
      // UpdateFunctionConfiguration without LoggingConfig leaves it as it was.
      if (key !== undefined && (request.operation === 'Lambda.CreateFunction' || requested !== undefined)) {
        given.set(key, effectiveLoggingConfig(parsed.FunctionName ?? '', requested));
      }
    }
    const patched = parsed.Configuration === undefined ? withLogging(parsed) : { ...parsed, Configuration: withLogging(parsed.Configuration) };
    const body = JSON.stringify(patched);
    return { ...answer, headers: { ...answer.headers, 'content-length': String(Buffer.byteLength(body)) }, body };
  };
}

/**
 * CreateSecret with the name of a secret that is scheduled for deletion. moto refuses it, as AWS does, but as if the
 * secret were live (ResourceExistsException "... already exists"); AWS answers InvalidRequestException "You can't
 * create this secret because a secret with this name is already scheduled for deletion." (the error a fixed secret
 * name gives when a stack is destroyed and applied again within the recovery window). Answered as AWS does when moto
 * still holds a deleted secret of that name.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html
 */
async function createSecret({ body, forward, askMoto }: GapRequest): Promise<Answer> {
  const answer = await forward();
  if (answer.status < 400 || !answer.body.toString().includes('ResourceExistsException')) return answer;
  const { Name } = JSON.parse(body) as { readonly Name: string };
  const existing = await askMoto('secretsmanager.DescribeSecret', { SecretId: Name });
  const deleted = existing.status === 200 && (JSON.parse(existing.body.toString()) as { DeletedDate?: unknown }).DeletedDate != null;
  if (!deleted) return answer;
  return json(400, { __type: 'InvalidRequestException', message: "You can't create this secret because a secret with this name is already scheduled for deletion." });
}

/** The gaps, by operation name (see {@link operationOf}). A fresh set per proxy: some keep state. */
function gapHandlers(): Readonly<Record<string, GapHandler>> {
  const logging = lambdaLoggingConfig();
  return {
    'AWSStepFunctions.ValidateStateMachineDefinition': validateStateMachineDefinition,
    'AWSStepFunctions.ListStateMachineVersions': listStateMachineVersions,
    'secretsmanager.CreateSecret': createSecret,
    'Lambda.CreateFunction': logging,
    'Lambda.UpdateFunctionConfiguration': logging,
    'Lambda.GetFunction': logging,
    'Lambda.GetFunctionConfiguration': logging,
  };
}

/** Lambda's REST routes the gaps need, as operation names. https://docs.aws.amazon.com/lambda/latest/api/API_Operations.html */
const LAMBDA_ROUTES: readonly (readonly [string, RegExp, string])[] = [
  ['POST', /^\/2015-03-31\/functions\/?$/, 'Lambda.CreateFunction'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/?$/, 'Lambda.GetFunction'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/configuration\/?$/, 'Lambda.GetFunctionConfiguration'],
  ['PUT', /^\/2015-03-31\/functions\/[^/]+\/configuration\/?$/, 'Lambda.UpdateFunctionConfiguration'],
];

/** A name for the operation of a request: the JSON-protocol target, the query-protocol action, a Lambda route, or method and path. */
function operationOf(request: http.IncomingMessage, body: string): string {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') return target;
  if ((request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    const action = new URLSearchParams(body).get('Action');
    if (action !== null) return action;
  }
  const method = request.method ?? 'GET';
  const path = (request.url ?? '/').split('?')[0];
  return LAMBDA_ROUTES.find(([m, route]) => m === method && route.test(path))?.[2] ?? `${method} ${path}`;
}

/** Sends one request to moto and collects its whole answer. */
function send(upstream: URL, options: http.RequestOptions, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request({ ...options, host: upstream.hostname, port: upstream.port }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

export async function startMotoGapProxy(motoEndpoint: string): Promise<MotoGapProxy> {
  const upstream = new URL(motoEndpoint);
  const gaps = gapHandlers();
  const calls: ProxiedCall[] = [];
  const handle = async (request: http.IncomingMessage, raw: Buffer): Promise<Answer> => {
    const body = raw.toString('utf8');
    const operation = operationOf(request, body);
    const forward = () => send(upstream, { method: request.method, path: request.url, headers: request.headers }, raw);
    const gap = gaps[operation];
    const answer =
      gap === undefined
        ? await forward()
        : await gap({
            operation,
            body,
            forward,
            askMoto: (target, value) => {
              const payload = Buffer.from(JSON.stringify(value), 'utf8');
              // The caller's headers carry its credential scope, from which moto picks the account and region.
              const headers = { ...request.headers, 'x-amz-target': target, 'content-length': String(payload.length) };
              return send(upstream, { method: 'POST', path: '/', headers }, payload);
            },
          });
    calls.push({ operation, status: answer.status, filledGap: gap !== undefined });
    return answer;
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      handle(request, Buffer.concat(chunks)).then(
        (answer) => {
          response.writeHead(answer.status, answer.headers);
          response.end(answer.body);
        },
        (error: Error) => {
          calls.push({ operation: operationOf(request, ''), status: 500, filledGap: true });
          response.writeHead(500, { 'content-type': AMZ_JSON });
          response.end(JSON.stringify({ __type: 'InternalFailure', message: `moto-gap-proxy: ${error.message}` }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

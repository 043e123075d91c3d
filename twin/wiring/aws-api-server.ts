/**
 * A local endpoint for the AWS APIs called on the deployed stack, served from the twin's own services: Step Functions
 * (StartExecution, StopExecution, DescribeExecution, ListExecutions, GetExecutionHistory), Athena (GetQueryExecution,
 * StopQueryExecution) and Lambda (Invoke), each endpoint serving the operations it is given. Point an AWS SDK client of
 * any of the three at {@link AwsApiServer.endpoint}; requests must be SigV4-signed, for the service the route belongs
 * to, with credentials the endpoint accepts.
 *
 * The twin runs two: one for an operator's tools (the redrive's AWS adapters, redrive/aws.ts), which keep the wall
 * clock's time, which a virtual twin clock may have left hours behind, so it checks signatures against the wall clock
 * and dates its answers by it; and one for the query API function, which lives on the twin clock (`clock`).
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { TwinClock } from '../clock/twin-clock';
import { answerAthena } from '../athena/athena-api';
import { AthenaServiceError, type AthenaEngine } from '../athena/athena-engine';
import { type StaticCredentials, verifySignature } from '../iam/sigv4-verifier';
import { answerInvoke } from '../lambda/lambda-api';
import type { LambdaService } from '../lambda/lambda-sandbox';
import type { StepFunctionsApi } from '../step-functions/step-functions-api';
import { StepFunctionsError } from '../step-functions/state-machine-runner';
import { flatHeaders, listenLocally, readBody } from './http-util';

/** Options of {@link startAwsApiServer}. */
export interface AwsApiServerOptions {
  readonly region: string;
  /** Principals allowed to call, by access key. */
  readonly callers: readonly StaticCredentials[];
  readonly stepFunctions: StepFunctionsApi;
  readonly athena: AthenaEngine;
  /** The function `Invoke` reaches. @default none: Lambda is not served */
  readonly lambda?: LambdaService;
  /** The operations served, as `states:StartExecution`, `athena:GetQueryExecution`, `lambda:Invoke`. */
  readonly operations: readonly string[];
  /** The twin clock signatures are checked against and answers dated on. @default the wall clock */
  readonly clock?: TwinClock;
}

/** A running endpoint. */
export interface AwsApiServer {
  /** `http://127.0.0.1:<port>`, for the `endpoint` of Step Functions, Athena and Lambda clients. */
  readonly endpoint: string;
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const json = (contentType: string, status: number, body: object): Answer => ({ status, headers: { 'Content-Type': contentType }, body: JSON.stringify(body) });

/** The service a request is for, from its route: the X-Amz-Target prefix or the Lambda REST path. */
function routeOf(method: string, url: URL, target: string | undefined): { service: 'states' | 'athena' | 'lambda'; operation: string } | undefined {
  if (method === 'POST' && target?.startsWith('AWSStepFunctions.')) return { service: 'states', operation: target.slice('AWSStepFunctions.'.length) };
  if (method === 'POST' && target?.startsWith('AmazonAthena.')) return { service: 'athena', operation: target.slice('AmazonAthena.'.length) };
  const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
  if (method === 'POST' && invoke !== null) return { service: 'lambda', operation: decodeURIComponent(invoke[1]) };
  return undefined;
}

async function answer(options: AwsApiServerOptions, req: http.IncomingMessage, body: string): Promise<Answer> {
  const headers = flatHeaders(req);
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const route = routeOf(req.method ?? 'GET', url, headers['x-amz-target']);
  if (route === undefined) return json('application/json', 404, { __type: 'UnknownOperationException', message: `${req.method} ${url.pathname} is not served by the twin` });
  const contentType = route.service === 'states' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
  const verdict = await verifySignature(
    { method: req.method ?? 'POST', url, headers, body },
    {
      region: options.region,
      service: route.service,
      secretFor: (key) => options.callers.find((c) => c.accessKeyId === key)?.secretAccessKey,
      ...(options.clock !== undefined && { now: options.clock.now() }),
    },
  );
  if (!verdict.ok) return json(contentType, 403, { __type: verdict.errorType, message: verdict.message });

  const operation = route.service === 'lambda' ? 'lambda:Invoke' : `${route.service}:${route.operation}`;
  if (!options.operations.includes(operation)) {
    return json(contentType, 400, { __type: 'UnknownOperationException', message: `${operation} is not served by this twin endpoint` });
  }
  if (route.service === 'lambda') {
    if (options.lambda === undefined) return json(contentType, 404, { __type: 'ResourceNotFoundException', message: 'No function is served here' });
    return answerInvoke(options.lambda, route.operation, body);
  }
  const request = (body === '' ? {} : JSON.parse(body)) as Record<string, unknown>;
  try {
    const result = route.service === 'states' ? options.stepFunctions.handle(route.operation, request) : answerAthena(options.athena, route.operation, request);
    return json(contentType, 200, result);
  } catch (error) {
    if (error instanceof StepFunctionsError) return json(contentType, error.statusCode, error.body());
    if (error instanceof AthenaServiceError) return json(contentType, error.statusCode, { __type: error.name, message: error.message });
    throw error;
  }
}

/** Starts the endpoint on 127.0.0.1 and a free port. */
export async function startAwsApiServer(options: AwsApiServerOptions): Promise<AwsApiServer> {
  const server = http.createServer((req, res) => {
    const send = (a: Answer): void => {
      res.writeHead(a.status, { ...a.headers, 'x-amzn-RequestId': randomUUID() });
      res.end(a.body);
    };
    readBody(req, 6 * 1024 * 1024)
      .then((body) => answer(options, req, body))
      .then(send)
      .catch((error: unknown) => send(json('application/json', 500, { __type: 'InternalServerError', message: error instanceof Error ? error.message : String(error) })));
  });
  const running = await listenLocally(server, options.clock === undefined ? {} : { clock: options.clock });
  return { endpoint: `http://127.0.0.1:${running.port}`, close: running.close };
}

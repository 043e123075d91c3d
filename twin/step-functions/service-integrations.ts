/**
 * The state machine's Task states, served locally. Every Task state of the definition is overridden (by state name,
 * as aws-local-stepfunctions requires) according to its Resource, so no execution can ever call AWS. Results and
 * errors have the shapes Step Functions gives them:
 * - `athena:startQueryExecution.sync`: the GetQueryExecution response when the query SUCCEEDED; for FAILED or
 *   CANCELLED, error `States.TaskFailed` whose cause is that response as JSON; API errors as `Athena.<Exception>`.
 *   https://docs.aws.amazon.com/step-functions/latest/dg/connect-athena.html
 * - `lambda:invoke`: `{ExecutedVersion, Payload, StatusCode, ...}`; a function error as error `<errorType>` whose cause
 *   is the JSON `{"errorType","errorMessage","trace"}`. https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html
 * - `sqs:sendMessage`: `{MessageId, MD5OfMessageBody, ...}`, from moto's SQS; SQS errors as `SQS.<Exception>`.
 *
 * Every attempt is recorded in the {@link TaskHistory} (what was scheduled, submitted, answered), from which the twin's
 * Step Functions API answers GetExecutionHistory.
 */
import { randomUUID } from 'node:crypto';
import { AthenaServiceError, type AthenaEngine, type StartQueryExecutionInput } from '../athena/athena-engine';
import type { DeadLetterQueue } from '../sqs/dead-letter-queue';
import { LambdaFunctionError, type LambdaService } from '../lambda/lambda-sandbox';
import type { TaskHistory } from './task-history';

/** A JSON value as the interpreter passes it. */
export type TaskJson = string | number | boolean | null | TaskJson[] | { [key: string]: TaskJson };

/** A local Task implementation: receives the Parameters-processed input, returns the raw task result. */
export type TaskHandler = (input: TaskJson) => Promise<TaskJson>;

/** A definition's state, as far as the integrations care. */
interface DefinitionState {
  readonly Type: string;
  readonly Resource?: string;
}

/**
 * Longest error cause Step Functions keeps; longer causes are cut.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskFailedEventDetails.html
 */
export const MAX_CAUSE_CHARACTERS = 32768;

/** Step Functions' payload quota: task inputs (after Parameters) and connector results. */
export const MAX_TASK_PAYLOAD_BYTES = 262144;

/** An error with the name Step Functions matches in Retry and Catch; its cause is cut as Step Functions cuts it. */
export class TaskError extends Error {
  constructor(name: string, message: string) {
    super(message.length > MAX_CAUSE_CHARACTERS ? message.slice(0, MAX_CAUSE_CHARACTERS) : message);
    this.name = name;
  }
}

/**
 * `States.DataLimitExceeded`: a task's input after Parameters, or a connector's result, is over 256 KiB. It is
 * terminal: no Retry or Catch (not even States.ALL) matches it, so the execution fails on the spot. The interpreter
 * reads `isRetryable` and `isCatchable` from the error, which is how it is told.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-error-representation
 */
export class DataLimitExceededError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;

  constructor(what: string, bytes: number) {
    super(`The ${what} has a size of ${bytes} bytes, exceeding the maximum of ${MAX_TASK_PAYLOAD_BYTES} bytes.`);
    this.name = 'States.DataLimitExceeded';
  }
}

function checkPayloadSize(what: string, payload: unknown): void {
  const bytes = Buffer.byteLength(JSON.stringify(payload) ?? '', 'utf8');
  if (bytes > MAX_TASK_PAYLOAD_BYTES) throw new DataLimitExceededError(what, bytes);
}

/** Enforces the payload quota around a handler: on its input, and on the result the connector returns. */
function withPayloadLimits(stateName: string, handler: TaskHandler): TaskHandler {
  return async (input) => {
    checkPayloadSize(`input of state ${stateName} after Parameters`, input);
    const result = await handler(input);
    checkPayloadSize(`result of the connector of state ${stateName}`, result);
    return result;
  };
}

/** A Task state whose Resource the twin cannot serve. */
export class UnsupportedTaskResourceError extends Error {
  constructor(stateName: string, resource: string | undefined) {
    super(`Task state ${stateName} uses ${String(resource)}, which the twin does not implement; every Task must be served locally so no execution reaches AWS`);
    this.name = 'UnsupportedTaskResourceError';
  }
}

/** The local services behind the Task states. */
export interface LocalServices {
  readonly athena: AthenaEngine;
  readonly lambda: LambdaService;
  readonly deadLetters: DeadLetterQueue;
  /** Which execution started which query. */
  readonly queries: QueryOwnership;
  /** The task-level events of every execution. */
  readonly history: TaskHistory;
  /**
   * Whether a StopExecution stopped the execution: a query its `.sync` task starts afterwards is stopped at once, as
   * Step Functions stops the job of a stopped execution.
   *
   * @default never stopped
   */
  readonly isStopped?: (executionArn: string) => boolean;
}

/**
 * Links queries to the executions that started them, and guards the link.
 *
 * The definition's ClientRequestToken is `States.Hash($$.Execution.Id, 'SHA-256')`, which AWS computes correctly.
 * aws-local-stepfunctions 3.0.0 does not for inputs of 56 bytes or more (execution ARNs are longer): its digest is
 * still deterministic per execution, so retries stay idempotent, but it is not SHA-256 and two different inputs can
 * share it. A shared token would silently hand one execution another's query, so a second owner is an error.
 */
export class QueryOwnership {
  private readonly owners = new Map<string, string>();
  private readonly byExecution = new Map<string, string>();

  /** Records that the execution started (or, on a retry, re-found) the query; throws if another execution owns it. */
  claim(executionArn: string, queryExecutionId: string): void {
    const owner = this.owners.get(queryExecutionId);
    if (owner !== undefined && owner !== executionArn) {
      throw new Error(`Twin interpreter fault: executions ${owner} and ${executionArn} computed the same ClientRequestToken (aws-local-stepfunctions States.Hash)`);
    }
    this.owners.set(queryExecutionId, executionArn);
    this.byExecution.set(executionArn, queryExecutionId);
  }

  /** The query the execution started, if any. */
  queryOf(executionArn: string): string | undefined {
    return this.byExecution.get(executionArn);
  }
}

function asObject(input: TaskJson): Record<string, TaskJson> {
  return input !== null && typeof input === 'object' && !Array.isArray(input) ? input : {};
}

function toJson(value: unknown): TaskJson {
  return JSON.parse(JSON.stringify(value)) as TaskJson;
}

function athenaSync(athena: AthenaEngine, queries: QueryOwnership, executionArn: string, submitted: (output: TaskJson) => void, isStopped: (arn: string) => boolean): TaskHandler {
  return async (input) => {
    let id: string;
    try {
      ({ QueryExecutionId: id } = athena.startQueryExecution(asObject(input) as unknown as StartQueryExecutionInput));
      // The StartQueryExecution answer, as Step Functions records it in TaskSubmitted before it starts waiting.
      submitted(toJson({ QueryExecutionId: id, SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: randomUUID() } }));
    } catch (error) {
      if (error instanceof AthenaServiceError) {
        throw new TaskError(`Athena.${error.name}`, `${error.message} (Service: Athena, Status Code: ${error.statusCode}, Request ID: ${randomUUID()})`);
      }
      throw error;
    }
    queries.claim(executionArn, id);
    // A StopExecution that came while the start was on its way: Step Functions stops the query it finds running.
    if (isStopped(executionArn)) athena.stopQueryExecution(id);
    const finished = await athena.waitForQueryExecution(id);
    const response = toJson({ QueryExecution: finished });
    if (finished.Status.State !== 'SUCCEEDED') throw new TaskError('States.TaskFailed', JSON.stringify(response));
    return response;
  };
}

function lambdaInvoke(lambda: LambdaService): TaskHandler {
  return async (input) => {
    const { FunctionName, Payload } = asObject(input);
    const name = String(FunctionName);
    // FunctionName may be a name, a full ARN or a partial ARN. https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
    if (name !== lambda.spec.functionArn && name !== lambda.spec.functionName && name !== `${lambda.spec.functionArn}:$LATEST`) {
      throw new TaskError('Lambda.ResourceNotFoundException', `Function not found: ${name} (Service: Lambda, Status Code: 404, Request ID: ${randomUUID()})`);
    }
    try {
      const result = await lambda.invoke(Payload ?? {});
      const requestId = randomUUID();
      return toJson({
        ExecutedVersion: '$LATEST',
        Payload: result,
        SdkHttpMetadata: { HttpStatusCode: 200 },
        SdkResponseMetadata: { RequestId: requestId },
        StatusCode: 200,
      });
    } catch (error) {
      if (error instanceof LambdaFunctionError) throw new TaskError(error.errorType, JSON.stringify(error.payload()));
      throw error;
    }
  };
}

function sqsSendMessage(deadLetters: DeadLetterQueue): TaskHandler {
  return async (input) => toJson(await deadLetters.sendMessage(asObject(input)));
}

/** Records a TaskSubmitted on the execution's running attempt of a state. */
type SubmissionRecorder = (output: TaskJson) => void;

/** Resource patterns and the service each one is served by. */
const INTEGRATIONS: readonly {
  readonly resource: RegExp;
  readonly handler: (services: LocalServices, executionArn: string, submitted: SubmissionRecorder) => TaskHandler;
}[] = [
  { resource: /^arn:[a-z-]+:states:::athena:startQueryExecution\.sync$/, handler: (s, arn, submitted) => athenaSync(s.athena, s.queries, arn, submitted, s.isStopped ?? (() => false)) },
  { resource: /^arn:[a-z-]+:states:::lambda:invoke$/, handler: (s) => lambdaInvoke(s.lambda) },
  { resource: /^arn:[a-z-]+:states:::sqs:sendMessage$/, handler: (s) => sqsSendMessage(s.deadLetters) },
];

/** Makes the Task handlers of one execution. */
export type TaskHandlerFactory = (executionArn: string) => Record<string, TaskHandler>;

/**
 * One handler per Task state of the definition, by state name, for each execution. Throws at once (not at the first
 * execution) when a Task state cannot be served.
 */
export function taskHandlersFor(states: Readonly<Record<string, DefinitionState>>, services: LocalServices): TaskHandlerFactory {
  const plan: [string, string, (typeof INTEGRATIONS)[number]][] = [];
  for (const [name, state] of Object.entries(states)) {
    if (state.Type !== 'Task') continue;
    const integration = INTEGRATIONS.find((i) => state.Resource !== undefined && i.resource.test(state.Resource));
    if (integration === undefined || state.Resource === undefined) throw new UnsupportedTaskResourceError(name, state.Resource);
    plan.push([name, state.Resource, integration]);
  }
  return (executionArn) =>
    Object.fromEntries(
      plan.map(([name, resource, integration]) => {
        const submitted: SubmissionRecorder = (output) => services.history.submitted(executionArn, name, output);
        const handler = withPayloadLimits(name, integration.handler(services, executionArn, submitted));
        return [name, withHistory(services.history, executionArn, name, resource, handler)];
      }),
    );
}

/** Records each attempt of a state in the task history: what it was given, and what it answered or threw. */
function withHistory(history: TaskHistory, executionArn: string, stateName: string, resource: string, handler: TaskHandler): TaskHandler {
  return async (input) => {
    const attempt = history.begin(executionArn, stateName, resource, input);
    try {
      const output = await handler(input);
      attempt.events.push({ kind: 'succeeded', output });
      return output;
    } catch (error) {
      const e = error as { name?: unknown; message?: unknown };
      attempt.events.push({ kind: 'failed', error: String(e.name ?? 'Error'), cause: String(e.message ?? '') });
      throw error;
    }
  };
}

/**
 * The sample's state machine (bench/fixtures/seed-definition.ts) on the twin's services: the same interpreter and
 * runner as ours, the twin's Athena engine (DuckDB, quota, query durations) and the twin's Lambda with our callbacker,
 * so that next to ours only the orchestration differs.
 *
 * Task overrides, by the sample's state names:
 * - `athena:startQueryExecution` (request-response): StartQueryExecution on the engine, with the `primary`
 *   workgroup's result location filled in (the sample passes none and its README asks for a workgroup that has one).
 *   API errors fail the task as `Athena.<Exception>`, which the sample neither retries nor catches.
 * - `athena:getQueryExecution`: the engine's GetQueryExecution.
 * - `lambda:invoke`: our callbacker, given the request it expects, built from the sample's payload (its
 *   `ApiRequest.CallbackUrl` and `AthenaResult.QueryExecution`). The sample's Python function would presign and POST
 *   the same way, without a signature.
 */
import { randomUUID } from 'node:crypto';
import type { DeliveryRequest } from '../../handler/types';
import { AthenaServiceError, type AthenaEngine, type StartQueryExecutionInput } from '../../twin/athena/athena-engine';
import { LambdaFunctionError, type LambdaService } from '../../twin/lambda/lambda-sandbox';
import { TaskError, type TaskHandler, type TaskJson } from '../../twin/step-functions/service-integrations';
import type { TwinClock } from '../../twin/clock/twin-clock';
import { StateMachineRunner } from '../../twin/step-functions/state-machine-runner';
import { TWIN_ACCOUNT_ID, TWIN_REGION } from '../../twin/twin';
import { SEED_DEFINITION, SEED_STATE_NAMES, type SeedExecutionInput } from '../fixtures/seed-definition';
import { requireInterpreterPolyfill } from './virtual-time';

export const SEED_STATE_MACHINE_ARN = `arn:aws:states:${TWIN_REGION}:${TWIN_ACCOUNT_ID}:stateMachine:AthenaQueryOrchestration`;
const SEED_ROLE_ARN = `arn:aws:iam::${TWIN_ACCOUNT_ID}:role/AthenaQueryOrchestration-role`;

/** Options of {@link seedStateMachine}. */
export interface SeedMachineOptions {
  readonly athena: AthenaEngine;
  readonly lambda: LambdaService;
  /** The `primary` workgroup's result location (`s3://bucket/prefix/`). */
  readonly workGroupOutputLocation: string;
  /** The twin clock its Wait and retries keep time on: the one the engine and the function run on. */
  readonly clock: TwinClock;
}

function asObject(value: TaskJson): Record<string, TaskJson> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

function toJson(value: unknown): TaskJson {
  return JSON.parse(JSON.stringify(value)) as TaskJson;
}

/** The sample's state machine on the given services. Start executions with {@link seedInput}. */
export function seedStateMachine(options: SeedMachineOptions): StateMachineRunner {
  requireInterpreterPolyfill();
  const { athena, lambda } = options;
  const runner: StateMachineRunner = new StateMachineRunner({
    stateMachineArn: SEED_STATE_MACHINE_ARN,
    roleArn: SEED_ROLE_ARN,
    definition: JSON.stringify(SEED_DEFINITION),
    clock: options.clock,
    taskHandlers: (executionArn): Record<string, TaskHandler> => ({
      [SEED_STATE_NAMES.startQuery]: async (input) => {
        const request = { ...asObject(input), ResultConfiguration: { OutputLocation: options.workGroupOutputLocation } } as unknown as StartQueryExecutionInput;
        try {
          return toJson(athena.startQueryExecution(request));
        } catch (error) {
          if (error instanceof AthenaServiceError) {
            throw new TaskError(`Athena.${error.name}`, `${error.message} (Service: Athena, Status Code: ${error.statusCode}, Request ID: ${randomUUID()})`);
          }
          throw error;
        }
      },
      [SEED_STATE_NAMES.getQuery]: async (input) => toJson(athena.getQueryExecution(String(asObject(input).QueryExecutionId))),
      [SEED_STATE_NAMES.invokeLambda]: async (input) => {
        const payload = asObject(asObject(input).Payload);
        const request: DeliveryRequest = {
          ExecutionArn: executionArn,
          ExecutionStartTime: (runner.describe(executionArn)?.startDate ?? new Date(options.clock.now())).toISOString(),
          CallbackUrl: String(asObject(payload.ApiRequest).CallbackUrl),
          QueryOutcome: { QueryExecution: asObject(payload.AthenaResult).QueryExecution as never },
        };
        try {
          return toJson({ ExecutedVersion: '$LATEST', Payload: await lambda.invoke(request), StatusCode: 200 });
        } catch (error) {
          if (error instanceof LambdaFunctionError) throw new TaskError(error.errorType, JSON.stringify(error.payload()));
          throw error;
        }
      },
    }),
  });
  return runner;
}

/** A StartExecution request for the sample, as its API mapping template would make it. */
export function seedInput(query: string, callbackUrl: string): { stateMachineArn: string; input: string } {
  const input: SeedExecutionInput = { ApiRequest: { Query: query, CallbackUrl: callbackUrl } };
  return { stateMachineArn: SEED_STATE_MACHINE_ARN, input: JSON.stringify(input) };
}

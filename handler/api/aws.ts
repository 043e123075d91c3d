/**
 * The Step Functions and Athena calls of the query API function, on the AWS SDK, each reduced to the facts the routes
 * read. Clients are made once per sandbox (module scope), with the same short per-attempt timeouts as the callbacker's
 * (handler/clients.ts): API Gateway gives the whole request 29 seconds.
 */
import { AthenaClient, GetQueryExecutionCommand, StopQueryExecutionCommand } from '@aws-sdk/client-athena';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { REQUEST_HANDLER } from '../clients';
import type { JsonObject } from '../types';
import { ServiceCallError } from './errors';

/** Step Functions, with the function's own credentials. */
export const sfnClient = new SFNClient({ requestHandler: REQUEST_HANDLER });

/** Athena, with the function's own credentials. */
export const athenaClient = new AthenaClient({ requestHandler: REQUEST_HANDLER });

/** Execution statuses. https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** What DescribeExecution says. */
export interface ExecutionFacts {
  readonly executionArn: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  /** The input, JSON text. */
  readonly input?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** One history event, with the details the routes read. */
export interface HistoryFact {
  readonly id: number;
  readonly type: string;
  readonly timestamp: Date;
  /** The state a `*StateEntered` event enters. */
  readonly stateName?: string;
  /** The service of a task event (`athena`, `lambda`, `sqs`). */
  readonly resourceType?: string;
  /** The API and pattern of a task event (`startQueryExecution.sync`, `invoke`). */
  readonly resource?: string;
  /** TaskScheduled's parameters, JSON text. */
  readonly parameters?: string;
  /** TaskSubmitted's or TaskSucceeded's output, JSON text. */
  readonly output?: string;
  /** Error and cause of a failed, timed-out or aborted task or execution. */
  readonly error?: string;
  readonly cause?: string;
}

/** What GetQueryExecution says about a query. */
export interface QueryFacts {
  readonly queryExecutionId: string;
  readonly state: string;
  readonly stateChangeReason?: string;
  readonly submissionDateTime?: Date;
  readonly completionDateTime?: Date;
  readonly outputLocation?: string;
  readonly statistics?: JsonObject;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** DescribeExecution; undefined when the execution does not exist. */
export async function describeExecution(executionArn: string): Promise<ExecutionFacts | undefined> {
  try {
    const answer = await sfnClient.send(new DescribeExecutionCommand({ executionArn }));
    return {
      executionArn,
      status: (answer.status ?? 'RUNNING') as ExecutionStatus,
      startDate: answer.startDate ?? new Date(0),
      ...(answer.stopDate !== undefined && { stopDate: answer.stopDate }),
      ...(answer.input !== undefined && { input: answer.input }),
      ...(answer.error !== undefined && { error: answer.error }),
      ...(answer.cause !== undefined && { cause: answer.cause }),
    };
  } catch (error) {
    if (nameOf(error) === 'ExecutionDoesNotExist') return undefined;
    throw new ServiceCallError('states:DescribeExecution', error);
  }
}

function factOf(event: HistoryEvent): HistoryFact {
  const base = { id: event.id ?? 0, type: event.type ?? '', timestamp: event.timestamp ?? new Date(0) };
  const details =
    event.stateEnteredEventDetails !== undefined
      ? { stateName: event.stateEnteredEventDetails.name }
      : event.taskScheduledEventDetails !== undefined
        ? { resourceType: event.taskScheduledEventDetails.resourceType, resource: event.taskScheduledEventDetails.resource, parameters: event.taskScheduledEventDetails.parameters }
        : event.taskSubmittedEventDetails !== undefined
          ? { resourceType: event.taskSubmittedEventDetails.resourceType, resource: event.taskSubmittedEventDetails.resource, output: event.taskSubmittedEventDetails.output }
          : event.taskSucceededEventDetails !== undefined
            ? { resourceType: event.taskSucceededEventDetails.resourceType, resource: event.taskSucceededEventDetails.resource, output: event.taskSucceededEventDetails.output }
            : event.taskFailedEventDetails !== undefined
              ? { resourceType: event.taskFailedEventDetails.resourceType, resource: event.taskFailedEventDetails.resource, error: event.taskFailedEventDetails.error, cause: event.taskFailedEventDetails.cause }
              : event.taskTimedOutEventDetails !== undefined
                ? { resourceType: event.taskTimedOutEventDetails.resourceType, resource: event.taskTimedOutEventDetails.resource, error: event.taskTimedOutEventDetails.error, cause: event.taskTimedOutEventDetails.cause }
                : event.executionAbortedEventDetails !== undefined
                  ? { error: event.executionAbortedEventDetails.error, cause: event.executionAbortedEventDetails.cause }
                  : {};
  return { ...base, ...Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined)) };
}

/**
 * GetExecutionHistory, every page, newest first (the recent events are what a status needs most, and an execution that
 * waited long for Athena capacity has hundreds of older retry events). Returned oldest first.
 */
export async function executionHistory(executionArn: string): Promise<HistoryFact[]> {
  const events: HistoryFact[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const answer = await sfnClient.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1000, includeExecutionData: true, nextToken }));
      events.push(...(answer.events ?? []).map(factOf));
      nextToken = answer.nextToken;
    } while (nextToken !== undefined);
  } catch (error) {
    throw new ServiceCallError('states:GetExecutionHistory', error);
  }
  return events.reverse();
}

/** StartExecution's answer, or `exists` when an execution of that name is already there (ExecutionAlreadyExists). */
export type StartOutcome = { readonly started: true; readonly executionArn: string; readonly startDate: Date } | { readonly started: false; readonly reason: 'exists' };

/** StartExecution. https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html */
export async function startExecution(stateMachineArn: string, name: string, input: string): Promise<StartOutcome> {
  try {
    const answer = await sfnClient.send(new StartExecutionCommand({ stateMachineArn, name, input }));
    return { started: true, executionArn: answer.executionArn ?? '', startDate: answer.startDate ?? new Date(0) };
  } catch (error) {
    if (nameOf(error) === 'ExecutionAlreadyExists') return { started: false, reason: 'exists' };
    throw new ServiceCallError('states:StartExecution', error);
  }
}

/** StopExecution, with the error and cause the execution's history then shows. */
export async function stopExecution(executionArn: string, error: string, cause: string): Promise<void> {
  try {
    await sfnClient.send(new StopExecutionCommand({ executionArn, error, cause }));
  } catch (failure) {
    throw new ServiceCallError('states:StopExecution', failure);
  }
}

/** GetQueryExecution; undefined when Athena has no such query. */
export async function queryExecution(queryExecutionId: string): Promise<QueryFacts | undefined> {
  try {
    const { QueryExecution: q } = await athenaClient.send(new GetQueryExecutionCommand({ QueryExecutionId: queryExecutionId }));
    if (q === undefined) return undefined;
    return {
      queryExecutionId,
      state: q.Status?.State ?? 'QUEUED',
      ...(q.Status?.StateChangeReason !== undefined && { stateChangeReason: q.Status.StateChangeReason }),
      ...(q.Status?.SubmissionDateTime !== undefined && { submissionDateTime: q.Status.SubmissionDateTime }),
      ...(q.Status?.CompletionDateTime !== undefined && { completionDateTime: q.Status.CompletionDateTime }),
      ...(q.ResultConfiguration?.OutputLocation !== undefined && { outputLocation: q.ResultConfiguration.OutputLocation }),
      ...(q.Statistics !== undefined && { statistics: JSON.parse(JSON.stringify(q.Statistics)) as JsonObject }),
    };
  } catch (error) {
    // An unknown id is an InvalidRequestException. https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryExecution.html
    if (nameOf(error) === 'InvalidRequestException') return undefined;
    throw new ServiceCallError('athena:GetQueryExecution', error);
  }
}

/** StopQueryExecution. https://docs.aws.amazon.com/athena/latest/APIReference/API_StopQueryExecution.html */
export async function stopQueryExecution(queryExecutionId: string): Promise<void> {
  try {
    await athenaClient.send(new StopQueryExecutionCommand({ QueryExecutionId: queryExecutionId }));
  } catch (error) {
    throw new ServiceCallError('athena:StopQueryExecution', error);
  }
}

/**
 * Athena's GetQueryExecution and StopQueryExecution, answered from the twin's engine in the AWS JSON 1.1 shape
 * (timestamps in epoch seconds): the redrive reads where a query's result is, and the query API function reads a
 * query's state and stops it, as they do in AWS.
 * https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryExecution.html
 * https://docs.aws.amazon.com/athena/latest/APIReference/API_StopQueryExecution.html
 */
import { AthenaServiceError, type AthenaEngine } from './athena-engine';

/** The operations served, for an endpoint to allow a subset. */
export const ATHENA_OPERATIONS = ['GetQueryExecution', 'StopQueryExecution'] as const;

function queryExecutionId(request: Record<string, unknown>): string {
  if (typeof request.QueryExecutionId !== 'string') throw new AthenaServiceError('InvalidRequestException', 'QueryExecutionId is required', 400);
  return request.QueryExecutionId;
}

/** Answers one operation (`AmazonAthena.<Operation>`); throws AthenaServiceError as the service does. */
export function answerAthena(engine: AthenaEngine, operation: string, request: Record<string, unknown>): object {
  switch (operation) {
    case 'GetQueryExecution': {
      const { QueryExecution: execution } = engine.getQueryExecution(queryExecutionId(request));
      const { SubmissionDateTime, CompletionDateTime, ...status } = execution.Status;
      return {
        QueryExecution: {
          ...execution,
          Status: {
            ...status,
            SubmissionDateTime: SubmissionDateTime / 1000,
            ...(CompletionDateTime !== undefined && { CompletionDateTime: CompletionDateTime / 1000 }),
          },
        },
      };
    }
    case 'StopQueryExecution':
      // A query already finished is left as it is, and the call succeeds.
      engine.stopQueryExecution(queryExecutionId(request));
      return {};
    default:
      throw new AthenaServiceError('InvalidRequestException', `Operation ${operation} is not served by the twin`, 400);
  }
}

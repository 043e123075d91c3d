/**
 * Athena's GetQueryExecution, answered from the twin's engine in the AWS JSON 1.1 shape (timestamps in epoch
 * seconds): the redrive reads where a query's result is, as it does in AWS.
 * https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryExecution.html
 */
import { AthenaServiceError, type AthenaEngine } from './athena-engine';

/** Answers one operation (`AmazonAthena.<Operation>`); throws AthenaServiceError as the service does. */
export function answerAthena(engine: AthenaEngine, operation: string, request: Record<string, unknown>): object {
  if (operation !== 'GetQueryExecution') throw new AthenaServiceError('InvalidRequestException', `Operation ${operation} is not served by the twin`, 400);
  if (typeof request.QueryExecutionId !== 'string') throw new AthenaServiceError('InvalidRequestException', 'QueryExecutionId is required', 400);
  const { QueryExecution: execution } = engine.getQueryExecution(request.QueryExecutionId);
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

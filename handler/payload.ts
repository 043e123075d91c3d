/** Builds the webhook body from the normalised outcome. */
import type { NormalisedOutcome } from './outcome';
import type { CallbackPayload } from './types';

/** A presigned download link for the result CSV. */
export interface PresignedResult {
  readonly url: string;
  /** Seconds the URL stays valid, counted from signing. */
  readonly expiredIn: number;
}

/**
 * The callback body. Field names and types follow the original sample's README and are pinned by
 * `schemas/callback-payload.schema.json`. QueryResult is present exactly when the query SUCCEEDED.
 */
export function buildCallbackPayload(outcome: NormalisedOutcome, executionArn: string, presigned?: PresignedResult): CallbackPayload {
  if ((outcome.state === 'SUCCEEDED') !== (presigned !== undefined)) {
    throw new Error(`A presigned result must be given exactly for SUCCEEDED queries, got state ${outcome.state}`);
  }
  return {
    State: {
      State: outcome.state,
      SubmissionDateTime: outcome.submissionDateTime,
      CompletionDateTime: outcome.completionDateTime,
      ...(outcome.stateChangeReason !== undefined && { StateChangeReason: outcome.stateChangeReason }),
    },
    ...(presigned !== undefined && { QueryResult: { PresignedUrl: presigned.url, ExpiredIn: presigned.expiredIn } }),
    ...(outcome.queryExecutionId !== undefined && { QueryExecutionId: outcome.queryExecutionId }),
    ExecutionArn: executionArn,
    ...(outcome.statistics !== undefined && { Statistics: outcome.statistics }),
  };
}

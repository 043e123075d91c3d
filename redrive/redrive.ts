/**
 * Re-delivers undeliverable callbacks. Two sources point at the executions to re-deliver:
 *
 * - the dead-letter queue: one record per execution whose callback failed (CallbackDeliveryFailed); a record is
 *   deleted once its callback is delivered, and left for the next run (or an operator) when it fails again or is
 *   refused;
 * - Step Functions itself, for executions whose dead-letter write failed too (CallbackDeadLetterWriteFailed, their
 *   Cause holds the record): every such FAILED execution of the query and cancellation state machines that stopped at
 *   or after `since`. They
 *   have nothing to delete, so each run over the same window delivers them again; receivers deduplicate on
 *   `webhook-id`, which is the same on every delivery of an execution.
 *
 * Either way, what is delivered is re-derived from AWS (derive.ts), and handed to the deployed callbacker, which
 * presigns a fresh URL, signs with the same webhook-id and applies the same SSRF rules.
 */
import { DEAD_LETTER_WRITE_FAILED_ERROR } from '../constructs/builders/asl';
import type { DeliveryRequest } from '../handler/types';
import { InvalidDeadLetterRecordError, parseDeadLetterRecord, type RecordClaims } from './dead-letter-record';
import {
  type AthenaReader,
  deriveDeliveryRequest,
  type RedriveDeployment,
  RedriveRefusedError,
  type StepFunctionsReader,
} from './derive';

/** A message of the dead-letter queue. */
export interface DeadLetterMessage {
  /** The message's id (SQS MessageId), the same on every receive. */
  readonly id: string;
  /** Handle to acknowledge (delete) the message with. */
  readonly receipt: string;
  /** The message body: a delivery record. */
  readonly body: string;
}

/** Where records come from: the SQS queue. */
export interface DeadLetterSource {
  /** Up to `max` messages not yet acknowledged and not in flight. */
  receive(max: number): Promise<readonly DeadLetterMessage[]>;
  /** Removes a delivered message. */
  acknowledge(receipt: string): Promise<void>;
}

/** Delivers one request: the deployed callbacker. Throws when delivery fails. */
export interface DeliveryInvoker {
  deliver(request: DeliveryRequest): Promise<unknown>;
}

/** What a redrive talks to. */
export interface RedriveServices {
  /** The dead-letter queue; absent to redrive unrecorded executions only. */
  readonly queue?: DeadLetterSource;
  readonly stepFunctions: StepFunctionsReader;
  readonly athena: AthenaReader;
  readonly invoker: DeliveryInvoker;
}

/** Options of {@link redrive}. */
export interface RedriveOptions {
  /** Stop after this many records and executions. @default 100 */
  readonly maxRecords?: number;
  /** List what would be redelivered, deliver nothing. @default false */
  readonly dryRun?: boolean;
  /**
   * Also redeliver executions whose dead-letter write failed (CallbackDeadLetterWriteFailed) that stopped at or after
   * this time.
   *
   * @default - none: the queue only
   */
  readonly unrecordedSince?: Date;
}

/**
 * What a redrive did, by the execution redriven (for a cancellation machine's execution, that one, though its callback
 * names the execution it cancelled). Every message is free of URL queries and user info.
 */
export interface RedriveReport {
  readonly delivered: readonly string[];
  readonly failed: readonly { readonly executionArn: string; readonly error: string }[];
  /** Records and executions redrive would not deliver: they disagree with AWS or point at the wrong execution. */
  readonly refused: readonly { readonly executionArn: string; readonly error: string }[];
  /** Messages that are not delivery records. */
  readonly invalid: readonly { readonly receipt: string; readonly error: string }[];
  readonly listed: readonly string[];
}

/** Redrives up to `maxRecords` records and unrecorded executions; see the module comment. */
export async function redrive(deployment: RedriveDeployment, services: RedriveServices, options: RedriveOptions = {}): Promise<RedriveReport> {
  const maxRecords = options.maxRecords ?? 100;
  const report = { delivered: [] as string[], failed: [] as { executionArn: string; error: string }[], refused: [] as { executionArn: string; error: string }[], invalid: [] as { receipt: string; error: string }[], listed: [] as string[] };
  let seen = 0;

  /** Derives and delivers one execution; true when it was delivered (or listed). */
  const handle = async (claims: RecordClaims): Promise<boolean> => {
    let request: DeliveryRequest;
    try {
      request = await deriveDeliveryRequest(claims, deployment, services.stepFunctions, services.athena);
    } catch (error) {
      if (!(error instanceof RedriveRefusedError)) throw error;
      report.refused.push({ executionArn: claims.executionArn, error: error.message });
      return false;
    }
    if (options.dryRun) {
      report.listed.push(claims.executionArn);
      return true;
    }
    try {
      await services.invoker.deliver(request);
      report.delivered.push(claims.executionArn);
      return true;
    } catch (error) {
      const e = error as Error;
      report.failed.push({ executionArn: claims.executionArn, error: `${e.name}: ${e.message}` });
      return false;
    }
  };

  const queue = services.queue;
  // Each message is handled at most once per run: a message kept (refused, failed again) becomes visible again after
  // the visibility timeout, and meeting it again means the queue has been gone through.
  const handled = new Set<string>();
  while (queue !== undefined && seen < maxRecords) {
    const batch = (await queue.receive(Math.min(10, maxRecords - seen))).filter((m) => !handled.has(m.id));
    if (batch.length === 0) break;
    for (const message of batch) {
      handled.add(message.id);
      seen += 1;
      let claims: RecordClaims;
      try {
        claims = parseDeadLetterRecord(message.body);
      } catch (error) {
        if (!(error instanceof InvalidDeadLetterRecordError)) throw error;
        report.invalid.push({ receipt: message.receipt, error: error.message });
        continue;
      }
      // A second record of an execution delivered in this run (SQS delivers at least once) is removed, not re-sent.
      const duplicate = report.delivered.includes(claims.executionArn);
      if (duplicate || (await handle(claims))) {
        if (!options.dryRun) await queue.acknowledge(message.receipt);
      }
    }
  }

  if (options.unrecordedSince !== undefined) {
    const since = options.unrecordedSince.getTime();
    const machines = [deployment.stateMachineArn, ...(deployment.cancellationStateMachineArn === undefined ? [] : [deployment.cancellationStateMachineArn])];
    const listings = (await Promise.all(machines.map((arn) => services.stepFunctions.failedExecutions(arn)))).flat();
    for (const listing of listings) {
      if (seen >= maxRecords) break;
      if (listing.stopDate === undefined || listing.stopDate.getTime() < since) continue;
      const description = await services.stepFunctions.describeExecution(listing.executionArn);
      if (description?.error !== DEAD_LETTER_WRITE_FAILED_ERROR) continue;
      seen += 1;
      await handle({ recordVersion: 2, executionArn: listing.executionArn });
    }
  }
  return report;
}

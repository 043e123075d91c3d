/**
 * The dead-letter record the state machine writes (constructs/builders/asl.ts), read as a set of claims. Redrive acts
 * on none of them: the execution ARN says where to look, and everything else it delivers is re-derived from Step
 * Functions and Athena (derive.ts). A claim the record makes anyway must agree with what is derived, or the record is
 * refused.
 *
 * - Version 2 (current): ExecutionArn, ExecutionStartTime, StateMachineArn, Failure, LastError. No caller text.
 * - Version 1 (written before version 2; still in queues for up to 14 days after an upgrade): also CallbackUrl and
 *   QueryOutcome, which are checked like any other claim.
 */
import type { QueryOutcome } from '../handler/types';

/** What a record claims. Only `executionArn` is required. */
export interface RecordClaims {
  readonly recordVersion: 1 | 2;
  readonly executionArn: string;
  readonly executionStartTime?: string;
  readonly stateMachineArn?: string;
  readonly callbackUrl?: string;
  readonly queryOutcome?: QueryOutcome;
}

/** A message body that is not a delivery record; the message names the field and the rule, never URL secrets. */
export class InvalidDeadLetterRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDeadLetterRecordError';
  }
}

/**
 * A rendering of a value that breaks a rule, for messages: numbers, booleans and null as they are; strings, arrays and
 * objects by their shape only, because any text in them may be a URL with a token in its query or user info.
 */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  if (value !== null && typeof value === 'object') return `an object with ${Object.keys(value).length} keys`;
  return JSON.stringify(value);
}

function optionalString(record: Record<string, unknown>, field: string): string | undefined {
  const value = record[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new InvalidDeadLetterRecordError(`${field} must be a non-empty string when present, got ${describe(value)}`);
  return value;
}

/** Parses a message body into the record's claims. */
export function parseDeadLetterRecord(body: string): RecordClaims {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidDeadLetterRecordError(`the message body must be a JSON object, got ${body.length} characters that do not parse as JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidDeadLetterRecordError(`the message body must be a JSON object, got ${describe(parsed)}`);
  }
  const record = parsed as Record<string, unknown>;
  if (record.RecordVersion !== 1 && record.RecordVersion !== 2) {
    throw new InvalidDeadLetterRecordError(`RecordVersion must be 1 or 2, got ${describe(record.RecordVersion)}`);
  }
  const executionArn = optionalString(record, 'ExecutionArn');
  if (executionArn === undefined) throw new InvalidDeadLetterRecordError('ExecutionArn must be a non-empty string, got nothing');
  const outcome = record.QueryOutcome;
  if (outcome !== undefined && (outcome === null || typeof outcome !== 'object' || (!('QueryExecution' in outcome) && !('Error' in outcome)))) {
    throw new InvalidDeadLetterRecordError(`QueryOutcome must hold QueryExecution or Error when present, got ${describe(outcome)}`);
  }
  return {
    recordVersion: record.RecordVersion,
    executionArn,
    executionStartTime: optionalString(record, 'ExecutionStartTime'),
    stateMachineArn: optionalString(record, 'StateMachineArn'),
    callbackUrl: optionalString(record, 'CallbackUrl'),
    queryOutcome: outcome as QueryOutcome | undefined,
  };
}

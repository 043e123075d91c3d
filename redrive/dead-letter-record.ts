/**
 * The delivery record the state machine's RecordDeadLetter state writes (see constructs/builders/asl.ts), and how it
 * becomes a delivery request again. It holds everything needed to re-presign and re-deliver: the callback URL, the
 * query outcome (with the result's S3 location), and the last error; no presigned URL and no secret.
 */
import type { DeliveryRequest, QueryOutcome } from '../handler/types';

/** One dead-letter record. */
export interface DeadLetterRecord {
  readonly RecordVersion: 1;
  readonly ExecutionArn: string;
  readonly ExecutionStartTime: string;
  readonly CallbackUrl: string;
  readonly QueryOutcome: QueryOutcome;
  readonly Failure: { readonly Kind: 'RetriesExhausted' | 'PermanentFailure'; readonly MaxAttempts: number };
  readonly LastError: { readonly Error: string; readonly Cause?: string };
}

/** A message body that is not a delivery record; the message names the field, the rule and the value. */
export class InvalidDeadLetterRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDeadLetterRecordError';
  }
}

function requireString(record: Record<string, unknown>, field: string): string {
  const value = record[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidDeadLetterRecordError(`${field} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

function requireObject(record: Record<string, unknown>, field: string): Record<string, unknown> {
  const value = record[field];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidDeadLetterRecordError(`${field} must be an object, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Parses and checks a message body. */
export function parseDeadLetterRecord(body: string): DeadLetterRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidDeadLetterRecordError(`the message body must be JSON, got ${JSON.stringify(body.slice(0, 80))}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidDeadLetterRecordError(`the message body must be a JSON object, got ${JSON.stringify(parsed)}`);
  }
  const record = parsed as Record<string, unknown>;
  if (record.RecordVersion !== 1) {
    throw new InvalidDeadLetterRecordError(`RecordVersion must be 1, got ${JSON.stringify(record.RecordVersion)}`);
  }
  requireString(record, 'ExecutionArn');
  requireString(record, 'ExecutionStartTime');
  requireString(record, 'CallbackUrl');
  const outcome = requireObject(record, 'QueryOutcome');
  if (!('QueryExecution' in outcome) && !('Error' in outcome)) {
    throw new InvalidDeadLetterRecordError(`QueryOutcome must hold QueryExecution or Error, got keys ${JSON.stringify(Object.keys(outcome))}`);
  }
  requireObject(record, 'Failure');
  requireObject(record, 'LastError');
  return record as unknown as DeadLetterRecord;
}

/** The delivery request the callbacker receives, rebuilt from a record: the same as the state machine's first one. */
export function toDeliveryRequest(record: DeadLetterRecord): DeliveryRequest {
  return {
    ExecutionArn: record.ExecutionArn,
    ExecutionStartTime: record.ExecutionStartTime,
    CallbackUrl: record.CallbackUrl,
    QueryOutcome: record.QueryOutcome,
  };
}

/** Small helpers for values parsed from JSON. */
import type { JsonObject } from './types';

/** The value of a JSON text, or undefined when there is no text or it is not JSON. */
export function parseJsonOrUndefined(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for a plain object parsed from JSON; the Step Functions event holds nothing else. */
export function isJsonObject(value: unknown): value is JsonObject {
  return isObject(value);
}

/** A short, safe rendering of a received value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value) ?? String(value);
  // An ASCII cut mark: error messages are kept printable ASCII (errors.ts).
  return text.length > 120 ? `${text.slice(0, 120)}...` : text;
}

/** `Name: message` of a caught error, for the message of the named error that wraps it. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * What `async-athena-query` prints: human-readable text by default, the API's JSON with `--json`, one progress line
 * for `wait`, and errors naming the HTTP status and the API's message. Pure.
 */
import type { WaitProgress } from '../client';
import type { CancelledQuery, QueryStatus, SubmittedQuery } from '../types';

/** Bytes in binary units, as Athena's console shows data scanned: `0 B`, `1.5 KiB`, `12.3 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** A duration in milliseconds as `850 ms`, `42 s`, `3 min 5 s`, `2 h 0 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** JSON as printed with `--json`: two-space indented, one trailing newline. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** `submit` without --json: the query id alone, so `id=$(async-athena-query submit ...)` works. */
export function formatSubmitted(submitted: SubmittedQuery): string {
  return `${submitted.queryId}\n`;
}

/** `status` and `wait` without --json: one `field: value` line per field the API answered. */
export function formatStatus(status: QueryStatus): string {
  const lines: [string, string][] = [
    ['queryId', status.queryId],
    ['status', status.status],
    ['executionArn', status.executionArn],
    ['startDate', status.startDate],
  ];
  if (status.stopDate !== undefined) lines.push(['stopDate', status.stopDate]);
  if (status.stateChangeReason !== undefined) lines.push(['stateChangeReason', status.stateChangeReason]);
  if (status.queryExecutionId !== undefined) lines.push(['queryExecutionId', status.queryExecutionId]);
  const stats = status.statistics;
  if (stats?.DataScannedInBytes !== undefined) lines.push(['dataScanned', formatBytes(stats.DataScannedInBytes)]);
  if (stats?.EngineExecutionTimeInMillis !== undefined) lines.push(['engineExecutionTime', formatDuration(stats.EngineExecutionTimeInMillis)]);
  if (stats?.TotalExecutionTimeInMillis !== undefined) lines.push(['totalExecutionTime', formatDuration(stats.TotalExecutionTimeInMillis)]);
  lines.push(['callback', status.callback.status]);
  const width = Math.max(...lines.map(([field]) => field.length));
  return lines.map(([field, value]) => `${`${field}:`.padEnd(width + 1)} ${value}`).join('\n') + '\n';
}

/** `cancel` without --json. */
export function formatCancelled(cancelled: CancelledQuery): string {
  return `${cancelled.queryId} ${cancelled.status}\n`;
}

/** The progress line of `wait` (no newline): state, time waited, data scanned so far, and the callback once final. */
export function formatProgress(status: QueryStatus, progress: WaitProgress, final: boolean): string {
  const parts = [`${status.queryId}: ${status.status}`, `waited ${formatDuration(progress.elapsedMs)}`];
  const scanned = status.statistics?.DataScannedInBytes;
  if (scanned !== undefined) parts.push(`scanned ${formatBytes(scanned)}`);
  if (final) parts.push(`callback ${status.callback.status}`);
  if (final && status.stateChangeReason !== undefined) parts.push(status.stateChangeReason);
  return parts.join(', ');
}

/** The fields of an error worth printing, by name. */
interface ErrorFields {
  readonly name: string;
  readonly message: string;
  readonly status?: number;
  readonly apiMessage?: string;
  readonly requestId?: string;
  readonly errorType?: string;
}

function fieldsOf(error: unknown): ErrorFields {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const e = error as Error & Partial<ErrorFields>;
  return {
    name: e.name,
    message: e.message,
    ...(typeof e.status === 'number' && { status: e.status }),
    ...(typeof e.apiMessage === 'string' && { apiMessage: e.apiMessage }),
    ...(typeof e.requestId === 'string' && { requestId: e.requestId }),
    ...(typeof e.errorType === 'string' && { errorType: e.errorType }),
  };
}

/** An error for standard error: `async-athena-query: <message>`, or `{"error": {...}}` with --json. */
export function formatError(error: unknown, json: boolean): string {
  const fields = fieldsOf(error);
  if (json) return formatJson({ error: fields });
  return `async-athena-query: ${fields.message}\n`;
}

/**
 * Checks of the API's 2xx bodies: each route's answer must have the contract's fields with the right types, so a
 * wrong URL or an API of another version fails with a clear message instead of `undefined` somewhere later. Fields
 * the contract does not name are kept (the API may add some). Pure.
 */
import type { CancelledQuery, QueryStatus, ResultLink, SubmittedQuery } from './types';

type Problem = (problem: string) => Error;

function objectOf(json: unknown, problem: Problem): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw problem(`expected a JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  return json as Record<string, unknown>;
}

function requireFields(body: Record<string, unknown>, fields: Readonly<Record<string, 'string' | 'number' | 'object'>>, problem: Problem, where = ''): void {
  const wrong = Object.entries(fields)
    .filter(([name, type]) => (type === 'object' ? typeof body[name] !== 'object' || body[name] === null : typeof body[name] !== type))
    .map(([name, type]) => `${where}${name} (${type}, got ${body[name] === null ? 'null' : typeof body[name]})`);
  if (wrong.length > 0) throw problem(`missing or mistyped ${wrong.join(', ')}`);
}

function optionalFields(body: Record<string, unknown>, fields: Readonly<Record<string, 'string' | 'object'>>, problem: Problem): void {
  const wrong = Object.entries(fields)
    .filter(([name, type]) => body[name] !== undefined && (type === 'object' ? typeof body[name] !== 'object' || body[name] === null : typeof body[name] !== type))
    .map(([name, type]) => `${name} (${type} when present, got ${body[name] === null ? 'null' : typeof body[name]})`);
  if (wrong.length > 0) throw problem(`mistyped ${wrong.join(', ')}`);
}

/** The answer of `POST /queries`. */
export function checkSubmittedQuery(json: unknown, problem: Problem): SubmittedQuery {
  const body = objectOf(json, problem);
  requireFields(body, { executionArn: 'string', startDate: 'number', queryId: 'string' }, problem);
  return body as unknown as SubmittedQuery;
}

/** The answer of `GET /queries/{id}`. */
export function checkQueryStatus(json: unknown, problem: Problem): QueryStatus {
  const body = objectOf(json, problem);
  requireFields(body, { queryId: 'string', executionArn: 'string', status: 'string', startDate: 'string', callback: 'object' }, problem);
  optionalFields(body, { stopDate: 'string', stateChangeReason: 'string', queryExecutionId: 'string', statistics: 'object' }, problem);
  requireFields(body.callback as Record<string, unknown>, { status: 'string' }, problem, 'callback.');
  return body as unknown as QueryStatus;
}

/** The answer of `DELETE /queries/{id}`. */
export function checkCancelledQuery(json: unknown, problem: Problem): CancelledQuery {
  const body = objectOf(json, problem);
  requireFields(body, { queryId: 'string', status: 'string' }, problem);
  return body as unknown as CancelledQuery;
}

/** The answer of `GET /queries/{id}/result`. */
export function checkResultLink(json: unknown, problem: Problem): ResultLink {
  const body = objectOf(json, problem);
  requireFields(body, { queryId: 'string', presignedUrl: 'string', expiredIn: 'number' }, problem);
  return body as unknown as ResultLink;
}

/**
 * Checks what a caller sends, with the rules of the contract (constructs/builders/api-contract.ts): the body of a POST
 * (the same rules as the request model API Gateway validates with first), the `Idempotency-Key` header and the query
 * id in the path. Every problem names the field, the rule and what was received; a callback URL is shown without its
 * query string, user info or fragment, and no value is echoed longer than a short excerpt.
 */
import {
  CALLBACK_URL_PATTERN,
  EXECUTION_PARAMETER_LENGTH,
  IDEMPOTENCY_KEY_HEADER,
  MAX_CALLBACK_URL_LENGTH,
  MAX_EXECUTION_PARAMETERS,
  MAX_QUERY_CHARACTERS,
  QUERY_ID_PATTERN,
  QUERY_ID_RULE,
  type QueryRequest,
  RESULT_REUSE_MAX_AGE_MINUTES,
  TEXT_PATTERN,
} from '../../constructs/builders/api-contract';
import { redactUrlText } from '../redact';
import { InvalidRequestError, type RequestProblem } from './errors';

/** How much of a received string a message shows, in characters. */
const EXCERPT_CHARS = 60;

const TEXT = new RegExp(TEXT_PATTERN);
const QUERY_ID = new RegExp(QUERY_ID_PATTERN);
const CALLBACK_URL = new RegExp(CALLBACK_URL_PATTERN);

/** Characters of a string as JSON Schema counts them (code points). */
function codePoints(text: string): number {
  return Array.from(text).length;
}

/**
 * A received value for a message: its type and size, and for strings a short excerpt with control characters shown as
 * escapes (so a message stays one printable line).
 */
export function describeReceived(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  if (typeof value === 'object') return `an object with ${Object.keys(value).length} keys`;
  const text = String(value);
  const chars = Array.from(text);
  const excerpt = JSON.stringify(chars.slice(0, EXCERPT_CHARS).join('')).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return chars.length <= EXCERPT_CHARS ? `${excerpt} (${chars.length} characters)` : `${excerpt.slice(0, -1)}..." (${chars.length} characters)`;
}

/** A callback URL for a message: redacted (no user info, query or fragment), with its length. */
function describeCallbackUrl(value: unknown): string {
  if (typeof value !== 'string') return describeReceived(value);
  return `'${redactUrlText(value)}' (${value.length} characters)`;
}

function checkText(field: string, value: unknown, min: number, max: number, problems: RequestProblem[]): void {
  if (typeof value !== 'string') {
    problems.push({ field, rule: 'be a string', received: describeReceived(value) });
    return;
  }
  const length = codePoints(value);
  if (length < min || length > max) problems.push({ field, rule: `be ${min} to ${max} characters long`, received: describeReceived(value) });
  if (!TEXT.test(value)) {
    problems.push({ field, rule: 'contain no control character but tab, line feed and carriage return', received: describeReceived(value) });
  }
}

/**
 * Parses and checks a POST body. Returns the request with only the contract's fields.
 *
 * @throws InvalidRequestError listing every problem
 */
export function parseQueryRequest(body: string): QueryRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new InvalidRequestError([{ field: 'the body', rule: 'be JSON', received: `${codePoints(body)} characters that do not parse (${(error as Error).message.slice(0, 100)})` }], 'Invalid request body');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidRequestError([{ field: 'the body', rule: 'be a JSON object', received: describeReceived(parsed) }], 'Invalid request body');
  }
  const fields = parsed as Record<string, unknown>;
  const problems: RequestProblem[] = [];
  const known = ['Query', 'CallbackUrl', 'ExecutionParameters', 'ResultReuseMaxAgeMinutes'];
  for (const name of Object.keys(fields).filter((n) => !known.includes(n))) {
    problems.push({ field: 'the body', rule: `hold no property but ${known.join(', ')}`, received: `the property ${describeReceived(name)}` });
  }

  const { Query: query, CallbackUrl: callbackUrl, ExecutionParameters: parameters, ResultReuseMaxAgeMinutes: minutes } = fields;
  if (query === undefined) problems.push({ field: 'Query', rule: 'be given (the SQL to run)', received: 'nothing' });
  else {
    checkText('Query', query, 1, MAX_QUERY_CHARACTERS, problems);
    if (typeof query === 'string' && !/\S/.test(query)) problems.push({ field: 'Query', rule: 'hold a character that is not white space', received: describeReceived(query) });
  }

  if (callbackUrl === undefined) problems.push({ field: 'CallbackUrl', rule: 'be given (the https URL the outcome is POSTed to)', received: 'nothing' });
  else if (typeof callbackUrl !== 'string') problems.push({ field: 'CallbackUrl', rule: 'be a string', received: describeReceived(callbackUrl) });
  else if (callbackUrl.length > MAX_CALLBACK_URL_LENGTH) {
    problems.push({ field: 'CallbackUrl', rule: `be at most ${MAX_CALLBACK_URL_LENGTH} characters`, received: describeCallbackUrl(callbackUrl) });
  } else if (!CALLBACK_URL.test(callbackUrl)) {
    problems.push({ field: 'CallbackUrl', rule: 'be an https:// URL of printable ASCII without user info', received: describeCallbackUrl(callbackUrl) });
  }

  if (parameters !== undefined) {
    if (!Array.isArray(parameters)) problems.push({ field: 'ExecutionParameters', rule: 'be an array of strings', received: describeReceived(parameters) });
    else if (parameters.length < 1 || parameters.length > MAX_EXECUTION_PARAMETERS) {
      problems.push({ field: 'ExecutionParameters', rule: `hold 1 to ${MAX_EXECUTION_PARAMETERS} values (leave it out for a query without parameters)`, received: describeReceived(parameters) });
    } else {
      parameters.forEach((value, i) => checkText(`ExecutionParameters[${i}]`, value, EXECUTION_PARAMETER_LENGTH.min, EXECUTION_PARAMETER_LENGTH.max, problems));
    }
  }

  if (minutes !== undefined && (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < RESULT_REUSE_MAX_AGE_MINUTES.min || minutes > RESULT_REUSE_MAX_AGE_MINUTES.max)) {
    problems.push({
      field: 'ResultReuseMaxAgeMinutes',
      rule: `be a whole number of minutes from ${RESULT_REUSE_MAX_AGE_MINUTES.min} to ${RESULT_REUSE_MAX_AGE_MINUTES.max}`,
      received: describeReceived(minutes),
    });
  }

  if (problems.length > 0) throw new InvalidRequestError(problems, 'Invalid request body');
  return {
    Query: query as string,
    CallbackUrl: callbackUrl as string,
    ...(parameters !== undefined && { ExecutionParameters: parameters as string[] }),
    ...(minutes !== undefined && { ResultReuseMaxAgeMinutes: minutes as number }),
  };
}

/**
 * The `Idempotency-Key` header, when given: 1 to 80 letters, digits, `_` or `-`.
 *
 * @throws InvalidRequestError naming the header, the rule and the value
 */
export function checkIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!QUERY_ID.test(value)) throw new InvalidRequestError([{ field: `the ${IDEMPOTENCY_KEY_HEADER} header`, rule: QUERY_ID_RULE, received: describeReceived(value) }]);
  return value;
}

/**
 * The query id of the path (`/queries/{id}`): an execution name, with the rule of idempotency keys.
 *
 * @throws InvalidRequestError naming the path parameter, the rule and the value
 */
export function checkQueryId(value: string | undefined): string {
  if (value === undefined || !QUERY_ID.test(value)) {
    throw new InvalidRequestError([{ field: 'the query id in the path (/queries/{id})', rule: QUERY_ID_RULE, received: describeReceived(value) }]);
  }
  return value;
}

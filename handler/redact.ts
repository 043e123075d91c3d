/**
 * Keeps the secret parts of a callback URL out of messages, errors and logs. Callers put tokens in a webhook URL's
 * query string or user info (and sometimes its fragment); none of those may reach an error message, a Step Functions
 * Cause, a dead-letter record or a log line.
 *
 * Messages are built from redacted URLs in the first place (redactUrl, redactUrlText). scrubError is the backstop at
 * the handler's boundary: it also catches text the handler does not write itself, such as a receiver's error page
 * that echoes the URL it was called with, or a library error that quotes its input.
 *
 * Every mark of removed text is ASCII (`...`): the callbacker's error messages are printable ASCII (errors.ts), since
 * they end up in an SQS message.
 */

/** What stands for removed text. */
const REMOVED = '...';

/** The URL without its user info, query and fragment; for messages and logs. */
export function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search === '' ? '' : `?${REMOVED}`}`;
}

/** How much of a URL that does not parse is shown in messages. */
const MAX_SHOWN_URL_CHARS = 200;

/** A URL's text split where the URL parser would split it, erring on the side of more user info. */
interface UrlTextParts {
  /** Scheme and slashes, e.g. `https://`. */
  readonly scheme: string;
  /** Everything before the last `@` ahead of the first `/` or `\` after the scheme (may include a `?`). */
  readonly userInfo: string;
  /** From after the user info up to the first `?` or `#`. */
  readonly hostAndPath: string;
  /** After the first `?` up to the first `#` after it; undefined without a `?`. */
  readonly query?: string;
  /** After the first `#`; undefined without one. */
  readonly fragment?: string;
}

function splitUrlText(text: string): UrlTextParts {
  const scheme = /^(?:[a-z][a-z0-9+.-]*:)?[/\\]*/i.exec(text)?.[0] ?? '';
  const afterScheme = text.slice(scheme.length);
  const authorityEnd = afterScheme.search(/[/\\]/);
  const authority = authorityEnd === -1 ? afterScheme : afterScheme.slice(0, authorityEnd);
  const at = authority.lastIndexOf('@');
  const userInfo = at === -1 ? '' : authority.slice(0, at);
  const rest = afterScheme.slice(at + 1);
  const cut = rest.search(/[?#]/);
  const hostAndPath = cut === -1 ? rest : rest.slice(0, cut);
  const tail = cut === -1 ? '' : rest.slice(cut);
  const hash = tail.indexOf('#');
  const query = tail.startsWith('?') ? tail.slice(1, hash === -1 ? undefined : hash) : undefined;
  const fragment = hash === -1 ? undefined : tail.slice(hash + 1);
  return { scheme, userInfo, hostAndPath, query, fragment };
}

/**
 * A URL's text without user info, query and fragment, for messages about text `new URL` refuses (a port out of
 * range, a bad host). The cut is by text and errs on the side of cutting: everything before the last `@` ahead of
 * the first `/` or `\` after the scheme is user info (even past a `?`), and everything from the first `?` or `#`
 * on goes. Control characters become spaces so a message stays on one line. https://url.spec.whatwg.org/#url-parsing
 */
export function redactUrlText(text: string): string {
  const { scheme, hostAndPath, query } = splitUrlText(text);
  const kept = Array.from(`${scheme}${hostAndPath}`.replace(/[\u0000-\u001f\u007f]/g, ' '));
  const shown = kept.length > MAX_SHOWN_URL_CHARS ? `${kept.slice(0, MAX_SHOWN_URL_CHARS).join('')}${REMOVED}` : kept.join('');
  return `${shown}${query === undefined ? '' : `?${REMOVED}`}`;
}

/**
 * Pieces shorter than this are not treated as secrets: replacing every `1` of an error page because a URL said
 * `page=1` would garble messages, and no credential is that short.
 */
export const MIN_SECRET_PIECE_CHARS = 4;

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * The pieces of a callback URL that may hold secrets, as they may appear in text: the whole query, user info and
 * fragment, each query value, the user name and password, both raw and percent-decoded. Longest first, so a scrub
 * replaces whole pieces before their parts. Works on text the URL parser refuses too.
 */
export function secretPiecesOf(callbackUrl: string): string[] {
  const { userInfo, query, fragment } = splitUrlText(callbackUrl);
  const pieces = [userInfo, ...userInfo.split(':'), query ?? '', fragment ?? ''];
  for (const pair of (query ?? '').split('&')) {
    const equals = pair.indexOf('=');
    pieces.push(pair, equals === -1 ? pair : pair.slice(equals + 1));
  }
  const all = pieces.flatMap((piece) => [piece, decoded(piece)]).filter((piece) => piece.length >= MIN_SECRET_PIECE_CHARS);
  return [...new Set(all)].sort((a, b) => b.length - a.length);
}

/** The text with every secret piece replaced by `...`. */
export function withoutSecrets(text: string, pieces: readonly string[]): string {
  return pieces.reduce((scrubbed, piece) => scrubbed.split(piece).join(REMOVED), text);
}

/**
 * Removes the secret pieces from an error before it leaves the handler: its message, its stack (which repeats the
 * message), its other own string properties (Node's URL errors keep the whole `input`), and the same for every
 * error in its cause chain. A cause that is not an Error is dropped. Returns the same error object.
 */
export function scrubError(error: unknown, pieces: readonly string[]): unknown {
  if (pieces.length === 0) return error;
  const seen = new Set<unknown>();
  for (let current: unknown = error; current instanceof Error && !seen.has(current); current = current.cause) {
    seen.add(current);
    const fields = current as unknown as Record<string, unknown>;
    for (const key of [...Object.getOwnPropertyNames(current), 'message', 'stack']) {
      const value = fields[key];
      if (typeof value === 'string') fields[key] = withoutSecrets(value, pieces);
    }
    if (current.cause !== undefined && !(current.cause instanceof Error)) delete fields.cause;
  }
  return error;
}

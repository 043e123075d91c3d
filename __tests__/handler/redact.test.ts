import { inspect } from 'node:util';
import { redactUrl, redactUrlText, scrubError, secretPiecesOf, withoutSecrets } from '../../handler/redact';

describe('redactUrl', () => {
  it('keeps scheme, host, port and path, and marks a query without showing it', () => {
    // GIVEN / WHEN
    const shown = redactUrl(new URL('https://user:pw@hooks.example.com:8443/a/b?token=t0k#frag'));

    // THEN
    expect(shown).toBe('https://hooks.example.com:8443/a/b?...');
  });
});

describe('redactUrlText', () => {
  it.each([
    ['https://host:99999/cb?token=t0k', 'https://host:99999/cb?...'],
    ['https://user:pw@host:99999/cb?x=t0k#t0k', 'https://host:99999/cb?...'],
    ['https:user:pw@host:99999', 'https:host:99999'],
    ['https://a@b@host\\x?t0k', 'https://host\\x?...'],
    ['https://user:p?t0k@host:99999/cb', 'https://host:99999/cb'],
    ['https://host/p@th#t0k', 'https://host/p@th'],
    ['https://host:99999/c\nb?t0k', 'https://host:99999/c b?...'],
    ['not a url ?token=t0k', 'not a url ?...'],
  ])('shows %j as %j', (text, shown) => {
    // GIVEN / WHEN
    const redacted = redactUrlText(text);

    // THEN
    expect(redacted).toBe(shown);
  });

  it('cuts very long text to 200 characters', () => {
    // GIVEN
    const text = `https://host/${'a'.repeat(500)}?token=t0k`;

    // WHEN
    const redacted = redactUrlText(text);

    // THEN
    expect(redacted).toBe(`${text.slice(0, 200)}...?...`);
  });
});

describe('secretPiecesOf', () => {
  it('lists the query, each value, the user info and the fragment, raw and decoded, longest first', () => {
    // GIVEN / WHEN
    const pieces = secretPiecesOf('https://hook:pa%24s@h.example/cb?token=ab%2Bcd&page=1#frag-t0k');

    // THEN
    expect(pieces).toEqual(
      expect.arrayContaining(['token=ab%2Bcd&page=1', 'ab%2Bcd', 'ab+cd', 'hook:pa%24s', 'pa%24s', 'pa$s', 'hook', 'frag-t0k']),
    );
    expect(pieces).not.toContain('1');
    expect(pieces.map((p) => p.length)).toEqual([...pieces.map((p) => p.length)].sort((a, b) => b - a));
  });

  it('finds the pieces of text the URL parser refuses', () => {
    // GIVEN / WHEN
    const pieces = secretPiecesOf('https://hook:s3cr3t@h.example:99999/cb?token=t0k3n');

    // THEN
    expect(pieces).toEqual(expect.arrayContaining(['s3cr3t', 't0k3n', 'token=t0k3n']));
  });

  it('finds nothing in a URL without query, user info or fragment', () => {
    expect(secretPiecesOf('https://hooks.example.com/athena')).toEqual([]);
  });
});

describe('withoutSecrets', () => {
  it('replaces every occurrence of every piece', () => {
    // GIVEN
    const pieces = secretPiecesOf('https://h.example/cb?token=t0k3n');

    // WHEN
    const text = withoutSecrets('Cannot POST /cb?token=t0k3n (token t0k3n)', pieces);

    // THEN
    expect(text).toBe('Cannot POST /cb?... (token ...)');
  });
});

describe('scrubError', () => {
  it('scrubs message, stack, own string properties and the cause chain, and drops a non-Error cause', () => {
    // GIVEN
    const inner = Object.assign(new TypeError('Invalid URL'), { input: 'https://h.example:99999/?token=t0k3n' });
    const middle = new Error('while reading t0k3n', { cause: inner });
    const outer = new Error('failed for t0k3n', { cause: middle });
    const odd = new Error('odd', { cause: { url: '?token=t0k3n' } });

    // WHEN
    scrubError(outer, secretPiecesOf('https://h.example/cb?token=t0k3n'));
    scrubError(odd, secretPiecesOf('https://h.example/cb?token=t0k3n'));

    // THEN
    expect(outer.message).toBe('failed for ...');
    expect(inspect(outer, { depth: 10 })).not.toContain('t0k3n');
    expect(inspect(odd, { depth: 10 })).not.toContain('t0k3n');
  });
});

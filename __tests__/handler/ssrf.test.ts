import { inspect } from 'node:util';
import { CallbackRetryableError, CallbackUrlBlockedError } from '../../handler/errors';
import {
  type CallbackPolicy,
  checkCallbackUrl,
  classifyAddress,
  hostMatches,
  isAddressAllowed,
  normaliseIPv4,
  normaliseIPv6,
  parseHostPattern,
  resolveCallbackTarget,
  type Resolver,
} from '../../handler/ssrf';
import { INTERNAL_ADDRESSES, PUBLIC_ADDRESSES } from '../support/ssrf-corpus';

const STRICT: CallbackPolicy = { allowedHosts: [], allowedPorts: [443], allowLoopbackHttp: false };
const LOOPBACK_TESTING: CallbackPolicy = { ...STRICT, allowLoopbackHttp: true };

function resolverOf(addresses: Record<string, string[]>): Resolver {
  return async (hostname) => {
    const found = addresses[hostname];
    if (found === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

describe('classifyAddress', () => {
  it('has a corpus of at least 40 internal spellings', () => {
    // GIVEN / WHEN
    const size = INTERNAL_ADDRESSES.length;

    // THEN
    expect(size).toBeGreaterThanOrEqual(40);
  });

  it.each(INTERNAL_ADDRESSES)('refuses %s (%s)', (spelling) => {
    // GIVEN / WHEN
    const verdict = classifyAddress(spelling);

    // THEN
    expect(verdict.category).not.toBe('public');
    expect(isAddressAllowed(verdict, STRICT)).toBe(false);
    expect(verdict.range).toEqual(expect.any(String));
  });

  it.each(PUBLIC_ADDRESSES)('accepts %s as public %s', (spelling, canonical) => {
    // GIVEN / WHEN
    const verdict = classifyAddress(spelling);

    // THEN
    expect(verdict).toEqual({ address: canonical, family: canonical.includes(':') ? 6 : 4, category: 'public' });
  });

  it.each([
    ['169.254.169.254', 'link-local 169.254.0.0/16 (instance metadata)'],
    ['::ffff:169.254.169.254', 'IPv4-mapped ::ffff:0:0/96 embedding 169.254.169.254 (link-local 169.254.0.0/16 (instance metadata))'],
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'Teredo 2001::/32 embedding 10.0.0.1 (private 10.0.0.0/8 (RFC 1918))'],
    ['2002:c0a8:101::', '6to4 2002::/16 embedding 192.168.1.1 (private 192.168.0.0/16 (RFC 1918))'],
    ['255.255.255.255', 'limited broadcast 255.255.255.255'],
  ])('names the range of %s', (address, range) => {
    // GIVEN / WHEN
    const verdict = classifyAddress(address);

    // THEN
    expect(verdict.range).toBe(range);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::ffff:127.0.0.1', false],
    ['64:ff9b::7f00:1', false],
    ['10.0.0.1', false],
    ['169.254.169.254', false],
    ['fe80::1', false],
  ])('under the loopback testing flag allows %s: %j', (address, allowed) => {
    // GIVEN
    const verdict = classifyAddress(address);

    // WHEN
    const result = isAddressAllowed(verdict, LOOPBACK_TESTING);

    // THEN
    expect(result).toBe(allowed);
  });

  it.each(['example.com', '1.2.3.4.5', '256.0.0.1', '1.2.3.0x1g', '::1::', '12345::', 'fe80::1::2', '::ffff:1.2.3', '1:2:3:4:5:6:7:8:9', ''])(
    'treats %j as not an address, so never as public',
    (text) => {
      // GIVEN / WHEN
      const verdict = classifyAddress(text);

      // THEN
      expect(verdict).toMatchObject({ category: 'blocked', range: 'not an IP address' });
    },
  );
});

describe('normaliseIPv4', () => {
  it.each([
    ['127.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7F.0X0.0.01', '127.0.0.1'],
    ['10.1.65535', '10.1.255.255'],
    ['0x', '0.0.0.0'],
    ['4294967295', '255.255.255.255'],
  ])('reads %s as %s, as the URL standard does', (text, expected) => {
    // GIVEN / WHEN
    const normalised = normaliseIPv4(text);

    // THEN
    expect(normalised).toBe(expected);
    expect(new URL(`http://${text}/`).hostname).toBe(expected);
  });

  it.each(['4294967296', '1.256.0.0', '1.2.3.4.5', '08.1.1.1', '1..1', 'a.b.c.d', '0x1g'])('refuses %s', (text) => {
    // GIVEN / WHEN
    const normalised = normaliseIPv4(text);

    // THEN
    expect(normalised).toBeUndefined();
  });
});

describe('normaliseIPv6', () => {
  it.each([
    ['::', '::'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    // ipaddr.js alone would read this IPv4-compatible form as IPv4-mapped (::ffff:7f00:1).
    ['::127.0.0.1', '::7f00:1'],
  ])('reads %s as %s, as the URL standard does', (text, expected) => {
    // GIVEN / WHEN
    const normalised = normaliseIPv6(text);

    // THEN
    expect(normalised).toBe(expected);
  });

  // ipaddr.js alone would read the octal-looking tail as decimal (::ffff:b100:1); the URL parser refuses it.
  it.each(['::ffff:0177.0.0.1', '::ffff:1.2.3', '12345::', 'fe80::1::2', '1:2:3:4:5:6:7:8:9', '127.0.0.1', 'example.com', '[::1]/x'])(
    'refuses %s',
    (text) => {
      // GIVEN / WHEN
      const normalised = normaliseIPv6(text);

      // THEN
      expect(normalised).toBeUndefined();
    },
  );
});

describe('host patterns', () => {
  it.each([
    ['hooks.example.com', 'hooks.example.com', true],
    ['hooks.example.com', 'evil-hooks.example.com', false],
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'badexample.com', false],
    ['*.example.com', 'example.com.evil.test', false],
    ['HOOKS.Example.COM.', 'hooks.example.com', true],
    ['[2606:4700:4700:0:0:0:0:1111]', '2606:4700:4700::1111', true],
  ])('pattern %j matches %j: %j', (pattern, host, expected) => {
    // GIVEN
    const parsed = parseHostPattern(pattern);

    // WHEN
    const matches = parsed !== undefined && hostMatches(host, [parsed]);

    // THEN
    expect(matches).toBe(expected);
  });
});

describe('checkCallbackUrl', () => {
  it('accepts a public https URL on 443 without DNS', () => {
    // GIVEN / WHEN
    const target = checkCallbackUrl('https://Receiver.Example.com/hook?token=abc', STRICT);

    // THEN
    expect(target).toMatchObject({ protocol: 'https:', hostname: 'receiver.example.com', port: 443 });
    expect(target.literal).toBeUndefined();
  });

  it.each([
    ['not a URL', 'must be an absolute URL'],
    ['/relative/hook', 'must be an absolute URL'],
    ['http://receiver.example.com/hook', "must use https, got scheme 'http:'"],
    ['ftp://receiver.example.com/hook', "must use https, got scheme 'ftp:'"],
    ['file:///etc/passwd', "must use https, got scheme 'file:'"],
    ['https://user:pass@receiver.example.com/hook', 'must not carry credentials'],
    ['https://user@receiver.example.com/hook', 'must not carry credentials'],
    ['https://receiver.example.com:8443/hook', 'port 8443 is not allowed'],
    ['https://receiver.example.com:0/hook', 'port 0 is not allowed'],
    ['https://169.254.169.254/latest/meta-data/', 'is an internal address: link-local'],
    ['https://[::ffff:a9fe:a9fe]/', 'is an internal address: IPv4-mapped'],
    ['https://2852039166/', 'host 169.254.169.254 is an internal address'],
  ])('blocks %j', (url, message) => {
    // GIVEN / WHEN
    const check = () => checkCallbackUrl(url, STRICT);

    // THEN
    expect(check).toThrow(CallbackUrlBlockedError);
    expect(check).toThrow(message);
  });

  it('does not put the query string, which may hold a token, into messages', () => {
    // GIVEN / WHEN
    const check = () => checkCallbackUrl('https://receiver.example.com:8443/hook?token=s3cr3t', STRICT);

    // THEN
    expect(check).toThrow('https://receiver.example.com:8443/hook?...');
    expect(check).not.toThrow(/s3cr3t/);
  });

  it.each([
    ['a port out of range', 'https://receiver.example.com:99999/cb?token=s3cr3t', "got 'https://receiver.example.com:99999/cb?...'"],
    ['a bad host', 'https://user:s3cr3t@rec eiver.example.com/cb', "got 'https://rec eiver.example.com/cb'"],
    ['a bad port and credentials', 'https://user:s3cr3t@receiver.example.com:x/cb#s3cr3t', "got 'https://receiver.example.com:x/cb'"],
  ])('blocks a URL that does not parse (%s) without echoing its secrets', (_label, url, shown) => {
    // GIVEN / WHEN
    let thrown: unknown;
    try {
      checkCallbackUrl(url, STRICT);
    } catch (error) {
      thrown = error;
    }

    // THEN
    expect(thrown).toBeInstanceOf(CallbackUrlBlockedError);
    expect((thrown as Error).message).toContain(shown);
    expect(inspect(thrown, { depth: 10 })).not.toContain('s3cr3t');
  });

  it.each([
    ['https://hooks.example.com/x', true],
    ['https://a.partner.example/x', true],
    ['https://partner.example/x', false],
    ['https://other.example.com/x', false],
  ])('applies the host allowlist to %j (allowed: %j)', (url, allowed) => {
    // GIVEN
    const policy: CallbackPolicy = {
      ...STRICT,
      allowedHosts: [
        { kind: 'exact', host: 'hooks.example.com' },
        { kind: 'suffix', suffix: 'partner.example' },
      ],
    };

    // WHEN
    const check = () => checkCallbackUrl(url, policy);

    // THEN
    if (allowed) expect(check).not.toThrow();
    else expect(check).toThrow("is not in CALLBACK_ALLOWED_HOSTS");
  });

  it.each([
    ['http://127.0.0.1:443/hook', true],
    ['http://[::1]:443/hook', true],
    ['https://127.0.0.1:443/hook', true],
    ['http://10.0.0.1:443/hook', false],
    ['http://8.8.8.8:443/hook', false],
  ])('under the loopback testing flag treats %j as allowed: %j', (url, allowed) => {
    // GIVEN / WHEN
    const check = () => checkCallbackUrl(url, LOOPBACK_TESTING);

    // THEN
    if (allowed) expect(check).not.toThrow();
    else expect(check).toThrow(CallbackUrlBlockedError);
  });
});

describe('resolveCallbackTarget', () => {
  it('returns the first address when every resolved address is public', async () => {
    // GIVEN
    const target = checkCallbackUrl('https://receiver.example.com/hook', STRICT);
    const resolve = resolverOf({ 'receiver.example.com': ['2606:4700:4700::1111', '1.1.1.1'] });

    // WHEN
    const resolved = await resolveCallbackTarget(target, STRICT, resolve);

    // THEN
    expect(resolved).toMatchObject({ address: '2606:4700:4700::1111', family: 6, hostname: 'receiver.example.com' });
  });

  it('blocks a host when any one of its addresses is internal', async () => {
    // GIVEN
    const target = checkCallbackUrl('https://rebind.example.com/hook', STRICT);
    const resolve = resolverOf({ 'rebind.example.com': ['1.1.1.1', '169.254.169.254'] });

    // WHEN
    const resolution = resolveCallbackTarget(target, STRICT, resolve);

    // THEN
    await expect(resolution).rejects.toThrow(
      new CallbackUrlBlockedError(
        "CallbackUrl host 'rebind.example.com' resolves to internal address 169.254.169.254 " +
          '(link-local 169.254.0.0/16 (instance metadata)), in https://rebind.example.com/hook',
      ),
    );
  });

  it('reports a failed lookup as retryable', async () => {
    // GIVEN
    const target = checkCallbackUrl('https://gone.example.com/hook', STRICT);

    // WHEN
    const resolution = resolveCallbackTarget(target, STRICT, resolverOf({}));

    // THEN
    await expect(resolution).rejects.toThrow(CallbackRetryableError);
    await expect(resolution).rejects.toThrow("Resolving callback host 'gone.example.com' failed with ENOTFOUND");
  });

  it('blocks http to a name that resolves to a public address even under the loopback flag', async () => {
    // GIVEN
    const target = checkCallbackUrl('http://mixed.example.com:443/hook', LOOPBACK_TESTING);
    const resolve = resolverOf({ 'mixed.example.com': ['127.0.0.1', '8.8.8.8'] });

    // WHEN
    const resolution = resolveCallbackTarget(target, LOOPBACK_TESTING, resolve);

    // THEN
    await expect(resolution).rejects.toThrow('may use http only for loopback targets');
  });
});

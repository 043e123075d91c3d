/**
 * The callback URL policy: which URLs the callbacker may POST to, and which addresses it may connect to.
 *
 * The CallbackUrl comes from the API caller, so this module is the guard against server-side request forgery
 * (reaching the instance metadata service, VPC-internal hosts or the Lambda Runtime API). Addresses are classified
 * from their bytes, after every IPv4 spelling is normalised, and IPv6 forms that embed an IPv4 address are judged
 * by the embedded address.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { CallbackRetryableError, CallbackUrlBlockedError } from './errors';

/** An allowed callback host: an exact name, or `*.suffix` matching any name strictly below the suffix. */
export type HostPattern =
  | { readonly kind: 'exact'; readonly host: string }
  | { readonly kind: 'suffix'; readonly suffix: string };

/** What the operator allows as callback targets. */
export interface CallbackPolicy {
  /** Allowed hosts; empty means any host whose addresses are all public. */
  readonly allowedHosts: readonly HostPattern[];
  /** Allowed ports. */
  readonly allowedPorts: readonly number[];
  /**
   * Permits `http:` and loopback addresses (127.0.0.0/8, ::1), for local testing only. The environment parser
   * forces it off inside a Lambda sandbox.
   */
  readonly allowLoopbackHttp: boolean;
}

/** A resolved address of a host name. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to every address it has. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** How an address is treated. */
export type AddressCategory = 'public' | 'loopback' | 'blocked';

/** The verdict on one IP address. */
export interface AddressClassification {
  /** The address in canonical text form (dotted quad, or RFC 5952 IPv6 as produced by `new URL`). */
  readonly address: string;
  readonly family: 4 | 6;
  readonly category: AddressCategory;
  /** Which special-purpose range the address is in; absent for public addresses. */
  readonly range?: string;
}

/** A callback URL that passed the static checks. */
export interface CallbackTarget {
  readonly url: URL;
  readonly protocol: 'https:' | 'http:';
  /** The host name without IPv6 brackets and without a trailing dot, lower case. */
  readonly hostname: string;
  readonly port: number;
  /** Set when the host is an IP literal: no DNS lookup is needed. */
  readonly literal?: AddressClassification;
}

/** A target plus the address the callbacker will connect to; every address of the host was checked. */
export interface ResolvedTarget extends CallbackTarget {
  readonly address: string;
  readonly family: 4 | 6;
}

/** The default resolver: every address the system resolver returns, in its order. */
export const systemResolver: Resolver = async (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * Parses an IPv4 address the way the WHATWG URL standard does, so `127.1`, `0x7f.1`, `0177.0.0.1`,
 * `017700000001` and `2130706433` all become `127.0.0.1`. Returns undefined when the text is not an IPv4 address.
 * https://url.spec.whatwg.org/#concept-ipv4-parser
 */
export function normaliseIPv4(text: string): string | undefined {
  const bytes = parseIPv4(text);
  return bytes === undefined ? undefined : bytes.join('.');
}

function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  // A single trailing dot is allowed ("127.0.0.1."), as in the URL standard.
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 0 || parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    const value = parseIPv4Number(part);
    if (value === undefined) return undefined;
    numbers.push(value);
  }
  const last = numbers[numbers.length - 1];
  if (numbers.slice(0, -1).some((n) => n > 255)) return undefined;
  if (last >= 256 ** (5 - numbers.length)) return undefined;
  let value = last;
  numbers.slice(0, -1).forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return [Math.floor(value / 2 ** 24) % 256, Math.floor(value / 2 ** 16) % 256, Math.floor(value / 2 ** 8) % 256, value % 256];
}

function parseIPv4Number(part: string): number | undefined {
  if (part === '') return undefined;
  let digits = part;
  let radix = 10;
  if (/^0x/i.test(part)) {
    digits = part.slice(2);
    radix = 16;
  } else if (part.length > 1 && part.startsWith('0')) {
    digits = part.slice(1);
    radix = 8;
  }
  if (digits === '') return 0;
  const valid = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return undefined;
  // Longer inputs would lose precision and are out of range anyway.
  if (digits.length > 12) return Number.MAX_SAFE_INTEGER;
  return parseInt(digits, radix);
}

/**
 * Parses an IPv6 address (optionally in brackets, optionally with a zone id and a dotted-quad tail) into 16 bytes.
 * https://www.rfc-editor.org/rfc/rfc4291#section-2.2
 */
export function parseIPv6(text: string): Uint8Array | undefined {
  let body = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = body.indexOf('%');
  if (zone !== -1) body = body.slice(0, zone);
  if (!body.includes(':')) return undefined;

  const groups: number[] = [];
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const parseHalf = (half: string, allowTail: boolean): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (allowTail && i === pieces.length - 1 && piece.includes('.')) {
        // The embedded IPv4 tail must be strict dotted decimal (RFC 4291 §2.2 form 3), as inet_pton requires.
        if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(piece)) return undefined;
        const bytes = piece.split('.').map(Number);
        if (bytes.some((b) => b > 255)) return undefined;
        out.push(bytes[0] * 256 + bytes[1], bytes[2] * 256 + bytes[3]);
        continue;
      }
      if (!/^[0-9a-f]{1,4}$/i.test(piece)) return undefined;
      out.push(parseInt(piece, 16));
    }
    return out;
  };
  if (halves.length === 2) {
    const head = parseHalf(halves[0], false);
    const tail = parseHalf(halves[1], true);
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    groups.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    const all = parseHalf(body, true);
    if (all === undefined || all.length !== 8) return undefined;
    groups.push(...all);
  }
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

interface Ipv4Range {
  readonly prefix: readonly [number, number, number, number];
  readonly bits: number;
  readonly name: string;
  readonly category: Exclude<AddressCategory, 'public'>;
}

/**
 * IPv4 special-purpose ranges that are not reachable public unicast.
 * https://www.iana.org/assignments/iana-ipv4-special-registry/iana-ipv4-special-registry.xhtml
 * First match wins, so the broadcast address is named before 240.0.0.0/4.
 */
const IPV4_RANGES: readonly Ipv4Range[] = [
  { prefix: [0, 0, 0, 0], bits: 8, name: 'unspecified "this network" 0.0.0.0/8', category: 'blocked' },
  { prefix: [10, 0, 0, 0], bits: 8, name: 'private 10.0.0.0/8 (RFC 1918)', category: 'blocked' },
  { prefix: [100, 64, 0, 0], bits: 10, name: 'shared address space (CGNAT) 100.64.0.0/10', category: 'blocked' },
  { prefix: [127, 0, 0, 0], bits: 8, name: 'loopback 127.0.0.0/8', category: 'loopback' },
  { prefix: [169, 254, 0, 0], bits: 16, name: 'link-local 169.254.0.0/16 (instance metadata)', category: 'blocked' },
  { prefix: [172, 16, 0, 0], bits: 12, name: 'private 172.16.0.0/12 (RFC 1918)', category: 'blocked' },
  { prefix: [192, 0, 0, 0], bits: 24, name: 'IETF protocol assignments 192.0.0.0/24', category: 'blocked' },
  { prefix: [192, 0, 2, 0], bits: 24, name: 'documentation TEST-NET-1 192.0.2.0/24', category: 'blocked' },
  { prefix: [192, 88, 99, 0], bits: 24, name: '6to4 relay anycast 192.88.99.0/24', category: 'blocked' },
  { prefix: [192, 168, 0, 0], bits: 16, name: 'private 192.168.0.0/16 (RFC 1918)', category: 'blocked' },
  { prefix: [198, 18, 0, 0], bits: 15, name: 'benchmarking 198.18.0.0/15', category: 'blocked' },
  { prefix: [198, 51, 100, 0], bits: 24, name: 'documentation TEST-NET-2 198.51.100.0/24', category: 'blocked' },
  { prefix: [203, 0, 113, 0], bits: 24, name: 'documentation TEST-NET-3 203.0.113.0/24', category: 'blocked' },
  { prefix: [224, 0, 0, 0], bits: 4, name: 'multicast 224.0.0.0/4', category: 'blocked' },
  { prefix: [255, 255, 255, 255], bits: 32, name: 'limited broadcast 255.255.255.255', category: 'blocked' },
  { prefix: [240, 0, 0, 0], bits: 4, name: 'reserved 240.0.0.0/4', category: 'blocked' },
];

function inPrefix(bytes: ArrayLike<number>, prefix: ArrayLike<number>, bits: number): boolean {
  for (let bit = 0; bit < bits; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((bytes[byte] & mask) !== (prefix[byte] & mask)) return false;
  }
  return true;
}

function classifyIPv4Bytes(bytes: readonly number[]): AddressClassification {
  const address = bytes.join('.');
  const range = IPV4_RANGES.find((r) => inPrefix(bytes, r.prefix, r.bits));
  return range ? { address, family: 4, category: range.category, range: range.name } : { address, family: 4, category: 'public' };
}

/** Bytes of an IPv6 prefix written as 8 groups. */
function v6(...groups: number[]): Uint8Array {
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

interface Ipv6Range {
  readonly prefix: Uint8Array;
  readonly bits: number;
  readonly name: string;
  /** Where an embedded IPv4 address sits, as byte offsets; each is judged and the worst verdict wins. */
  readonly embedded?: readonly { readonly offset: number; readonly xor?: boolean }[];
  /** Without an embedded address, or when the embedded addresses are public: is the range itself blocked? */
  readonly blockedItself: boolean;
}

/**
 * IPv6 special-purpose ranges, first match wins.
 * https://www.iana.org/assignments/iana-ipv6-special-registry/iana-ipv6-special-registry.xhtml
 * Anything outside 2000::/3 (global unicast) that is not listed here is blocked as reserved.
 */
const IPV6_RANGES: readonly Ipv6Range[] = [
  { prefix: v6(), bits: 128, name: 'unspecified ::', blockedItself: true },
  { prefix: v6(0, 0, 0, 0, 0, 0, 0, 1), bits: 128, name: 'loopback ::1', blockedItself: true },
  // https://www.rfc-editor.org/rfc/rfc4291#section-2.5.5.2
  { prefix: v6(0, 0, 0, 0, 0, 0xffff), bits: 96, name: 'IPv4-mapped ::ffff:0:0/96', embedded: [{ offset: 12 }], blockedItself: false },
  // https://www.rfc-editor.org/rfc/rfc2765#section-2.1 (IPv4-translated)
  { prefix: v6(0, 0, 0, 0, 0xffff), bits: 96, name: 'IPv4-translated ::ffff:0:0:0/96', embedded: [{ offset: 12 }], blockedItself: false },
  // https://www.rfc-editor.org/rfc/rfc4291#section-2.5.5.1 (deprecated, never routed)
  { prefix: v6(), bits: 96, name: 'IPv4-compatible ::/96', embedded: [{ offset: 12 }], blockedItself: true },
  // https://www.rfc-editor.org/rfc/rfc6052#section-2.1
  { prefix: v6(0x64, 0xff9b), bits: 96, name: 'NAT64 64:ff9b::/96', embedded: [{ offset: 12 }], blockedItself: false },
  // https://www.rfc-editor.org/rfc/rfc8215
  { prefix: v6(0x64, 0xff9b, 1), bits: 48, name: 'local-use NAT64 64:ff9b:1::/48', blockedItself: true },
  { prefix: v6(0x100), bits: 64, name: 'discard-only 100::/64', blockedItself: true },
  // Teredo: server IPv4 in bits 32-63, client IPv4 inverted in bits 96-127. https://www.rfc-editor.org/rfc/rfc4380#section-4
  { prefix: v6(0x2001), bits: 32, name: 'Teredo 2001::/32', embedded: [{ offset: 4 }, { offset: 12, xor: true }], blockedItself: false },
  { prefix: v6(0x2001, 2), bits: 48, name: 'benchmarking 2001:2::/48', blockedItself: true },
  { prefix: v6(0x2001, 0x10), bits: 28, name: 'ORCHID 2001:10::/28', blockedItself: true },
  { prefix: v6(0x2001, 0x20), bits: 28, name: 'ORCHIDv2 2001:20::/28', blockedItself: true },
  { prefix: v6(0x2001, 0xdb8), bits: 32, name: 'documentation 2001:db8::/32', blockedItself: true },
  // 6to4: IPv4 in bits 16-47. https://www.rfc-editor.org/rfc/rfc3056#section-2
  { prefix: v6(0x2002), bits: 16, name: '6to4 2002::/16', embedded: [{ offset: 2 }], blockedItself: false },
  // https://www.rfc-editor.org/rfc/rfc9637
  { prefix: v6(0x3fff), bits: 20, name: 'documentation 3fff::/20', blockedItself: true },
  { prefix: v6(0xfc00), bits: 7, name: 'unique-local fc00::/7', blockedItself: true },
  { prefix: v6(0xfe80), bits: 10, name: 'link-local fe80::/10', blockedItself: true },
  { prefix: v6(0xfec0), bits: 10, name: 'site-local fec0::/10 (deprecated)', blockedItself: true },
  { prefix: v6(0xff00), bits: 8, name: 'multicast ff00::/8', blockedItself: true },
];

const GLOBAL_UNICAST = v6(0x2000);

function formatIPv6(bytes: Uint8Array): string {
  // The URL parser prints IPv6 in the RFC 5952 canonical form.
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

function classifyIPv6Bytes(bytes: Uint8Array): AddressClassification {
  const address = formatIPv6(bytes);
  const range = IPV6_RANGES.find((r) => inPrefix(bytes, r.prefix, r.bits));
  if (range === undefined) {
    return inPrefix(bytes, GLOBAL_UNICAST, 3)
      ? { address, family: 6, category: 'public' }
      : { address, family: 6, category: 'blocked', range: 'reserved (outside global unicast 2000::/3)' };
  }
  for (const slot of range.embedded ?? []) {
    const embedded = Array.from(bytes.slice(slot.offset, slot.offset + 4), (b) => (slot.xor ? b ^ 0xff : b));
    const verdict = classifyIPv4Bytes(embedded);
    if (verdict.category !== 'public') {
      // An embedded loopback is not the loopback the testing flag allows: only 127.0.0.0/8 and ::1 themselves are.
      return { address, family: 6, category: 'blocked', range: `${range.name} embedding ${verdict.address} (${verdict.range})` };
    }
  }
  if (!range.blockedItself) return { address, family: 6, category: 'public' };
  return { address, family: 6, category: range.name.startsWith('loopback') ? 'loopback' : 'blocked', range: range.name };
}

/**
 * Classifies an IP address given as text: any IPv4 spelling the URL standard accepts, or IPv6 (brackets and zone
 * ids allowed). Text that is neither is reported as blocked, so a caller can never mistake it for public.
 */
export function classifyAddress(text: string): AddressClassification {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return classifyIPv4Bytes(v4);
  const v6bytes = parseIPv6(text);
  if (v6bytes !== undefined) return classifyIPv6Bytes(v6bytes);
  return { address: text, family: 4, category: 'blocked', range: 'not an IP address' };
}

/** True when the policy lets the callbacker connect to an address of this category. */
export function isAddressAllowed(classification: AddressClassification, policy: CallbackPolicy): boolean {
  return classification.category === 'public' || (classification.category === 'loopback' && policy.allowLoopbackHttp);
}

/**
 * Parses one entry of CALLBACK_ALLOWED_HOSTS: `host.example.com` or `*.example.com`. Returns undefined when invalid.
 */
export function parseHostPattern(text: string): HostPattern | undefined {
  const lower = text.trim().toLowerCase().replace(/\.$/, '');
  const bare = lower.replace(/^\[|\]$/g, '');
  // IP literals may be allowed exactly; compare them in the canonical form the URL parser produces.
  if (isIP(bare) !== 0) return { kind: 'exact', host: classifyAddress(bare).address };
  const label = '[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?';
  const name = new RegExp(`^${label}(\\.${label})*$`);
  if (lower.startsWith('*.')) {
    const suffix = lower.slice(2);
    return name.test(suffix) ? { kind: 'suffix', suffix } : undefined;
  }
  return name.test(lower) ? { kind: 'exact', host: lower } : undefined;
}

/** True when the host matches one of the patterns; `*.example.com` matches names below example.com, not itself. */
export function hostMatches(hostname: string, patterns: readonly HostPattern[]): boolean {
  return patterns.some((p) => (p.kind === 'exact' ? hostname === p.host : hostname.endsWith(`.${p.suffix}`)));
}

/**
 * The URL without its query and fragment, which may carry the caller's tokens; for messages and logs. The mark of a
 * removed query is ASCII (`?...`): error messages are kept printable ASCII (errors.ts).
 */
export function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search === '' ? '' : '?...'}`;
}

/**
 * Checks everything about a callback URL that needs no DNS: it parses, the scheme is https (or http under the
 * loopback testing flag), it carries no credentials, its port and host are allowed, and an IP-literal host is not
 * internal. Throws CallbackUrlBlockedError otherwise.
 */
export function checkCallbackUrl(raw: string, policy: CallbackPolicy): CallbackTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new CallbackUrlBlockedError(`CallbackUrl must be an absolute URL, got '${raw.slice(0, 200)}'`, { cause: error });
  }
  const shown = redactUrl(url);
  const httpAllowed = policy.allowLoopbackHttp && url.protocol === 'http:';
  if (url.protocol !== 'https:' && !httpAllowed) {
    throw new CallbackUrlBlockedError(`CallbackUrl must use https, got scheme '${url.protocol}' in ${shown}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new CallbackUrlBlockedError(`CallbackUrl must not carry credentials (user:password@), got them in ${shown}`);
  }
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (!policy.allowedPorts.includes(port)) {
    throw new CallbackUrlBlockedError(
      `CallbackUrl port ${port} is not allowed (allowed: ${policy.allowedPorts.join(', ')}; see CALLBACK_ALLOWED_PORTS), in ${shown}`,
    );
  }
  // new URL() has already normalised numeric IPv4 spellings (decimal, octal, hex, short) to a dotted quad.
  const hostname = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (policy.allowedHosts.length > 0 && !hostMatches(hostname, policy.allowedHosts)) {
    throw new CallbackUrlBlockedError(`CallbackUrl host '${hostname}' is not in CALLBACK_ALLOWED_HOSTS, in ${shown}`);
  }
  const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
  if (isIP(hostname) === 0 && normaliseIPv4(hostname) === undefined) return { url, protocol, hostname, port };
  const literal = classifyAddress(hostname);
  if (!isAddressAllowed(literal, policy)) {
    throw new CallbackUrlBlockedError(`CallbackUrl host ${hostname} is an internal address: ${literal.range}, in ${shown}`);
  }
  if (protocol === 'http:' && literal.category !== 'loopback') {
    throw new CallbackUrlBlockedError(`CallbackUrl may use http only for loopback targets, got ${hostname} in ${shown}`);
  }
  return { url, protocol, hostname, port, literal };
}

/**
 * Resolves the target's host and checks every address it resolves to; any internal address blocks the URL (a
 * host with one public and one private address could otherwise be steered to the private one). Returns the
 * first address, which the caller must connect to without resolving again.
 */
export async function resolveCallbackTarget(target: CallbackTarget, policy: CallbackPolicy, resolve: Resolver): Promise<ResolvedTarget> {
  const shown = redactUrl(target.url);
  if (target.literal !== undefined) return { ...target, address: target.literal.address, family: target.literal.family };
  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await resolve(target.hostname);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
    throw new CallbackRetryableError(`Resolving callback host '${target.hostname}' failed with ${code}, for ${shown}`, { cause: error });
  }
  if (addresses.length === 0) {
    throw new CallbackRetryableError(`Callback host '${target.hostname}' resolved to no address, for ${shown}`);
  }
  const verdicts = addresses.map((a) => classifyAddress(a.address));
  const blocked = verdicts.find((v) => !isAddressAllowed(v, policy));
  if (blocked !== undefined) {
    throw new CallbackUrlBlockedError(
      `CallbackUrl host '${target.hostname}' resolves to internal address ${blocked.address} (${blocked.range}), in ${shown}`,
    );
  }
  if (target.protocol === 'http:' && verdicts.some((v) => v.category !== 'loopback')) {
    throw new CallbackUrlBlockedError(`CallbackUrl may use http only for loopback targets, '${target.hostname}' is not, in ${shown}`);
  }
  return { ...target, address: verdicts[0].address, family: verdicts[0].family };
}

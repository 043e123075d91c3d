/**
 * The callback URL policy: which URLs the callbacker may POST to, and which addresses it may connect to.
 *
 * The CallbackUrl comes from the API caller, so this module is the guard against server-side request forgery
 * (reaching the instance metadata service, VPC-internal hosts or the Lambda Runtime API). Every address spelling is
 * normalised by the WHATWG URL parser (the one that reads the CallbackUrl), then matched against the special-purpose
 * ranges below with ipaddr.js; IPv6 forms that embed an IPv4 address are judged by the embedded address.
 */
import * as ipaddr from 'ipaddr.js';
import { lookup } from 'node:dns/promises';
import { CallbackRetryableError, CallbackUrlBlockedError } from './errors';
import { redactUrl, redactUrlText } from './redact';

// deliver.ts reads the redaction from here, next to the checks whose messages use it.
export { redactUrl };

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

/** Characters an IPv4 address can be spelled with (decimal, octal and hex parts). */
const IPV4_SPELLING = /^[0-9a-fx.]+$/i;

/**
 * Normalises an IPv4 address the way the WHATWG URL standard does, so `127.1`, `0x7f.1`, `0177.0.0.1`,
 * `017700000001` and `2130706433` all become `127.0.0.1`. Returns undefined when the text is not an IPv4 address.
 * The URL parser is the normaliser because the URL parser is what reads a CallbackUrl's host: whatever it makes of a
 * spelling is the address the callback would reach. https://url.spec.whatwg.org/#concept-ipv4-parser
 */
export function normaliseIPv4(text: string): string | undefined {
  if (!IPV4_SPELLING.test(text)) return undefined;
  let host: string;
  try {
    host = new URL(`http://${text}/`).hostname;
  } catch {
    return undefined;
  }
  return ipaddr.IPv4.isValidFourPartDecimal(host) ? host : undefined;
}

/**
 * Normalises an IPv6 address (optionally in brackets, optionally with a zone id) to the RFC 5952 form the URL parser
 * gives hosts, e.g. `::ffff:127.0.0.1` to `::ffff:7f00:1`. Returns undefined when the text is not an IPv6 address.
 *
 * ipaddr.js is not given raw text: it reads the deprecated IPv4-compatible form `::a.b.c.d` as IPv4-mapped
 * (`::ffff:a.b.c.d`) and the octets of an embedded dotted quad with leading zeros as decimal, where the URL parser,
 * like inet_pton, keeps `::a.b.c.d` and refuses leading zeros. https://url.spec.whatwg.org/#concept-ipv6-parser
 */
export function normaliseIPv6(text: string): string | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = bare.indexOf('%');
  const address = zone === -1 ? bare : bare.slice(0, zone);
  if (!address.includes(':') || !/^[0-9a-f:.]+$/i.test(address)) return undefined;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** A special-purpose range and the verdict on addresses in it. */
interface Ipv4Range {
  readonly cidr: [ipaddr.IPv4, number];
  readonly name: string;
  readonly category: Exclude<AddressCategory, 'public'>;
}

function v4(cidr: string, name: string, category: Ipv4Range['category'] = 'blocked'): Ipv4Range {
  return { cidr: ipaddr.IPv4.parseCIDR(cidr), name, category };
}

/**
 * IPv4 special-purpose ranges that are not reachable public unicast: our policy, matched by ipaddr.js.
 * https://www.iana.org/assignments/iana-ipv4-special-registry/iana-ipv4-special-registry.xhtml
 * First match wins, so the broadcast address is named before 240.0.0.0/4.
 */
const IPV4_RANGES: readonly Ipv4Range[] = [
  v4('0.0.0.0/8', 'unspecified "this network" 0.0.0.0/8'),
  v4('10.0.0.0/8', 'private 10.0.0.0/8 (RFC 1918)'),
  v4('100.64.0.0/10', 'shared address space (CGNAT) 100.64.0.0/10'),
  v4('127.0.0.0/8', 'loopback 127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local 169.254.0.0/16 (instance metadata)'),
  v4('172.16.0.0/12', 'private 172.16.0.0/12 (RFC 1918)'),
  v4('192.0.0.0/24', 'IETF protocol assignments 192.0.0.0/24'),
  v4('192.0.2.0/24', 'documentation TEST-NET-1 192.0.2.0/24'),
  v4('192.88.99.0/24', '6to4 relay anycast 192.88.99.0/24'),
  v4('192.168.0.0/16', 'private 192.168.0.0/16 (RFC 1918)'),
  v4('198.18.0.0/15', 'benchmarking 198.18.0.0/15'),
  v4('198.51.100.0/24', 'documentation TEST-NET-2 198.51.100.0/24'),
  v4('203.0.113.0/24', 'documentation TEST-NET-3 203.0.113.0/24'),
  v4('224.0.0.0/4', 'multicast 224.0.0.0/4'),
  v4('255.255.255.255/32', 'limited broadcast 255.255.255.255'),
  v4('240.0.0.0/4', 'reserved 240.0.0.0/4'),
];

function classifyIPv4(address: ipaddr.IPv4): AddressClassification {
  const text = address.toString();
  const range = IPV4_RANGES.find((r) => address.match(r.cidr));
  return range ? { address: text, family: 4, category: range.category, range: range.name } : { address: text, family: 4, category: 'public' };
}

interface Ipv6Range {
  readonly cidr: [ipaddr.IPv6, number];
  readonly name: string;
  /** Where an embedded IPv4 address sits, as byte offsets; each is judged and the worst verdict wins. */
  readonly embedded?: readonly { readonly offset: number; readonly xor?: boolean }[];
  /** Without an embedded address, or when the embedded addresses are public: is the range itself blocked? */
  readonly blockedItself: boolean;
}

function v6(cidr: string, name: string, options: Omit<Ipv6Range, 'cidr' | 'name'>): Ipv6Range {
  return { cidr: ipaddr.IPv6.parseCIDR(cidr), name, ...options };
}

/**
 * IPv6 special-purpose ranges, first match wins: our policy, matched by ipaddr.js.
 * https://www.iana.org/assignments/iana-ipv6-special-registry/iana-ipv6-special-registry.xhtml
 * Anything outside 2000::/3 (global unicast) that is not listed here is blocked as reserved.
 */
const IPV6_RANGES: readonly Ipv6Range[] = [
  v6('::/128', 'unspecified ::', { blockedItself: true }),
  v6('::1/128', 'loopback ::1', { blockedItself: true }),
  // https://www.rfc-editor.org/rfc/rfc4291#section-2.5.5.2
  v6('::ffff:0:0/96', 'IPv4-mapped ::ffff:0:0/96', { embedded: [{ offset: 12 }], blockedItself: false }),
  // https://www.rfc-editor.org/rfc/rfc2765#section-2.1 (IPv4-translated)
  v6('::ffff:0:0:0/96', 'IPv4-translated ::ffff:0:0:0/96', { embedded: [{ offset: 12 }], blockedItself: false }),
  // https://www.rfc-editor.org/rfc/rfc4291#section-2.5.5.1 (deprecated, never routed)
  v6('::/96', 'IPv4-compatible ::/96', { embedded: [{ offset: 12 }], blockedItself: true }),
  // https://www.rfc-editor.org/rfc/rfc6052#section-2.1
  v6('64:ff9b::/96', 'NAT64 64:ff9b::/96', { embedded: [{ offset: 12 }], blockedItself: false }),
  // https://www.rfc-editor.org/rfc/rfc8215
  v6('64:ff9b:1::/48', 'local-use NAT64 64:ff9b:1::/48', { blockedItself: true }),
  v6('100::/64', 'discard-only 100::/64', { blockedItself: true }),
  // Teredo: server IPv4 in bits 32-63, client IPv4 inverted in bits 96-127. https://www.rfc-editor.org/rfc/rfc4380#section-4
  v6('2001::/32', 'Teredo 2001::/32', { embedded: [{ offset: 4 }, { offset: 12, xor: true }], blockedItself: false }),
  v6('2001:2::/48', 'benchmarking 2001:2::/48', { blockedItself: true }),
  v6('2001:10::/28', 'ORCHID 2001:10::/28', { blockedItself: true }),
  v6('2001:20::/28', 'ORCHIDv2 2001:20::/28', { blockedItself: true }),
  v6('2001:db8::/32', 'documentation 2001:db8::/32', { blockedItself: true }),
  // 6to4: IPv4 in bits 16-47. https://www.rfc-editor.org/rfc/rfc3056#section-2
  v6('2002::/16', '6to4 2002::/16', { embedded: [{ offset: 2 }], blockedItself: false }),
  // https://www.rfc-editor.org/rfc/rfc9637
  v6('3fff::/20', 'documentation 3fff::/20', { blockedItself: true }),
  v6('fc00::/7', 'unique-local fc00::/7', { blockedItself: true }),
  v6('fe80::/10', 'link-local fe80::/10', { blockedItself: true }),
  v6('fec0::/10', 'site-local fec0::/10 (deprecated)', { blockedItself: true }),
  v6('ff00::/8', 'multicast ff00::/8', { blockedItself: true }),
];

const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

/** @param text the RFC 5952 form, from normaliseIPv6 */
function classifyIPv6(text: string): AddressClassification {
  const address = ipaddr.IPv6.parse(text);
  const range = IPV6_RANGES.find((r) => address.match(r.cidr));
  if (range === undefined) {
    return address.match(GLOBAL_UNICAST)
      ? { address: text, family: 6, category: 'public' }
      : { address: text, family: 6, category: 'blocked', range: 'reserved (outside global unicast 2000::/3)' };
  }
  const bytes = address.toByteArray();
  for (const slot of range.embedded ?? []) {
    const embedded = new ipaddr.IPv4(bytes.slice(slot.offset, slot.offset + 4).map((b) => (slot.xor ? b ^ 0xff : b)));
    const verdict = classifyIPv4(embedded);
    if (verdict.category !== 'public') {
      // An embedded loopback is not the loopback the testing flag allows: only 127.0.0.0/8 and ::1 themselves are.
      return { address: text, family: 6, category: 'blocked', range: `${range.name} embedding ${verdict.address} (${verdict.range})` };
    }
  }
  if (!range.blockedItself) return { address: text, family: 6, category: 'public' };
  return { address: text, family: 6, category: range.name.startsWith('loopback') ? 'loopback' : 'blocked', range: range.name };
}

/** The verdict on an IP address, or undefined when the text is not one. */
function classifyIfAddress(text: string): AddressClassification | undefined {
  const v4text = normaliseIPv4(text);
  if (v4text !== undefined) return classifyIPv4(ipaddr.IPv4.parse(v4text));
  const v6text = normaliseIPv6(text);
  return v6text === undefined ? undefined : classifyIPv6(v6text);
}

/**
 * Classifies an IP address given as text: any IPv4 spelling the URL standard accepts, or IPv6 (brackets and zone
 * ids allowed). Text that is neither is reported as blocked, so a caller can never mistake it for public.
 */
export function classifyAddress(text: string): AddressClassification {
  return classifyIfAddress(text) ?? { address: text, family: 4, category: 'blocked', range: 'not an IP address' };
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
  const literal = classifyIfAddress(bare);
  if (literal !== undefined) return { kind: 'exact', host: literal.address };
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
 * Checks everything about a callback URL that needs no DNS: it parses, the scheme is https (or http under the
 * loopback testing flag), it carries no credentials, its port and host are allowed, and an IP-literal host is not
 * internal. Throws CallbackUrlBlockedError otherwise; no message shows the URL's user info, query or fragment.
 */
export function checkCallbackUrl(raw: string, policy: CallbackPolicy): CallbackTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Node's TypeError carries the whole input (`error.input`), so it is not kept as the cause.
    throw new CallbackUrlBlockedError(`CallbackUrl must be an absolute URL with a valid host and port, got '${redactUrlText(raw)}'`);
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
  const literal = classifyIfAddress(hostname);
  if (literal === undefined) return { url, protocol, hostname, port };
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

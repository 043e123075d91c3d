/**
 * Region and endpoints, resolved from the environment the way the AWS SDK for JavaScript v3 resolves them for the
 * three services the callbacker calls.
 *
 * - Region: AWS_REGION (the Lambda runtime sets it).
 * - Configured endpoints: AWS_ENDPOINT_URL_<SERVICE> first, then AWS_ENDPOINT_URL, unless
 *   AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true. https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 * - Default endpoints: regional, `<service>.<region>.<partition DNS suffix>` (STS included: the SDK v3 default is
 *   the regional STS endpoint).
 *
 * FIPS, dual-stack and S3 Transfer Acceleration endpoints are not offered: the module does not configure them.
 */
import { isIP } from 'node:net';
import type { Environment } from '../env';
import { encodeRfc3986 } from './sigv4';

/** The services the callbacker calls, with the suffix of their AWS_ENDPOINT_URL_<SERVICE> variable. */
export type AwsService = 's3' | 'sts' | 'secretsmanager';

const ENDPOINT_VARIABLE: Record<AwsService, string> = {
  s3: 'AWS_ENDPOINT_URL_S3',
  sts: 'AWS_ENDPOINT_URL_STS',
  secretsmanager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
};

/**
 * DNS suffix per partition, from the region name. The regexes are those of the SDK's partitions table
 * (@aws-sdk/core util-endpoints `partitions`); any other region is in the `aws` partition.
 */
const PARTITION_SUFFIXES: readonly (readonly [RegExp, string])[] = [
  [/^cn-\w+-\d+$/, 'amazonaws.com.cn'],
  [/^us-gov-\w+-\d+$/, 'amazonaws.com'],
  [/^us-iso-\w+-\d+$/, 'c2s.ic.gov'],
  [/^us-isob-\w+-\d+$/, 'sc2s.sgov.gov'],
  [/^eu-isoe-\w+-\d+$/, 'cloud.adc-e.uk'],
  [/^us-isof-\w+-\d+$/, 'csp.hci.ic.gov'],
  [/^eusc-de-\w+-\d+$/, 'amazonaws.eu'],
];

/** A region name is a DNS label; checking it keeps the environment from steering requests to another host. */
const REGION = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A bucket that can be a host label under TLS: no dots, DNS-compatible. Others are addressed path-style. */
const VIRTUAL_HOSTABLE_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** The region or endpoint configuration is unusable. */
export class EndpointConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EndpointConfigurationError';
  }
}

/** AWS_REGION, checked. */
export function regionOf(env: Environment): string {
  const region = env.AWS_REGION;
  if (region === undefined || region === '') throw new EndpointConfigurationError('AWS_REGION must be set (the Lambda runtime sets it)');
  if (!REGION.test(region)) throw new EndpointConfigurationError(`AWS_REGION must be a region name, got '${region}'`);
  return region;
}

/** The partition's DNS suffix for a region, e.g. `amazonaws.com.cn` for `cn-north-1`. */
export function dnsSuffix(region: string): string {
  return PARTITION_SUFFIXES.find(([pattern]) => pattern.test(region))?.[1] ?? 'amazonaws.com';
}

/** An endpoint: scheme, `host[:port]` and a base path without a trailing slash (usually empty). */
export interface Endpoint {
  readonly protocol: 'https:' | 'http:';
  /** `hostname[:port]`, as sent in the Host header. */
  readonly host: string;
  /** The host name; IPv6 literals keep their brackets, as in URL.hostname. */
  readonly hostname: string;
  /** The port when not the scheme's default, else undefined. */
  readonly port?: number;
  readonly basePath: string;
}

function configuredEndpoint(env: Environment, service: AwsService): Endpoint | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return undefined;
  const variable = [ENDPOINT_VARIABLE[service], 'AWS_ENDPOINT_URL'].find((name) => (env[name] ?? '') !== '');
  if (variable === undefined) return undefined;
  const text = env[variable] ?? '';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EndpointConfigurationError(`${variable} must be an http(s) URL, got '${text}'`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.username !== '' || url.password !== '') {
    throw new EndpointConfigurationError(`${variable} must be an http(s) URL without query or credentials, got '${text}'`);
  }
  return {
    protocol: url.protocol,
    host: url.host,
    hostname: url.hostname,
    port: url.port === '' ? undefined : Number(url.port),
    basePath: url.pathname.replace(/\/+$/, ''),
  };
}

/** The endpoint of a service in a region: the configured one, or the regional default. */
export function serviceEndpoint(env: Environment, service: AwsService, region: string): Endpoint {
  const configured = configuredEndpoint(env, service);
  if (configured !== undefined) return configured;
  const host = `${service}.${region}.${dnsSuffix(region)}`;
  return { protocol: 'https:', host, hostname: host, basePath: '' };
}

/** Where an object is fetched: the host to connect to, and the encoded path to request and sign. */
export interface S3ObjectAddress {
  readonly protocol: 'https:' | 'http:';
  readonly host: string;
  readonly path: string;
}

function isLocalHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return isIP(bare) !== 0 || bare === 'localhost';
}

/** Each key segment RFC 3986-encoded with `/` kept, as the SDK encodes the `{Key+}` label. */
function encodeKey(key: string): string {
  return key.split('/').map(encodeRfc3986).join('/');
}

/**
 * The address of an object. Virtual-hosted style (`bucket.s3.region.amazonaws.com/key`) for buckets that can be a
 * host label; path style (`host/bucket/key`) for buckets with dots (their names break TLS wildcard certificates)
 * and for endpoints that are IP addresses or localhost (local S3 servers). Same choices as the SDK, except that
 * the SDK would try `bucket.localhost`.
 */
export function s3ObjectAddress(env: Environment, region: string, bucket: string, key: string): S3ObjectAddress {
  const endpoint = serviceEndpoint(env, 's3', region);
  const encodedKey = encodeKey(key);
  if (!VIRTUAL_HOSTABLE_BUCKET.test(bucket) || isLocalHost(endpoint.hostname)) {
    return { protocol: endpoint.protocol, host: endpoint.host, path: `${endpoint.basePath}/${bucket}/${encodedKey}` };
  }
  return { protocol: endpoint.protocol, host: `${bucket}.${endpoint.host}`, path: `${endpoint.basePath}/${encodedKey}` };
}

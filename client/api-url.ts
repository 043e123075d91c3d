/**
 * The API's address: where the stage is, which region signs for it, and the URL of each route. Pure.
 */
import { InvalidClientOptionsError } from './errors';

/** Routes the module serves under its stage (`POST /queries` also answers as the sample's `POST /invocation`). */
const ROUTE_SUFFIXES = ['queries', 'invocation'];

/** Loopback hosts (a URL's `hostname`), where plain http is allowed: the offline twin, a local proxy. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Scheme, host and path of a URL, never its user info or query string (either could hold a secret). */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** A usable API address. */
export interface ApiAddress {
  /** The stage URL without a trailing slash, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/live`. */
  readonly stageUrl: URL;
  /** The region in an `execute-api` host name, if the host is one. */
  readonly hostRegion?: string;
}

/** `<api-id>.execute-api.<region>.amazonaws.com`, its VPC endpoint forms and the China partition's `.com.cn`. https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html */
const EXECUTE_API_HOST = /\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d{1,2})\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$/;

/**
 * Reads the API URL a user gave: the stage URL (`https://<api-id>.execute-api.<region>.amazonaws.com/<stage>`), or
 * the module's `api_invoke_url` output, which is the stage URL plus `/queries`.
 *
 * @throws InvalidClientOptionsError when it is not an absolute https URL (http only on a loopback host), or carries
 * user info, a query string or a fragment.
 */
export function parseApiUrl(input: string, field = 'apiUrl'): ApiAddress {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    // The text may hold a secret (user info, a token in a query string): say what is wrong without echoing it.
    throw new InvalidClientOptionsError(`${field} must be an absolute URL such as https://abc123.execute-api.eu-west-1.amazonaws.com/live, got a value that is not a URL (${input.trim().length} characters)`);
  }
  if (url.username !== '' || url.password !== '') throw new InvalidClientOptionsError(`${field} must not carry user info (user:password@); requests are signed with AWS credentials instead`);
  if (url.search !== '' || url.hash !== '') throw new InvalidClientOptionsError(`${field} must have no query string or fragment, got ${describeUrl(url)} with one`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new InvalidClientOptionsError(`${field} must use https (plain http only on a loopback host such as 127.0.0.1), got ${describeUrl(url)}`);
  }
  const segments = url.pathname.split('/').filter((s) => s !== '');
  // A stage URL has one segment (the stage); the module's output adds the route. A custom domain may have none.
  if (segments.length >= 2 && ROUTE_SUFFIXES.includes(segments[segments.length - 1])) segments.pop();
  const stageUrl = new URL(`${url.protocol}//${url.host}${segments.length === 0 ? '' : `/${segments.join('/')}`}`);
  const hostRegion = EXECUTE_API_HOST.exec(url.hostname)?.[1];
  return hostRegion === undefined ? { stageUrl } : { stageUrl, hostRegion };
}

/** AWS region names: `eu-west-1`, `us-gov-west-1`, `ap-southeast-4`. */
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/** Where the signing region came from, for messages. */
export interface RegionSources {
  /** `--region` or the `region` option. */
  readonly explicit?: string;
  readonly hostRegion?: string;
  /** The environment, for AWS_REGION and AWS_DEFAULT_REGION. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * The region requests are signed for: the explicit one, else the one in an `execute-api` host name, else
 * AWS_REGION, else AWS_DEFAULT_REGION.
 *
 * @throws InvalidClientOptionsError when none is known, when a name is malformed, or when the explicit region
 * contradicts the host's (the signature would be refused).
 */
export function resolveRegion(sources: RegionSources): string {
  const { explicit, hostRegion, env } = sources;
  if (explicit !== undefined && !REGION.test(explicit)) throw new InvalidClientOptionsError(`region must be an AWS region name such as eu-west-1, got ${JSON.stringify(explicit)}`);
  if (explicit !== undefined && hostRegion !== undefined && explicit !== hostRegion) {
    throw new InvalidClientOptionsError(`region ${explicit} contradicts the API's host name, which is in ${hostRegion}; API Gateway refuses a signature for another region`);
  }
  const region = explicit ?? hostRegion ?? (env.AWS_REGION || undefined) ?? (env.AWS_DEFAULT_REGION || undefined);
  if (region === undefined) {
    throw new InvalidClientOptionsError('the region to sign for is unknown: the API URL is not an execute-api host name, so pass --region (or set AWS_REGION)');
  }
  if (!REGION.test(region)) throw new InvalidClientOptionsError(`region must be an AWS region name such as eu-west-1, got ${JSON.stringify(region)} (from the environment)`);
  return region;
}

/**
 * The URL of a route below the stage; each segment is percent-encoded, so an id cannot change the route.
 *
 * @throws InvalidClientOptionsError for an empty segment or a dot segment (`.`, `..`), which URL parsing would
 * remove or resolve into another route.
 */
export function routeUrl(stageUrl: URL, segments: readonly string[]): URL {
  const unusable = segments.find((s) => s === '' || s === '.' || s === '..');
  if (unusable !== undefined) throw new InvalidClientOptionsError(`a query id must be a non-empty name other than "." and "..", got ${JSON.stringify(unusable)}`);
  const base = stageUrl.pathname === '/' ? '' : stageUrl.pathname;
  return new URL(`${stageUrl.protocol}//${stageUrl.host}${base}/${segments.map(encodeURIComponent).join('/')}`);
}

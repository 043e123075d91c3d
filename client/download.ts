/**
 * The presigned result URL: where it may point, how to name it without its signature, and what S3's error answer
 * says. Pure.
 */
import { describeUrl, isLoopbackHost } from './api-url';
import { ResultDownloadError } from './errors';

/** A URL to download from, with a description that is safe to print. */
export interface DownloadLocation {
  readonly url: URL;
  /** Scheme, host and path only: the query string of a presigned URL is a bearer credential. */
  readonly described: string;
}

/**
 * Checks a presigned URL before it is fetched: absolute, https (plain http only on a loopback host, as the offline
 * twin's S3 is), and without user info.
 *
 * @throws ResultDownloadError naming what is wrong, never echoing the query string.
 */
export function downloadLocation(presignedUrl: string): DownloadLocation {
  let url: URL;
  try {
    url = new URL(presignedUrl);
  } catch {
    throw new ResultDownloadError('(not a URL)', 'the API answered a presignedUrl that is not an absolute URL');
  }
  const described = describeUrl(url);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ResultDownloadError(described, 'refusing to download over anything but https');
  }
  if (url.username !== '' || url.password !== '') throw new ResultDownloadError(described, 'the URL carries user info');
  return { url, described };
}

/** `Code: Message` of an S3 XML error body, or undefined when it is not one. https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html */
export function parseS3Error(xml: string): string | undefined {
  const code = /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
  if (code === undefined) return undefined;
  const message = /<Message>([^<]*)<\/Message>/.exec(xml)?.[1];
  return message === undefined || message === '' ? code : `${code}: ${message}`;
}

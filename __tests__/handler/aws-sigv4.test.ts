/**
 * The callbacker's own SigV4 signer against @smithy/signature-v4, the signer the AWS SDKs use: same inputs, same
 * signatures, for query presigning (S3 URLs) and header signing (STS and Secrets Manager calls).
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { amzDate, encodeRfc3986, presignQuery, signHeaders, type SigningKeys } from '../../handler/aws/sigv4';
// The twin's node:crypto hash adapter for @smithy/signature-v4 (the SDK's signer), the reference here.
import { NodeSha256 } from '../../twin/iam/sigv4-verifier';

const SESSION: SigningKeys = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'FwoGZXIvYXdzE+/token==' };
const LONG_LIVED: SigningKeys = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' };
const DATE = new Date('2026-11-25T10:11:12.345Z');

function smithySigner(service: string, region: string, keys: SigningKeys, uriEscapePath: boolean): SignatureV4 {
  return new SignatureV4({ service, region, credentials: keys, sha256: NodeSha256, uriEscapePath, applyChecksum: false });
}

/** Splits `host[:port]` as the SDK's HttpRequest holds it. */
function hostParts(host: string): { hostname: string; port?: number } {
  const match = /^(.*?)(?::(\d+))?$/.exec(host);
  return { hostname: match?.[1] ?? host, port: match?.[2] === undefined ? undefined : Number(match[2]) };
}

describe('encodeRfc3986', () => {
  it.each([
    ['a b', 'a%20b'],
    ["!'()*", '%21%27%28%29%2A'],
    ['-_.~', '-_.~'],
    ['ü/+=&', '%C3%BC%2F%2B%3D%26'],
  ])('encodes %j as %j', (text, expected) => {
    expect(encodeRfc3986(text)).toBe(expected);
  });
});

describe('amzDate', () => {
  it('formats as YYYYMMDDTHHMMSSZ in UTC, dropping milliseconds', () => {
    expect(amzDate(DATE)).toBe('20261125T101112Z');
  });
});

describe('presignQuery', () => {
  it.each([
    ['virtual-hosted, session credentials', 'results.s3.eu-west-1.amazonaws.com', '/athena/qid-1.csv', SESSION, 'eu-west-1', 900],
    ['path style on a local port', '127.0.0.1:4569', '/results/athena/with%20space/q%202.csv', SESSION, 'us-east-1', 3600],
    ['unicode and reserved characters', 'results.s3.cn-north-1.amazonaws.com.cn', '/%C3%BCn%C3%AF/k%2Be%3Dy/100%2541%21%27%28%29%2A.csv', LONG_LIVED, 'cn-north-1', 604800],
    ['an empty segment and a dot segment', 'localhost:9000', '/results/a//b/./c.csv', LONG_LIVED, 'us-east-1', 1],
  ])('signs like @smithy/signature-v4: %s', async (_label, host, path, keys, region, expiresIn) => {
    // GIVEN
    const { hostname, port } = hostParts(host);
    const reference = await smithySigner('s3', region, keys, false).presign(
      {
        method: 'GET',
        protocol: 'https:',
        hostname,
        port,
        path,
        query: {},
        // What @aws-sdk/s3-request-presigner adds before signing.
        headers: { host, 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' },
      },
      { expiresIn, signingDate: DATE },
    );

    // WHEN
    const query = new URLSearchParams(presignQuery({ method: 'GET', host, path }, keys, { region, service: 's3' }, DATE, expiresIn));

    // THEN
    expect(Object.fromEntries(query)).toEqual(reference.query);
  });

  it('carries no checksum parameters', () => {
    // WHEN
    const query = presignQuery({ method: 'GET', host: 'h', path: '/b/k' }, SESSION, { region: 'us-east-1', service: 's3' }, DATE, 60);

    // THEN
    expect(query.toLowerCase()).not.toContain('checksum');
    expect(query).not.toContain('x-id=');
  });
});

describe('signHeaders', () => {
  it.each([
    [
      'an STS Query call with session credentials',
      'sts',
      'sts.eu-central-1.amazonaws.com',
      { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      'Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fp&RoleSessionName=s&DurationSeconds=3900',
      SESSION,
    ],
    [
      'a Secrets Manager JSON call on a local port',
      'secretsmanager',
      '127.0.0.1:4566',
      { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'secretsmanager.GetSecretValue' },
      '{"SecretId":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:s-AbCdEf"}',
      LONG_LIVED,
    ],
    ['header values with runs of spaces', 'sts', 'sts.eu-central-1.amazonaws.com', { 'x-custom': '  a   b  ' }, '', LONG_LIVED],
  ])('signs like @smithy/signature-v4: %s', async (_label, service, host, headers, body, keys) => {
    // GIVEN
    const { hostname, port } = hostParts(host);
    const reference = await smithySigner(service, 'eu-central-1', keys, true).sign(
      { method: 'POST', protocol: 'https:', hostname, port, path: '/', query: {}, headers: { ...headers, host }, body },
      { signingDate: DATE },
    );

    // WHEN
    const signed = signHeaders({ method: 'POST', host, path: '/', headers, body }, keys, { region: 'eu-central-1', service }, DATE);

    // THEN
    expect(signed.authorization).toBe(reference.headers.authorization);
    expect(signed['x-amz-date']).toBe('20261125T101112Z');
    expect(signed['x-amz-security-token']).toBe(keys.sessionToken);
  });
});

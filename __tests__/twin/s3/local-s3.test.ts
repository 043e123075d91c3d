/** The local S3's guard: a private bucket, keys only as granted, sessions that expire. */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { type LocalS3, startLocalS3 } from '../../../twin/s3/local-s3';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let s3: LocalS3;
const reader = { accessKeyId: 'ASIAREADER000000TEST', secretAccessKey: 'reader-secret', sessionToken: 'reader-token' };
const expired = { accessKeyId: 'ASIAEXPIRED00000TEST', secretAccessKey: 'expired-secret', sessionToken: 'expired-token' };

beforeAll(async () => {
  s3 = await startLocalS3(['results']);
  await s3.putObject('results', 'q/1.csv', '"a"\n"1"\n');
  await s3.putObject('results', 'other/1.csv', 'secret');
  s3.grant({ credentials: reader, expiration: new Date(Date.now() + 60_000), allows: (action, bucket, key) => action === 'GetObject' && bucket === 'results' && key.startsWith('q/') });
  s3.grant({ credentials: expired, expiration: new Date(Date.now() - 1), allows: () => true });
});

afterAll(async () => {
  await s3.close();
});

async function presigned(credentials: typeof reader, key: string): Promise<string> {
  return getSignedUrl(s3.clientFor(credentials), new GetObjectCommand({ Bucket: 'results', Key: key }), { expiresIn: 60 });
}

describe('Function: startLocalS3', () => {
  it('serves an object through a URL presigned with a granted session', async () => {
    // WHEN
    const response = await fetch(await presigned(reader, 'q/1.csv'));

    // THEN
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('"a"\n"1"\n');
  });

  it.each([
    ['an unsigned request', async () => `${s3.endpoint}/results/q/1.csv`, 403, 'AccessDenied'],
    ['a key outside the grant', () => presigned(reader, 'other/1.csv'), 403, 'AccessDenied'],
    ['an expired session', () => presigned(expired, 'q/1.csv'), 400, 'ExpiredToken'],
    ['a URL whose signature was altered', async () => (await presigned(reader, 'q/1.csv')).replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`), 403, 'SignatureDoesNotMatch'],
  ])('refuses %s', async (_name, url, status, code) => {
    // WHEN
    const response = await fetch(await url());

    // THEN
    expect(response.status).toBe(status);
    expect(await response.text()).toContain(`<Code>${code}</Code>`);
  });
});

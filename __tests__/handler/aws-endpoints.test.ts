/**
 * Region and endpoint resolution of the callbacker's AWS calls, checked against what the AWS SDK v3 resolves for
 * the same configuration (the SDK clients are dev dependencies for exactly this comparison).
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { dnsSuffix, regionOf, s3ObjectAddress, serviceEndpoint } from '../../handler/aws/endpoints';

const REGIONS = ['us-east-1', 'eu-west-3', 'cn-north-1', 'us-gov-west-1', 'us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'us-isof-south-1', 'eusc-de-east-1'];

const savedWarningFlag = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
beforeAll(() => {
  // The SDK warns once per realm that it will need Node 22 from 2027; noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
});
afterAll(() => {
  if (savedWarningFlag === undefined) delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  else process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = savedWarningFlag;
});

function endpointUrl(service: 'sts' | 'secretsmanager', region: string): string {
  const endpoint = serviceEndpoint({}, service, region);
  return `${endpoint.protocol}//${endpoint.host}${endpoint.basePath}/`;
}

describe('regionOf', () => {
  it('reads AWS_REGION', () => {
    expect(regionOf({ AWS_REGION: 'eu-west-1' })).toBe('eu-west-1');
  });

  it.each([
    [{}, 'AWS_REGION must be set'],
    [{ AWS_REGION: '' }, 'AWS_REGION must be set'],
    [{ AWS_REGION: 'evil.example.com/x' }, "AWS_REGION must be a region name, got 'evil.example.com/x'"],
  ])('refuses %j', (env, message) => {
    expect(() => regionOf(env)).toThrow(expect.objectContaining({ name: 'EndpointConfigurationError', message: expect.stringContaining(message) }));
  });
});

describe('default endpoints', () => {
  it.each(REGIONS)('match the SDK for STS and Secrets Manager in %s', (region) => {
    // GIVEN
    const sts = new STSClient({ region }).config.endpointProvider({ Region: region, UseFIPS: false, UseDualStack: false, UseGlobalEndpoint: false });
    const secrets = new SecretsManagerClient({ region }).config.endpointProvider({ Region: region, UseFIPS: false, UseDualStack: false });

    // THEN
    expect(endpointUrl('sts', region)).toBe(sts.url.href);
    expect(endpointUrl('secretsmanager', region)).toBe(secrets.url.href);
  });

  it('puts unknown regions in the aws partition', () => {
    expect(dnsSuffix('xx-future-9')).toBe('amazonaws.com');
  });
});

describe('configured endpoints', () => {
  it('prefers AWS_ENDPOINT_URL_<SERVICE> over AWS_ENDPOINT_URL', () => {
    // GIVEN
    const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:1000', AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:2000/base/' };

    // THEN
    expect(serviceEndpoint(env, 'sts', 'us-east-1')).toEqual({
      protocol: 'http:',
      host: '127.0.0.1:2000',
      hostname: '127.0.0.1',
      port: 2000,
      basePath: '/base',
    });
    expect(serviceEndpoint(env, 'secretsmanager', 'us-east-1').host).toBe('127.0.0.1:1000');
  });

  it('reads AWS_ENDPOINT_URL_SECRETS_MANAGER for Secrets Manager', () => {
    expect(serviceEndpoint({ AWS_ENDPOINT_URL_SECRETS_MANAGER: 'https://sm.internal' }, 'secretsmanager', 'us-east-1').host).toBe('sm.internal');
  });

  it('ignores configured endpoints when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true', () => {
    const env = { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:2000', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' };
    expect(serviceEndpoint(env, 'sts', 'eu-west-1').host).toBe('sts.eu-west-1.amazonaws.com');
  });

  it.each(['not a url', 'ftp://127.0.0.1', 'http://user:pw@127.0.0.1', 'http://:pw@127.0.0.1', 'http://127.0.0.1/?x=1'])('refuses AWS_ENDPOINT_URL_S3=%j', (value) => {
    expect(() => serviceEndpoint({ AWS_ENDPOINT_URL_S3: value }, 's3', 'us-east-1')).toThrow(
      expect.objectContaining({ name: 'EndpointConfigurationError', message: expect.stringContaining(`AWS_ENDPOINT_URL_S3 must be an http(s) URL`) }),
    );
  });
});

describe('s3ObjectAddress', () => {
  it.each([
    ['us-east-1', undefined, 'results', 'athena/q 1.csv'],
    ['eu-west-1', undefined, 'my.dotted.bucket', 'a/b.csv'],
    ['cn-north-1', undefined, 'results', "k!'()*+=&;%41.csv"],
    ['us-gov-west-1', undefined, 'results', 'ünï/日本.csv'],
    ['eu-isoe-west-1', undefined, 'results', 'x'],
    ['us-east-1', 'http://127.0.0.1:9000', 'results', 'a/b.csv'],
    ['us-east-1', 'http://127.0.0.1:9000/prefix/', 'results', 'a/b.csv'],
    ['us-east-1', 'http://[::1]:9000', 'results', 'a/b.csv'],
    ['us-east-1', 'https://s3.internal.example', 'results', 'a//b/./c.csv'],
  ])('addresses the object as the SDK does (%s, endpoint %s, s3://%s/%s)', async (region, endpoint, bucket, key) => {
    // GIVEN
    const client = new S3Client({ region, endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
    const sdkUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 60 });

    // WHEN
    const address = s3ObjectAddress(endpoint === undefined ? {} : { AWS_ENDPOINT_URL_S3: endpoint }, region, bucket, key);

    // THEN
    expect(`${address.protocol}//${address.host}${address.path}`).toBe(sdkUrl.slice(0, sdkUrl.indexOf('?')));
  });

  it('uses path style for a localhost endpoint, where the SDK would try bucket.localhost', () => {
    expect(s3ObjectAddress({ AWS_ENDPOINT_URL_S3: 'http://localhost:9000' }, 'us-east-1', 'results', 'k.csv')).toEqual({
      protocol: 'http:',
      host: 'localhost:9000',
      path: '/results/k.csv',
    });
  });
});

import { parseApiUrl, resolveRegion, routeUrl } from '../../client/api-url';
import { downloadLocation, parseS3Error } from '../../client/download';

describe('parseApiUrl', () => {
  it('takes a stage URL and reads the region from the execute-api host name', () => {
    // WHEN
    const address = parseApiUrl('https://abc123defg.execute-api.eu-west-1.amazonaws.com/live');
    // THEN
    expect(address.stageUrl.href).toBe('https://abc123defg.execute-api.eu-west-1.amazonaws.com/live');
    expect(address.hostRegion).toBe('eu-west-1');
  });

  it('takes the module\'s api_invoke_url output, which ends in /queries', () => {
    expect(parseApiUrl('https://abc123defg.execute-api.us-gov-west-1.amazonaws.com/live/queries/').stageUrl.href).toBe('https://abc123defg.execute-api.us-gov-west-1.amazonaws.com/live');
  });

  it('keeps a stage that happens to be named queries', () => {
    expect(parseApiUrl('https://abc123defg.execute-api.eu-west-1.amazonaws.com/queries').stageUrl.pathname).toBe('/queries');
  });

  it.each([
    ['https://abc123-vpce-0123456789abcdef0.execute-api.ap-southeast-4.amazonaws.com/live', 'ap-southeast-4'],
    ['https://abc123.execute-api.cn-north-1.amazonaws.com.cn/live', 'cn-north-1'],
    ['https://vpce-0123-abcd.execute-api.eu-central-2.vpce.amazonaws.com/live', 'eu-central-2'],
  ])('reads the region of %s', (url, region) => {
    expect(parseApiUrl(url).hostRegion).toBe(region);
  });

  it('has no host region for a custom domain, whose base path may be empty', () => {
    // WHEN
    const address = parseApiUrl('https://queries.example.com');
    // THEN
    expect(address).toEqual({ stageUrl: new URL('https://queries.example.com') });
  });

  it('allows plain http on a loopback host (the offline twin)', () => {
    expect(parseApiUrl('http://127.0.0.1:4000/live').stageUrl.href).toBe('http://127.0.0.1:4000/live');
  });

  it.each([
    ['http://abc123.execute-api.eu-west-1.amazonaws.com/live', /apiUrl must use https \(plain http only on a loopback host such as 127\.0\.0\.1\), got http:\/\/abc123/],
    ['ftp://127.0.0.1/live', /must use https/],
    ['https://abc/live?X-Amz-Security-Token=secret', /apiUrl must have no query string or fragment, got https:\/\/abc\/live with one/],
  ])('refuses %s', (url, message) => {
    expect(() => parseApiUrl(url)).toThrow(message);
  });

  it('refuses user info without echoing it', () => {
    // WHEN
    const attempt = (): unknown => parseApiUrl('https://admin:hunter2@abc123.execute-api.eu-west-1.amazonaws.com/live');
    // THEN
    expect(attempt).toThrow('apiUrl must not carry user info (user:password@); requests are signed with AWS credentials instead');
  });

  it('refuses a value that is not a URL without echoing it', () => {
    expect(() => parseApiUrl('abc123 token=s3cr3t', '--api-url')).toThrow(/^--api-url must be an absolute URL such as https:\/\/.*, got a value that is not a URL \(19 characters\)$/);
  });

  it('names the error InvalidClientOptionsError', () => {
    expect(() => parseApiUrl('nope')).toThrow(expect.objectContaining({ name: 'InvalidClientOptionsError' }));
  });
});

describe('resolveRegion', () => {
  it('takes the explicit region first', () => {
    expect(resolveRegion({ explicit: 'eu-west-1', env: { AWS_REGION: 'us-east-1' } })).toBe('eu-west-1');
  });

  it('takes the host\'s region before the environment', () => {
    expect(resolveRegion({ hostRegion: 'eu-north-1', env: { AWS_REGION: 'us-east-1' } })).toBe('eu-north-1');
  });

  it('falls back to AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(resolveRegion({ env: { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'us-east-1' } })).toBe('us-west-2');
    expect(resolveRegion({ env: { AWS_REGION: '', AWS_DEFAULT_REGION: 'us-east-1' } })).toBe('us-east-1');
  });

  it('refuses an explicit region that contradicts the host\'s', () => {
    expect(() => resolveRegion({ explicit: 'us-east-1', hostRegion: 'eu-west-1', env: {} })).toThrow(
      "region us-east-1 contradicts the API's host name, which is in eu-west-1; API Gateway refuses a signature for another region",
    );
  });

  it('asks for --region when nothing names one', () => {
    expect(() => resolveRegion({ env: {} })).toThrow('the region to sign for is unknown: the API URL is not an execute-api host name, so pass --region (or set AWS_REGION)');
  });

  it.each(['EU-WEST-1', 'eu_west_1', 'europe'])('refuses the malformed region %s', (region) => {
    expect(() => resolveRegion({ explicit: region, env: {} })).toThrow(`region must be an AWS region name such as eu-west-1, got ${JSON.stringify(region)}`);
  });
});

describe('routeUrl', () => {
  const stage = new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/live');

  it('appends percent-encoded segments to the stage', () => {
    expect(routeUrl(stage, ['queries', 'a b/c?d#e', 'result']).href).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/live/queries/a%20b%2Fc%3Fd%23e/result');
  });

  it('builds routes below a custom domain without a base path', () => {
    expect(routeUrl(new URL('https://queries.example.com'), ['queries']).href).toBe('https://queries.example.com/queries');
  });

  it.each(['', '.', '..'])('refuses the id %j, which URL parsing would drop or resolve', (id) => {
    expect(() => routeUrl(stage, ['queries', id])).toThrow(`a query id must be a non-empty name other than "." and "..", got ${JSON.stringify(id)}`);
  });
});

describe('downloadLocation', () => {
  it('describes a presigned URL without its query string', () => {
    // WHEN
    const location = downloadLocation('https://bucket.s3.eu-west-1.amazonaws.com/async/q.csv?X-Amz-Signature=abc&X-Amz-Security-Token=tok');
    // THEN
    expect(location.described).toBe('https://bucket.s3.eu-west-1.amazonaws.com/async/q.csv');
    expect(location.url.searchParams.get('X-Amz-Signature')).toBe('abc');
  });

  it('refuses plain http outside a loopback host', () => {
    expect(() => downloadLocation('http://bucket.s3.amazonaws.com/q.csv?X-Amz-Signature=abc')).toThrow('Downloading the result from http://bucket.s3.amazonaws.com/q.csv failed: refusing to download over anything but https');
  });

  it('refuses a value that is not a URL', () => {
    expect(() => downloadLocation('/relative.csv')).toThrow(expect.objectContaining({ name: 'ResultDownloadError', network: false }));
  });
});

describe('parseS3Error', () => {
  it('reads Code and Message of S3\'s XML error', () => {
    expect(parseS3Error('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message><RequestId>1</RequestId></Error>')).toBe('AccessDenied: Request has expired');
  });

  it('answers undefined for a body that is not one', () => {
    expect(parseS3Error('<html>nope</html>')).toBeUndefined();
  });
});

import { describeProblem, InvalidPropsError } from '../../constructs/builders/errors';
import { defaultNamePrefix, MAX_NAME_PREFIX_LENGTH, MAX_REGION_NAME_LENGTH, NAME_LIMITS, resourceName, ROLE_SUFFIXES, roleName } from '../../constructs/builders/naming';
import { parseOutputLocation } from '../../constructs/builders/s3-location';
import { validateAsyncAthenaQueryProps, type ValidatableProps } from '../../constructs/builders/validation';

const valid: ValidatableProps = { workGroup: 'primary', outputLocation: 's3://my-results/athena/' };
const literal = () => false;

function messages(props: ValidatableProps): string[] {
  return validateAsyncAthenaQueryProps(props, literal).map(describeProblem);
}

describe('validateAsyncAthenaQueryProps', () => {
  it('accepts the minimal valid props', () => {
    expect(messages(valid)).toEqual([]);
  });

  it.each<[string, ValidatableProps, RegExp]>([
    ['a missing workGroup', { outputLocation: valid.outputLocation }, /^workGroup must be set \(the Athena workgroup queries run in\), got undefined\.$/],
    ['a workGroup with spaces', { ...valid, workGroup: 'my group' }, /^workGroup must match \^\[a-zA-Z0-9\._-\]\{1,128\}\$, got "my group"\.$/],
    ['a missing outputLocation', { workGroup: 'primary' }, /^outputLocation must be set .*, got undefined\.$/],
    ['an outputLocation that is not s3://', { ...valid, outputLocation: 'https://bucket/prefix/' }, /^outputLocation must match .*, got "https:\/\/bucket\/prefix\/"\. For example 's3:\/\/my-results\/athena\/'\.$/],
    ['an outputLocation without the trailing slash', { ...valid, outputLocation: 's3://my-results/athena' }, /^outputLocation must match .*ending in '\/'.*got "s3:\/\/my-results\/athena"/],
    ['an outputLocation with an uppercase bucket', { ...valid, outputLocation: 's3://My_Results/athena/' }, /^outputLocation must name a valid bucket: the bucket name must be 3-63 characters.*got "s3:\/\/My_Results\/athena\/"/],
    ['an outputLocation with an IP-address bucket', { ...valid, outputLocation: 's3://192.168.1.1/athena/' }, /bucket name must not be formatted as an IP address, got "s3:\/\/192\.168\.1\.1\/athena\/"/],
    ['an outputLocation with adjacent dots', { ...valid, outputLocation: 's3://my..results/x/' }, /bucket name must not contain two adjacent dots/],
    ['a namePrefix too long for AWS limits', { ...valid, namePrefix: 'a'.repeat(MAX_NAME_PREFIX_LENGTH + 1) }, new RegExp(`^namePrefix must be at most ${MAX_NAME_PREFIX_LENGTH} characters so every derived name fits AWS limits \\(IAM role 64, Lambda 64, state machine 80\\), got "a{${MAX_NAME_PREFIX_LENGTH + 1}}"\\.$`)],
    ['a namePrefix with underscores', { ...valid, namePrefix: 'my_prefix' }, /^namePrefix must start with a letter and contain only letters, digits and hyphens, got "my_prefix"\.$/],
    ['a presignExpirySeconds of 0', { ...valid, presignExpirySeconds: 0 }, /^presignExpirySeconds must be an integer from 1 to 604800, got 0\.$/],
    ['a presignExpirySeconds over 7 days', { ...valid, presignExpirySeconds: 604801 }, /^presignExpirySeconds must be an integer from 1 to 604800, got 604801\.$/],
    ['a fractional presignExpirySeconds', { ...valid, presignExpirySeconds: 1.5 }, /got 1\.5\.$/],
    ['a database with a quote', { ...valid, database: 'db"x' }, /^database must be 1-255 letters, digits, underscores or hyphens, got "db\\"x"\.$/],
    ['a queryTimeoutSeconds over a day', { ...valid, queryTimeoutSeconds: 86401 }, /^queryTimeoutSeconds must be an integer from 1 to 86400, got 86401\.$/],
    ['a logRetentionDays CloudWatch does not accept', { ...valid, logRetentionDays: 10 }, /^logRetentionDays must be one of 1, 3, 5, 7, 14, 30, .*, got 10\.$/],
    ['a reserved tag key', { ...valid, tags: { 'aws:owner': 'me' } }, /^tags\["aws:owner"\] must not use the reserved 'aws:' key prefix, got "aws:owner"\.$/],
    ['a tag value over 256 characters', { ...valid, tags: { team: 'x'.repeat(257) } }, /^tags\["team"\] must have a value of at most 256 characters/],
    ['a resultsKmsKeyArn that is not a KMS key ARN', { ...valid, resultsKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:alias/results' }, /^resultsKmsKeyArn must be a KMS key ARN \(arn:<partition>:kms:<region>:<account>:key\/<key id>; not an alias\), got "arn:aws:kms:us-east-1:123456789012:alias\/results"\.$/],
    ['a callbackerMemoryMb below Lambda minimum', { ...valid, callbackerMemoryMb: 64 }, /^callbackerMemoryMb must be an integer from 128 to 10240, got 64\.$/],
    ['a callbackerTimeoutSeconds too short for a delivery', { ...valid, callbackerTimeoutSeconds: 10 }, /^callbackerTimeoutSeconds must be an integer from 30 to 900, got 10\.$/],
    ['a stageName with a slash', { ...valid, stageName: 'v1/live' }, /^stageName must be 1-128 letters, digits, underscores or hyphens, got "v1\/live"\.$/],
    ['a throttlingRateLimit of 0', { ...valid, throttlingRateLimit: 0 }, /^throttlingRateLimit must be greater than 0 requests per second, got 0\.$/],
    ['an allowedCallbackHosts entry with a scheme', { ...valid, allowedCallbackHosts: ['https://hooks.example.com'] }, /^allowedCallbackHosts\[0\] must be a lowercase host name or '\*\.suffix', got "https:\/\/hooks\.example\.com"\.$/],
    ['an empty allowedCallbackPorts', { ...valid, allowedCallbackPorts: [] }, /^allowedCallbackPorts must list at least one port, got \[\]\.$/],
    ['an allowedCallbackPorts entry out of range', { ...valid, allowedCallbackPorts: [443, 70000] }, /^allowedCallbackPorts\[1\] must be an integer from 1 to 65535, got 70000\.$/],
    ['a sourceDataLocations entry that is not s3://', { ...valid, sourceDataLocations: ['lake/sales/'] }, /^sourceDataLocations\[0\] must match/],
    ['a glueDatabases entry with a space', { ...valid, glueDatabases: ['sales db'] }, /^glueDatabases\[0\] must be a database name/],
    ['an existingSigningSecretArn that is not a secret ARN', { ...valid, existingSigningSecretArn: 'my-secret' }, /^existingSigningSecretArn must be a Secrets Manager secret ARN, got "my-secret"\.$/],
    ['a webAclArn of a CloudFront ACL', { ...valid, webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1' }, /^webAclArn must be a regional WAFv2 web ACL ARN/],
    ['a callbackRetry backoffRate below 1', { ...valid, callbackRetry: { backoffRate: 0.5 } }, /^callbackRetry\.backoffRate must be a number of at least 1\.0, got 0\.5\.$/],
    ['an athenaThrottleRetry with a negative maxAttempts', { ...valid, athenaThrottleRetry: { maxAttempts: -1 } }, /^athenaThrottleRetry\.maxAttempts must be an integer from 0 to 99999999, got -1\.$/],
  ])('rejects %s with a message naming the prop, the rule and the value', (_name, props, expected) => {
    // WHEN
    const found = messages(props);
    // THEN
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(expected);
  });

  it('skips values that are Terraform tokens', () => {
    // GIVEN
    const token = '${TfToken[TOKEN.1]}';
    // WHEN
    const found = validateAsyncAthenaQueryProps({ workGroup: token, outputLocation: token, namePrefix: token }, (v) => v === token);
    // THEN
    expect(found).toEqual([]);
  });

  it('reports every problem at once, in one error', () => {
    // GIVEN
    const problems = validateAsyncAthenaQueryProps({ workGroup: 'a b', outputLocation: 'x', presignExpirySeconds: 0 }, literal);
    // WHEN
    const error = new InvalidPropsError('AsyncAthenaQuery', 'Svc', problems);
    // THEN
    expect(error.name).toBe('InvalidPropsError');
    expect(error.message.split('\n')).toEqual([
      "AsyncAthenaQuery 'Svc' has 3 invalid props:",
      expect.stringMatching(/^ {2}- workGroup must match/),
      expect.stringMatching(/^ {2}- outputLocation must match/),
      expect.stringMatching(/^ {2}- presignExpirySeconds must be an integer/),
    ]);
  });
});

describe('naming', () => {
  it('keeps every derived name of the longest allowed prefix within its AWS limit', () => {
    // GIVEN
    const prefix = 'p'.repeat(MAX_NAME_PREFIX_LENGTH);
    // THEN
    expect(resourceName(prefix, 'callbackerFunction').length).toBeLessThanOrEqual(NAME_LIMITS.lambdaFunction);
    expect(resourceName(prefix, 'stateMachine').length).toBeLessThanOrEqual(NAME_LIMITS.stateMachine);
    const longestRegion = 'r'.repeat(MAX_REGION_NAME_LENGTH);
    for (const role of Object.keys(ROLE_SUFFIXES) as (keyof typeof ROLE_SUFFIXES)[]) {
      expect(roleName(prefix, role, longestRegion).length).toBeLessThanOrEqual(NAME_LIMITS.iamRole);
    }
  });

  it('is as long as the tightest limit allows (a role name in the longest region ends up exactly 64 characters)', () => {
    // GIVEN
    const longestRoleSuffix = Math.max(...Object.values(ROLE_SUFFIXES).map((suffix) => suffix.length));
    // THEN
    expect(MAX_NAME_PREFIX_LENGTH + 1 + longestRoleSuffix + 1 + MAX_REGION_NAME_LENGTH).toBe(NAME_LIMITS.iamRole);
  });

  it('gives the same role different names in two regions of one account (IAM is global)', () => {
    // WHEN
    const names = ['us-east-1', 'eu-west-1'].map((region) => roleName('orders', 'callbackerRole', region));
    // THEN
    expect(new Set(names).size).toBe(2);
  });

  it('derives distinct, valid, stable default prefixes for distinct construct paths', () => {
    // WHEN
    const a = defaultNamePrefix('Orders Service!', 'stack/Orders Service!');
    const b = defaultNamePrefix('Orders Service!', 'stack/nested/Orders Service!');
    // THEN
    expect(a).not.toBe(b);
    expect(a).toBe(defaultNamePrefix('Orders Service!', 'stack/Orders Service!'));
    expect(a).toMatch(/^orders-service-[0-9a-f]{8}$/);
    expect(validateAsyncAthenaQueryProps({ ...valid, namePrefix: defaultNamePrefix('9'.repeat(80), 'x') }, literal)).toEqual([]);
  });
});

describe('parseOutputLocation', () => {
  it.each([
    ['s3://results/athena/', { bucket: 'results', prefix: 'athena/' }],
    ['s3://results/', { bucket: 'results', prefix: '' }],
    ['s3://my.results-1/a/b c/', { bucket: 'my.results-1', prefix: 'a/b c/' }],
  ])('splits %s', (location, expected) => {
    expect(parseOutputLocation(location)).toEqual(expected);
  });
});

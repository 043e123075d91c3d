import { CallbackerConfigurationError } from '../../handler/errors';
import { type Environment, loadConfig } from '../../handler/env';

const BASE: Environment = { PRESIGN_EXPIRY_SECONDS: '3600', WEBHOOK_SIGNING: 'disabled' };

function configWith(overrides: Record<string, string | undefined>) {
  return loadConfig({ ...BASE, ...overrides });
}

describe('loadConfig', () => {
  it('applies the documented defaults when only the required variables are set', () => {
    // GIVEN
    const env = BASE;

    // WHEN
    const config = loadConfig(env);

    // THEN
    expect(config).toEqual({
      presignExpirySeconds: 3600,
      presignerRoleArn: undefined,
      signing: { enabled: false },
      callbackPolicy: { allowedHosts: [], allowedPorts: [443], allowLoopbackHttp: false },
      connectTimeoutMs: 3000,
      totalTimeoutMs: 10000,
      retryAfterCapSeconds: 3600,
    });
  });

  it.each([
    ['PRESIGN_EXPIRY_SECONDS', { PRESIGN_EXPIRY_SECONDS: undefined }],
    ['PRESIGN_EXPIRY_SECONDS', { PRESIGN_EXPIRY_SECONDS: '   ' }],
    ['WEBHOOK_SIGNING', { WEBHOOK_SIGNING: undefined }],
    ['WEBHOOK_SECRET_ARN', { WEBHOOK_SIGNING: 'enabled' }],
  ])('requires %s', (key, overrides) => {
    // GIVEN
    const env = { ...BASE, ...overrides };

    // WHEN
    const load = () => loadConfig(env);

    // THEN
    expect(load).toThrow(CallbackerConfigurationError);
    expect(load).toThrow(`Environment variable ${key} is required`);
  });

  it.each([
    ['1', 1],
    ['604800', 604800],
    [' 900 ', 900],
  ])('reads PRESIGN_EXPIRY_SECONDS=%j as %d', (raw, expected) => {
    // GIVEN / WHEN
    const config = configWith({ PRESIGN_EXPIRY_SECONDS: raw });

    // THEN
    expect(config.presignExpirySeconds).toBe(expected);
  });

  it.each(['0', '604801', '-5', '3600.5', '1e3', 'one hour', '0x10'])('rejects PRESIGN_EXPIRY_SECONDS=%j and names the value', (raw) => {
    // GIVEN / WHEN
    const load = () => configWith({ PRESIGN_EXPIRY_SECONDS: raw });

    // THEN
    expect(load).toThrow(`Environment variable PRESIGN_EXPIRY_SECONDS must be an integer from 1 to 604800, got '${raw.trim()}'`);
  });

  it('enables signing with the secret ARN', () => {
    // GIVEN
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hook-AbCdEf';

    // WHEN
    const config = configWith({ WEBHOOK_SIGNING: 'enabled', WEBHOOK_SECRET_ARN: arn });

    // THEN
    expect(config.signing).toEqual({ enabled: true, secretArn: arn });
  });

  it.each(['true', 'Enabled', 'on', 'yes'])('rejects WEBHOOK_SIGNING=%j as not explicit', (raw) => {
    // GIVEN / WHEN
    const load = () => configWith({ WEBHOOK_SIGNING: raw });

    // THEN
    expect(load).toThrow(`Environment variable WEBHOOK_SIGNING must be one of enabled, disabled, got '${raw}'`);
  });

  it('reads PRESIGNER_ROLE_ARN', () => {
    // GIVEN
    const arn = 'arn:aws:iam::123456789012:role/service-role/presigner';

    // WHEN
    const config = configWith({ PRESIGNER_ROLE_ARN: arn });

    // THEN
    expect(config.presignerRoleArn).toBe(arn);
  });

  it.each(['presigner', 'arn:aws:iam::123456789012:user/bob', 'arn:aws:iam::12345:role/x'])('rejects PRESIGNER_ROLE_ARN=%j', (raw) => {
    // GIVEN / WHEN
    const load = () => configWith({ PRESIGNER_ROLE_ARN: raw });

    // THEN
    expect(load).toThrow(`Environment variable PRESIGNER_ROLE_ARN must be an IAM role ARN, got '${raw}'`);
  });

  it('parses CALLBACK_ALLOWED_HOSTS into exact hosts and suffix patterns, dropping blanks', () => {
    // GIVEN / WHEN
    const config = configWith({ CALLBACK_ALLOWED_HOSTS: ' Hooks.Example.com, *.partner.example ,, ' });

    // THEN
    expect(config.callbackPolicy.allowedHosts).toEqual([
      { kind: 'exact', host: 'hooks.example.com' },
      { kind: 'suffix', suffix: 'partner.example' },
    ]);
  });

  it.each(['*', '*.', 'foo.*.com', 'exa mple.com', 'https://example.com'])('rejects CALLBACK_ALLOWED_HOSTS entry %j', (entry) => {
    // GIVEN / WHEN
    const load = () => configWith({ CALLBACK_ALLOWED_HOSTS: `ok.example.com,${entry}` });

    // THEN
    expect(load).toThrow(`got '${entry}'`);
  });

  it('parses CALLBACK_ALLOWED_PORTS', () => {
    // GIVEN / WHEN
    const config = configWith({ CALLBACK_ALLOWED_PORTS: '443, 8443' });

    // THEN
    expect(config.callbackPolicy.allowedPorts).toEqual([443, 8443]);
  });

  it.each(['0', '65536', 'https', '443,,x'])('rejects CALLBACK_ALLOWED_PORTS=%j', (raw) => {
    // GIVEN / WHEN
    const load = () => configWith({ CALLBACK_ALLOWED_PORTS: raw });

    // THEN
    expect(load).toThrow(/Environment variable CALLBACK_ALLOWED_PORTS must be an integer from 1 to 65535, got '/);
  });

  it.each([
    ['CALLBACK_CONNECT_TIMEOUT_MS', '250', 'connectTimeoutMs', 250],
    ['CALLBACK_TOTAL_TIMEOUT_MS', '1500', 'totalTimeoutMs', 1500],
    ['CALLBACK_RETRY_AFTER_CAP_SECONDS', '0', 'retryAfterCapSeconds', 0],
  ] as const)('reads %s', (key, raw, field, expected) => {
    // GIVEN / WHEN
    const config = configWith({ [key]: raw });

    // THEN
    expect(config[field]).toBe(expected);
  });

  it.each([
    ['CALLBACK_CONNECT_TIMEOUT_MS', '0'],
    ['CALLBACK_TOTAL_TIMEOUT_MS', '900001'],
    ['CALLBACK_RETRY_AFTER_CAP_SECONDS', '-1'],
    ['CALLBACK_RETRY_AFTER_CAP_SECONDS', '3601'],
  ])('rejects %s=%j', (key, raw) => {
    // GIVEN / WHEN
    const load = () => configWith({ [key]: raw });

    // THEN
    expect(load).toThrow(new RegExp(`^Environment variable ${key} must be an integer from \\d+ to \\d+, got '${raw}'$`));
  });

  it.each([
    [undefined, undefined, false],
    ['false', undefined, false],
    ['true', undefined, true],
    ['true', '127.0.0.1:9001', false],
  ])('DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS=%j with AWS_LAMBDA_RUNTIME_API=%j allows loopback: %j', (flag, runtimeApi, expected) => {
    // GIVEN / WHEN
    const config = configWith({ DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS: flag, AWS_LAMBDA_RUNTIME_API: runtimeApi });

    // THEN
    expect(config.callbackPolicy.allowLoopbackHttp).toBe(expected);
  });

  it('rejects DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS values other than true and false', () => {
    // GIVEN / WHEN
    const load = () => configWith({ DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS: '1' });

    // THEN
    expect(load).toThrow("Environment variable DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS must be one of true, false, got '1'");
  });
});

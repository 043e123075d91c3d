import { Webhook } from 'standardwebhooks';
import { SigningSecretUnavailableError } from '../../handler/errors';
import { parseSigningSecrets, signWebhook, webhookIdFor, webhookSignatureHeaders } from '../../handler/signing';

// The Standard Webhooks test vector published with the specification's reference libraries.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const OTHER_SECRET = `whsec_${Buffer.from('a second, rotated-in signing key!').toString('base64')}`;

describe('signWebhook', () => {
  it('reproduces the Standard Webhooks test vector', () => {
    // GIVEN
    const [key] = parseSigningSecrets(VECTOR.secret, 'test');

    // WHEN
    const signature = signWebhook(key, VECTOR.id, VECTOR.timestamp, VECTOR.body);

    // THEN
    expect(signature).toBe(VECTOR.signature);
  });
});

describe('webhookSignatureHeaders', () => {
  it('lists one v1 signature per key, space-separated, in key order', () => {
    // GIVEN
    const keys = parseSigningSecrets(`${VECTOR.secret}\n${OTHER_SECRET}`, 'test');

    // WHEN
    const headers = webhookSignatureHeaders(VECTOR.id, VECTOR.timestamp, VECTOR.body, keys);

    // THEN
    expect(headers['webhook-id']).toBe(VECTOR.id);
    expect(headers['webhook-timestamp']).toBe('1614265330');
    const signatures = headers['webhook-signature'].split(' ');
    expect(signatures).toHaveLength(2);
    expect(signatures[0]).toBe(VECTOR.signature);
    expect(signatures[1]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(signatures[1]).not.toBe(signatures[0]);
  });

  it.each([VECTOR.secret, OTHER_SECRET])('verifies with the stock standardwebhooks library for secret %#', (secret) => {
    // GIVEN
    const keys = parseSigningSecrets(`${VECTOR.secret} ${OTHER_SECRET}`, 'test');
    const body = JSON.stringify({ State: { State: 'FAILED' }, note: 'ünïcödé' });
    const now = Math.floor(Date.now() / 1000);

    // WHEN
    const headers = webhookSignatureHeaders('msg_abc', now, body, keys);

    // THEN
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('produces signatures the library refuses when the body changes', () => {
    // GIVEN
    const keys = parseSigningSecrets(VECTOR.secret, 'test');
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookSignatureHeaders('msg_abc', now, '{"a":1}', keys);

    // WHEN
    const verify = () => new Webhook(VECTOR.secret).verify('{"a":2}', { ...headers });

    // THEN
    expect(verify).toThrow('No matching signature found');
  });
});

describe('webhookIdFor', () => {
  it('is msg_ plus the base64url SHA-256 of the execution ARN, with no dot', () => {
    // GIVEN
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:sm:exec-id';

    // WHEN
    const id = webhookIdFor(arn);

    // THEN
    // Computed independently: printf %s "$arn" | openssl dgst -sha256 -binary | basenc --base64url, minus the "=" padding.
    expect(id).toBe('msg_iZTeGRfhAi8ej3uz5GDm3hk62LfMu42YuZNqS2ebpCk');
    expect(id).not.toContain('.');
  });

  it('is the same for the same ARN and different for another', () => {
    // GIVEN
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:sm:exec-id';

    // WHEN
    const ids = [webhookIdFor(arn), webhookIdFor(arn), webhookIdFor(`${arn}-2`)];

    // THEN
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });
});

describe('parseSigningSecrets', () => {
  it('decodes each whsec_ value after the prefix', () => {
    // GIVEN
    const text = `  ${VECTOR.secret}\t\n${OTHER_SECRET}  `;

    // WHEN
    const keys = parseSigningSecrets(text, 'arn:secret');

    // THEN
    expect(keys.map((k) => k.toString('base64'))).toEqual(['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', OTHER_SECRET.slice(6)]);
  });

  it.each([
    ['an empty secret', '   ', 'is empty'],
    ['a value without the prefix', `${VECTOR.secret} MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`, 'value 2 of 2 in signing secret arn:secret does not start with whsec_'],
    ['garbled base64', 'whsec_MfKQ9r8GKYqr!wjUPD8ILPZIo2LaLaSw', 'value 1 of 1 in signing secret arn:secret is not valid base64'],
    ['a key shorter than 24 bytes', `whsec_${Buffer.from('short').toString('base64')}`, 'decodes to 5 bytes; at least 24 are required'],
    ['a JSON secret', '{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}', 'does not start with whsec_'],
  ])('refuses %s without echoing the secret', (_label, text, message) => {
    // GIVEN / WHEN
    const parse = () => parseSigningSecrets(text, 'arn:secret');

    // THEN
    expect(parse).toThrow(SigningSecretUnavailableError);
    expect(parse).toThrow(message);
    expect(() => parse()).not.toThrow(/MfKQ9r8GKYqr/);
  });
});

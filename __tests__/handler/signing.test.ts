import { Webhook } from 'standardwebhooks';
import { SigningSecretUnavailableError } from '../../handler/errors';
import { parseSigningSecrets, webhookIdFor, webhookSignatureHeaders } from '../../handler/signing';

// The Standard Webhooks test vector published with the specification's reference libraries.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const OTHER_SECRET = `whsec_${Buffer.from('a second, rotated-in signing key!').toString('base64')}`;

describe('webhookSignatureHeaders', () => {
  it('reproduces the Standard Webhooks test vector', () => {
    // GIVEN
    const signers = parseSigningSecrets(VECTOR.secret, 'test');

    // WHEN
    const headers = webhookSignatureHeaders(VECTOR.id, VECTOR.timestamp, VECTOR.body, signers);

    // THEN
    expect(headers['webhook-signature']).toBe(VECTOR.signature);
  });

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
  it('returns one signer per whsec_ value, in order, separated by any white space', () => {
    // GIVEN
    const text = `  ${VECTOR.secret}\t\n${OTHER_SECRET}  `;
    const signedAt = new Date(VECTOR.timestamp * 1000);

    // WHEN
    const signers = parseSigningSecrets(text, 'arn:secret');

    // THEN
    expect(signers.map((s) => s.sign(VECTOR.id, signedAt, VECTOR.body))).toEqual(
      [VECTOR.secret, OTHER_SECRET].map((secret) => new Webhook(secret).sign(VECTOR.id, signedAt, VECTOR.body)),
    );
  });

  it('accepts a key of exactly 24 bytes', () => {
    // GIVEN
    const text = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;

    // WHEN
    const signers = parseSigningSecrets(text, 'arn:secret');

    // THEN
    expect(signers).toHaveLength(1);
  });

  it.each([
    ['an empty secret', '   ', 'is empty'],
    ['a value without the prefix', `${VECTOR.secret} MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`, 'value 2 of 2 in signing secret arn:secret does not start with whsec_'],
    ['garbled base64', 'whsec_MfKQ9r8GKYqr!wjUPD8ILPZIo2LaLaSw', 'value 1 of 1 in signing secret arn:secret is not valid base64'],
    ['a key shorter than 24 bytes', `whsec_${Buffer.from('short').toString('base64')}`, 'decodes to 5 bytes; at least 24 are required'],
    ['a 23-byte key', `whsec_${Buffer.alloc(23, 7).toString('base64')}`, 'decodes to 23 bytes; at least 24 are required'],
    ['a prefix and nothing else', 'whsec_', 'value 1 of 1 in signing secret arn:secret is not valid base64'],
    ['base64url instead of base64', 'whsec_MfKQ9r8GKYqr-wjUPD8ILPZIo2LaLaSw', 'is not valid base64'],
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

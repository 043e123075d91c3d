/** SigV4 verification as the twin's API applies it. */
import { signRequest, verifySignature } from '../../../twin/iam/sigv4-verifier';

// The get-vanilla case of AWS's Signature Version 4 test suite.
const VANILLA = {
  request: {
    method: 'GET',
    url: new URL('https://example.amazonaws.com/'),
    body: '',
    headers: {
      host: 'example.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    },
  },
  options: {
    region: 'us-east-1',
    service: 'service',
    secretFor: (key: string) => (key === 'AKIDEXAMPLE' ? 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' : undefined),
    now: Date.UTC(2015, 7, 30, 12, 36),
  },
};

const SCOPE = { region: 'us-east-1', service: 'execute-api' };
const CREDENTIALS = { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' };
const secretFor = (key: string): string | undefined => (key === CREDENTIALS.accessKeyId ? CREDENTIALS.secretAccessKey : undefined);

async function signedPost(body: string): Promise<{ url: URL; headers: Record<string, string> }> {
  const url = new URL('http://127.0.0.1:4000/live/queries');
  const headers = await signRequest({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body }, CREDENTIALS, SCOPE);
  return { url, headers };
}

describe('Function: verifySignature', () => {
  it("accepts AWS's own test vector", async () => {
    // WHEN
    const verdict = await verifySignature(VANILLA.request, VANILLA.options);

    // THEN
    expect(verdict).toEqual({ ok: true, accessKeyId: 'AKIDEXAMPLE' });
  });

  it('rejects the test vector with one signature digit changed', async () => {
    // GIVEN
    const headers = { ...VANILLA.request.headers, authorization: VANILLA.request.headers.authorization.replace(/1$/, '2') };

    // WHEN
    const verdict = await verifySignature({ ...VANILLA.request, headers }, VANILLA.options);

    // THEN
    expect(verdict).toMatchObject({ ok: false, errorType: 'InvalidSignatureException' });
  });

  it('accepts what signRequest signed, even with unsigned headers added', async () => {
    // GIVEN
    const { url, headers } = await signedPost('{"a":1}');

    // WHEN
    const verdict = await verifySignature({ method: 'POST', url, headers: { ...headers, 'user-agent': 'added later' }, body: '{"a":1}' }, { ...SCOPE, secretFor });

    // THEN
    expect(verdict).toEqual({ ok: true, accessKeyId: 'AKIATEST' });
  });

  it('rejects a body other than the one signed', async () => {
    // GIVEN
    const { url, headers } = await signedPost('{"a":1}');

    // WHEN
    const verdict = await verifySignature({ method: 'POST', url, headers, body: '{"a":2}' }, { ...SCOPE, secretFor });

    // THEN
    expect(verdict).toMatchObject({ ok: false, gatewayResponseType: 'INVALID_SIGNATURE' });
  });

  it('rejects a signed x-amz-content-sha256 that does not match the body', async () => {
    // GIVEN
    const url = new URL('http://127.0.0.1:4000/live/queries');
    const claimed = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const headers = await signRequest({ method: 'POST', url, headers: { 'x-amz-content-sha256': claimed }, body: '' }, CREDENTIALS, SCOPE);

    // WHEN
    const verdict = await verifySignature({ method: 'POST', url, headers, body: 'smuggled' }, { ...SCOPE, secretFor });

    // THEN
    expect(verdict).toMatchObject({ ok: false });
  });

  it('answers a request without Authorization as API Gateway does: Missing Authentication Token', async () => {
    // WHEN
    const verdict = await verifySignature({ method: 'POST', url: new URL('http://x/'), headers: {}, body: '' }, { ...SCOPE, secretFor });

    // THEN
    expect(verdict).toEqual({ ok: false, gatewayResponseType: 'MISSING_AUTHENTICATION_TOKEN', errorType: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });
});

/**
 * The AWS SDK clients the callbacker and the query API function share, created once per sandbox and reused by every
 * invocation, so warm invocations keep their connections and resolved configuration.
 *
 * Everything comes from the environment, as the SDK resolves it: the region from AWS_REGION, the function's own
 * credentials from the default chain (in Lambda, the runtime's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN), and the endpoints from AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_STS and
 * AWS_ENDPOINT_URL_SECRETS_MANAGER (or AWS_ENDPOINT_URL), which the offline twin points at its local services.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import type { SessionCredentials } from './expiry';

/**
 * Limits of each attempt of an STS or Secrets Manager call (the SDK retries throttling, 5xx and connection errors,
 * three attempts in all): a stalled endpoint must not eat the function's time budget, since the state machine
 * retries the named error the handler turns a failure into.
 */
export const REQUEST_HANDLER = { connectionTimeout: 3_000, requestTimeout: 5_000 } as const;

/**
 * S3 clients only presign, and the downloader is a plain HTTP client that would not check response checksums:
 * no `x-amz-checksum-mode` in the URL. https://docs.aws.amazon.com/sdkref/latest/guide/feature-dataintegrity.html
 */
const S3_OPTIONS: S3ClientConfig = { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' };

// Clients are made once per sandbox, at module scope, so the init phase builds them and every invocation reuses them
// (https://docs.aws.amazon.com/lambda/latest/dg/best-practices.html). `@__PURE__` lets the bundler drop a client
// that a bundle never uses (the query API function's bundle reads no secret).

/** Assumes the presigner role, with the function's own credentials. */
export const stsClient = /* @__PURE__ */ new STSClient({ requestHandler: REQUEST_HANDLER });

/** Reads the webhook signing secret, with the function's own credentials. */
export const secretsManagerClient = /* @__PURE__ */ new SecretsManagerClient({ requestHandler: REQUEST_HANDLER });

let ownS3: S3Client | undefined;

/**
 * Presigns with the function's own credentials: only a deployment without a presigner role does, so this client is
 * made on its first use rather than in the init phase of every sandbox.
 */
export function ownS3Client(): S3Client {
  ownS3 ??= new S3Client(S3_OPTIONS);
  return ownS3;
}

/** The presigner role session presignerS3Client signs with; set by {@link usePresignerCredentials}. */
let presignerCredentials: SessionCredentials | undefined;

/** Presigns with the presigner role's session that presign.ts chose (see {@link usePresignerCredentials}). */
export const presignerS3Client = /* @__PURE__ */ new S3Client({
  ...S3_OPTIONS,
  credentials: async () => {
    if (presignerCredentials === undefined) throw new Error('No presigner role session has been assumed yet');
    return presignerCredentials;
  },
});

/**
 * Makes presignerS3Client sign with `credentials` from now on. The SDK memoizes a client's credentials until
 * five minutes before they expire, so a new session is pushed through with `forceRefresh`, the SDK's documented way
 * to make a memoized provider fetch again (MemoizedProvider in @smithy/types).
 */
export async function usePresignerCredentials(credentials: SessionCredentials): Promise<void> {
  if (credentials === presignerCredentials) return;
  presignerCredentials = credentials;
  await presignerS3Client.config.credentials({ forceRefresh: true });
}

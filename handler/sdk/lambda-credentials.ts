/**
 * The function's own credentials, as the Lambda runtime hands them over: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN, read by the SDK's own environment provider (`fromEnv`).
 *
 * The bundle resolves `@aws-sdk/credential-provider-node` (the default chain every SDK client imports) to this module
 * (see `alias` in scripts/build-callbacker.ts): inside Lambda the chain always ends at the environment, and leaving
 * out its profile, SSO, process, web-identity and container providers keeps the zipped bundle under 150 KB. A client
 * given explicit credentials (the presigner role's session) does not use it.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

/** The SDK clients' default credential provider, in place of the node chain's. */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}): AwsCredentialIdentityProvider => fromEnv(init);

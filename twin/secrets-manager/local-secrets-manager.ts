/**
 * A local Secrets Manager that answers GetSecretValue (AWS JSON 1.1) for the stack's secrets, to the function's
 * credentials only.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { RealTimeClock, type TwinClock } from '../clock/twin-clock';
import { flatHeaders, listenLocally, readBody, type RunningServer } from '../wiring/http-util';
import { type StaticCredentials, verifySignature } from '../iam/sigv4-verifier';

/** One secret: its ARN, name and current string value. */
export interface LocalSecret {
  readonly arn: string;
  readonly name: string;
  readonly secretString: string;
}

/** Options of {@link startLocalSecretsManager}. */
export interface LocalSecretsManagerOptions {
  readonly region: string;
  /** The only principal allowed to read (the function's execution role). */
  readonly caller: StaticCredentials & { readonly assumedRoleArn: string };
  readonly secrets: readonly LocalSecret[];
  /** The twin clock: signature dates. @default the wall clock */
  readonly clock?: TwinClock;
}

/** A running local Secrets Manager. */
export interface LocalSecretsManager {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_SECRETS_MANAGER. */
  readonly endpoint: string;
  /** The SecretId of every GetSecretValue call, in order. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/** Starts the service on 127.0.0.1. */
export async function startLocalSecretsManager(options: LocalSecretsManagerOptions): Promise<LocalSecretsManager> {
  const requests: string[] = [];
  const clock = options.clock ?? new RealTimeClock();
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: object): void => {
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
      res.end(JSON.stringify(body));
    };
    readBody(req, 64 * 1024)
      .then(async (body) => {
        const headers = flatHeaders(req);
        const verdict = await verifySignature(
          { method: req.method ?? 'POST', url: new URL(req.url ?? '/', 'http://127.0.0.1'), headers, body },
          { region: options.region, service: 'secretsmanager', secretFor: (key) => (key === options.caller.accessKeyId ? options.caller.secretAccessKey : undefined), now: clock.now() },
        );
        if (!verdict.ok) return answer(400, { __type: verdict.errorType, message: verdict.message });
        if (headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
          return answer(400, { __type: 'UnknownOperationException', message: `Operation ${headers['x-amz-target']} is not supported by the twin` });
        }
        const secretId = (JSON.parse(body === '' ? '{}' : body) as { SecretId?: string }).SecretId ?? '';
        requests.push(secretId);
        const secret = options.secrets.find((s) => s.arn === secretId || s.name === secretId);
        if (secret === undefined) return answer(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
        return answer(200, {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: '00000000-0000-4000-8000-000000000001',
          SecretString: secret.secretString,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Math.floor(clock.now() / 1000),
        });
      })
      .catch((error: unknown) => answer(500, { __type: 'InternalServiceError', message: error instanceof Error ? error.message : String(error) }));
  });
  const running: RunningServer = await listenLocally(server, { clock });
  return { endpoint: `http://127.0.0.1:${running.port}`, requests, close: running.close };
}

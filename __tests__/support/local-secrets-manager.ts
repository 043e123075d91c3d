/**
 * A minimal local Secrets Manager endpoint (AWS JSON 1.1) that answers GetSecretValue from a map of secrets.
 * Point AWS_ENDPOINT_URL_SECRETS_MANAGER at it. Test helper; not a suite.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalSecretsManager {
  readonly endpoint: string;
  /** SecretId of every GetSecretValue received. */
  readonly requests: string[];
  /** Sets or replaces a secret's SecretString. */
  setSecret(arn: string, secretString: string): void;
  close(): Promise<void>;
}

export async function startLocalSecretsManager(): Promise<LocalSecretsManager> {
  const secrets = new Map<string, string>();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/x-amz-json-1.1');
      const target = req.headers['x-amz-target'];
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string };
      const secretId = input.SecretId ?? '';
      requests.push(secretId);
      const value = secrets.get(secretId);
      if (target !== 'secretsmanager.GetSecretValue' || value === undefined) {
        res.writeHead(400);
        res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }));
        return;
      }
      res.writeHead(200);
      res.end(
        JSON.stringify({
          ARN: secretId,
          Name: secretId.split(':').pop(),
          VersionId: '00000000-0000-0000-0000-000000000001',
          SecretString: value,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Date.now() / 1000,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    setSecret: (arn, secretString) => secrets.set(arn, secretString),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

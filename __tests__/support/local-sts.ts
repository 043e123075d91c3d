/**
 * A minimal local STS endpoint (AWS Query protocol) that answers AssumeRole with fixed credentials and a
 * configurable Expiration. Point AWS_ENDPOINT_URL_STS at it. Test helper; not a suite.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalStsOptions {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Seconds from now the issued credentials expire; default: the DurationSeconds asked for. */
  readonly expiresInSeconds?: number;
  /** Answer ValidationError when DurationSeconds exceeds this (as STS does for role chaining above 3600 s). */
  readonly maxDurationSeconds?: number;
}

export interface LocalSts {
  readonly endpoint: string;
  /** The form parameters of every request received. */
  readonly requests: Record<string, string>[];
  close(): Promise<void>;
}

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export async function startLocalSts(options: LocalStsOptions): Promise<LocalSts> {
  const requests: Record<string, string>[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      requests.push(params);
      const duration = Number(params.DurationSeconds ?? '3600');
      res.setHeader('Content-Type', 'text/xml');
      if (params.Action !== 'AssumeRole' || (options.maxDurationSeconds !== undefined && duration > options.maxDurationSeconds)) {
        res.writeHead(400);
        res.end(
          `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>ValidationError</Code>` +
            `<Message>The requested DurationSeconds exceeds the MaxSessionDuration set for this role.</Message></Error>` +
            `<RequestId>local-sts-error</RequestId></ErrorResponse>`,
        );
        return;
      }
      const expiration = new Date(Date.now() + (options.expiresInSeconds ?? duration) * 1000).toISOString();
      res.writeHead(200);
      res.end(
        `<AssumeRoleResponse xmlns="${XMLNS}"><AssumeRoleResult><Credentials>` +
          `<AccessKeyId>${options.accessKeyId}</AccessKeyId><SecretAccessKey>${options.secretAccessKey}</SecretAccessKey>` +
          `<SessionToken>local-session-token-${requests.length}</SessionToken><Expiration>${expiration}</Expiration>` +
          `</Credentials><AssumedRoleUser><AssumedRoleId>AROALOCAL:${params.RoleSessionName}</AssumedRoleId>` +
          `<Arn>${params.RoleArn}</Arn></AssumedRoleUser></AssumeRoleResult>` +
          `<ResponseMetadata><RequestId>local-sts-${requests.length}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

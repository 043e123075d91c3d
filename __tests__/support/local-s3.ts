/**
 * A local S3 (@20minutes/s3rver) that verifies SigV4 presigned URLs, on 127.0.0.1 with a temp directory.
 * Buckets are made with configureBuckets and only object-level calls are used: bucket-level calls fail with
 * SignatureDoesNotMatch on this server (see the shared offline-toolchain notes, section 2). Test helper; not a suite.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { S3rverConstructor } from '../../twin/s3/local-s3';
import { createQuietly } from './quiet-sdk';

/** The server's default credentials. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;


/** The server's key registry (the package ships no type declarations). */
interface KeyRegistry {
  readonly DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secret: string): void; revokeAccessKey(accessKeyId: string): void };
}

export interface LocalS3 {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_S3. */
  readonly endpoint: string;
  /** Lets another key pair sign requests (a role session issued by STS); until then the server refuses it. */
  allowKey(accessKeyId: string, secretAccessKey: string): void;
  putObject(bucket: string, key: string, body: string): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalS3(buckets: readonly string[]): Promise<LocalS3> {
  // The package ships no type declarations.
  const S3rver = require('@20minutes/s3rver') as S3rverConstructor;
  const registry = require('@20minutes/s3rver/lib/models/account') as KeyRegistry;
  const allowed: string[] = [];
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'callbacker-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createQuietly(() => new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS }));
  return {
    endpoint,
    allowKey: (accessKeyId, secretAccessKey) => {
      registry.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
      allowed.push(accessKeyId);
    },
    putObject: async (bucket, key, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    close: async () => {
      client.destroy();
      // The key registry is shared by every server in the process.
      for (const key of allowed) registry.DUMMY_ACCOUNT.revokeAccessKey(key);
      server.httpServer?.closeAllConnections();
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

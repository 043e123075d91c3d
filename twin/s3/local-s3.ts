/**
 * The local S3: @20minutes/s3rver, which verifies SigV4 signatures (header and presigned), behind a guard that makes
 * the bucket private the way S3 with Block Public Access is.
 *
 * s3rver alone serves anonymous requests and knows one key pair. The guard runs first and answers like S3:
 * unsigned requests get 403 AccessDenied; every key must have been granted here (the Athena engine's, each presigner
 * session issued by the local STS); session keys must present their token and be unexpired; and each key may only do
 * what its grant allows (the presigner may read result objects, nothing else). s3rver then checks the signature.
 * Buckets are created through `configureBuckets`: bucket-level calls fail signature checks on this server
 * (offline-toolchain notes, section 2).
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { RealTimeClock, type TwinClock } from '../clock/twin-clock';
import type { StaticCredentials } from '../iam/sigv4-verifier';

/** What a request does, as far as the guard cares. */
export type S3Action = 'GetObject' | 'PutObject' | 'Other';

/** Permission for one access key. */
export interface S3Grant {
  readonly credentials: StaticCredentials;
  /** Sessions expire; long-lived keys do not. */
  readonly expiration?: Date;
  /** Whether the key may do `action` on `bucket`/`key`. */
  readonly allows: (action: S3Action, bucket: string, key: string) => boolean;
}

/** A running local S3. */
export interface LocalS3 {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_S3. */
  readonly endpoint: string;
  /** Lets a key sign requests. */
  grant(grant: S3Grant): void;
  /** A client that signs with a granted key. */
  clientFor(credentials: StaticCredentials): S3Client;
  /** Writes an object with the administrator key (test and demo set-up). */
  putObject(bucket: string, key: string, body: string): Promise<void>;
  /** Reads an object with the administrator key, or undefined when it does not exist. */
  getObjectText(bucket: string, key: string): Promise<string | undefined>;
  /** Requests the guard refused, by S3 error code. */
  readonly refusals: Readonly<Record<string, number>>;
  close(): Promise<void>;
}

interface AwsAccountRegistry {
  readonly DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secret: string): void; revokeAccessKey(accessKeyId: string): void };
}

/** The subset of a Koa context the guard reads and writes. */
interface GuardContext {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string | string[] | undefined>;
  readonly headers: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
  type: string;
}

type Middleware = (ctx: GuardContext, next: () => Promise<void>) => Promise<void>;

/** The part of @20minutes/s3rver's API used here (the package ships no type declarations). */
export interface S3rverInstance {
  readonly middleware: Middleware[];
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly httpServer?: Server;
}

export type S3rverConstructor = new (options: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
}

/**
 * Starts s3rver on 127.0.0.1 with the given buckets, in a temporary directory removed on close. Session expirations
 * are checked on `clock`; s3rver itself checks a presigned URL's expiry against the wall clock (it accepts URLs
 * dated in its future, so a virtual clock ahead of the wall clock does not break downloads).
 */
export async function startLocalS3(buckets: readonly string[], clock: TwinClock = new RealTimeClock()): Promise<LocalS3> {
  // The package ships no type declarations; the constructor and key registry are typed above.
  const S3rver = require('@20minutes/s3rver') as S3rverConstructor;
  const registry = require('@20minutes/s3rver/lib/models/account') as AwsAccountRegistry;
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'twin-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const grants = new Map<string, S3Grant>();
  const refusals: Record<string, number> = {};

  const guard: Middleware = async (ctx, next) => {
    const refuse = (status: number, code: string, message: string): void => {
      refusals[code] = (refusals[code] ?? 0) + 1;
      ctx.status = status;
      ctx.type = 'application/xml';
      ctx.body = errorXml(code, message);
    };
    const authorization = first(ctx.headers.authorization);
    const credential = first(ctx.query['X-Amz-Credential']) ?? /Credential=([^/,\s]+)/.exec(authorization ?? '')?.[1];
    if (credential === undefined) return refuse(403, 'AccessDenied', 'Access Denied');
    const accessKeyId = credential.split('/')[0];
    const grant = grants.get(accessKeyId);
    if (grant === undefined) return refuse(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    const sessionToken = first(ctx.query['X-Amz-Security-Token']) ?? first(ctx.headers['x-amz-security-token']);
    if (grant.credentials.sessionToken !== undefined && sessionToken !== grant.credentials.sessionToken) {
      return refuse(403, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
    }
    if (grant.expiration !== undefined && grant.expiration.getTime() <= clock.now()) {
      return refuse(400, 'ExpiredToken', 'The provided token has expired.');
    }
    const [bucket = '', ...keyParts] = ctx.path.split('/').slice(1).map(decodeURIComponent);
    const key = keyParts.join('/');
    const action: S3Action = key === '' ? 'Other' : ctx.method === 'GET' || ctx.method === 'HEAD' ? 'GetObject' : ctx.method === 'PUT' ? 'PutObject' : 'Other';
    if (!grant.allows(action, bucket, key)) return refuse(403, 'AccessDenied', 'Access Denied');
    await next();
  };
  // Koa composes its middleware list when the server starts listening, so the guard goes first.
  server.middleware.unshift(guard);
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;

  const registered: string[] = [];
  const grant = (g: S3Grant): void => {
    grants.set(g.credentials.accessKeyId, g);
    registry.DUMMY_ACCOUNT.createKeyPair(g.credentials.accessKeyId, g.credentials.secretAccessKey);
    registered.push(g.credentials.accessKeyId);
  };
  const clients: S3Client[] = [];
  const clientFor = (credentials: StaticCredentials): S3Client => {
    const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
    clients.push(client);
    return client;
  };
  // The administrator: a random key per server, allowed everything, for set-up and inspection only.
  const admin = { accessKeyId: `AKIATWINADMIN${randomBytes(4).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(24).toString('base64') };
  grant({ credentials: admin, allows: () => true });
  const adminClient = clientFor(admin);

  return {
    endpoint,
    grant,
    clientFor,
    refusals,
    putObject: async (bucket, key, body) => {
      await adminClient.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    getObjectText: async (bucket, key) => {
      try {
        const result = await adminClient.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await result.Body?.transformToString('utf8');
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    close: async () => {
      clients.forEach((c) => c.destroy());
      for (const key of registered) registry.DUMMY_ACCOUNT.revokeAccessKey(key);
      server.httpServer?.closeAllConnections();
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

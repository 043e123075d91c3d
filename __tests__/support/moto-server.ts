/**
 * moto_server, the Python AWS emulator, for tests that need the real STS and Secrets Manager protocols. Reuses the
 * server at MOTO_ENDPOINT when that variable is set (CI may run one for every suite), otherwise starts one bound to
 * 127.0.0.1 on a free port and stops it on close. Test helper; not a suite.
 */
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type ChildProcess, spawn } from 'node:child_process';
import { createQuietly } from './quiet-sdk';

/** Credentials moto issued for one AssumeRole call, read back from its state. */
export interface MotoAssumedRole {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

export interface MotoServer {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL_SECRETS_MANAGER. */
  readonly endpoint: string;
  /** Creates a secret with a unique name derived from `name` and returns its ARN. */
  createSecret(name: string, secretString: string): Promise<string>;
  /** Gives a secret a new current value. */
  putSecretValue(secretArn: string, secretString: string): Promise<void>;
  /** The session moto issued with this access key id, or undefined. */
  assumedRole(accessKeyId: string): Promise<MotoAssumedRole | undefined>;
  /** Every session moto issued for a role, in order. */
  assumedRolesOf(roleArn: string): Promise<MotoAssumedRole[]>;
  close(): Promise<void>;
}

/** A slow start on a loaded machine is still a start; Python imports moto's services lazily. */
const START_TIMEOUT_MS = 60_000;

/** moto's fixed account. */
export const MOTO_ACCOUNT = '123456789012';

function startProcess(): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill();
      reject(error);
    };
    const onExit = (code: number | null): void => fail(new Error(`moto_server exited with ${code} before listening:\n${output}`));
    const read = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout?.off('data', read);
      child.stderr?.off('data', read);
      // Keep draining the pipes so the server never blocks on a full one.
      child.stdout?.resume();
      child.stderr?.resume();
      resolve({ endpoint: match[1], child });
    };
    const timer = setTimeout(() => fail(new Error(`moto_server printed no address within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('error', (error) => fail(new Error(`moto_server could not be started (is it installed?): ${error.message}`)));
    child.once('exit', onExit);
  });
}

interface MotoState {
  readonly sts?: {
    readonly AssumedRole?: readonly {
      role_arn: string;
      session_name: string;
      access_key_id: string;
      secret_access_key: string;
      session_token: string;
    }[];
  };
}

export async function startMoto(): Promise<MotoServer> {
  const given = process.env.MOTO_ENDPOINT;
  const started = given === undefined || given === '' ? await startProcess() : undefined;
  const endpoint = started?.endpoint ?? (given as string);
  const secrets = createQuietly(
    () => new SecretsManagerClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'moto-test-admin', secretAccessKey: 'moto-test-admin' } }),
  );
  const sessions = async (): Promise<MotoAssumedRole[]> => {
    const response = await fetch(`${endpoint}/moto-api/data.json`);
    const state = (await response.json()) as MotoState;
    return (state.sts?.AssumedRole ?? []).map((r) => ({
      roleArn: r.role_arn,
      sessionName: r.session_name,
      accessKeyId: r.access_key_id,
      secretAccessKey: r.secret_access_key,
      sessionToken: r.session_token,
    }));
  };
  let serial = 0;
  return {
    endpoint,
    createSecret: async (name, secretString) => {
      // Names stay unique on a shared server: moto keeps secrets until it is reset.
      serial += 1;
      const result = await secrets.send(new CreateSecretCommand({ Name: `${name}-${process.pid}-${Date.now()}-${serial}`, SecretString: secretString }));
      if (result.ARN === undefined) throw new Error(`moto created secret ${name} without an ARN`);
      return result.ARN;
    },
    putSecretValue: async (secretArn, secretString) => {
      await secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: secretString }));
    },
    assumedRole: async (accessKeyId) => (await sessions()).find((s) => s.accessKeyId === accessKeyId),
    assumedRolesOf: async (roleArn) => (await sessions()).filter((s) => s.roleArn === roleArn),
    close: async () => {
      secrets.destroy();
      const child = started?.child;
      if (child === undefined || child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

/**
 * moto_server, the Python AWS emulator, for tests that need the real STS and Secrets Manager protocols. Reuses the
 * server at MOTO_ENDPOINT when that variable is set (jest's global set-up and `.ci/run` run one for every suite),
 * otherwise starts one bound to 127.0.0.1 on a free port and stops it on close (twin/sqs/moto-server.ts). Test helper;
 * not a suite.
 */
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { motoServer } from '../../twin/sqs/moto-server';
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

/** moto's fixed account. */
export const MOTO_ACCOUNT = '123456789012';

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
  const server = await motoServer();
  const { endpoint } = server;
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
      await server.close();
    },
  };
}

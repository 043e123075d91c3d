/**
 * The redrive's real AWS adapters (redrive/aws.ts), pointed at a running twin: SQS at moto, Step Functions, Athena and
 * Lambda at the twin's AWS endpoint, signed with the twin's client credentials. Also the environment that points the
 * `npm run redrive` command at the same endpoints. Test helper; not a suite.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { AthenaQueryReader, LambdaDeliveryInvoker, SfnExecutionReader, SqsDeadLetterSource } from '../../redrive/aws';
import type { RedriveDeployment } from '../../redrive/derive';
import type { RedriveServices } from '../../redrive/redrive';
import type { TwinClock } from '../../twin/clock/twin-clock';
import type { Twin } from '../../twin/twin';

/** The redrive's services against a twin, and a way to close their clients. */
export interface TwinRedrive {
  readonly services: RedriveServices;
  /** This twin's state machines and output location. */
  readonly deployment: RedriveDeployment;
  /** An SQS client on moto, for what an attacker who may SendMessage to the queue would do. */
  readonly sqs: SQSClient;
  /** Puts a raw message on the dead-letter queue. */
  send(body: string): Promise<void>;
  close(): void;
}

/** What this file adds to an SDK client's middleware stack (a client of any service has one). */
type Handler = (args: unknown) => Promise<unknown>;
interface InitializeStack {
  add(middleware: (next: Handler) => Handler, options: { readonly step: 'initialize'; readonly name: string }): void;
}

/**
 * Makes every request of `client` work in flight on the twin clock, so a virtual clock cannot jump while one is on its
 * way. Only for requests whose answer waits on no twin timer: a Lambda Invoke held this way would stop the very clock
 * the function's timers run on.
 */
function onClock<C extends { readonly middlewareStack: object }>(client: C, clock: TwinClock, label: string): C {
  (client.middlewareStack as InitializeStack).add((next) => (args) => clock.track(label, () => next(args)), { step: 'initialize', name: 'twinClockInFlight' });
  return client;
}

/** Connects the redrive's adapters to a twin. Received messages stay invisible for `visibilityTimeoutSeconds`. */
export function twinRedrive(twin: Twin, visibilityTimeoutSeconds = 0): TwinRedrive {
  const config = { region: twin.region, credentials: twin.clientCredentials, maxAttempts: 1 };
  const sqs = onClock(new SQSClient({ ...config, endpoint: twin.deadLetters.endpoint }), twin.clock, 'redrive: SQS');
  const sfn = onClock(new SFNClient({ ...config, endpoint: twin.awsEndpoint }), twin.clock, 'redrive: Step Functions');
  const athena = onClock(new AthenaClient({ ...config, endpoint: twin.awsEndpoint }), twin.clock, 'redrive: Athena');
  const lambda = new LambdaClient({ ...config, endpoint: twin.awsEndpoint });
  return {
    services: {
      queue: new SqsDeadLetterSource(sqs, twin.deadLetters.queueUrl, visibilityTimeoutSeconds),
      stepFunctions: new SfnExecutionReader(sfn),
      athena: new AthenaQueryReader(athena),
      invoker: new LambdaDeliveryInvoker(lambda, twin.stack.artifacts.callbacker.functionArn),
    },
    deployment: {
      stateMachineArn: twin.stack.artifacts.stateMachine.arn,
      cancellationStateMachineArn: twin.stack.artifacts.cancellationStateMachine.arn,
      outputLocation: `s3://${twin.outputLocation.bucket}/${twin.outputLocation.prefix}`,
    },
    sqs,
    send: async (body) => {
      await sqs.send(new SendMessageCommand({ QueueUrl: twin.deadLetters.queueUrl, MessageBody: body }));
    },
    close: () => {
      for (const client of [sqs, sfn, athena, lambda]) client.destroy();
    },
  };
}

/** What `npm run redrive` printed and returned. */
export interface CommandRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `npm run redrive` (scripts/redrive.ts under ts-node, as the npm script does) against a twin: the standard AWS
 * environment variables point the SDK's default clients at moto and the twin's endpoint. Asynchronous, because the
 * twin answers from this very process. https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
export function runRedriveCommand(twin: Twin, args: readonly string[]): Promise<CommandRun> {
  const root = path.resolve(__dirname, '..', '..');
  const child = spawn(process.execPath, [require.resolve('ts-node/dist/bin.js'), '--transpile-only', 'scripts/redrive.ts', ...args], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AWS_REGION: twin.region,
      AWS_ACCESS_KEY_ID: twin.clientCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: twin.clientCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: twin.deadLetters.endpoint,
      AWS_ENDPOINT_URL_SFN: twin.awsEndpoint,
      AWS_ENDPOINT_URL_ATHENA: twin.awsEndpoint,
      AWS_ENDPOINT_URL_LAMBDA: twin.awsEndpoint,
      AWS_CONFIG_FILE: path.join(root, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(root, 'no-aws-credentials'),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The arguments naming a twin's deployment, as an operator passes the Terraform outputs. */
export function deploymentArguments(twin: Twin): string[] {
  return [
    '--state-machine-arn',
    twin.stack.artifacts.stateMachine.arn,
    '--cancellation-state-machine-arn',
    twin.stack.artifacts.cancellationStateMachine.arn,
    '--output-location',
    `s3://${twin.outputLocation.bucket}/${twin.outputLocation.prefix}`,
    '--function-name',
    twin.stack.artifacts.callbacker.functionArn,
  ];
}

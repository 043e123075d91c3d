/**
 * The offline twin: what `cdktf synth` produced, running on local engines. One call starts everything and wires it
 * as the deployed stack is wired; `close()` stops everything.
 *
 *   client ──SigV4──▶ API Gateway (synthesized routes, model, validators, Lambda permissions) ──AWS_PROXY──▶
 *   query API function (the synthesized bundle) ──Step Functions, Athena, STS──▶ the twin's services
 *   state machines (synthesized ASL on aws-local-stepfunctions) ──▶ Athena (DuckDB) ──CSV──▶ S3 (s3rver)
 *                                                ──▶ callbacker (the synthesized bundle) ──STS/Secrets Manager──▶ receiver
 *                                                ──▶ dead-letter queue (moto's SQS)
 *   operator ──SigV4──▶ Step Functions, Athena and Lambda read/invoke APIs (one local endpoint) and moto's SQS
 *
 * The only departures from the synthesized configuration are listed in {@link Twin.environmentOverrides} and
 * {@link Twin.queryApiEnvironmentOverrides}: local endpoints, the receiver's port and the loopback flag the handler
 * honours only outside a Lambda sandbox.
 *
 * Every service keeps time on one twin clock (twin/clock/twin-clock.ts): by default a virtual, discrete-event clock,
 * so that what a run does never depends on the machine's speed or load.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { AthenaEngine, type QueryExecution, type QueryTiming, type StartQueryExecutionInput } from './athena/athena-engine';
import { DeadLetterQueue } from './sqs/dead-letter-queue';
import { motoServer } from './sqs/moto-server';
import { LambdaService } from './lambda/lambda-sandbox';
import { startLocalSecretsManager } from './secrets-manager/local-secrets-manager';
import { startLocalSts } from './sts/local-sts';
import { type LocalS3, startLocalS3 } from './s3/local-s3';
import { type LocalApiGateway, startApiGateway } from './api-gateway/rest-api-server';
import { QueryOwnership, taskHandlersFor } from './step-functions/service-integrations';
import { type StaticCredentials } from './iam/sigv4-verifier';
import { type CachedStack, loadStack } from './wiring/stack-cache';
import { StateMachineRunner } from './step-functions/state-machine-runner';
import { StepFunctionsApi } from './step-functions/step-functions-api';
import type { FunctionArtifact } from './wiring/stack-artifacts';
import { TaskHistory } from './step-functions/task-history';
import { startAwsApiServer } from './wiring/aws-api-server';
import { type TwinClock, VirtualClock } from './clock/twin-clock';

/** The stand-in account and region the stack is evaluated for (synthesized-stack.ts uses the same defaults). */
export const TWIN_REGION = 'us-east-1';
export const TWIN_ACCOUNT_ID = '123456789012';

/** Terraform variables the twin deploys with unless told otherwise. */
export const DEFAULT_TWIN_VARIABLES: Readonly<Record<string, unknown>> = { output_location: 's3://twin-athena-results/queries/' };

/**
 * The static credentials of the twin's API caller. They are valid only against the twin (documented, printed by
 * `npm start -- --serve`); AWS has never issued them.
 */
export const TWIN_CLIENT_CREDENTIALS: StaticCredentials & { readonly userArn: string } = {
  accessKeyId: 'AKIATWINLOCALCLIENT0',
  secretAccessKey: 'twin-local-only-secret-not-valid-in-aws',
  userArn: `arn:aws:iam::${TWIN_ACCOUNT_ID}:user/twin-client`,
};

/** Options of {@link startTwin}. */
export interface TwinOptions {
  /** Terraform variables. @default DEFAULT_TWIN_VARIABLES */
  readonly variables?: Readonly<Record<string, unknown>>;
  /** Folders of tables (one subfolder per database, one CSV or Parquet file per table). */
  readonly dataDirectories?: readonly string[];
  /** Ports of local receivers, added to the synthesized CALLBACK_ALLOWED_PORTS. */
  readonly callbackPorts?: readonly number[];
  /** PEM certificates the function trusts besides the public roots (the local receivers' certificates). */
  readonly trustedCertificates?: readonly string[];
  /** The Standard Webhooks secret the stack's signing secret holds. @default a random `whsec_` secret */
  readonly webhookSigningSecret?: string;
  /** Further variables for the function's environment, as an operator could set them (e.g. shorter timeouts). */
  readonly callbackerEnvironment?: Readonly<Record<string, string>>;
  /**
   * The clock every service keeps time on: the state machine's waits, retries and timeouts, Athena's query
   * durations, the function's timeouts, the API's throttling, every timestamp. A {@link RealTimeClock} follows the
   * wall clock, for a twin people and outside receivers talk to.
   *
   * @default a new {@link VirtualClock}: time jumps to the next timer whenever the twin is idle
   */
  readonly clock?: TwinClock;
  /** Uniform numbers in [0, 1) for the state machine's retry jitter and the function's `Math.random` (the AWS SDK's retry jitter). @default Math.random */
  readonly random?: () => number;
  readonly athena?: {
    /** Athena's active-query quota. @default no quota */
    readonly activeQueryQuota?: number;
    /** Fault injection: true makes that start throw TooManyRequestsException, `'rate'` ThrottlingException. */
    readonly throttle?: (input: StartQueryExecutionInput) => boolean | 'rate';
    /** How long queries stay QUEUED and RUNNING, in milliseconds of twin time. */
    readonly timing?: QueryTiming;
  };
  readonly sqs?: {
    /** A running moto server for the dead-letter queue. @default MOTO_ENDPOINT, else one the twin starts and stops */
    readonly endpoint?: string;
    /** Fault injection, asked per SendMessage with its body: false makes it fail to reach SQS. @default always reachable */
    readonly available?: (messageBody: string) => boolean;
  };
  /** Apply the stage's throttling. @default true */
  readonly apiThrottling?: boolean;
  /** Most Lambda sandboxes at once. @default 8 */
  readonly lambdaSandboxes?: number;
  /** Receives each line the function logs. */
  readonly onLambdaLog?: (line: string) => void;
  /** Where synthesized stacks are cached. @default stack-cache's default */
  readonly stackCacheDirectory?: string;
}

/** A running twin. */
export interface Twin {
  /** The stage URL, `http://127.0.0.1:<port>/live`; POST `${stageUrl}/queries`. */
  readonly stageUrl: string;
  readonly region: string;
  /** The clock the twin keeps time on. */
  readonly clock: TwinClock;
  /** Credentials the API accepts. */
  readonly clientCredentials: StaticCredentials;
  /** The signing secret (`whsec_...`) receivers verify callbacks with. */
  readonly webhookSigningSecret: string;
  readonly stack: CachedStack;
  readonly athena: AthenaEngine;
  readonly s3: LocalS3;
  readonly stateMachine: StateMachineRunner;
  /** The cancellation state machine. */
  readonly cancellationStateMachine: StateMachineRunner;
  /** The callbacker. */
  readonly lambda: LambdaService;
  /** The query API function, behind every route. */
  readonly queryApi: LambdaService;
  /** The dead-letter queue, on moto: read it with an SQS client at `deadLetters.endpoint` and `deadLetters.queueUrl`. */
  readonly deadLetters: DeadLetterQueue;
  readonly api: LocalApiGateway;
  /**
   * The endpoint of the Step Functions, Athena and Lambda APIs an operator uses (`http://127.0.0.1:<port>`), signed
   * with {@link clientCredentials}.
   */
  readonly awsEndpoint: string;
  /** Where query results go: the definition's OutputLocation. */
  readonly outputLocation: { readonly bucket: string; readonly prefix: string };
  /** Variables the twin sets in the callbacker's environment on top of the synthesized ones, with why. */
  readonly environmentOverrides: Readonly<Record<string, { readonly value: string; readonly why: string }>>;
  /** Variables the twin sets in the query API function's environment on top of the synthesized ones, with why. */
  readonly queryApiEnvironmentOverrides: Readonly<Record<string, { readonly value: string; readonly why: string }>>;
  /** The query an execution started (as its Athena task recorded it), or undefined before it starts. */
  queryOf(executionArn: string): QueryExecution | undefined;
  close(): Promise<void>;
}

interface AthenaTaskParameters {
  readonly WorkGroup?: string;
  readonly ResultConfiguration?: { readonly OutputLocation?: string };
}

function newKey(prefix: string): StaticCredentials {
  return { accessKeyId: `${prefix}${randomBytes(8).toString('hex').toUpperCase()}`.slice(0, 20), secretAccessKey: randomBytes(30).toString('base64') };
}

/** Starts the twin. */
export async function startTwin(options: TwinOptions = {}): Promise<Twin> {
  const variables = options.variables ?? DEFAULT_TWIN_VARIABLES;
  const stack = loadStack(variables, options.stackCacheDirectory);
  const { artifacts } = stack;
  const definition = JSON.parse(artifacts.stateMachine.definition) as { States: Record<string, { Type: string; Resource?: string; Parameters?: AthenaTaskParameters }> };
  const athenaStates = Object.values(definition.States).filter((s) => s.Resource?.includes(':athena:'));
  const outputLocations = [...new Set(athenaStates.map((s) => s.Parameters?.ResultConfiguration?.OutputLocation))];
  const locationMatch = outputLocations.length === 1 ? /^s3:\/\/([^/]+)\/(.*)$/.exec(outputLocations[0] ?? '') : null;
  if (locationMatch === null) throw new Error(`The twin needs one literal s3:// OutputLocation in the definition, found ${JSON.stringify(outputLocations)}`);
  const outputLocation = { bucket: locationMatch[1], prefix: locationMatch[2] };
  const workGroups = [...new Set(athenaStates.map((s) => s.Parameters?.WorkGroup ?? 'primary'))];
  const underResults = (bucket: string, key: string): boolean => bucket === outputLocation.bucket && key.startsWith(outputLocation.prefix);

  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    // Last started, first stopped: the API takes no more requests before the services behind it go away.
    while (closers.length > 0) await (closers.pop() as () => Promise<void>)();
  };
  const clock = options.clock ?? new VirtualClock();
  // A clock the twin made is stopped last, once every service that waits on it has closed.
  if (options.clock === undefined) closers.push(async () => clock.dispose());
  try {
    const s3 = await startLocalS3([outputLocation.bucket], clock);
    closers.push(() => s3.close());

    // Athena writes results with the state machine role's permissions: PutObject under the output location.
    const athenaKey = newKey('AKIATWINATHENA');
    s3.grant({ credentials: athenaKey, allows: (action, bucket, key) => action === 'PutObject' && underResults(bucket, key) });
    const athenaWriter = s3.clientFor(athenaKey);
    const athena = await AthenaEngine.create({
      workGroups,
      dataDirectories: options.dataDirectories,
      activeQueryQuota: options.athena?.activeQueryQuota,
      throttle: options.athena?.throttle,
      timing: options.athena?.timing,
      clock,
      writeResult: async (bucket, key, body) => {
        await athenaWriter.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'text/csv' }));
      },
    });
    closers.push(() => athena.close());

    // Each function's own credentials, as Lambda hands them over: its execution role's session. They grant nothing
    // in S3; only the presigner role's sessions may read results.
    const functionKey = { ...newKey('ASIATWINFUNCTION'), sessionToken: randomBytes(48).toString('base64') };
    const caller = { ...functionKey, assumedRoleArn: assumedRoleOf(artifacts.callbacker) };
    const queryApiKey = { ...newKey('ASIATWINQUERYAPI'), sessionToken: randomBytes(48).toString('base64') };
    const queryApiCaller = { ...queryApiKey, assumedRoleArn: assumedRoleOf(artifacts.queryApi) };
    const presignerArn = artifacts.callbacker.environment.PRESIGNER_ROLE_ARN;
    const sts = await startLocalSts({
      region: TWIN_REGION,
      caller,
      // Both functions presign with the presigner role, whose trust policy names both roles.
      moreCallers: [queryApiCaller],
      assumableRoles: artifacts.roles.filter((r) => r.arn === presignerArn).map((r) => ({ arn: r.arn, maxSessionDurationSeconds: r.maxSessionDurationSeconds })),
      clock,
      onSession: (session) =>
        s3.grant({ credentials: session, expiration: session.expiration, allows: (action, bucket, key) => action === 'GetObject' && underResults(bucket, key) }),
    });
    closers.push(() => sts.close());

    const webhookSigningSecret = options.webhookSigningSecret ?? `whsec_${randomBytes(32).toString('base64')}`;
    const secrets = await startLocalSecretsManager({
      region: TWIN_REGION,
      caller,
      clock,
      secrets: artifacts.signingSecret === undefined ? [] : [{ ...artifacts.signingSecret, secretString: webhookSigningSecret }],
    });
    closers.push(() => secrets.close());

    const synthesized = artifacts.callbacker.environment;
    const isolation = path.join(os.tmpdir(), 'twin-lambda-has-no-aws-config');
    const environmentOverrides: Record<string, { value: string; why: string }> = {
      AWS_ENDPOINT_URL_S3: { value: s3.endpoint, why: 'the local S3' },
      AWS_ENDPOINT_URL_STS: { value: sts.endpoint, why: 'the local STS' },
      AWS_ENDPOINT_URL_SECRETS_MANAGER: { value: secrets.endpoint, why: 'the local Secrets Manager' },
      CALLBACK_ALLOWED_PORTS: {
        value: [synthesized.CALLBACK_ALLOWED_PORTS ?? '443', ...(options.callbackPorts ?? []).map(String)].join(','),
        why: 'adds the local receivers\' ports',
      },
      DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS: { value: 'true', why: 'local receivers are on 127.0.0.1; ignored by the handler inside a real Lambda' },
      AWS_CONFIG_FILE: { value: path.join(isolation, 'config'), why: "keeps this machine's AWS config out, as a Lambda sandbox has none" },
      AWS_SHARED_CREDENTIALS_FILE: { value: path.join(isolation, 'credentials'), why: "keeps this machine's AWS credentials out" },
      ...Object.fromEntries(Object.entries(options.callbackerEnvironment ?? {}).map(([k, v]) => [k, { value: v, why: 'set by the twin user' }])),
    };
    const fn = artifacts.callbacker;
    const lambda = new LambdaService(
      {
        functionArn: fn.functionArn,
        functionName: fn.functionName,
        handler: fn.handler,
        codeDirectory: stack.bundleDirectory,
        timeoutSeconds: fn.timeoutSeconds,
        memorySizeMb: fn.memorySizeMb,
        environment: { ...runtimeEnvironment(fn, functionKey), ...synthesized, ...Object.fromEntries(Object.entries(environmentOverrides).map(([k, v]) => [k, v.value])) },
      },
      { extraCaCertificates: options.trustedCertificates, maxSandboxes: options.lambdaSandboxes, onLog: options.onLambdaLog, clock, random: options.random },
    );

    const moto = options.sqs?.endpoint === undefined ? await motoServer() : { endpoint: options.sqs.endpoint, close: async () => undefined };
    closers.push(() => moto.close());
    const deadLetters = await DeadLetterQueue.create({
      deployedQueueUrl: artifacts.deadLetterQueue.url,
      queueName: artifacts.deadLetterQueue.name,
      endpoint: moto.endpoint,
      region: TWIN_REGION,
      available: options.sqs?.available,
      clock,
    });
    closers.push(() => deadLetters.close());
    const queries = new QueryOwnership();
    const history = new TaskHistory();
    const runners: StateMachineRunner[] = [];
    const isStopped = (executionArn: string): boolean => runners.some((r) => r.isStopped(executionArn));
    const runnerOf = (machine: typeof artifacts.stateMachine): StateMachineRunner => {
      const states = (JSON.parse(machine.definition) as { States: Record<string, { Type: string; Resource?: string }> }).States;
      const runner = new StateMachineRunner({
        stateMachineArn: machine.arn,
        roleArn: machine.roleArn,
        definition: machine.definition,
        taskHandlers: taskHandlersFor(states, { athena, lambda, deadLetters, queries, history, isStopped }),
        clock,
        random: options.random,
      });
      // Step Functions stops the query a `.sync` task runs when its execution is stopped.
      runner.onExecutionStop((record) => {
        const id = queries.queryOf(record.executionArn);
        if (id !== undefined) athena.stopQueryExecution(id);
      });
      runners.push(runner);
      closers.push(() => runner.abortAll());
      return runner;
    };
    const stateMachine = runnerOf(artifacts.stateMachine);
    const cancellationStateMachine = runnerOf(artifacts.cancellationStateMachine);
    const stepFunctions = new StepFunctionsApi(runners, history, { region: TWIN_REGION });

    const awsApi = await startAwsApiServer({
      region: TWIN_REGION,
      callers: [TWIN_CLIENT_CREDENTIALS],
      stepFunctions,
      athena,
      lambda,
      operations: ['states:DescribeExecution', 'states:ListExecutions', 'states:GetExecutionHistory', 'athena:GetQueryExecution', 'lambda:Invoke'],
    });
    closers.push(() => awsApi.close());

    // The endpoint the query API function calls, on the twin clock (its SDK signs with twin time). IAM is proven by
    // the policy simulation (__tests__/security/iam-simulation.test.ts); this endpoint serves what the role is granted.
    const functionApi = await startAwsApiServer({
      region: TWIN_REGION,
      callers: [queryApiKey],
      stepFunctions,
      athena,
      operations: [
        'states:StartExecution',
        'states:StopExecution',
        'states:DescribeExecution',
        'states:GetExecutionHistory',
        'athena:GetQueryExecution',
        'athena:StopQueryExecution',
      ],
      clock,
    });
    closers.push(() => functionApi.close());

    const queryApiFunction = artifacts.queryApi;
    const queryApiEnvironmentOverrides: Record<string, { value: string; why: string }> = {
      AWS_ENDPOINT_URL_SFN: { value: functionApi.endpoint, why: 'the twin\'s Step Functions' },
      AWS_ENDPOINT_URL_ATHENA: { value: functionApi.endpoint, why: 'the twin\'s Athena' },
      AWS_ENDPOINT_URL_S3: { value: s3.endpoint, why: 'the local S3 (result links)' },
      AWS_ENDPOINT_URL_STS: { value: sts.endpoint, why: 'the local STS (the presigner role)' },
      AWS_CONFIG_FILE: environmentOverrides.AWS_CONFIG_FILE,
      AWS_SHARED_CREDENTIALS_FILE: environmentOverrides.AWS_SHARED_CREDENTIALS_FILE,
    };
    const queryApi = new LambdaService(
      {
        functionArn: queryApiFunction.functionArn,
        functionName: queryApiFunction.functionName,
        handler: queryApiFunction.handler,
        codeDirectory: stack.queryApiBundleDirectory,
        timeoutSeconds: queryApiFunction.timeoutSeconds,
        memorySizeMb: queryApiFunction.memorySizeMb,
        environment: {
          ...runtimeEnvironment(queryApiFunction, queryApiKey),
          ...queryApiFunction.environment,
          ...Object.fromEntries(Object.entries(queryApiEnvironmentOverrides).map(([k, v]) => [k, v.value])),
        },
      },
      { maxSandboxes: options.lambdaSandboxes, onLog: options.onLambdaLog, clock, random: options.random },
    );

    const api = await startApiGateway({
      api: artifacts.api,
      region: TWIN_REGION,
      accountId: TWIN_ACCOUNT_ID,
      callers: [TWIN_CLIENT_CREDENTIALS],
      functions: [queryApi],
      lambdaPermissions: artifacts.lambdaPermissions,
      throttling: options.apiThrottling,
      clock,
    });
    closers.push(() => api.close());

    return {
      stageUrl: api.stageUrl,
      region: TWIN_REGION,
      clock,
      clientCredentials: { accessKeyId: TWIN_CLIENT_CREDENTIALS.accessKeyId, secretAccessKey: TWIN_CLIENT_CREDENTIALS.secretAccessKey },
      webhookSigningSecret,
      stack,
      athena,
      s3,
      stateMachine,
      cancellationStateMachine,
      lambda,
      queryApi,
      deadLetters,
      api,
      awsEndpoint: awsApi.endpoint,
      outputLocation,
      environmentOverrides,
      queryApiEnvironmentOverrides,
      queryOf: (executionArn) => {
        const id = queries.queryOf(executionArn);
        return id === undefined ? undefined : athena.getQueryExecution(id).QueryExecution;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The ARN of a function's execution role session, as STS names the caller. */
function assumedRoleOf(fn: FunctionArtifact): string {
  return `arn:aws:sts::${TWIN_ACCOUNT_ID}:assumed-role/${fn.roleArn.split('/').pop()}/${fn.functionName}`;
}

/**
 * What the Lambda runtime itself sets in a function's environment. AWS_LAMBDA_RUNTIME_API is deliberately absent: the
 * callbacker reads its presence as "inside a real sandbox" and would then refuse loopback receivers.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
function runtimeEnvironment(fn: FunctionArtifact, key: Required<StaticCredentials>): Record<string, string> {
  return {
    AWS_REGION: TWIN_REGION,
    AWS_DEFAULT_REGION: TWIN_REGION,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySizeMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'twin/[$LATEST]local',
    AWS_ACCESS_KEY_ID: key.accessKeyId,
    AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
    AWS_SESSION_TOKEN: key.sessionToken,
    _HANDLER: fn.handler,
    LAMBDA_TASK_ROOT: '/var/task',
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
  };
}

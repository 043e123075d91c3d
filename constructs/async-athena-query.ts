import { ApiGatewayAccount } from '@cdktf/provider-aws/lib/api-gateway-account';
import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import type { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import type { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { TerraformStack, Token } from 'cdktf';
import { Construct } from 'constructs';
import type { AsyncAthenaQueryProps } from './async-athena-query-props';
import { AwsContext } from './aws-context';
import { API_ROUTES } from './builders/api-contract';
import { DEFAULT_ATHENA_THROTTLE_RETRY, DEFAULT_CALLBACK_RETRY } from './builders/asl';
import { InvalidPropsError, NamePrefixCollisionError } from './builders/errors';
import { redrivePolicy, serviceTrustPolicy } from './builders/iam-policies';
import { defaultNamePrefix, roleName } from './builders/naming';
import { validateAsyncAthenaQueryProps } from './builders/validation';
import { CallbackDeadLetterQueue } from './callback-dead-letter-queue';
import { CallbackerFunction } from './callbacker-function';
import { CancellationStateMachine } from './cancellation-state-machine';
import { QueryApiFunction } from './query-api-function';
import { QueryRestApi, routeKey } from './query-rest-api';
import { QueryStateMachine } from './query-state-machine';
import type { ResultsLocation } from './builders/iam-policies';
import { OUTPUT_LOCATION_SPLIT_PATTERN, splitOutputLocation } from './results-location';
import { resourceTags } from './tagging';
import { attributeOfOptional, countWhen, isUnresolvedToken, renderJsonDocument, terraformExpression } from './terraform-json';
import { WebhookSigningSecret } from './webhook-signing-secret';

const prefixesByStack = new WeakMap<TerraformStack, Map<string, string>>();

/**
 * An asynchronous, callback-driven Athena query service: an IAM-authenticated REST API whose query API function starts
 * a Step Functions execution per query (idempotently with an `Idempotency-Key`), reports its status, cancels it, and
 * hands out fresh result links. The execution runs the query with `.sync` and has the callbacker presign the result
 * and POST it to the caller's callback URL, signed, retried, and dead-lettered when undeliverable; a query cancelled
 * before it started gets its CANCELLED callback from a small cancellation state machine.
 */
export class AsyncAthenaQuery extends Construct {
  /** The physical-name prefix in use. */
  public readonly namePrefix: string;
  /** Partition, region and account of the deployment. */
  public readonly context: AwsContext;
  /** The callbacker construct (function, roles, log group, bundle). */
  public readonly callbacker: CallbackerFunction;
  /** The state-machine construct. */
  public readonly queries: QueryStateMachine;
  /** The cancellation state-machine construct. */
  public readonly cancellations: CancellationStateMachine;
  /** The query API function construct (the Lambda behind every route). */
  public readonly queryApi: QueryApiFunction;
  /** The REST API construct. */
  public readonly api: QueryRestApi;
  /** The dead-letter queue of undeliverable callbacks. */
  public readonly deadLetterQueue: CallbackDeadLetterQueue;
  /** The signing secret this construct created, when it created one. */
  public readonly signingSecret?: WebhookSigningSecret;
  /** ARN of the signing secret in use, when signing is on. */
  public readonly signingSecretArn?: string;

  /** The callbacker Lambda function. */
  public readonly callbackerFunction: LambdaFunction;
  /** The callbacker's execution role. */
  public readonly callbackerRole: IamRole;
  /** The role the callbacker assumes to presign. */
  public readonly presignerRole: IamRole;
  /** The callbacker's log group. */
  public readonly callbackerLogGroup: CloudwatchLogGroup;
  /** The state machine. */
  public readonly stateMachine: SfnStateMachine;
  /** The state machine's role. */
  public readonly stateMachineRole: IamRole;
  /** The state machine's log group. */
  public readonly stateMachineLogGroup: CloudwatchLogGroup;
  /** The query API function. */
  public readonly queryApiFunction: LambdaFunction;
  /** The query API function's execution role. */
  public readonly queryApiRole: IamRole;
  /** The cancellation state machine. */
  public readonly cancellationStateMachine: SfnStateMachine;
  /** The API access-log group. */
  public readonly apiAccessLogGroup: CloudwatchLogGroup;
  /** The account-level API Gateway CloudWatch role, when `manageApiGatewayAccountRole` is on. */
  public readonly apiGatewayAccountRole?: IamRole;
  /** The account-level API Gateway settings, when `manageApiGatewayAccountRole` is on. */
  public readonly apiGatewayAccountSettings?: ApiGatewayAccount;

  /** Full URL of `POST /queries`. */
  public readonly invokeUrl: string;
  /** ARN of the state machine. */
  public readonly stateMachineArn: string;
  /** ARN of the cancellation state machine (for `npm run redrive --cancellation-state-machine-arn`). */
  public readonly cancellationStateMachineArn: string;
  /** `s3://bucket/prefix/` where Athena writes results: what `npm run redrive --output-location` expects. */
  public readonly outputLocation: string;

  private readonly workGroup: string;
  private readonly deadLetterQueueKmsKeyArn?: string;

  constructor(scope: Construct, id: string, props: AsyncAthenaQueryProps) {
    super(scope, id);
    const problems = validateAsyncAthenaQueryProps(props, (v) => Token.isUnresolved(v));
    if (problems.length > 0) throw new InvalidPropsError('AsyncAthenaQuery', id, problems);

    this.namePrefix = props.namePrefix ?? defaultNamePrefix(id, this.node.path);
    this.workGroup = props.workGroup;
    this.outputLocation = props.outputLocation;
    this.deadLetterQueueKmsKeyArn = props.deadLetterQueueKmsKeyArn;
    this.claimNamePrefix();
    this.context = new AwsContext(this, 'Context');
    const results = splitOutputLocation(props.outputLocation);

    this.deadLetterQueue = new CallbackDeadLetterQueue(this, 'DeadLetterQueue', {
      namePrefix: this.namePrefix,
      kmsKeyArn: props.deadLetterQueueKmsKeyArn,
      tags: props.tags,
    });

    const signing = this.createSigning(props);
    this.signingSecret = signing.created;
    this.signingSecretArn = signing.arn;

    this.callbacker = new CallbackerFunction(this, 'Callbacker', {
      namePrefix: this.namePrefix,
      context: this.context,
      results,
      presignExpirySeconds: props.presignExpirySeconds,
      resultsKmsKeyArn: props.resultsKmsKeyArn,
      signingSecretArn: this.signingSecretArn,
      signingSecretKmsKeyArn: props.signingSecretKmsKeyArn,
      disableWebhookSigning: props.disableWebhookSigning,
      allowedCallbackHosts: props.allowedCallbackHosts,
      allowedCallbackPorts: props.allowedCallbackPorts,
      dangerouslyAllowLoopbackHttpCallbacksForLocalTesting: props.dangerouslyAllowLoopbackHttpCallbacksForLocalTesting,
      memoryMb: props.callbackerMemoryMb,
      timeoutSeconds: props.callbackerTimeoutSeconds,
      reservedConcurrency: props.callbackerReservedConcurrency,
      packaging: props.callbackerPackaging,
      logRetentionDays: props.logRetentionDays,
      logsKmsKeyArn: props.logsKmsKeyArn,
      tags: props.tags,
    });

    this.queries = new QueryStateMachine(this, 'Queries', {
      namePrefix: this.namePrefix,
      context: this.context,
      workGroup: props.workGroup,
      outputLocation: props.outputLocation,
      results,
      database: props.database,
      glueDatabases: glueDatabasesOf(props),
      sourceData: splitLocations(props.sourceDataLocations ?? []),
      resultsKmsKeyArn: props.resultsKmsKeyArn,
      queryTimeoutSeconds: props.queryTimeoutSeconds,
      callbackerFunctionArn: this.callbacker.functionArn,
      deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
      deadLetterQueueArn: this.deadLetterQueue.queueArn,
      deadLetterQueueKmsKeyArn: props.deadLetterQueueKmsKeyArn,
      athenaThrottleRetry: { ...DEFAULT_ATHENA_THROTTLE_RETRY, ...props.athenaThrottleRetry },
      callbackRetry: { ...DEFAULT_CALLBACK_RETRY, ...props.callbackRetry },
      logRetentionDays: props.logRetentionDays,
      logsKmsKeyArn: props.logsKmsKeyArn,
      tags: props.tags,
    });

    this.cancellations = new CancellationStateMachine(this, 'Cancellations', {
      namePrefix: this.namePrefix,
      context: this.context,
      callbackerFunctionArn: this.callbacker.functionArn,
      deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
      deadLetterQueueArn: this.deadLetterQueue.queueArn,
      deadLetterQueueKmsKeyArn: props.deadLetterQueueKmsKeyArn,
      callbackRetry: { ...DEFAULT_CALLBACK_RETRY, ...props.callbackRetry },
      logRetentionDays: props.logRetentionDays,
      logsKmsKeyArn: props.logsKmsKeyArn,
      tags: props.tags,
    });

    this.deadLetterQueue.restrictSendersTo(this.queries.role.arn, this.cancellations.role.arn);

    this.queryApi = new QueryApiFunction(this, 'QueryApi', {
      namePrefix: this.namePrefix,
      context: this.context,
      stateMachineArn: this.queries.stateMachineArn,
      stateMachineName: this.queries.stateMachine.name,
      cancellationStateMachineArn: this.cancellations.stateMachineArn,
      cancellationStateMachineName: this.cancellations.stateMachine.name,
      workGroup: props.workGroup,
      outputLocation: props.outputLocation,
      presignerRoleArn: this.callbacker.presignerRole.arn,
      presignExpirySeconds: props.presignExpirySeconds,
      memoryMb: props.queryApiMemoryMb,
      reservedConcurrency: props.queryApiReservedConcurrency,
      packaging: props.callbackerPackaging,
      logRetentionDays: props.logRetentionDays,
      logsKmsKeyArn: props.logsKmsKeyArn,
      tags: props.tags,
    });
    this.callbacker.allowPresigning(this.queryApi.role.arn);

    const manageAccount = props.manageApiGatewayAccountRole;
    if (manageAccount === true || (manageAccount !== undefined && Token.isUnresolved(manageAccount))) {
      const count = Token.isUnresolved(manageAccount) ? countWhen(manageAccount) : undefined;
      this.apiGatewayAccountRole = this.createApiGatewayAccountRole(props.tags, count);
      this.apiGatewayAccountSettings = new ApiGatewayAccount(this, 'ApiGatewayAccount', {
        cloudwatchRoleArn: count === undefined ? this.apiGatewayAccountRole.arn : attributeOfOptional(this.apiGatewayAccountRole, 'arn'),
        count,
      });
    }

    this.api = new QueryRestApi(this, 'Api', {
      namePrefix: this.namePrefix,
      queryApiFunction: this.queryApi.function,
      stageName: props.stageName,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
      loggingLevel: props.apiLoggingLevel,
      logRetentionDays: props.logRetentionDays,
      logsKmsKeyArn: props.logsKmsKeyArn,
      webAclArn: props.webAclArn,
      stageDependsOn: this.apiGatewayAccountSettings ? [this.apiGatewayAccountSettings] : undefined,
      tags: props.tags,
    });

    this.callbackerFunction = this.callbacker.function;
    this.callbackerRole = this.callbacker.role;
    this.presignerRole = this.callbacker.presignerRole;
    this.callbackerLogGroup = this.callbacker.logGroup;
    this.stateMachine = this.queries.stateMachine;
    this.stateMachineRole = this.queries.role;
    this.stateMachineLogGroup = this.queries.logGroup;
    this.queryApiFunction = this.queryApi.function;
    this.queryApiRole = this.queryApi.role;
    this.cancellationStateMachine = this.cancellations.stateMachine;
    this.apiAccessLogGroup = this.api.accessLogGroup;
    this.invokeUrl = this.api.invokeUrl;
    this.stateMachineArn = this.queries.stateMachineArn;
    this.cancellationStateMachineArn = this.cancellations.stateMachineArn;
  }

  /**
   * Lets a role call the API (`execute-api:Invoke` on this API's routes only: submit, status, cancel and result links),
   * for clients deployed in the same stack. Returns the inline policy it adds.
   */
  public grantInvoke(role: IamRole): IamRolePolicy {
    const apiArn = `arn:${this.context.partition}:execute-api:${this.context.region}:${this.context.accountId}:${this.api.restApi.id}`;
    return new IamRolePolicy(this, `InvokeGrant-${role.node.id}`, {
      role: role.id,
      name: `${this.namePrefix}-invoke-api`,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'InvokeAsyncAthenaQueryApi',
            Effect: 'Allow',
            Action: ['execute-api:Invoke'],
            // `<api>/<stage>/<METHOD>/<path>`, a path parameter as `*` (any query id).
            // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
            Resource: API_ROUTES.map((route) => `${apiArn}/${this.api.stage.stageName}/${routeKey(route).replace(' ', '').replace(/\{[^}]+\}/g, '*')}`),
          },
        ],
      }),
    });
  }

  /**
   * Lets a role run `npm run redrive` on this deployment: `states:ListExecutions` on both state machines,
   * `states:DescribeExecution`/`GetExecutionHistory` on their executions, `athena:GetQueryExecution` on the workgroup,
   * `sqs:ReceiveMessage`/`DeleteMessage` on the dead-letter queue (and `kms:Decrypt` on its key, when customer-managed)
   * and `lambda:InvokeFunction` on the callbacker. Returns the inline policy it adds.
   */
  public grantRedrive(role: IamRole): IamRolePolicy {
    return new IamRolePolicy(this, `RedriveGrant-${role.node.id}`, {
      role: role.id,
      name: `${this.namePrefix}-redrive`,
      policy: renderJsonDocument(
        redrivePolicy({
          arns: this.context,
          stateMachineArn: this.queries.stateMachineArn,
          stateMachineName: this.queries.stateMachine.name,
          cancellationStateMachine: { arn: this.cancellations.stateMachineArn, name: this.cancellations.stateMachine.name },
          workGroup: this.workGroup,
          deadLetterQueueArn: this.deadLetterQueue.queueArn,
          callbackerFunctionArn: this.callbacker.functionArn,
          deadLetterQueueKmsKeyArn: this.deadLetterQueueKmsKeyArn,
          isUnresolved: isUnresolvedToken,
        }),
      ),
    });
  }

  /** Two instances in one stack must not share a literal prefix: their physical names would collide. */
  private claimNamePrefix(): void {
    if (Token.isUnresolved(this.namePrefix)) return;
    const stack = TerraformStack.of(this);
    const claimed = prefixesByStack.get(stack) ?? new Map<string, string>();
    prefixesByStack.set(stack, claimed);
    const holder = claimed.get(this.namePrefix);
    if (holder !== undefined) throw new NamePrefixCollisionError(this.namePrefix, holder, this.node.path);
    claimed.set(this.namePrefix, this.node.path);
  }

  /**
   * The signing secret in use: none when signing is off, the given one, or a new one. With Terraform tokens (module
   * variables) the secret is created when Terraform finds signing on and no existing secret given, and its ARN is
   * chosen by Terraform.
   */
  private createSigning(props: AsyncAthenaQueryProps): { created?: WebhookSigningSecret; arn?: string } {
    const disabled = props.disableWebhookSigning;
    const existing = props.existingSigningSecretArn;
    if (disabled === true) return {};
    const decidedLater = (disabled !== undefined && Token.isUnresolved(disabled)) || (existing !== undefined && Token.isUnresolved(existing));
    if (!decidedLater) {
      if (existing !== undefined) return { arn: existing };
      const created = new WebhookSigningSecret(this, 'SigningSecret', this.signingSecretProps(props));
      return { created, arn: created.secretArn };
    }
    const isOn = (ref: (value: unknown) => string) => (disabled === undefined ? 'true' : `!${ref(disabled)}`);
    const createWhen = Token.asAny(
      terraformExpression((ref) => `${isOn(ref)} && ${existing === undefined ? 'true' : `${ref(existing)} == null`}`),
    ) as unknown as boolean;
    const created = existing !== undefined && !Token.isUnresolved(existing) ? undefined : new WebhookSigningSecret(this, 'SigningSecret', { ...this.signingSecretProps(props), createWhen });
    const arn =
      created === undefined
        ? existing
        : terraformExpression((ref) => `${isOn(ref)} ? ${existing === undefined ? ref(created.secretArn) : `coalesce(${ref(existing)}, ${ref(created.secretArn)})`} : null`);
    return { created, arn };
  }

  private signingSecretProps(props: AsyncAthenaQueryProps) {
    return { namePrefix: this.namePrefix, kmsKeyArn: props.signingSecretKmsKeyArn, recoveryWindowDays: props.signingSecretRecoveryWindowDays, tags: props.tags };
  }

  private createApiGatewayAccountRole(tags: Readonly<Record<string, string>> | undefined, count: number | undefined): IamRole {
    const role = new IamRole(this, 'ApiGatewayAccountRole', {
      name: roleName(this.namePrefix, 'apiGatewayAccountRole', this.context.region),
      description: 'Account-level role API Gateway uses to write access and execution logs.',
      assumeRolePolicy: JSON.stringify(serviceTrustPolicy({ service: 'apigateway.amazonaws.com' })),
      tags: resourceTags(tags),
      count,
    });
    new IamRolePolicyAttachment(this, 'ApiGatewayAccountRolePolicy', {
      count,
      role: count === undefined ? role.name : attributeOfOptional(role, 'name'),
      // The AWS-managed policy API Gateway documents for this role.
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html#set-up-access-logging-permissions
      policyArn: `arn:${this.context.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
    });
    return role;
  }
}

/**
 * Glue databases the state machine may read: the given list, else the default database, else every database. With
 * tokens (module variables, null when unset) Terraform picks.
 */
function glueDatabasesOf(props: AsyncAthenaQueryProps): readonly string[] {
  const { glueDatabases, database } = props;
  const givenIsToken = glueDatabases !== undefined && Token.isUnresolved(glueDatabases);
  const databaseIsToken = database !== undefined && Token.isUnresolved(database);
  if (!givenIsToken && !databaseIsToken) return glueDatabases ?? (database !== undefined ? [database] : ['*']);
  return Token.asList(
    terraformExpression((ref) => {
      const fallback = database === undefined ? '["*"]' : `(${ref(database)} == null ? ["*"] : [${ref(database)}])`;
      if (glueDatabases === undefined) return fallback;
      return `${ref(glueDatabases)} == null ? ${fallback} : ${ref(glueDatabases)}`;
    }),
  );
}

/**
 * Source-data locations split into bucket and prefix: literals here, a Terraform list token by Terraform's `regex()`
 * into a list of `{bucket, prefix}` objects (the IAM builder reads either).
 */
function splitLocations(locations: readonly string[]): readonly ResultsLocation[] {
  if (!Token.isUnresolved(locations)) return locations.map(splitOutputLocation);
  return Token.asAny(
    terraformExpression(
      (ref) =>
        `[for location in ${ref(locations)} : { bucket = regex(${ref(OUTPUT_LOCATION_SPLIT_PATTERN)}, location)[0], prefix = regex(${ref(OUTPUT_LOCATION_SPLIT_PATTERN)}, location)[1] }]`,
    ),
  ) as unknown as readonly ResultsLocation[];
}

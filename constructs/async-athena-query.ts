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
import { DEFAULT_ATHENA_THROTTLE_RETRY, DEFAULT_CALLBACK_RETRY } from './builders/asl';
import { InvalidPropsError, NamePrefixCollisionError } from './builders/errors';
import { redrivePolicy, serviceTrustPolicy } from './builders/iam-policies';
import { defaultNamePrefix, resourceName } from './builders/naming';
import { validateAsyncAthenaQueryProps } from './builders/validation';
import { CallbackDeadLetterQueue } from './callback-dead-letter-queue';
import { CallbackerFunction } from './callbacker-function';
import { QueryRestApi } from './query-rest-api';
import { QueryStateMachine } from './query-state-machine';
import { splitOutputLocation } from './results-location';
import { resourceTags } from './tagging';
import { WebhookSigningSecret } from './webhook-signing-secret';

const prefixesByStack = new WeakMap<TerraformStack, Map<string, string>>();

/**
 * An asynchronous, callback-driven Athena query service: an IAM-authenticated REST API that starts a Step Functions
 * execution per query, which runs the query with `.sync` and has the callbacker presign the result and POST it to the
 * caller's callback URL, signed, retried, and dead-lettered when undeliverable.
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
  /** The role API Gateway uses to start executions. */
  public readonly apiRole: IamRole;
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

  private readonly workGroup: string;
  private readonly deadLetterQueueKmsKeyArn?: string;

  constructor(scope: Construct, id: string, props: AsyncAthenaQueryProps) {
    super(scope, id);
    const problems = validateAsyncAthenaQueryProps(props, (v) => Token.isUnresolved(v));
    if (problems.length > 0) throw new InvalidPropsError('AsyncAthenaQuery', id, problems);

    this.namePrefix = props.namePrefix ?? defaultNamePrefix(id, this.node.path);
    this.workGroup = props.workGroup;
    this.deadLetterQueueKmsKeyArn = props.deadLetterQueueKmsKeyArn;
    this.claimNamePrefix();
    this.context = new AwsContext(this, 'Context');
    const results = splitOutputLocation(props.outputLocation);

    this.deadLetterQueue = new CallbackDeadLetterQueue(this, 'DeadLetterQueue', {
      namePrefix: this.namePrefix,
      kmsKeyArn: props.deadLetterQueueKmsKeyArn,
      tags: props.tags,
    });

    if (!props.disableWebhookSigning) {
      if (props.existingSigningSecretArn) {
        this.signingSecretArn = props.existingSigningSecretArn;
      } else {
        this.signingSecret = new WebhookSigningSecret(this, 'SigningSecret', { namePrefix: this.namePrefix, kmsKeyArn: props.signingSecretKmsKeyArn, tags: props.tags });
        this.signingSecretArn = this.signingSecret.secretArn;
      }
    }

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
      glueDatabases: props.glueDatabases,
      sourceData: (props.sourceDataLocations ?? []).map(splitOutputLocation),
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

    this.deadLetterQueue.restrictSendersTo(this.queries.role.arn);

    if (props.manageApiGatewayAccountRole) {
      this.apiGatewayAccountRole = this.createApiGatewayAccountRole(props.tags);
      this.apiGatewayAccountSettings = new ApiGatewayAccount(this, 'ApiGatewayAccount', { cloudwatchRoleArn: this.apiGatewayAccountRole.arn });
    }

    this.api = new QueryRestApi(this, 'Api', {
      namePrefix: this.namePrefix,
      context: this.context,
      stateMachineArn: this.queries.stateMachineArn,
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
    this.apiRole = this.api.role;
    this.apiAccessLogGroup = this.api.accessLogGroup;
    this.invokeUrl = this.api.invokeUrl;
    this.stateMachineArn = this.queries.stateMachineArn;
  }

  /**
   * Lets a role call the API (`execute-api:Invoke` on this API's POST routes only), for clients deployed in the same
   * stack. Returns the inline policy it adds.
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
            // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
            Resource: [`${apiArn}/${this.api.stage.stageName}/POST/queries`, `${apiArn}/${this.api.stage.stageName}/POST/invocation`],
          },
        ],
      }),
    });
  }

  /**
   * Lets a role run `npm run redrive` on this deployment: `states:ListExecutions` on the state machine,
   * `states:DescribeExecution`/`GetExecutionHistory` on its executions, `athena:GetQueryExecution` on the workgroup,
   * `sqs:ReceiveMessage`/`DeleteMessage` on the dead-letter queue (and `kms:Decrypt` on its key, when customer-managed)
   * and `lambda:InvokeFunction` on the callbacker. Returns the inline policy it adds.
   */
  public grantRedrive(role: IamRole): IamRolePolicy {
    return new IamRolePolicy(this, `RedriveGrant-${role.node.id}`, {
      role: role.id,
      name: `${this.namePrefix}-redrive`,
      policy: JSON.stringify(
        redrivePolicy({
          arns: this.context,
          stateMachineArn: this.queries.stateMachineArn,
          stateMachineName: this.queries.stateMachine.name,
          workGroup: this.workGroup,
          deadLetterQueueArn: this.deadLetterQueue.queueArn,
          callbackerFunctionArn: this.callbacker.functionArn,
          deadLetterQueueKmsKeyArn: this.deadLetterQueueKmsKeyArn,
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

  private createApiGatewayAccountRole(tags: Readonly<Record<string, string>> | undefined): IamRole {
    const role = new IamRole(this, 'ApiGatewayAccountRole', {
      name: resourceName(this.namePrefix, 'apiGatewayAccountRole'),
      description: 'Account-level role API Gateway uses to write access and execution logs.',
      assumeRolePolicy: JSON.stringify(serviceTrustPolicy({ service: 'apigateway.amazonaws.com' })),
      tags: resourceTags(tags),
    });
    new IamRolePolicyAttachment(this, 'ApiGatewayAccountRolePolicy', {
      role: role.name,
      // The AWS-managed policy API Gateway documents for this role.
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html#set-up-access-logging-permissions
      policyArn: `arn:${this.context.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
    });
    return role;
  }
}

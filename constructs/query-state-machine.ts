import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { Construct } from 'constructs';
import { AwsContext } from './aws-context';
import {
  type BackoffPolicy,
  buildQueryDefinition,
  DEFAULT_ATHENA_ERROR_RETRY,
  DEFAULT_ATHENA_THROTTLE_RETRY,
  DEFAULT_CALLBACK_RETRY,
} from './builders/asl';
import { type ResultsLocation, serviceTrustPolicy, stateMachinePolicy } from './builders/iam-policies';
import { resourceName, roleName } from './builders/naming';
import { logGroupAndRole, standardStateMachine } from './shared-resources';
import { resourceTags } from './tagging';
import { isUnresolvedToken, renderJsonDocument } from './terraform-json';

/**
 * Callbacker errors worth retrying (the handler's `RETRYABLE_ERROR_NAMES`), plus the Lambda runtime's own transient
 * failures: a timed-out or crashed sandbox. https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html#API_Invoke_Errors
 */
export const RETRYABLE_CALLBACK_ERRORS = [
  'CallbackRetryableError',
  'PresignFailedError',
  'SigningSecretUnavailableError',
  'CallbackerConfigurationError',
  'Sandbox.Timedout',
  'Lambda.Unknown',
] as const;

/** Props of {@link QueryStateMachine}. */
export interface QueryStateMachineProps {
  /** Prefix of the physical names (`<prefix>-queries`, `<prefix>-state-machine-role`). */
  readonly namePrefix: string;
  /** Athena workgroup the queries run in. */
  readonly workGroup: string;
  /** `s3://bucket/prefix/` for `ResultConfiguration.OutputLocation`. */
  readonly outputLocation: string;
  /** The output location split into bucket and prefix (literals or Terraform expressions). */
  readonly results: ResultsLocation;
  /** ARN of the callbacker function. */
  readonly callbackerFunctionArn: string;
  /** URL of the dead-letter queue. */
  readonly deadLetterQueueUrl: string;
  /** ARN of the dead-letter queue. */
  readonly deadLetterQueueArn: string;
  /**
   * KMS key of the dead-letter queue, when customer-managed.
   *
   * @default - SSE-SQS, no key permissions needed
   */
  readonly deadLetterQueueKmsKeyArn?: string;
  /**
   * Default database for unqualified table names.
   *
   * @default - none; queries name their database
   */
  readonly database?: string;
  /**
   * Glue databases queries may read (a list, or a Terraform list token).
   *
   * @default - `[database]` when `database` is set, otherwise every database (`*`) of this account's catalog
   */
  readonly glueDatabases?: readonly string[];
  /**
   * S3 locations (`s3://bucket/prefix/`, split) of the data queries read. Athena reads source data with the state
   * machine's credentials. A Terraform list token of `{bucket, prefix}` objects is accepted.
   *
   * @default - none; grant source data access through Lake Formation or add locations here
   */
  readonly sourceData?: readonly ResultsLocation[];
  /**
   * KMS key for SSE_KMS results.
   *
   * @default - results use the workgroup's or bucket's encryption
   */
  readonly resultsKmsKeyArn?: string;
  /**
   * Seconds a query may run; then the task times out, Step Functions stops the query, and the caller gets a FAILED
   * callback with `States.Timeout`.
   *
   * @default 1800
   */
  readonly queryTimeoutSeconds?: number;
  /**
   * Backoff when Athena's active-query quota is full (`Athena.TooManyRequestsException`).
   *
   * @default DEFAULT_ATHENA_THROTTLE_RETRY
   */
  readonly athenaThrottleRetry?: BackoffPolicy;
  /**
   * Backoff of transient callback failures.
   *
   * @default DEFAULT_CALLBACK_RETRY
   */
  readonly callbackRetry?: BackoffPolicy;
  /**
   * Retention of the execution log group, in days.
   *
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * KMS key for the log group.
   *
   * @default - CloudWatch Logs default encryption
   */
  readonly logsKmsKeyArn?: string;
  /**
   * Tags for every taggable resource.
   *
   * @default - only `ManagedBy`
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Partition, region and account.
   *
   * @default - read from the provider
   */
  readonly context?: AwsContext;
}

/**
 * A STANDARD state machine that runs one Athena query per execution with `.sync` (no polling loop) and hands the
 * outcome, success or failure, to the callbacker. Logs errors without execution data; tracing on.
 */
export class QueryStateMachine extends Construct {
  /** The state machine. */
  public readonly stateMachine: SfnStateMachine;
  /** Its execution role. */
  public readonly role: IamRole;
  /** Its log group. */
  public readonly logGroup: CloudwatchLogGroup;
  /** ARN of the state machine. */
  public readonly stateMachineArn: string;

  constructor(scope: Construct, id: string, props: QueryStateMachineProps) {
    super(scope, id);
    const context = props.context ?? new AwsContext(this, 'Context');
    const tags = resourceTags(props.tags);
    const name = resourceName(props.namePrefix, 'stateMachine');
    // The ARN is built from the name (not read from the resource) so the role's trust policy can name it without a
    // dependency cycle. https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html
    const arnFromName = `arn:${context.partition}:states:${context.region}:${context.accountId}:stateMachine:${name}`;

    ({ logGroup: this.logGroup, role: this.role } = logGroupAndRole(this, {
      // The /aws/vendedlogs/ prefix keeps the log-delivery resource policy small.
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html
      logGroupName: `/aws/vendedlogs/states/${name}`,
      roleName: roleName(props.namePrefix, 'stateMachineRole', context.region),
      roleDescription: 'Execution role of the async Athena query state machine.',
      trustPolicy: serviceTrustPolicy({ service: 'states.amazonaws.com', sourceAccount: context.accountId, sourceArn: arnFromName }),
      logRetentionDays: props.logRetentionDays,
      logsKmsKeyArn: props.logsKmsKeyArn,
      tags,
    }));
    const policy = new IamRolePolicy(this, 'Policy', {
      name: 'run-athena-queries',
      role: this.role.id,
      policy: renderJsonDocument(
        stateMachinePolicy({
          isUnresolved: isUnresolvedToken,
          arns: context,
          workGroup: props.workGroup,
          results: props.results,
          glueDatabases: props.glueDatabases ?? (props.database ? [props.database] : ['*']),
          sourceData: props.sourceData ?? [],
          callbackerFunctionArn: props.callbackerFunctionArn,
          deadLetterQueueArn: props.deadLetterQueueArn,
          resultsKmsKeyArn: props.resultsKmsKeyArn,
          deadLetterQueueKmsKeyArn: props.deadLetterQueueKmsKeyArn,
        }),
      ),
    });

    const definition = buildQueryDefinition({
      isUnresolved: isUnresolvedToken,
      partition: context.partition,
      workGroup: props.workGroup,
      outputLocation: props.outputLocation,
      database: props.database,
      resultsKmsKeyArn: props.resultsKmsKeyArn,
      queryTimeoutSeconds: props.queryTimeoutSeconds ?? 1800,
      callbackerFunctionArn: props.callbackerFunctionArn,
      deadLetterQueueUrl: props.deadLetterQueueUrl,
      retryableCallbackErrors: RETRYABLE_CALLBACK_ERRORS,
      athenaThrottleRetry: props.athenaThrottleRetry ?? DEFAULT_ATHENA_THROTTLE_RETRY,
      athenaErrorRetry: DEFAULT_ATHENA_ERROR_RETRY,
      callbackRetry: props.callbackRetry ?? DEFAULT_CALLBACK_RETRY,
    });

    this.stateMachine = standardStateMachine(this, { name, role: this.role, definition: renderJsonDocument(definition), logGroup: this.logGroup, tags, dependsOn: [policy] });
    this.stateMachineArn = this.stateMachine.arn;
  }
}

import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { Construct } from 'constructs';
import { AwsContext } from './aws-context';
import { type BackoffPolicy, buildCancellationDefinition, DEFAULT_CALLBACK_RETRY } from './builders/asl';
import { cancellationStateMachinePolicy, serviceTrustPolicy } from './builders/iam-policies';
import { resourceName, roleName } from './builders/naming';
import { logGroupAndRole, standardStateMachine } from './shared-resources';
import { RETRYABLE_CALLBACK_ERRORS } from './query-state-machine';
import { resourceTags } from './tagging';
import { isUnresolvedToken, renderJsonDocument } from './terraform-json';

/** Props of {@link CancellationStateMachine}. */
export interface CancellationStateMachineProps {
  /** Prefix of the physical names (`<prefix>-cancellations`, `<prefix>-cancel-<region>` for the role). */
  readonly namePrefix: string;
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
   * Backoff of transient callback failures (the query machine's).
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
 * A small STANDARD state machine that delivers the CANCELLED callback of a query cancelled before Athena started it,
 * with the query machine's delivery, retry and dead-letter states (builders/asl.ts buildCancellationDefinition). The
 * query API function stops the query's execution (an ABORTED execution runs no later state) and starts this machine
 * with the same execution name and `{ExecutionArn, ExecutionStartTime, CallbackUrl}` of the stopped execution, so the
 * callback names the original execution. Its role may only invoke the callbacker and record dead letters.
 */
export class CancellationStateMachine extends Construct {
  /** The state machine. */
  public readonly stateMachine: SfnStateMachine;
  /** Its execution role. */
  public readonly role: IamRole;
  /** Its log group. */
  public readonly logGroup: CloudwatchLogGroup;
  /** ARN of the state machine. */
  public readonly stateMachineArn: string;

  constructor(scope: Construct, id: string, props: CancellationStateMachineProps) {
    super(scope, id);
    const context = props.context ?? new AwsContext(this, 'Context');
    const tags = resourceTags(props.tags);
    const name = resourceName(props.namePrefix, 'cancellationStateMachine');
    // Built from the name so the role's trust policy can name it without a dependency cycle.
    const arnFromName = `arn:${context.partition}:states:${context.region}:${context.accountId}:stateMachine:${name}`;

    ({ logGroup: this.logGroup, role: this.role } = logGroupAndRole(this, {
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html
      logGroupName: `/aws/vendedlogs/states/${name}`,
      roleName: roleName(props.namePrefix, 'cancellationStateMachineRole', context.region),
      roleDescription: 'Execution role of the state machine that delivers the callbacks of cancelled async Athena queries.',
      trustPolicy: serviceTrustPolicy({ service: 'states.amazonaws.com', sourceAccount: context.accountId, sourceArn: arnFromName }),
      logRetentionDays: props.logRetentionDays,
      logsKmsKeyArn: props.logsKmsKeyArn,
      tags,
    }));
    const policy = new IamRolePolicy(this, 'Policy', {
      name: 'deliver-cancellations',
      role: this.role.id,
      policy: renderJsonDocument(
        cancellationStateMachinePolicy({
          arns: context,
          callbackerFunctionArn: props.callbackerFunctionArn,
          deadLetterQueueArn: props.deadLetterQueueArn,
          deadLetterQueueKmsKeyArn: props.deadLetterQueueKmsKeyArn,
          isUnresolved: isUnresolvedToken,
        }),
      ),
    });

    const definition = buildCancellationDefinition({
      isUnresolved: isUnresolvedToken,
      partition: context.partition,
      callbackerFunctionArn: props.callbackerFunctionArn,
      deadLetterQueueUrl: props.deadLetterQueueUrl,
      retryableCallbackErrors: RETRYABLE_CALLBACK_ERRORS,
      callbackRetry: props.callbackRetry ?? DEFAULT_CALLBACK_RETRY,
    });

    this.stateMachine = standardStateMachine(this, { name, role: this.role, definition: renderJsonDocument(definition), logGroup: this.logGroup, tags, dependsOn: [policy] });
    this.stateMachineArn = this.stateMachine.arn;
  }
}

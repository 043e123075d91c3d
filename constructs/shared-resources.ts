/**
 * The parts the module's functions and state machines share: a log group and an execution role, a Node.js function
 * with the module's runtime, logging and tracing settings, and a STANDARD state machine that logs errors without
 * execution data.
 */
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { LambdaFunction, type LambdaFunctionConfig } from '@cdktf/provider-aws/lib/lambda-function';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import type { ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import type { IamPolicyDocument } from './builders/iam-policies';

/** What {@link logGroupAndRole} makes. */
export interface LogGroupAndRoleProps {
  /** Name of the log group (`/aws/lambda/<function>`, `/aws/vendedlogs/states/<state machine>`). */
  readonly logGroupName: string;
  /** Physical name of the role. */
  readonly roleName: string;
  /** Description of the role. */
  readonly roleDescription: string;
  /** Who may assume the role (builders/iam-policies.ts serviceTrustPolicy). */
  readonly trustPolicy: IamPolicyDocument;
  /**
   * Retention of the log group, in days.
   *
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * KMS key of the log group.
   *
   * @default - CloudWatch Logs default encryption
   */
  readonly logsKmsKeyArn?: string;
  /** Tags of both. */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The log group and the execution role every function and state machine of the module has, as `LogGroup` and `Role`
 * in `scope` (ids that are part of the module's resource addresses). The trust policy is plain JSON: it names only the
 * service and, for state machines, ARNs built from literal parts and tokens that are strings.
 */
export function logGroupAndRole(scope: Construct, props: LogGroupAndRoleProps): { readonly logGroup: CloudwatchLogGroup; readonly role: IamRole } {
  const logGroup = new CloudwatchLogGroup(scope, 'LogGroup', {
    name: props.logGroupName,
    retentionInDays: props.logRetentionDays ?? 30,
    kmsKeyId: props.logsKmsKeyArn,
    tags: props.tags,
  });
  const role = new IamRole(scope, 'Role', {
    name: props.roleName,
    description: props.roleDescription,
    assumeRolePolicy: JSON.stringify(props.trustPolicy),
    tags: props.tags,
  });
  return { logGroup, role };
}

/** What {@link nodeFunction} takes: the function's own settings. */
export type NodeFunctionProps = Pick<
  LambdaFunctionConfig,
  'functionName' | 'description' | 'filename' | 'sourceCodeHash' | 'memorySize' | 'timeout' | 'reservedConcurrentExecutions' | 'environment' | 'tags'
> & {
  /** Its execution role. */
  readonly role: IamRole;
  /** Its log group (the function logs JSON to it). */
  readonly logGroup: CloudwatchLogGroup;
  /** What must exist first, besides the log group (the role's policy). */
  readonly dependsOn: readonly ITerraformDependable[];
};

/** A Node.js 22 function on arm64 (`index.handler`), JSON logs to its own log group, X-Ray active, as `Function`. */
export function nodeFunction(scope: Construct, props: NodeFunctionProps): LambdaFunction {
  const { role, logGroup, dependsOn, ...config } = props;
  return new LambdaFunction(scope, 'Function', {
    ...config,
    role: role.arn,
    // https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
    runtime: 'nodejs22.x',
    architectures: ['arm64'],
    handler: 'index.handler',
    loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
    tracingConfig: { mode: 'Active' },
    dependsOn: [logGroup, ...dependsOn],
  });
}

/** What {@link standardStateMachine} takes. */
export interface StandardStateMachineProps {
  readonly name: string;
  readonly role: IamRole;
  /** The definition, rendered (terraform-json.ts renderJsonDocument). */
  readonly definition: string;
  readonly logGroup: CloudwatchLogGroup;
  readonly tags: Readonly<Record<string, string>>;
  /** What must exist first (the role's policy). */
  readonly dependsOn: readonly ITerraformDependable[];
}

/** A STANDARD state machine that logs errors without execution data to its log group, X-Ray on, as `StateMachine`. */
export function standardStateMachine(scope: Construct, props: StandardStateMachineProps): SfnStateMachine {
  return new SfnStateMachine(scope, 'StateMachine', {
    name: props.name,
    // Express workflows cannot run .sync integrations nor last longer than 5 minutes.
    // https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html
    type: 'STANDARD',
    roleArn: props.role.arn,
    definition: props.definition,
    loggingConfiguration: {
      // The ":*" suffix is required by Step Functions' log destination format.
      // https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
      logDestination: `${props.logGroup.arn}:*`,
      level: 'ERROR',
      // Execution data holds the query text and the callback URL.
      includeExecutionData: false,
    },
    tracingConfiguration: { enabled: true },
    tags: props.tags,
    dependsOn: [...props.dependsOn],
  });
}

import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import type { TerraformAsset, TerraformDataSource } from 'cdktf';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { AwsContext } from './aws-context';
import { queryApiPolicy, serviceTrustPolicy } from './builders/iam-policies';
import { resourceName, roleName } from './builders/naming';
import { type CallbackerPackaging, DEFAULT_CALLBACKER_PACKAGING } from './builders/packaging';
import { shippedQueryApi } from './callbacker-bundle';
import { deploymentPackage } from './function-package';
import { logGroupAndRole, nodeFunction } from './shared-resources';
import { resourceTags } from './tagging';
import { renderJsonDocument } from './terraform-json';

/**
 * Seconds one request may take. API Gateway waits at most 29 seconds for an integration; ending a second earlier lets
 * API Gateway report the function's timeout instead of its own 504.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
 */
export const QUERY_API_TIMEOUT_SECONDS = 28;

/** Props of {@link QueryApiFunction}. */
export interface QueryApiFunctionProps {
  /** Prefix of the physical names (`<prefix>-query-api`, `<prefix>-query-api-<region>` for the role). */
  readonly namePrefix: string;
  /** The query state machine: submits start its executions, status and cancel read and stop them. */
  readonly stateMachineArn: string;
  /** Its name (its executions' ARNs, which IAM is scoped to, are built from it). */
  readonly stateMachineName: string;
  /** The cancellation state machine, started for a query cancelled before it started. */
  readonly cancellationStateMachineArn: string;
  /** Its name. */
  readonly cancellationStateMachineName: string;
  /** The workgroup the queries run in: status reads and cancel stops its queries. */
  readonly workGroup: string;
  /** `s3://bucket/prefix/` of the results: result links are made only for objects under it. */
  readonly outputLocation: string;
  /** The role result links are presigned with (it must trust this function's role: `CallbackerFunction.allowPresigning`). */
  readonly presignerRoleArn: string;
  /**
   * Requested lifetime of result links, in seconds (1 to 604800); the presigner session cuts it to what it has left.
   *
   * @default 3600
   */
  readonly presignExpirySeconds?: number;
  /**
   * Memory of the function, in MB.
   *
   * @default 256
   */
  readonly memoryMb?: number;
  /**
   * Reserved concurrency: the most requests served at once.
   *
   * @default - unreserved
   */
  readonly reservedConcurrency?: number;
  /**
   * How the deployment package reaches Lambda (see `CallbackerFunctionProps.packaging`).
   *
   * @default 'prebuilt-zip'
   */
  readonly packaging?: CallbackerPackaging;
  /**
   * Retention of the function's log group, in days.
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
 * The query API function: the Lambda behind every route of the API (submit, status, cancel, result link), shipped
 * prebuilt (`dist/query-api/`, bundled from handler/api/ by `npm run build`). It has its own role, scoped to this
 * deployment's state machines, workgroup and presigner role, and its own log group.
 */
export class QueryApiFunction extends Construct {
  /** The function. */
  public readonly function: LambdaFunction;
  /** Its execution role. */
  public readonly role: IamRole;
  /** Its log group. */
  public readonly logGroup: CloudwatchLogGroup;
  /** The shipped file copied into the synthesized stack. */
  public readonly asset: TerraformAsset;
  /** The `archive_file` data source, with packaging `archive-provider` only. */
  public readonly archive?: TerraformDataSource;
  /** ARN of the function. */
  public readonly functionArn: string;

  constructor(scope: Construct, id: string, props: QueryApiFunctionProps) {
    super(scope, id);
    const context = props.context ?? new AwsContext(this, 'Context');
    const tags = resourceTags(props.tags);
    const functionName = resourceName(props.namePrefix, 'queryApiFunction');
    const code = deploymentPackage(this, id, shippedQueryApi(), props.packaging ?? DEFAULT_CALLBACKER_PACKAGING, `query-api-${props.namePrefix}`);
    this.asset = code.asset;
    this.archive = code.archive;

    ({ logGroup: this.logGroup, role: this.role } = logGroupAndRole(this, {
      // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
      logGroupName: `/aws/lambda/${functionName}`,
      roleName: roleName(props.namePrefix, 'queryApiRole', context.region),
      roleDescription: 'Execution role of the async Athena query API function (submit, status, cancel, result links).',
      // As the callbacker's: Lambda documents no source conditions for execution roles.
      trustPolicy: serviceTrustPolicy({ service: 'lambda.amazonaws.com' }),
      logRetentionDays: props.logRetentionDays,
      logsKmsKeyArn: props.logsKmsKeyArn,
      tags,
    }));
    const rolePolicy = new IamRolePolicy(this, 'Policy', {
      name: 'query-api',
      role: this.role.id,
      policy: renderJsonDocument(
        queryApiPolicy({
          arns: context,
          stateMachineArn: props.stateMachineArn,
          stateMachineName: props.stateMachineName,
          cancellationStateMachineArn: props.cancellationStateMachineArn,
          cancellationStateMachineName: props.cancellationStateMachineName,
          workGroup: props.workGroup,
          presignerRoleArn: props.presignerRoleArn,
          logGroupArn: this.logGroup.arn,
        }),
      ),
    });

    const presignExpirySeconds = props.presignExpirySeconds ?? 3600;
    this.function = nodeFunction(this, {
      functionName,
      description: 'Serves the async Athena query API: submit, status, cancel, result links (cdktf-async-athena-query).',
      role: this.role,
      filename: code.filename,
      sourceCodeHash: code.sourceCodeHash,
      memorySize: props.memoryMb ?? 256,
      timeout: QUERY_API_TIMEOUT_SECONDS,
      reservedConcurrentExecutions: props.reservedConcurrency,
      // Read by handler/api/config.ts.
      environment: {
        variables: {
          STATE_MACHINE_ARN: props.stateMachineArn,
          CANCELLATION_STATE_MACHINE_ARN: props.cancellationStateMachineArn,
          OUTPUT_LOCATION: props.outputLocation,
          PRESIGNER_ROLE_ARN: props.presignerRoleArn,
          PRESIGN_EXPIRY_SECONDS: Token.isUnresolved(presignExpirySeconds) ? Token.asString(presignExpirySeconds) : String(presignExpirySeconds),
        },
      },
      logGroup: this.logGroup,
      tags,
      dependsOn: [rolePolicy],
    });
    this.functionArn = this.function.arn;
  }
}

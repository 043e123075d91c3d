/**
 * Issue 5 §1: every role's policies, as Terraform renders them, evaluated by an IAM policy simulator. Each role can do
 * what it needs at runtime on this deployment's ARNs and nothing next to them. Trust policies name one principal, and
 * the state machine's is guarded against the confused deputy.
 */
import {
  ACCOUNT_ID,
  DEAD_LETTER_KEY_ARN,
  DEPLOYMENT_SPECS,
  type DeploymentSpec,
  OTHER_ACCOUNT_ID,
  REGION,
  RESULTS_BUCKET,
  RESULTS_KEY_ARN,
  RESULTS_PREFIX,
  type RenderedDeployment,
  useRenderedDeployments,
  type RoleKey,
  roleOf,
  WORK_GROUP,
} from './support/deployments';
import { redrivePolicy } from '../../constructs/builders/iam-policies';
import {
  allowsEverywhere,
  asList,
  type Decision,
  decide,
  delegatesToAccount,
  type PolicyDocument,
  trustsAccount,
} from './support/policies';

const { deployment } = useRenderedDeployments();

// ---------------------------------------------------------------------------------------------------------------
// ARNs of this deployment's neighbours: same account and region, another name.
// ---------------------------------------------------------------------------------------------------------------
const arn = (service: string, resource: string, account = ACCOUNT_ID) => `arn:aws:${service}:${REGION}:${account}:${resource}`;
const s3Object = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;
const RESULT_OBJECT = s3Object(RESULTS_BUCKET, `${RESULTS_PREFIX}0f1e2d3c-query.csv`);
const glue = (resource: string, account = ACCOUNT_ID) => arn('glue', resource, account);
const executionOf = (stateMachineArn: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:0f1e2d3c`;
const OTHER_KEY_ARN = arn('kms', 'key/9999abcd-12ab-34cd-56ef-1234567890ab');

/** Predicates on a deployment's props, for rows that only apply to some deployments. */
const withResultsKey = (s: DeploymentSpec) => s.props?.resultsKmsKeyArn !== undefined;
const withoutResultsKey = (s: DeploymentSpec) => !withResultsKey(s);
const withDeadLetterKey = (s: DeploymentSpec) => s.props?.deadLetterQueueKmsKeyArn !== undefined;
const withDatabase = (s: DeploymentSpec) => s.props?.database !== undefined;
const withSourceData = (s: DeploymentSpec) => (s.props?.sourceDataLocations ?? []).length > 0;

/** One expectation: a role, an action on a resource, and the decision. */
interface PermissionRow {
  readonly role: RoleKey;
  readonly action: string;
  /** What the resource is, for the test title. */
  readonly on: string;
  readonly resource: (d: RenderedDeployment) => string;
  readonly expected: Decision;
  /** Owner of the resource. @default ACCOUNT_ID */
  readonly account?: string;
  /** The resource's own policy (KMS key policy, Glue catalog policy, trust policy), when it has one. */
  readonly resourcePolicy?: (d: RenderedDeployment) => PolicyDocument;
  /** The calling principal. @default the role's ARN */
  readonly principal?: (d: RenderedDeployment) => string;
  /** Deployments the row applies to. @default all */
  readonly when?: (s: DeploymentSpec) => boolean;
  /** Request context, such as `kms:ViaService` when a service calls KMS on the role's behalf. */
  readonly context?: Readonly<Record<string, string>>;
}

/** The request context of a KMS call a service makes on the caller's behalf. */
const through = (service: string) => ({ 'kms:ViaService': `${service}.${REGION}.amazonaws.com` });

/** KMS keys here use the default key policy, which delegates to IAM: the role's own policy decides. */
const keyPolicy = () => delegatesToAccount(ACCOUNT_ID, 'kms:*');

const PERMISSIONS: readonly PermissionRow[] = [
  // --- State machine role: Athena .sync on this workgroup -------------------------------------------------------
  { role: 'stateMachine', action: 'athena:StartQueryExecution', on: `workgroup/${WORK_GROUP}`, resource: () => arn('athena', `workgroup/${WORK_GROUP}`), expected: 'Allowed' },
  { role: 'stateMachine', action: 'athena:GetQueryExecution', on: `workgroup/${WORK_GROUP}`, resource: () => arn('athena', `workgroup/${WORK_GROUP}`), expected: 'Allowed' },
  { role: 'stateMachine', action: 'athena:StopQueryExecution', on: `workgroup/${WORK_GROUP}`, resource: () => arn('athena', `workgroup/${WORK_GROUP}`), expected: 'Allowed' },
  { role: 'stateMachine', action: 'athena:GetDataCatalog', on: 'datacatalog/AwsDataCatalog', resource: () => arn('athena', 'datacatalog/AwsDataCatalog'), expected: 'Allowed' },
  { role: 'stateMachine', action: 'athena:StartQueryExecution', on: 'workgroup/other', resource: () => arn('athena', 'workgroup/other'), expected: 'Denied' },
  { role: 'stateMachine', action: 'athena:StopQueryExecution', on: 'workgroup/other', resource: () => arn('athena', 'workgroup/other'), expected: 'Denied' },
  { role: 'stateMachine', action: 'athena:StartQueryExecution', on: `workgroup/${WORK_GROUP} of another account`, account: OTHER_ACCOUNT_ID, resource: () => arn('athena', `workgroup/${WORK_GROUP}`, OTHER_ACCOUNT_ID), resourcePolicy: () => delegatesToAccount(ACCOUNT_ID, 'athena:*'), expected: 'Denied' },
  // --- State machine role: S3 on the results prefix only ---------------------------------------------------------
  { role: 'stateMachine', action: 's3:PutObject', on: 'an object under the results prefix', resource: () => RESULT_OBJECT, expected: 'Allowed' },
  { role: 'stateMachine', action: 's3:GetObject', on: 'an object under the results prefix', resource: () => RESULT_OBJECT, expected: 'Allowed' },
  { role: 'stateMachine', action: 's3:AbortMultipartUpload', on: 'an object under the results prefix', resource: () => RESULT_OBJECT, expected: 'Allowed' },
  { role: 'stateMachine', action: 's3:GetBucketLocation', on: 'the results bucket', resource: () => `arn:aws:s3:::${RESULTS_BUCKET}`, expected: 'Allowed' },
  { role: 'stateMachine', action: 's3:ListBucket', on: 'the results bucket', resource: () => `arn:aws:s3:::${RESULTS_BUCKET}`, expected: 'Allowed' },
  { role: 'stateMachine', action: 's3:PutObject', on: 'another prefix of the results bucket', resource: () => s3Object(RESULTS_BUCKET, 'other/q.csv'), expected: 'Denied' },
  { role: 'stateMachine', action: 's3:PutObject', on: 'a sibling prefix sharing the name (athena-archive/)', resource: () => s3Object(RESULTS_BUCKET, 'athena-archive/q.csv'), expected: 'Denied' },
  { role: 'stateMachine', action: 's3:GetObject', on: 'another bucket', resource: () => s3Object('other-bucket', `${RESULTS_PREFIX}q.csv`), expected: 'Denied' },
  { role: 'stateMachine', action: 's3:ListBucket', on: 'another bucket', resource: () => 'arn:aws:s3:::other-bucket', expected: 'Denied' },
  { role: 'stateMachine', action: 's3:DeleteObject', on: 'an object under the results prefix', resource: () => RESULT_OBJECT, expected: 'Denied' },
  { role: 'stateMachine', action: 's3:PutBucketPolicy', on: 'the results bucket', resource: () => `arn:aws:s3:::${RESULTS_BUCKET}`, expected: 'Denied' },
  // --- State machine role: source data, read-only, when given ------------------------------------------------------
  { role: 'stateMachine', action: 's3:GetObject', on: 'an object of the source data', resource: () => s3Object('source-data', 'sales/2026/part-0.parquet'), expected: 'Allowed', when: withSourceData },
  { role: 'stateMachine', action: 's3:PutObject', on: 'an object of the source data', resource: () => s3Object('source-data', 'sales/2026/part-0.parquet'), expected: 'Denied' },
  { role: 'stateMachine', action: 's3:GetObject', on: 'another prefix of the source bucket', resource: () => s3Object('source-data', 'hr/salaries.csv'), expected: 'Denied' },
  // --- State machine role: the Glue catalog, read-only, this account --------------------------------------------
  { role: 'stateMachine', action: 'glue:GetTable', on: 'table sales/orders of this account', resource: () => glue('table/sales/orders'), expected: 'Allowed' },
  { role: 'stateMachine', action: 'glue:GetDatabase', on: 'database sales of this account', resource: () => glue('database/sales'), expected: 'Allowed' },
  { role: 'stateMachine', action: 'glue:GetPartitions', on: 'table sales/orders of this account', resource: () => glue('table/sales/orders'), expected: 'Allowed' },
  { role: 'stateMachine', action: 'glue:GetTable', on: 'the catalog of this account', resource: () => glue('catalog'), expected: 'Allowed' },
  { role: 'stateMachine', action: 'glue:GetTable', on: 'a table of another account that shares its catalog', account: OTHER_ACCOUNT_ID, resource: () => glue('table/sales/orders', OTHER_ACCOUNT_ID), resourcePolicy: () => delegatesToAccount(ACCOUNT_ID, 'glue:*'), expected: 'Denied' },
  { role: 'stateMachine', action: 'glue:GetTable', on: 'a table of a database outside the configured one', resource: () => glue('table/hr/salaries'), expected: 'Denied', when: withDatabase },
  { role: 'stateMachine', action: 'glue:CreateTable', on: 'database sales of this account', resource: () => glue('database/sales'), expected: 'Denied' },
  { role: 'stateMachine', action: 'glue:DeleteTable', on: 'table sales/orders of this account', resource: () => glue('table/sales/orders'), expected: 'Denied' },
  // --- State machine role: the callbacker, the dead-letter queue, nothing else ----------------------------------
  { role: 'stateMachine', action: 'lambda:InvokeFunction', on: 'the callbacker', resource: (d) => d.arns.callbackerFunction, expected: 'Allowed' },
  { role: 'stateMachine', action: 'lambda:InvokeFunction', on: 'another function', resource: () => arn('lambda', 'function:other-function'), expected: 'Denied' },
  { role: 'stateMachine', action: 'lambda:UpdateFunctionCode', on: 'the callbacker', resource: (d) => d.arns.callbackerFunction, expected: 'Denied' },
  { role: 'stateMachine', action: 'sqs:SendMessage', on: 'the dead-letter queue', resource: (d) => d.arns.deadLetterQueue, expected: 'Allowed' },
  { role: 'stateMachine', action: 'sqs:SendMessage', on: 'another queue', resource: () => arn('sqs', 'other-queue'), expected: 'Denied' },
  { role: 'stateMachine', action: 'sqs:ReceiveMessage', on: 'the dead-letter queue', resource: (d) => d.arns.deadLetterQueue, expected: 'Denied' },
  { role: 'stateMachine', action: 'states:StartExecution', on: 'its own state machine', resource: (d) => d.arns.stateMachine, expected: 'Denied' },
  { role: 'stateMachine', action: 'iam:PassRole', on: 'its own role', resource: (d) => roleOf(d, 'stateMachine').arn, expected: 'Denied' },
  { role: 'stateMachine', action: 'secretsmanager:GetSecretValue', on: 'the signing secret', resource: (d) => d.arns.signingSecret, expected: 'Denied' },
  // --- State machine role: KMS only for the keys it was given -------------------------------------------------
  { role: 'stateMachine', action: 'kms:GenerateDataKey', on: 'the results key through S3', resource: () => RESULTS_KEY_ARN, resourcePolicy: keyPolicy, context: through('s3'), expected: 'Allowed', when: withResultsKey },
  { role: 'stateMachine', action: 'kms:Decrypt', on: 'the results key through S3', resource: () => RESULTS_KEY_ARN, resourcePolicy: keyPolicy, context: through('s3'), expected: 'Allowed', when: withResultsKey },
  { role: 'stateMachine', action: 'kms:Decrypt', on: 'the results key called directly', resource: () => RESULTS_KEY_ARN, resourcePolicy: keyPolicy, expected: 'Denied', when: withResultsKey },
  { role: 'stateMachine', action: 'kms:Decrypt', on: 'the results key through another service', resource: () => RESULTS_KEY_ARN, resourcePolicy: keyPolicy, context: through('lambda'), expected: 'Denied', when: withResultsKey },
  { role: 'stateMachine', action: 'kms:GenerateDataKey', on: 'a results key it was not given', resource: () => RESULTS_KEY_ARN, resourcePolicy: keyPolicy, expected: 'Denied', when: withoutResultsKey },
  { role: 'stateMachine', action: 'kms:Decrypt', on: 'another key', resource: () => OTHER_KEY_ARN, resourcePolicy: keyPolicy, expected: 'Denied' },
  { role: 'stateMachine', action: 'kms:GenerateDataKey', on: 'the dead-letter queue key through SQS', resource: () => DEAD_LETTER_KEY_ARN, resourcePolicy: keyPolicy, context: through('sqs'), expected: 'Allowed', when: withDeadLetterKey },
  { role: 'stateMachine', action: 'kms:GenerateDataKey', on: 'the dead-letter queue key called directly', resource: () => DEAD_LETTER_KEY_ARN, resourcePolicy: keyPolicy, expected: 'Denied', when: withDeadLetterKey },
  { role: 'stateMachine', action: 'kms:GenerateDataKey', on: 'a dead-letter key it was not given', resource: () => DEAD_LETTER_KEY_ARN, resourcePolicy: keyPolicy, expected: 'Denied', when: (s) => !withDeadLetterKey(s) },
  // --- State machine role: vended log delivery and tracing (wildcard-only actions) ------------------------------
  { role: 'stateMachine', action: 'logs:CreateLogDelivery', on: '*', resource: () => '*', expected: 'Allowed' },
  { role: 'stateMachine', action: 'xray:PutTraceSegments', on: '*', resource: () => '*', expected: 'Allowed' },
  { role: 'stateMachine', action: 'lakeformation:GetDataAccess', on: '*', resource: () => '*', expected: 'Allowed' },

  // --- Callbacker role ------------------------------------------------------------------------------------------
  {
    role: 'callbacker',
    action: 'sts:AssumeRole',
    on: 'the presigner role',
    // At runtime the caller is the function's session, and the presigner's trust policy is the resource policy.
    principal: (d) => `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${roleOf(d, 'callbacker').name}/${d.arns.callbackerFunction.split(':').pop()}`,
    resource: (d) => roleOf(d, 'presigner').arn,
    resourcePolicy: (d) => roleOf(d, 'presigner').trust,
    expected: 'Allowed',
  },
  { role: 'callbacker', action: 'sts:AssumeRole', on: 'another role that trusts the whole account', resource: () => `arn:aws:iam::${ACCOUNT_ID}:role/admin`, resourcePolicy: () => trustsAccount(ACCOUNT_ID), expected: 'Denied' },
  { role: 'callbacker', action: 'sts:AssumeRole', on: 'the state machine role, were it to trust the account', resource: (d) => roleOf(d, 'stateMachine').arn, resourcePolicy: () => trustsAccount(ACCOUNT_ID), expected: 'Denied' },
  { role: 'callbacker', action: 'secretsmanager:GetSecretValue', on: 'its signing secret', resource: (d) => d.arns.signingSecret, expected: 'Allowed' },
  { role: 'callbacker', action: 'secretsmanager:GetSecretValue', on: 'another secret', resource: () => arn('secretsmanager', 'secret:other-secret-AbCdEf'), expected: 'Denied' },
  { role: 'callbacker', action: 'secretsmanager:PutSecretValue', on: 'its signing secret', resource: (d) => d.arns.signingSecret, expected: 'Denied' },
  { role: 'callbacker', action: 's3:GetObject', on: 'an object under the results prefix (it presigns through the presigner role)', resource: () => RESULT_OBJECT, expected: 'Denied' },
  { role: 'callbacker', action: 's3:PutObject', on: 'an object under the results prefix', resource: () => RESULT_OBJECT, expected: 'Denied' },
  { role: 'callbacker', action: 'kms:Decrypt', on: 'the results key', resource: () => RESULTS_KEY_ARN, resourcePolicy: keyPolicy, expected: 'Denied' },
  { role: 'callbacker', action: 'logs:PutLogEvents', on: 'a stream of its own log group', resource: (d) => `${d.arns.callbackerLogGroup}:log-stream:2026/11/25/[$LATEST]0f1e2d3c`, expected: 'Allowed' },
  { role: 'callbacker', action: 'logs:CreateLogStream', on: 'a stream of its own log group', resource: (d) => `${d.arns.callbackerLogGroup}:log-stream:2026/11/25/[$LATEST]0f1e2d3c`, expected: 'Allowed' },
  { role: 'callbacker', action: 'logs:PutLogEvents', on: "a stream of the state machine's log group", resource: (d) => `${d.arns.stateMachineLogGroup}:log-stream:x`, expected: 'Denied' },
  { role: 'callbacker', action: 'logs:PutLogEvents', on: "another function's log group", resource: () => arn('logs', 'log-group:/aws/lambda/other-function:log-stream:x'), expected: 'Denied' },
  { role: 'callbacker', action: 'logs:DeleteLogGroup', on: 'its own log group', resource: (d) => d.arns.callbackerLogGroup, expected: 'Denied' },
  { role: 'callbacker', action: 'lambda:InvokeFunction', on: 'itself', resource: (d) => d.arns.callbackerFunction, expected: 'Denied' },
  { role: 'callbacker', action: 'sqs:SendMessage', on: 'the dead-letter queue (the state machine records dead letters)', resource: (d) => d.arns.deadLetterQueue, expected: 'Denied' },
  { role: 'callbacker', action: 'states:StartExecution', on: 'the state machine', resource: (d) => d.arns.stateMachine, expected: 'Denied' },
  { role: 'callbacker', action: 'iam:PassRole', on: 'the presigner role', resource: (d) => roleOf(d, 'presigner').arn, expected: 'Denied' },
  { role: 'callbacker', action: 'xray:PutTraceSegments', on: '*', resource: () => '*', expected: 'Allowed' },

  // --- Presigner role: what a presigned URL can reach -----------------------------------------------------------
  { role: 'presigner', action: 's3:GetObject', on: 'an object under the results prefix', resource: () => RESULT_OBJECT, expected: 'Allowed' },
  { role: 'presigner', action: 's3:PutObject', on: 'an object under the results prefix', resource: () => RESULT_OBJECT, expected: 'Denied' },
  { role: 'presigner', action: 's3:DeleteObject', on: 'an object under the results prefix', resource: () => RESULT_OBJECT, expected: 'Denied' },
  { role: 'presigner', action: 's3:GetObject', on: 'another prefix of the results bucket', resource: () => s3Object(RESULTS_BUCKET, 'other/q.csv'), expected: 'Denied' },
  { role: 'presigner', action: 's3:GetObject', on: 'a sibling prefix sharing the name (athena-archive/)', resource: () => s3Object(RESULTS_BUCKET, 'athena-archive/q.csv'), expected: 'Denied' },
  { role: 'presigner', action: 's3:GetObject', on: 'another bucket', resource: () => s3Object('other-bucket', `${RESULTS_PREFIX}q.csv`), expected: 'Denied' },
  { role: 'presigner', action: 's3:GetObject', on: 'an object of the source data', resource: () => s3Object('source-data', 'sales/2026/part-0.parquet'), expected: 'Denied' },
  { role: 'presigner', action: 's3:ListBucket', on: 'the results bucket', resource: () => `arn:aws:s3:::${RESULTS_BUCKET}`, expected: 'Denied' },
  { role: 'presigner', action: 'kms:Decrypt', on: 'the results key through S3 (a presigned download)', resource: () => RESULTS_KEY_ARN, resourcePolicy: keyPolicy, context: through('s3'), expected: 'Allowed', when: withResultsKey },
  { role: 'presigner', action: 'kms:Decrypt', on: 'the results key called directly', resource: () => RESULTS_KEY_ARN, resourcePolicy: keyPolicy, expected: 'Denied', when: withResultsKey },
  { role: 'presigner', action: 'kms:Decrypt', on: 'a results key it was not given', resource: () => RESULTS_KEY_ARN, resourcePolicy: keyPolicy, expected: 'Denied', when: withoutResultsKey },
  { role: 'presigner', action: 'kms:GenerateDataKey', on: 'the results key', resource: () => RESULTS_KEY_ARN, resourcePolicy: keyPolicy, expected: 'Denied' },
  { role: 'presigner', action: 'kms:Decrypt', on: 'another key', resource: () => OTHER_KEY_ARN, resourcePolicy: keyPolicy, expected: 'Denied' },
  { role: 'presigner', action: 'secretsmanager:GetSecretValue', on: 'the signing secret', resource: (d) => d.arns.signingSecret, expected: 'Denied' },
  { role: 'presigner', action: 'sts:AssumeRole', on: 'the callbacker role, were it to trust the account', resource: (d) => roleOf(d, 'callbacker').arn, resourcePolicy: () => trustsAccount(ACCOUNT_ID), expected: 'Denied' },

  // --- Query API role: submit, status, cancel and result links on this deployment (issue 11) ---------------------
  { role: 'queryApi', action: 'states:StartExecution', on: 'the query state machine (submit)', resource: (d) => d.arns.stateMachine, expected: 'Allowed' },
  { role: 'queryApi', action: 'states:DescribeExecution', on: 'an execution of the query state machine (status, idempotent submit)', resource: (d) => executionOf(d.arns.stateMachine), expected: 'Allowed' },
  { role: 'queryApi', action: 'states:GetExecutionHistory', on: 'an execution of the query state machine (status, cancel)', resource: (d) => executionOf(d.arns.stateMachine), expected: 'Allowed' },
  { role: 'queryApi', action: 'states:StopExecution', on: 'an execution of the query state machine (cancel before start)', resource: (d) => executionOf(d.arns.stateMachine), expected: 'Allowed' },
  { role: 'queryApi', action: 'states:StartExecution', on: 'the cancellation state machine', resource: (d) => d.arns.cancellationStateMachine, expected: 'Allowed' },
  { role: 'queryApi', action: 'states:DescribeExecution', on: 'an execution of the cancellation state machine', resource: (d) => executionOf(d.arns.cancellationStateMachine), expected: 'Allowed' },
  { role: 'queryApi', action: 'states:GetExecutionHistory', on: 'an execution of the cancellation state machine', resource: (d) => executionOf(d.arns.cancellationStateMachine), expected: 'Allowed' },
  { role: 'queryApi', action: 'athena:GetQueryExecution', on: `workgroup/${WORK_GROUP} (status)`, resource: () => arn('athena', `workgroup/${WORK_GROUP}`), expected: 'Allowed' },
  { role: 'queryApi', action: 'athena:StopQueryExecution', on: `workgroup/${WORK_GROUP} (cancel)`, resource: () => arn('athena', `workgroup/${WORK_GROUP}`), expected: 'Allowed' },
  {
    role: 'queryApi',
    action: 'sts:AssumeRole',
    on: 'the presigner role (result links)',
    principal: (d) => `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${roleOf(d, 'queryApi').name}/${d.arns.queryApiFunction.split(':').pop()}`,
    resource: (d) => roleOf(d, 'presigner').arn,
    resourcePolicy: (d) => roleOf(d, 'presigner').trust,
    expected: 'Allowed',
  },
  { role: 'queryApi', action: 'logs:PutLogEvents', on: 'a stream of its own log group', resource: (d) => `${d.arns.queryApiLogGroup}:log-stream:2026/11/25/[$LATEST]0f1e2d3c`, expected: 'Allowed' },
  { role: 'queryApi', action: 'logs:CreateLogStream', on: 'a stream of its own log group', resource: (d) => `${d.arns.queryApiLogGroup}:log-stream:2026/11/25/[$LATEST]0f1e2d3c`, expected: 'Allowed' },
  { role: 'queryApi', action: 'xray:PutTraceSegments', on: '*', resource: () => '*', expected: 'Allowed' },
  { role: 'queryApi', action: 'states:StopExecution', on: 'an execution of the cancellation state machine', resource: (d) => executionOf(d.arns.cancellationStateMachine), expected: 'Denied' },
  { role: 'queryApi', action: 'states:StartExecution', on: 'another state machine', resource: () => arn('states', 'stateMachine:other-queries'), expected: 'Denied' },
  { role: 'queryApi', action: 'states:StopExecution', on: 'an execution of another state machine', resource: () => executionOf(arn('states', 'stateMachine:other-queries')), expected: 'Denied' },
  { role: 'queryApi', action: 'states:DescribeExecution', on: 'an execution of another state machine', resource: () => executionOf(arn('states', 'stateMachine:other-queries')), expected: 'Denied' },
  { role: 'queryApi', action: 'states:StartSyncExecution', on: 'the query state machine', resource: (d) => d.arns.stateMachine, expected: 'Denied' },
  { role: 'queryApi', action: 'states:ListExecutions', on: 'the query state machine', resource: (d) => d.arns.stateMachine, expected: 'Denied' },
  { role: 'queryApi', action: 'states:UpdateStateMachine', on: 'the query state machine', resource: (d) => d.arns.stateMachine, expected: 'Denied' },
  { role: 'queryApi', action: 'states:RedriveExecution', on: 'an execution of the query state machine', resource: (d) => executionOf(d.arns.stateMachine), expected: 'Denied' },
  { role: 'queryApi', action: 'athena:StartQueryExecution', on: `workgroup/${WORK_GROUP} (only the state machine starts queries)`, resource: () => arn('athena', `workgroup/${WORK_GROUP}`), expected: 'Denied' },
  { role: 'queryApi', action: 'athena:GetQueryResults', on: `workgroup/${WORK_GROUP}`, resource: () => arn('athena', `workgroup/${WORK_GROUP}`), expected: 'Denied' },
  { role: 'queryApi', action: 'athena:StopQueryExecution', on: 'workgroup/other', resource: () => arn('athena', 'workgroup/other'), expected: 'Denied' },
  { role: 'queryApi', action: 'athena:GetQueryExecution', on: 'workgroup/other', resource: () => arn('athena', 'workgroup/other'), expected: 'Denied' },
  { role: 'queryApi', action: 's3:GetObject', on: 'an object under the results prefix (it presigns through the presigner role)', resource: () => RESULT_OBJECT, expected: 'Denied' },
  { role: 'queryApi', action: 'sts:AssumeRole', on: 'another role that trusts the whole account', resource: () => `arn:aws:iam::${ACCOUNT_ID}:role/admin`, resourcePolicy: () => trustsAccount(ACCOUNT_ID), expected: 'Denied' },
  { role: 'queryApi', action: 'iam:PassRole', on: 'the state machine role', resource: (d) => roleOf(d, 'stateMachine').arn, expected: 'Denied' },
  { role: 'queryApi', action: 'lambda:InvokeFunction', on: 'the callbacker', resource: (d) => d.arns.callbackerFunction, expected: 'Denied' },
  { role: 'queryApi', action: 'sqs:SendMessage', on: 'the dead-letter queue', resource: (d) => d.arns.deadLetterQueue, expected: 'Denied' },
  { role: 'queryApi', action: 'secretsmanager:GetSecretValue', on: 'the signing secret', resource: (d) => d.arns.signingSecret, expected: 'Denied' },
  { role: 'queryApi', action: 'logs:PutLogEvents', on: "the callbacker's log group", resource: (d) => `${d.arns.callbackerLogGroup}:log-stream:x`, expected: 'Denied' },

  // --- Cancellation state machine role: deliver and record dead letters, nothing else -----------------------------
  { role: 'cancellationStateMachine', action: 'lambda:InvokeFunction', on: 'the callbacker', resource: (d) => d.arns.callbackerFunction, expected: 'Allowed' },
  { role: 'cancellationStateMachine', action: 'sqs:SendMessage', on: 'the dead-letter queue', resource: (d) => d.arns.deadLetterQueue, expected: 'Allowed' },
  { role: 'cancellationStateMachine', action: 'kms:GenerateDataKey', on: 'the dead-letter queue key through SQS', resource: () => DEAD_LETTER_KEY_ARN, resourcePolicy: keyPolicy, context: through('sqs'), expected: 'Allowed', when: withDeadLetterKey },
  { role: 'cancellationStateMachine', action: 'kms:GenerateDataKey', on: 'the dead-letter queue key called directly', resource: () => DEAD_LETTER_KEY_ARN, resourcePolicy: keyPolicy, expected: 'Denied', when: withDeadLetterKey },
  { role: 'cancellationStateMachine', action: 'logs:CreateLogDelivery', on: '*', resource: () => '*', expected: 'Allowed' },
  { role: 'cancellationStateMachine', action: 'athena:StartQueryExecution', on: `workgroup/${WORK_GROUP}`, resource: () => arn('athena', `workgroup/${WORK_GROUP}`), expected: 'Denied' },
  { role: 'cancellationStateMachine', action: 'athena:StopQueryExecution', on: `workgroup/${WORK_GROUP}`, resource: () => arn('athena', `workgroup/${WORK_GROUP}`), expected: 'Denied' },
  { role: 'cancellationStateMachine', action: 's3:GetObject', on: 'an object under the results prefix', resource: () => RESULT_OBJECT, expected: 'Denied' },
  { role: 'cancellationStateMachine', action: 'glue:GetTable', on: 'table sales/orders of this account', resource: () => glue('table/sales/orders'), expected: 'Denied' },
  { role: 'cancellationStateMachine', action: 'lambda:InvokeFunction', on: 'the query API function', resource: (d) => d.arns.queryApiFunction, expected: 'Denied' },
  { role: 'cancellationStateMachine', action: 'states:StartExecution', on: 'the query state machine', resource: (d) => d.arns.stateMachine, expected: 'Denied' },
  { role: 'cancellationStateMachine', action: 'sqs:ReceiveMessage', on: 'the dead-letter queue', resource: (d) => d.arns.deadLetterQueue, expected: 'Denied' },
  { role: 'cancellationStateMachine', action: 'secretsmanager:GetSecretValue', on: 'the signing secret', resource: (d) => d.arns.signingSecret, expected: 'Denied' },

  // --- What the removed API Gateway role used to hold, now held by no role but the query API's ------------------
  { role: 'stateMachine', action: 'states:StopExecution', on: 'an execution of its own state machine', resource: (d) => executionOf(d.arns.stateMachine), expected: 'Denied' },
  { role: 'callbacker', action: 'states:StopExecution', on: 'an execution of the query state machine', resource: (d) => executionOf(d.arns.stateMachine), expected: 'Denied' },
  { role: 'callbacker', action: 'athena:StopQueryExecution', on: `workgroup/${WORK_GROUP}`, resource: () => arn('athena', `workgroup/${WORK_GROUP}`), expected: 'Denied' },
];

describe.each(DEPLOYMENT_SPECS)('IAM policies of the $label', (spec) => {
  const rows = PERMISSIONS.filter((row) => row.when === undefined || row.when(spec));

  it.each(rows)('$role role: $action on $on is $expected', async (row) => {
    const d = deployment(spec);
    const role = roleOf(d, row.role);
    const decision = await decide({
      principal: row.principal ? row.principal(d) : role.arn,
      action: row.action,
      resource: row.resource(d),
      resourceAccount: row.account ?? ACCOUNT_ID,
      identityPolicies: role.inline,
      resourcePolicy: row.resourcePolicy?.(d),
      context: row.context,
    });
    expect(decision).toBe(row.expected);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The dead-letter queue's resource policy: only the state machine role may send (issue 12 §3)
// ---------------------------------------------------------------------------------------------------------------

/**
 * `aws:PrincipalArn` as IAM puts it in the request context: a role session's is the role's ARN, any other
 * principal's is its own ARN. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
 */
function principalArnOf(principal: string): string {
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(principal);
  return session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : principal;
}

/** One request against the dead-letter queue, by a principal whose own policies allow it. */
interface QueueRow {
  readonly by: string;
  readonly principal: (d: RenderedDeployment) => string;
  readonly action: string;
  readonly identity: (d: RenderedDeployment) => readonly PolicyDocument[];
  readonly expected: Decision;
  readonly account?: string;
}

const anyone = () => [allowsEverywhere('sqs:*')];
const QUEUE_ROWS: readonly QueueRow[] = [
  { by: "the state machine role's session", principal: (d) => `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${roleOf(d, 'stateMachine').name}/exec`, action: 'sqs:SendMessage', identity: (d) => roleOf(d, 'stateMachine').inline, expected: 'Allowed' },
  {
    by: "the cancellation state machine role's session",
    principal: (d) => `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${roleOf(d, 'cancellationStateMachine').name}/exec`,
    action: 'sqs:SendMessage',
    identity: (d) => roleOf(d, 'cancellationStateMachine').inline,
    expected: 'Allowed',
  },
  { by: 'the query API role, even if allowed sqs:* everywhere', principal: (d) => `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${roleOf(d, 'queryApi').name}/fn`, action: 'sqs:SendMessage', identity: anyone, expected: 'Denied' },
  { by: 'the callbacker role, even if allowed sqs:* everywhere', principal: (d) => `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${roleOf(d, 'callbacker').name}/fn`, action: 'sqs:SendMessage', identity: anyone, expected: 'Denied' },
  { by: 'an administrator role of the account', principal: () => `arn:aws:sts::${ACCOUNT_ID}:assumed-role/admin/alice`, action: 'sqs:SendMessage', identity: anyone, expected: 'Denied' },
  { by: 'an IAM user of the account', principal: () => `arn:aws:iam::${ACCOUNT_ID}:user/mallory`, action: 'sqs:SendMessage', identity: anyone, expected: 'Denied' },
  { by: 'a same-named state machine role of another account', principal: (d) => `arn:aws:sts::${OTHER_ACCOUNT_ID}:assumed-role/${roleOf(d, 'stateMachine').name}/exec`, action: 'sqs:SendMessage', identity: anyone, expected: 'Denied' },
  { by: 'an operator running redrive (receive)', principal: () => `arn:aws:sts::${ACCOUNT_ID}:assumed-role/operator/bob`, action: 'sqs:ReceiveMessage', identity: anyone, expected: 'Allowed' },
  { by: 'an operator running redrive (delete)', principal: () => `arn:aws:sts::${ACCOUNT_ID}:assumed-role/operator/bob`, action: 'sqs:DeleteMessage', identity: anyone, expected: 'Allowed' },
];

describe.each(DEPLOYMENT_SPECS)('the dead-letter queue policy of the $label', (spec) => {
  it('denies sqs:SendMessage to every principal but the state machine role, and grants nothing', () => {
    // GIVEN
    const d = deployment(spec);
    // WHEN
    const statements = d.deadLetterQueuePolicy.Statement;
    // THEN
    expect(statements).toEqual([
      {
        Sid: 'OnlyTheStateMachinesRecordDeadLetters',
        Effect: 'Deny',
        Principal: '*',
        Action: ['sqs:SendMessage'],
        Resource: [d.arns.deadLetterQueue],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [roleOf(d, 'stateMachine').arn, roleOf(d, 'cancellationStateMachine').arn] } },
      },
    ]);
  });

  it.each(QUEUE_ROWS)('$action by $by is $expected', async (row) => {
    // GIVEN
    const d = deployment(spec);
    const principal = row.principal(d);
    // WHEN
    const decision = await decide({
      principal,
      action: row.action,
      resource: d.arns.deadLetterQueue,
      resourceAccount: ACCOUNT_ID,
      identityPolicies: row.identity(d),
      resourcePolicy: d.deadLetterQueuePolicy,
      context: { 'aws:PrincipalArn': principalArnOf(principal) },
    });
    // THEN
    expect(decision).toBe(row.expected);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Who may invoke the query API function: API Gateway, from this API's routes (its Lambda permissions, issue 11)
// ---------------------------------------------------------------------------------------------------------------

interface InvokeRow {
  readonly by: string;
  readonly principal: string;
  /** The method ARN API Gateway invokes from: `<execution ARN>/<stage>/<METHOD>/<path>`. */
  readonly sourceArn: (d: RenderedDeployment) => string;
  /** @default this account */
  readonly sourceAccount?: string;
  readonly expected: Decision;
}

const route = (d: RenderedDeployment, method: string) => `${d.arns.restApiExecution}/live/${method}`;
const otherApi = (d: RenderedDeployment, method: string) => `${d.arns.restApiExecution.replace(/[^:]+$/, 'zz9otherapi')}/live/${method}`;

const INVOKE_ROWS: readonly InvokeRow[] = [
  { by: 'API Gateway for POST /queries', principal: 'apigateway.amazonaws.com', sourceArn: (d) => route(d, 'POST/queries'), expected: 'Allowed' },
  { by: 'API Gateway for POST /invocation', principal: 'apigateway.amazonaws.com', sourceArn: (d) => route(d, 'POST/invocation'), expected: 'Allowed' },
  { by: 'API Gateway for GET /queries/{id}', principal: 'apigateway.amazonaws.com', sourceArn: (d) => route(d, 'GET/queries/order-7'), expected: 'Allowed' },
  { by: 'API Gateway for DELETE /queries/{id}', principal: 'apigateway.amazonaws.com', sourceArn: (d) => route(d, 'DELETE/queries/order-7'), expected: 'Allowed' },
  { by: 'API Gateway for GET /queries/{id}/result', principal: 'apigateway.amazonaws.com', sourceArn: (d) => route(d, 'GET/queries/order-7/result'), expected: 'Allowed' },
  { by: 'API Gateway for a method the API does not have (PUT /queries)', principal: 'apigateway.amazonaws.com', sourceArn: (d) => route(d, 'PUT/queries'), expected: 'Denied' },
  { by: 'API Gateway for DELETE /invocation', principal: 'apigateway.amazonaws.com', sourceArn: (d) => route(d, 'DELETE/invocation'), expected: 'Denied' },
  { by: 'API Gateway for POST /queries of another API of the account', principal: 'apigateway.amazonaws.com', sourceArn: (d) => otherApi(d, 'POST/queries'), expected: 'Denied' },
  {
    by: 'API Gateway for POST /queries of an API with the same id in another account',
    principal: 'apigateway.amazonaws.com',
    sourceArn: (d) => route(d, 'POST/queries').replace(`:${ACCOUNT_ID}:`, ':210987654321:'),
    sourceAccount: '210987654321',
    expected: 'Denied',
  },
  { by: 'Step Functions, citing a route of the API', principal: 'states.amazonaws.com', sourceArn: (d) => route(d, 'POST/queries'), expected: 'Denied' },
];

describe.each(DEPLOYMENT_SPECS)('the query API function policy of the $label', (spec) => {
  it.each(INVOKE_ROWS)('lambda:InvokeFunction by $by is $expected', async (row) => {
    // GIVEN
    const d = deployment(spec);
    // WHEN
    const decision = await decide({
      principal: row.principal,
      action: 'lambda:InvokeFunction',
      resource: d.arns.queryApiFunction,
      resourceAccount: ACCOUNT_ID,
      identityPolicies: [],
      resourcePolicy: d.queryApiFunctionPolicy,
      context: { 'aws:SourceArn': row.sourceArn(d), 'aws:SourceAccount': row.sourceAccount ?? ACCOUNT_ID },
    });
    // THEN
    expect(decision).toBe(row.expected);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// What npm run redrive may do with the policy grantRedrive attaches (issue 12 §3)
// ---------------------------------------------------------------------------------------------------------------

/** The redrive policy for a rendered deployment. */
function redriveOf(spec: DeploymentSpec, d: RenderedDeployment): PolicyDocument {
  return redrivePolicy({
    arns: { partition: 'aws', region: REGION, accountId: ACCOUNT_ID },
    stateMachineArn: d.arns.stateMachine,
    stateMachineName: d.arns.stateMachine.split(':').pop() ?? '',
    cancellationStateMachine: { arn: d.arns.cancellationStateMachine, name: d.arns.cancellationStateMachine.split(':').pop() ?? '' },
    workGroup: WORK_GROUP,
    deadLetterQueueArn: d.arns.deadLetterQueue,
    callbackerFunctionArn: d.arns.callbackerFunction,
    deadLetterQueueKmsKeyArn: spec.props?.deadLetterQueueKmsKeyArn,
  }) as PolicyDocument;
}

interface RedriveRow {
  readonly action: string;
  readonly on: string;
  readonly resource: (d: RenderedDeployment) => string;
  readonly expected: Decision;
  readonly resourcePolicy?: (d: RenderedDeployment) => PolicyDocument;
  readonly when?: (s: DeploymentSpec) => boolean;
  readonly context?: Readonly<Record<string, string>>;
}

const REDRIVE_ROWS: readonly RedriveRow[] = [
  { action: 'states:ListExecutions', on: 'this state machine', resource: (d) => d.arns.stateMachine, expected: 'Allowed' },
  { action: 'states:DescribeExecution', on: 'an execution of this state machine', resource: (d) => executionOf(d.arns.stateMachine), expected: 'Allowed' },
  { action: 'states:GetExecutionHistory', on: 'an execution of this state machine', resource: (d) => executionOf(d.arns.stateMachine), expected: 'Allowed' },
  { action: 'states:ListExecutions', on: 'the cancellation state machine', resource: (d) => d.arns.cancellationStateMachine, expected: 'Allowed' },
  { action: 'states:DescribeExecution', on: 'an execution of the cancellation state machine', resource: (d) => executionOf(d.arns.cancellationStateMachine), expected: 'Allowed' },
  { action: 'states:GetExecutionHistory', on: 'an execution of the cancellation state machine', resource: (d) => executionOf(d.arns.cancellationStateMachine), expected: 'Allowed' },
  { action: 'states:StartExecution', on: 'the cancellation state machine', resource: (d) => d.arns.cancellationStateMachine, expected: 'Denied' },
  { action: 'athena:GetQueryExecution', on: `workgroup/${WORK_GROUP}`, resource: () => arn('athena', `workgroup/${WORK_GROUP}`), expected: 'Allowed' },
  { action: 'sqs:ReceiveMessage', on: 'the dead-letter queue', resource: (d) => d.arns.deadLetterQueue, expected: 'Allowed' },
  { action: 'sqs:DeleteMessage', on: 'the dead-letter queue', resource: (d) => d.arns.deadLetterQueue, expected: 'Allowed' },
  { action: 'lambda:InvokeFunction', on: 'the callbacker', resource: (d) => d.arns.callbackerFunction, expected: 'Allowed' },
  { action: 'kms:Decrypt', on: 'the dead-letter queue key through SQS', resource: () => DEAD_LETTER_KEY_ARN, resourcePolicy: keyPolicy, context: through('sqs'), expected: 'Allowed', when: withDeadLetterKey },
  { action: 'kms:Decrypt', on: 'the dead-letter queue key called directly', resource: () => DEAD_LETTER_KEY_ARN, resourcePolicy: keyPolicy, expected: 'Denied', when: withDeadLetterKey },
  { action: 'states:ListExecutions', on: 'another state machine', resource: () => arn('states', 'stateMachine:other-queries'), expected: 'Denied' },
  { action: 'states:DescribeExecution', on: 'an execution of another state machine', resource: () => executionOf(arn('states', 'stateMachine:other-queries')), expected: 'Denied' },
  { action: 'states:StartExecution', on: 'this state machine', resource: (d) => d.arns.stateMachine, expected: 'Denied' },
  { action: 'athena:GetQueryExecution', on: 'workgroup/other', resource: () => arn('athena', 'workgroup/other'), expected: 'Denied' },
  { action: 'athena:GetQueryResults', on: `workgroup/${WORK_GROUP}`, resource: () => arn('athena', `workgroup/${WORK_GROUP}`), expected: 'Denied' },
  { action: 's3:GetObject', on: 'a result object', resource: () => RESULT_OBJECT, expected: 'Denied' },
  { action: 'sqs:SendMessage', on: 'the dead-letter queue', resource: (d) => d.arns.deadLetterQueue, expected: 'Denied' },
  { action: 'sqs:ReceiveMessage', on: 'another queue', resource: () => arn('sqs', 'other-queue'), expected: 'Denied' },
  { action: 'lambda:InvokeFunction', on: 'another function', resource: () => arn('lambda', 'function:other-function'), expected: 'Denied' },
  { action: 'secretsmanager:GetSecretValue', on: 'the signing secret', resource: (d) => d.arns.signingSecret, expected: 'Denied' },
];

describe.each(DEPLOYMENT_SPECS)('the redrive policy of the $label', (spec) => {
  const rows = REDRIVE_ROWS.filter((row) => row.when === undefined || row.when(spec));

  it.each(rows)('$action on $on is $expected', async (row) => {
    // GIVEN
    const d = deployment(spec);
    // WHEN
    const decision = await decide({
      principal: `arn:aws:iam::${ACCOUNT_ID}:role/operator`,
      action: row.action,
      resource: row.resource(d),
      resourceAccount: ACCOUNT_ID,
      identityPolicies: [redriveOf(spec, d)],
      resourcePolicy: row.resourcePolicy?.(d),
      context: row.context,
    });
    // THEN
    expect(decision).toBe(row.expected);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Trust policies
// ---------------------------------------------------------------------------------------------------------------

/** The principals each role trusts: one service, or (the presigner) the two functions' roles. */
const TRUSTED_PRINCIPAL: Readonly<Record<RoleKey, (d: RenderedDeployment) => Record<string, string | string[]>>> = {
  stateMachine: () => ({ Service: 'states.amazonaws.com' }),
  cancellationStateMachine: () => ({ Service: 'states.amazonaws.com' }),
  callbacker: () => ({ Service: 'lambda.amazonaws.com' }),
  presigner: (d) => ({ AWS: [roleOf(d, 'callbacker').arn, roleOf(d, 'queryApi').arn] }),
  queryApi: () => ({ Service: 'lambda.amazonaws.com' }),
  apiGatewayAccount: () => ({ Service: 'apigateway.amazonaws.com' }),
};

/**
 * Confused-deputy conditions each trust policy carries. Only services that set `aws:SourceAccount`/`aws:SourceArn` when
 * assuming a role can be held to them; for the others, `iam:PassRole` (which cannot cross accounts) is the guard.
 */
const CONFUSED_DEPUTY: Readonly<Record<RoleKey, { readonly condition: (d: RenderedDeployment) => unknown; readonly doc: string }>> = {
  stateMachine: {
    condition: (d) => ({ StringEquals: { 'aws:SourceAccount': ACCOUNT_ID }, ArnLike: { 'aws:SourceArn': d.arns.stateMachine } }),
    doc: 'https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html',
  },
  cancellationStateMachine: {
    condition: (d) => ({ StringEquals: { 'aws:SourceAccount': ACCOUNT_ID }, ArnLike: { 'aws:SourceArn': d.arns.cancellationStateMachine } }),
    doc: 'https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html',
  },
  callbacker: { condition: () => undefined, doc: 'https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html' },
  presigner: { condition: () => undefined, doc: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining' },
  queryApi: { condition: () => undefined, doc: 'https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html' },
  apiGatewayAccount: { condition: () => undefined, doc: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html' },
};

/** The roles a deployment creates: the account-level logging role only when asked for. */
function expectedRoles(spec: DeploymentSpec): RoleKey[] {
  const keys: RoleKey[] = ['stateMachine', 'cancellationStateMachine', 'callbacker', 'presigner', 'queryApi'];
  return spec.props?.manageApiGatewayAccountRole ? [...keys, 'apiGatewayAccount'] : keys;
}

describe.each(DEPLOYMENT_SPECS)('trust policies of the $label', (spec) => {
  it('creates exactly the roles the tests know about', () => {
    // GIVEN
    const d = deployment(spec);
    // WHEN
    const keys = Object.keys(d.roles);
    // THEN
    expect(keys.sort()).toEqual(expectedRoles(spec).sort());
  });

  it.each(expectedRoles(spec))('the %s role trusts exactly its principals, in one statement', (key) => {
    const d = deployment(spec);
    const { trust } = roleOf(d, key);
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0]).toMatchObject({ Effect: 'Allow', Principal: TRUSTED_PRINCIPAL[key](d) });
    expect(asList(trust.Statement[0].Action)).toEqual(['sts:AssumeRole']);
    expect(trust.Statement[0].NotPrincipal).toBeUndefined();
  });

  it.each(expectedRoles(spec))('the %s role trust carries the confused-deputy conditions its service supports', (key) => {
    const d = deployment(spec);
    expect(roleOf(d, key).trust.Statement[0].Condition).toEqual(CONFUSED_DEPUTY[key].condition(d));
  });
});

it.each(Object.entries(CONFUSED_DEPUTY))('the confused-deputy stance of the %s role cites AWS documentation', (_key, stance) => {
  expect(stance.doc).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
});

/** One assumption attempt against a role's trust policy. */
interface TrustRow {
  readonly role: RoleKey;
  readonly by: string;
  readonly principal: (d: RenderedDeployment) => string;
  readonly context?: (d: RenderedDeployment) => Record<string, string>;
  /** The caller's identity policies (service principals have none). */
  readonly identity?: (d: RenderedDeployment) => readonly PolicyDocument[];
  readonly expected: Decision;
  readonly when?: (s: DeploymentSpec) => boolean;
}

const sourceOf = (account: string, stateMachineArn: string) => ({ 'aws:SourceAccount': account, 'aws:SourceArn': stateMachineArn });
const callbackerSession = (d: RenderedDeployment) => `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${roleOf(d, 'callbacker').name}/session`;
const queryApiSession = (d: RenderedDeployment) => `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${roleOf(d, 'queryApi').name}/session`;

const TRUST: readonly TrustRow[] = [
  { role: 'stateMachine', by: 'Step Functions for this state machine', principal: () => 'states.amazonaws.com', context: (d) => sourceOf(ACCOUNT_ID, d.arns.stateMachine), expected: 'Allowed' },
  { role: 'stateMachine', by: 'Step Functions for another state machine of this account', principal: () => 'states.amazonaws.com', context: () => sourceOf(ACCOUNT_ID, arn('states', 'stateMachine:other-queries')), expected: 'Denied' },
  { role: 'stateMachine', by: 'Step Functions for a same-named state machine of another account', principal: () => 'states.amazonaws.com', context: (d) => sourceOf(OTHER_ACCOUNT_ID, d.arns.stateMachine.replace(ACCOUNT_ID, OTHER_ACCOUNT_ID)), expected: 'Denied' },
  { role: 'stateMachine', by: 'Step Functions without a source', principal: () => 'states.amazonaws.com', expected: 'Denied' },
  { role: 'stateMachine', by: 'Lambda', principal: () => 'lambda.amazonaws.com', context: (d) => sourceOf(ACCOUNT_ID, d.arns.stateMachine), expected: 'Denied' },
  { role: 'stateMachine', by: 'another role of the account allowed to assume any role', principal: () => `arn:aws:iam::${ACCOUNT_ID}:role/admin`, identity: () => [allowsEverywhere('sts:AssumeRole')], expected: 'Denied' },
  { role: 'callbacker', by: 'Lambda', principal: () => 'lambda.amazonaws.com', expected: 'Allowed' },
  { role: 'callbacker', by: 'Step Functions', principal: () => 'states.amazonaws.com', expected: 'Denied' },
  { role: 'callbacker', by: 'another role of the account allowed to assume any role', principal: () => `arn:aws:iam::${ACCOUNT_ID}:role/admin`, identity: () => [allowsEverywhere('sts:AssumeRole')], expected: 'Denied' },
  { role: 'presigner', by: "the callbacker's session", principal: callbackerSession, identity: (d) => roleOf(d, 'callbacker').inline, expected: 'Allowed' },
  { role: 'presigner', by: 'another role of the account allowed to assume any role', principal: () => `arn:aws:sts::${ACCOUNT_ID}:assumed-role/admin/session`, identity: () => [allowsEverywhere('sts:AssumeRole')], expected: 'Denied' },
  { role: 'presigner', by: 'Lambda', principal: () => 'lambda.amazonaws.com', expected: 'Denied' },
  { role: 'presigner', by: 'a same-named callbacker role of another account', principal: (d) => roleOf(d, 'callbacker').arn.replace(ACCOUNT_ID, OTHER_ACCOUNT_ID), identity: () => [allowsEverywhere('sts:AssumeRole')], expected: 'Denied' },
  { role: 'presigner', by: "the query API function's session (result links)", principal: queryApiSession, identity: (d) => roleOf(d, 'queryApi').inline, expected: 'Allowed' },
  { role: 'presigner', by: "the state machine role's session", principal: (d) => `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${roleOf(d, 'stateMachine').name}/exec`, identity: () => [allowsEverywhere('sts:AssumeRole')], expected: 'Denied' },
  { role: 'queryApi', by: 'Lambda', principal: () => 'lambda.amazonaws.com', expected: 'Allowed' },
  { role: 'queryApi', by: 'API Gateway', principal: () => 'apigateway.amazonaws.com', expected: 'Denied' },
  { role: 'queryApi', by: 'another role of the account allowed to assume any role', principal: () => `arn:aws:iam::${ACCOUNT_ID}:role/admin`, identity: () => [allowsEverywhere('sts:AssumeRole')], expected: 'Denied' },
  { role: 'cancellationStateMachine', by: 'Step Functions for the cancellation state machine', principal: () => 'states.amazonaws.com', context: (d) => sourceOf(ACCOUNT_ID, d.arns.cancellationStateMachine), expected: 'Allowed' },
  { role: 'cancellationStateMachine', by: 'Step Functions for the query state machine', principal: () => 'states.amazonaws.com', context: (d) => sourceOf(ACCOUNT_ID, d.arns.stateMachine), expected: 'Denied' },
  { role: 'cancellationStateMachine', by: 'Step Functions without a source', principal: () => 'states.amazonaws.com', expected: 'Denied' },
  { role: 'apiGatewayAccount', by: 'API Gateway', principal: () => 'apigateway.amazonaws.com', expected: 'Allowed', when: (s) => s.props?.manageApiGatewayAccountRole === true },
  { role: 'apiGatewayAccount', by: 'Lambda', principal: () => 'lambda.amazonaws.com', expected: 'Denied', when: (s) => s.props?.manageApiGatewayAccountRole === true },
];

describe.each(DEPLOYMENT_SPECS)('role assumption in the $label', (spec) => {
  const rows = TRUST.filter((row) => row.when === undefined || row.when(spec));

  it.each(rows)('$by assuming the $role role is $expected', async (row) => {
    const d = deployment(spec);
    const role = roleOf(d, row.role);
    const principal = row.principal(d);
    const decision = await decide({
      principal,
      action: 'sts:AssumeRole',
      resource: role.arn,
      resourceAccount: ACCOUNT_ID,
      identityPolicies: row.identity?.(d) ?? [],
      resourcePolicy: role.trust,
      context: row.context?.(d),
    });
    expect(decision).toBe(row.expected);
  });
});

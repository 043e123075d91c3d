/**
 * IAM policy documents, one builder per role, as plain objects. ARNs may be Terraform tokens; optional inputs that
 * are tokens (a module variable) become deferred nodes (./deferred.ts) that Terraform decides, and the construct
 * renders the result (constructs/terraform-json.ts). Every `*` carries the reason and the AWS page that requires it.
 */
import { type Deferred, type IsUnresolved, type JsonTree, mapRecords, mapStrings, ONLY_LITERALS, unlessTrue, whenNotEmpty, whenSet } from './deferred';

/** An IAM condition block. */
export type IamConditions = Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;

/** One statement. `Resource` may hold deferred nodes (lists Terraform builds from a variable). */
export interface IamStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource?: readonly JsonTree[];
  /** A resource policy's principal: `*` (everyone, signed or not) or principals by kind. */
  readonly Principal?: '*' | Readonly<Record<string, string | readonly string[]>>;
  readonly Condition?: IamConditions;
}

/**
 * A policy document. A statement list may hold deferred nodes: statements Terraform keeps or drops with a variable's
 * value (a KMS key given or not).
 */
export interface IamPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly (IamStatement | Deferred)[];
}

/**
 * Resources that must be `*`, each with the reason and the AWS page that says so. The no-unexplained-wildcard test
 * reads this table: a `*` anywhere else fails it.
 */
export const REQUIRED_WILDCARDS = {
  logDelivery: {
    actions: [
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ],
    why: 'CloudWatch Logs vended log delivery for Step Functions does not support resource-level permissions.',
    doc: 'https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy',
  },
  stateMachineTracing: {
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
    why: 'X-Ray write actions do not support resource-level permissions.',
    doc: 'https://docs.aws.amazon.com/step-functions/latest/dg/xray-iam.html',
  },
  lambdaTracing: {
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    why: 'X-Ray write actions do not support resource-level permissions (as in AWSXRayDaemonWriteAccess).',
    doc: 'https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html#services-xray-permissions',
  },
  lakeFormationDataAccess: {
    actions: ['lakeformation:GetDataAccess'],
    why: 'Lake Formation vends table credentials through GetDataAccess, which has no resource-level permissions; it grants nothing by itself without Lake Formation grants.',
    doc: 'https://docs.aws.amazon.com/lake-formation/latest/dg/access-control-underlying-data.html#data-location-permissions',
  },
} as const;

const WILDCARD = ['*'] as const;

/** ARNs of one deployment's resources, as needed by the policies. */
export interface DeploymentArns {
  /** AWS partition. */
  readonly partition: string;
  /** Region of the deployment. */
  readonly region: string;
  /** Account id of the deployment. */
  readonly accountId: string;
  /**
   * DNS suffix of the partition (`amazonaws.com`, `amazonaws.com.cn`), for `kms:ViaService` values.
   *
   * @default 'amazonaws.com'
   */
  readonly dnsSuffix?: string;
}

/** Where a KMS key may be used from: the AWS service that calls KMS on the role's behalf, in one region. */
export interface KmsVia {
  readonly region: string;
  /** @default 'amazonaws.com' */
  readonly dnsSuffix?: string;
}

/**
 * `kms:ViaService`: the key may only be used through this service in this region (S3 encrypting results, SQS the
 * dead-letter messages, Secrets Manager the signing secret), not by calling KMS directly with the role's credentials.
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 */
export function viaService(service: 's3' | 'sqs' | 'secretsmanager', via: KmsVia): IamConditions {
  return { StringEquals: { 'kms:ViaService': `${service}.${via.region}.${via.dnsSuffix ?? 'amazonaws.com'}` } };
}

/** The ARN of an Athena workgroup. https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonathena.html#amazonathena-resources-for-iam-policies */
export function workGroupArn(arns: DeploymentArns, workGroup: string): string {
  return `arn:${arns.partition}:athena:${arns.region}:${arns.accountId}:workgroup/${workGroup}`;
}

/** The ARN of the account's default Glue-backed Athena data catalog. */
export function dataCatalogArn(arns: DeploymentArns, catalog = 'AwsDataCatalog'): string {
  return `arn:${arns.partition}:athena:${arns.region}:${arns.accountId}:datacatalog/${catalog}`;
}

/** The ARN of an S3 bucket. */
export function bucketArn(partition: string, bucket: string): string {
  return `arn:${partition}:s3:::${bucket}`;
}

/** The ARN pattern of every object under a prefix (`''` for the whole bucket). */
export function objectsArn(partition: string, bucket: string, prefix: string): string {
  return `arn:${partition}:s3:::${bucket}/${prefix}*`;
}

/** The output location of query results, as bucket and prefix (both may be Terraform expressions). */
export interface ResultsLocation {
  readonly bucket: string;
  readonly prefix: string;
}

/** Options for {@link stateMachinePolicy}. */
export interface StateMachinePolicyOptions {
  readonly arns: DeploymentArns;
  readonly workGroup: string;
  readonly results: ResultsLocation;
  /** Glue databases queries may read; `*` means every database of this account's catalog. May be a token list. */
  readonly glueDatabases: readonly string[];
  /** S3 locations of the data queries read. May be a token list of `{bucket, prefix}` objects. */
  readonly sourceData: readonly ResultsLocation[];
  readonly callbackerFunctionArn: string;
  readonly deadLetterQueueArn: string;
  /** KMS key of the results, when SSE-KMS. May be a token whose value is null. */
  readonly resultsKmsKeyArn?: string;
  /** KMS key of the dead-letter queue, when a customer-managed key encrypts it. May be a token whose value is null. */
  readonly deadLetterQueueKmsKeyArn?: string;
  /** @default - every value is a literal */
  readonly isUnresolved?: IsUnresolved;
}

/**
 * The state machine's permissions: exactly what Athena `.sync` needs, scoped to this workgroup, the results prefix and
 * this account's Glue catalog, plus invoking this callbacker and sending to this dead-letter queue.
 * https://docs.aws.amazon.com/step-functions/latest/dg/athena-iam.html
 */
export function stateMachinePolicy(options: StateMachinePolicyOptions): IamPolicyDocument {
  const { arns, results } = options;
  const isUnresolved = options.isUnresolved ?? ONLY_LITERALS;
  const glue = (kind: string) => `arn:${arns.partition}:glue:${arns.region}:${arns.accountId}:${kind}`;
  const statements: (IamStatement | JsonTree)[] = [
    {
      Sid: 'RunQueriesInWorkGroup',
      Effect: 'Allow',
      // StopQueryExecution lets Step Functions cancel the query when the task times out or the execution is stopped.
      Action: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'],
      Resource: [workGroupArn(arns, options.workGroup)],
    },
    {
      Sid: 'ReadDataCatalog',
      Effect: 'Allow',
      Action: ['athena:GetDataCatalog'],
      Resource: [dataCatalogArn(arns)],
    },
    {
      Sid: 'FindResultsBucket',
      Effect: 'Allow',
      Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
      Resource: [bucketArn(arns.partition, results.bucket)],
    },
    {
      Sid: 'WriteResults',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: [objectsArn(arns.partition, results.bucket, results.prefix)],
    },
    {
      Sid: 'ReadGlueCatalog',
      Effect: 'Allow',
      // Read-only: SELECT queries. https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html
      Action: [
        'glue:GetDatabase',
        'glue:GetDatabases',
        'glue:GetTable',
        'glue:GetTables',
        'glue:GetPartition',
        'glue:GetPartitions',
        'glue:BatchGetPartition',
      ],
      Resource: [
        glue('catalog'),
        // A database name of `*` (the default when no database is set) means every database of this account's
        // catalog in this region; resource names, not accounts, are wildcarded.
        // https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html
        ...mapStrings(options.glueDatabases, isUnresolved, (db) => glue(`database/${db}`)),
        ...mapStrings(options.glueDatabases, isUnresolved, (db) => glue(`table/${db}/*`)),
      ],
    },
    {
      Sid: 'LakeFormationDataAccess',
      Effect: 'Allow',
      Action: REQUIRED_WILDCARDS.lakeFormationDataAccess.actions,
      // REQUIRED_WILDCARDS.lakeFormationDataAccess
      Resource: WILDCARD,
    },
  ];
  const locationKeys = ['bucket', 'prefix'] as const;
  statements.push(
    ...whenNotEmpty(options.sourceData, isUnresolved, () => [
      {
        Sid: 'FindSourceDataBuckets',
        Effect: 'Allow',
        Action: ['s3:GetBucketLocation', 's3:ListBucket'],
        Resource: mapRecords(options.sourceData, locationKeys, isUnresolved, (l) => bucketArn(arns.partition, l.bucket), { distinct: true }),
      },
      {
        Sid: 'ReadSourceData',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: mapRecords(options.sourceData, locationKeys, isUnresolved, (l) => objectsArn(arns.partition, l.bucket, l.prefix)),
      },
    ]),
    ...whenSet(options.resultsKmsKeyArn, isUnresolved, (key) => ({
      Sid: 'EncryptResults',
      Effect: 'Allow',
      // https://docs.aws.amazon.com/athena/latest/ug/encryption.html#permissions-for-encrypting-and-decrypting-data
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: [key],
      // SSE-KMS: S3 calls KMS when Athena writes the result object.
      Condition: viaService('s3', arns),
    })),
  );
  statements.push(...deliveryStatements({ ...options, isUnresolved }));
  return { Version: '2012-10-17', Statement: statements as IamPolicyDocument['Statement'] };
}

/** Options for {@link callbackerPolicy}. */
export interface CallbackerPolicyOptions {
  /** ARN of the callbacker's own log group. */
  readonly logGroupArn: string;
  /** ARN of the role the callbacker assumes to presign. */
  readonly presignerRoleArn: string;
  /** ARN of the webhook signing secret, when signing is on. */
  readonly signingSecretArn?: string;
  /**
   * Signing is off: no secret is read. Only needed when it is a token (a module variable); with a literal `true`,
   * leave `signingSecretArn` unset instead.
   *
   * @default false
   */
  readonly signingDisabled?: boolean;
  /** KMS key of a customer-managed signing secret key, when given. May be a token whose value is null. */
  readonly signingSecretKmsKeyArn?: string;
  /** Region (and DNS suffix) the signing secret's key is used through Secrets Manager in. */
  readonly kmsVia: KmsVia;
  /** @default - every value is a literal */
  readonly isUnresolved?: IsUnresolved;
}

/**
 * The callbacker's own permissions: its log group, traces, reading the signing secret, and assuming the presigner
 * role. It cannot read results itself; only the presigner role can, so the URL's lifetime is the presigner session's.
 */
export function callbackerPolicy(options: CallbackerPolicyOptions): IamPolicyDocument {
  const isUnresolved = options.isUnresolved ?? ONLY_LITERALS;
  const statements: (IamStatement | JsonTree)[] = [
    ...functionLogsAndTraces(options.logGroupArn),
    {
      Sid: 'AssumePresignerRole',
      Effect: 'Allow',
      Action: ['sts:AssumeRole'],
      Resource: [options.presignerRoleArn],
    },
  ];
  const signingSecretArn = options.signingSecretArn;
  if (signingSecretArn !== undefined) {
    statements.push(
      ...unlessTrue(options.signingDisabled, isUnresolved, () => [
        {
          Sid: 'ReadSigningSecret',
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue'],
          Resource: [signingSecretArn],
        },
      ]),
      // A conditional of its own, not a second element of the one above: Terraform cannot unify the branches of
      // `disabled ? [] : [read, decrypt]` when the two statements differ in shape (only one has a Condition), and
      // fails with "Inconsistent conditional result types" whenever the key is set.
      ...unlessTrue(options.signingDisabled, isUnresolved, () =>
        whenSet(options.signingSecretKmsKeyArn, isUnresolved, (key) => ({
          Sid: 'DecryptSigningSecret',
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: [key],
          Condition: viaService('secretsmanager', options.kmsVia),
        })),
      ),
    );
  }
  return { Version: '2012-10-17', Statement: statements as IamPolicyDocument['Statement'] };
}

/** Options for {@link presignerPolicy}. */
export interface PresignerPolicyOptions {
  readonly partition: string;
  readonly results: ResultsLocation;
  /** Region (and DNS suffix) the results key is used through S3 in. */
  readonly kmsVia: KmsVia;
  /** May be a token whose value is null. */
  readonly resultsKmsKeyArn?: string;
  /** @default - every value is a literal */
  readonly isUnresolved?: IsUnresolved;
}

/**
 * The presigner's permissions: `s3:GetObject` under the results prefix only (the seed sample granted every bucket).
 * A presigned URL carries its signer's permissions, so this is also all a leaked URL can reach.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html
 */
export function presignerPolicy(options: PresignerPolicyOptions): IamPolicyDocument {
  const statements: (IamStatement | JsonTree)[] = [
    {
      Sid: 'ReadResults',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [objectsArn(options.partition, options.results.bucket, options.results.prefix)],
    },
    ...whenSet(options.resultsKmsKeyArn, options.isUnresolved ?? ONLY_LITERALS, (key) => ({
      Sid: 'DecryptResults',
      Effect: 'Allow',
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#aws-managed-customer-managed-keys
      Action: ['kms:Decrypt'],
      Resource: [key],
      // A presigned URL's download: S3 decrypts the object with the signer's permissions.
      Condition: viaService('s3', options.kmsVia),
    })),
  ];
  return { Version: '2012-10-17', Statement: statements as IamPolicyDocument['Statement'] };
}

/** The ARN pattern of every execution of a state machine: `...:execution:<state machine name>:*`. */
export function executionsOf(arns: DeploymentArns, stateMachineName: string): string {
  // Execution names are chosen at run time (an idempotency key or the API's request id): the `*` stands for them,
  // under this state machine only. https://docs.aws.amazon.com/step-functions/latest/dg/concepts-state-machine-executions.html
  return `arn:${arns.partition}:states:${arns.region}:${arns.accountId}:execution:${stateMachineName}:*`;
}

/** Options for {@link queryApiPolicy}. */
export interface QueryApiPolicyOptions {
  readonly arns: DeploymentArns;
  /** The query state machine: its ARN and its name (its executions' ARNs are built from the name). */
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  /** The cancellation state machine. */
  readonly cancellationStateMachineArn: string;
  readonly cancellationStateMachineName: string;
  /** The workgroup the queries run in. */
  readonly workGroup: string;
  /** ARN of the role the function assumes to presign result links. */
  readonly presignerRoleArn: string;
  /** ARN of the function's own log group. */
  readonly logGroupArn: string;
}

/**
 * The query API function's permissions, on this deployment only: start executions of the query machine (submit), read
 * and stop them (status, cancel before start), start and read executions of the cancellation machine, read and stop
 * this workgroup's queries (status, cancel), assume the presigner role (result links), and its own logs and traces.
 * It cannot read results itself, start a query, or touch another state machine.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonathena.html
 */
export function queryApiPolicy(options: QueryApiPolicyOptions): IamPolicyDocument {
  const { arns } = options;
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'StartQueryExecutions', Effect: 'Allow', Action: ['states:StartExecution'], Resource: [options.stateMachineArn] },
      {
        Sid: 'ReadAndStopQueryExecutions',
        Effect: 'Allow',
        // StopExecution: a query cancelled before it started (its StartQueryExecution is still being retried).
        Action: ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution'],
        Resource: [executionsOf(arns, options.stateMachineName)],
      },
      { Sid: 'StartCancellations', Effect: 'Allow', Action: ['states:StartExecution'], Resource: [options.cancellationStateMachineArn] },
      {
        Sid: 'ReadCancellations',
        Effect: 'Allow',
        Action: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        Resource: [executionsOf(arns, options.cancellationStateMachineName)],
      },
      {
        Sid: 'ReadAndStopQueries',
        Effect: 'Allow',
        Action: ['athena:GetQueryExecution', 'athena:StopQueryExecution'],
        Resource: [workGroupArn(arns, options.workGroup)],
      },
      { Sid: 'AssumePresignerRole', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: [options.presignerRoleArn] },
      ...functionLogsAndTraces(options.logGroupArn),
    ],
  };
}

/** A function's own log group (its streams) and X-Ray traces. */
function functionLogsAndTraces(logGroupArn: string): IamStatement[] {
  return [
    {
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      // Log streams are sub-resources of the group: arn:...:log-group:<name>:log-stream:<stream>.
      // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
      Resource: [`${logGroupArn}:*`],
    },
    {
      Sid: 'WriteTraces',
      Effect: 'Allow',
      Action: REQUIRED_WILDCARDS.lambdaTracing.actions,
      // REQUIRED_WILDCARDS.lambdaTracing
      Resource: WILDCARD,
    },
  ];
}

/** Options for {@link cancellationStateMachinePolicy}. */
export interface CancellationStateMachinePolicyOptions {
  readonly arns: DeploymentArns;
  readonly callbackerFunctionArn: string;
  readonly deadLetterQueueArn: string;
  /** KMS key of the dead-letter queue, when customer-managed. May be a token whose value is null. */
  readonly deadLetterQueueKmsKeyArn?: string;
  /** @default - every value is a literal */
  readonly isUnresolved?: IsUnresolved;
}

/**
 * The cancellation machine's permissions: deliver through this callbacker and record undeliverable callbacks in this
 * dead-letter queue (as the query machine does), plus its logs and traces. No Athena, no Glue, no S3.
 */
export function cancellationStateMachinePolicy(options: CancellationStateMachinePolicyOptions): IamPolicyDocument {
  return { Version: '2012-10-17', Statement: deliveryStatements({ ...options, isUnresolved: options.isUnresolved ?? ONLY_LITERALS }) as IamPolicyDocument['Statement'] };
}

/**
 * What both state machines need to deliver callbacks: invoke the callbacker, record undeliverable callbacks in the
 * dead-letter queue (with its key through SQS, when customer-managed), and deliver their logs and traces.
 */
function deliveryStatements(options: CancellationStateMachinePolicyOptions & { readonly isUnresolved: IsUnresolved }): (IamStatement | JsonTree)[] {
  return [
    { Sid: 'InvokeCallbacker', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [options.callbackerFunctionArn] },
    { Sid: 'RecordUndeliveredCallbacks', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [options.deadLetterQueueArn] },
    ...whenSet(options.deadLetterQueueKmsKeyArn, options.isUnresolved, (key) => ({
      Sid: 'EncryptDeadLetters',
      Effect: 'Allow',
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#send-to-encrypted-queue
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: [key],
      Condition: viaService('sqs', options.arns),
    })),
    {
      Sid: 'DeliverLogs',
      Effect: 'Allow',
      Action: REQUIRED_WILDCARDS.logDelivery.actions,
      // REQUIRED_WILDCARDS.logDelivery
      Resource: WILDCARD,
    },
    {
      Sid: 'WriteTraces',
      Effect: 'Allow',
      Action: REQUIRED_WILDCARDS.stateMachineTracing.actions,
      // REQUIRED_WILDCARDS.stateMachineTracing
      Resource: WILDCARD,
    },
  ];
}

/** Options for {@link deadLetterQueuePolicy}. */
export interface DeadLetterQueuePolicyOptions {
  /** ARN of the dead-letter queue. */
  readonly queueArn: string;
  /** ARNs of the only roles that may send to it: the query and cancellation state machines'. */
  readonly senderRoleArns: readonly string[];
}

/**
 * The dead-letter queue's resource policy: nobody but the state machines' roles may send to it. Redrive acts on what a
 * record points to, so a forged record must not get in at all (and redrive re-derives everything anyway, see
 * redrive/derive.ts). The role's own identity policy grants the send; this policy only denies everyone else, so it
 * names no role as a principal (a policy naming a role breaks when the role is recreated).
 *
 * `Principal: "*"` with `ArnNotEquals aws:PrincipalArn` denies every other principal of any account, including
 * service principals (which carry no aws:PrincipalArn, and a negated operator matches a missing key). For a role's
 * session aws:PrincipalArn is the role's ARN. `sqs:SendMessage` also governs SendMessageBatch.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-creating-custom-policies-access-policy-examples.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
 */
export function deadLetterQueuePolicy(options: DeadLetterQueuePolicyOptions): IamPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OnlyTheStateMachinesRecordDeadLetters',
        Effect: 'Deny',
        // A Deny for everyone but the sender roles (see the condition), not a grant: this `*` widens nothing. A negated
        // operator with several values matches a principal equal to none of them.
        Principal: '*',
        Action: ['sqs:SendMessage'],
        Resource: [options.queueArn],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [...options.senderRoleArns] } },
      },
    ],
  };
}

/** Options for {@link redrivePolicy}. */
export interface RedrivePolicyOptions {
  readonly arns: DeploymentArns;
  /** ARN of the state machine. */
  readonly stateMachineArn: string;
  /** Name of the state machine: its executions' ARNs are `...:execution:<name>:<execution name>`. */
  readonly stateMachineName: string;
  /**
   * The cancellation state machine, whose executions deliver the callbacks of queries cancelled before they started.
   *
   * @default - none: its executions cannot be redriven
   */
  readonly cancellationStateMachine?: { readonly arn: string; readonly name: string };
  /** The workgroup the queries run in. */
  readonly workGroup: string;
  readonly deadLetterQueueArn: string;
  readonly callbackerFunctionArn: string;
  /** KMS key of the dead-letter queue, when customer-managed: receiving needs `kms:Decrypt`. May be a token whose value is null. */
  readonly deadLetterQueueKmsKeyArn?: string;
  /** @default - every value is a literal */
  readonly isUnresolved?: IsUnresolved;
}

/**
 * What `npm run redrive` needs, on this deployment only: list the failed executions of both state machines, describe
 * them and read their history, read the queries of this workgroup, receive and delete the dead-letter queue's records,
 * and invoke the callbacker. Nothing here can write a record, start an execution or read a result.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
 */
export function redrivePolicy(options: RedrivePolicyOptions): IamPolicyDocument {
  const { arns } = options;
  const cancellation = options.cancellationStateMachine;
  const statements: (IamStatement | JsonTree)[] = [
    {
      Sid: 'ListFailedExecutions',
      Effect: 'Allow',
      Action: ['states:ListExecutions'],
      Resource: [options.stateMachineArn, ...(cancellation === undefined ? [] : [cancellation.arn])],
    },
    {
      Sid: 'ReadExecutions',
      Effect: 'Allow',
      Action: ['states:DescribeExecution', 'states:GetExecutionHistory'],
      Resource: [executionsOf(arns, options.stateMachineName), ...(cancellation === undefined ? [] : [executionsOf(arns, cancellation.name)])],
    },
    { Sid: 'ReadQueries', Effect: 'Allow', Action: ['athena:GetQueryExecution'], Resource: [workGroupArn(arns, options.workGroup)] },
    { Sid: 'ReadDeadLetters', Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'], Resource: [options.deadLetterQueueArn] },
    { Sid: 'InvokeCallbacker', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [options.callbackerFunctionArn] },
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
    ...whenSet(options.deadLetterQueueKmsKeyArn, options.isUnresolved ?? ONLY_LITERALS, (key) => ({
      Sid: 'DecryptDeadLetters',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [key],
      Condition: viaService('sqs', arns),
    })),
  ];
  return { Version: '2012-10-17', Statement: statements as IamPolicyDocument['Statement'] };
}

/** Options for {@link serviceTrustPolicy}. */
export interface ServiceTrustOptions {
  /** The service principal, e.g. `states.amazonaws.com`. */
  readonly service: string;
  /** Restrict assumption to requests made on behalf of this account (confused-deputy protection). */
  readonly sourceAccount?: string;
  /** Restrict assumption to requests made on behalf of resources matching this ARN pattern. */
  readonly sourceArn?: string;
}

/**
 * A trust policy naming exactly one service principal, with `aws:SourceAccount` / `aws:SourceArn` where the service
 * sets them. https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
export function serviceTrustPolicy(options: ServiceTrustOptions): IamPolicyDocument {
  const condition: Record<string, Record<string, string>> = {};
  if (options.sourceAccount) condition.StringEquals = { 'aws:SourceAccount': options.sourceAccount };
  if (options.sourceArn) condition.ArnLike = { 'aws:SourceArn': options.sourceArn };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TrustService',
        Effect: 'Allow',
        Principal: { Service: options.service },
        Action: ['sts:AssumeRole'],
        ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
      },
    ],
  };
}

/**
 * A trust policy letting exactly these roles assume this one: the presigner is assumed by the callbacker (callback
 * links) and by the query API function (fresh result links).
 */
export function roleTrustPolicy(trustedRoleArns: readonly string[]): IamPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'TrustPresigningFunctions', Effect: 'Allow', Principal: { AWS: [...trustedRoleArns] }, Action: ['sts:AssumeRole'] }],
  };
}

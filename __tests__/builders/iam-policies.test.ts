import {
  callbackerPolicy,
  cancellationStateMachinePolicy,
  deadLetterQueuePolicy,
  type IamPolicyDocument,
  type IamStatement,
  presignerPolicy,
  queryApiPolicy,
  redrivePolicy,
  REQUIRED_WILDCARDS,
  roleTrustPolicy,
  serviceTrustPolicy,
  stateMachinePolicy,
  type StateMachinePolicyOptions,
} from '../../constructs/builders/iam-policies';

const arns = { partition: 'aws-us-gov', region: 'us-gov-west-1', accountId: '123456789012' };
const smOptions: StateMachinePolicyOptions = {
  arns,
  workGroup: 'analytics',
  results: { bucket: 'results', prefix: 'athena/' },
  glueDatabases: ['sales'],
  sourceData: [],
  callbackerFunctionArn: 'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:x-callbacker',
  deadLetterQueueArn: 'arn:aws-us-gov:sqs:us-gov-west-1:123456789012:x-callback-dlq',
};

/** The statements of a policy built from literals only (no deferred nodes). */
function statementsOf(policy: IamPolicyDocument): IamStatement[] {
  return policy.Statement as IamStatement[];
}

function statement(policy: IamPolicyDocument, sid: string) {
  const found = statementsOf(policy).find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${statementsOf(policy).map((s) => s.Sid).join(', ')}`);
  return { Action: found.Action, Resource: found.Resource };
}

describe('stateMachinePolicy', () => {
  const policy = stateMachinePolicy(smOptions);

  it('runs, reads and stops queries in this workgroup only', () => {
    expect(statement(policy, 'RunQueriesInWorkGroup')).toEqual({
      Action: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'],
      Resource: ['arn:aws-us-gov:athena:us-gov-west-1:123456789012:workgroup/analytics'],
    });
  });

  it('reads the default data catalog only', () => {
    expect(statement(policy, 'ReadDataCatalog')).toEqual({
      Action: ['athena:GetDataCatalog'],
      Resource: ['arn:aws-us-gov:athena:us-gov-west-1:123456789012:datacatalog/AwsDataCatalog'],
    });
  });

  it('writes results under the results prefix only', () => {
    expect(statement(policy, 'WriteResults')).toEqual({
      Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: ['arn:aws-us-gov:s3:::results/athena/*'],
    });
    expect(statement(policy, 'FindResultsBucket')).toEqual({
      Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
      Resource: ['arn:aws-us-gov:s3:::results'],
    });
  });

  it('reads the Glue catalog read-only, for the databases given', () => {
    expect(statement(policy, 'ReadGlueCatalog')).toEqual({
      Action: ['glue:GetDatabase', 'glue:GetDatabases', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'],
      Resource: [
        'arn:aws-us-gov:glue:us-gov-west-1:123456789012:catalog',
        'arn:aws-us-gov:glue:us-gov-west-1:123456789012:database/sales',
        'arn:aws-us-gov:glue:us-gov-west-1:123456789012:table/sales/*',
      ],
    });
  });

  it('invokes this callbacker and sends to this dead-letter queue only', () => {
    expect(statement(policy, 'InvokeCallbacker')).toEqual({ Action: ['lambda:InvokeFunction'], Resource: [smOptions.callbackerFunctionArn] });
    expect(statement(policy, 'RecordUndeliveredCallbacks')).toEqual({ Action: ['sqs:SendMessage'], Resource: [smOptions.deadLetterQueueArn] });
  });

  it('puts * only on the actions AWS documents without resource-level permissions', () => {
    const wildcards = statementsOf(policy).filter((s) => s.Resource?.includes('*')).map((s) => s.Action);
    expect(wildcards).toEqual([
      REQUIRED_WILDCARDS.lakeFormationDataAccess.actions,
      REQUIRED_WILDCARDS.logDelivery.actions,
      REQUIRED_WILDCARDS.stateMachineTracing.actions,
    ]);
  });

  it('grants KMS for writing results only when a key is given', () => {
    expect(statementsOf(policy).map((s) => s.Sid)).not.toContain('EncryptResults');
    const withKey = stateMachinePolicy({ ...smOptions, resultsKmsKeyArn: 'arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/k' });
    expect(statement(withKey, 'EncryptResults')).toEqual({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: ['arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/k'] });
  });

  it('reads source data locations when given', () => {
    const withData = stateMachinePolicy({ ...smOptions, sourceData: [{ bucket: 'lake', prefix: 'sales/' }, { bucket: 'lake', prefix: 'hr/' }] });
    expect(statement(withData, 'FindSourceDataBuckets')).toEqual({ Action: ['s3:GetBucketLocation', 's3:ListBucket'], Resource: ['arn:aws-us-gov:s3:::lake'] });
    expect(statement(withData, 'ReadSourceData')).toEqual({ Action: ['s3:GetObject'], Resource: ['arn:aws-us-gov:s3:::lake/sales/*', 'arn:aws-us-gov:s3:::lake/hr/*'] });
  });
});

describe('callbackerPolicy', () => {
  const policy = callbackerPolicy({
    logGroupArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x-callbacker',
    presignerRoleArn: 'arn:aws:iam::123456789012:role/x-presigner-role',
    signingSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf',
    kmsVia: { region: 'us-east-1' },
  });

  it('decrypts a customer-managed signing secret key only through Secrets Manager in its region', () => {
    // GIVEN
    const withKey = callbackerPolicy({
      logGroupArn: 'arn:aws:logs:cn-north-1:123456789012:log-group:/aws/lambda/x-callbacker',
      presignerRoleArn: 'arn:aws-cn:iam::123456789012:role/x-presigner-cn-north-1',
      signingSecretArn: 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x-AbCdEf',
      signingSecretKmsKeyArn: 'arn:aws-cn:kms:cn-north-1:123456789012:key/k',
      kmsVia: { region: 'cn-north-1', dnsSuffix: 'amazonaws.com.cn' },
    });
    // THEN
    expect(statementsOf(withKey).find((s) => s.Sid === 'DecryptSigningSecret')?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': 'secretsmanager.cn-north-1.amazonaws.com.cn' },
    });
  });

  it('writes to its own log group, assumes the presigner and reads the signing secret, nothing more', () => {
    expect(statementsOf(policy).map((s) => [s.Sid, s.Action, s.Resource])).toEqual([
      ['WriteOwnLogs', ['logs:CreateLogStream', 'logs:PutLogEvents'], ['arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x-callbacker:*']],
      ['WriteTraces', REQUIRED_WILDCARDS.lambdaTracing.actions, ['*']],
      ['AssumePresignerRole', ['sts:AssumeRole'], ['arn:aws:iam::123456789012:role/x-presigner-role']],
      ['ReadSigningSecret', ['secretsmanager:GetSecretValue'], ['arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf']],
    ]);
  });

  it('cannot read results itself', () => {
    expect(statementsOf(policy).flatMap((s) => s.Action).filter((a) => a.startsWith('s3:'))).toEqual([]);
  });
});

describe('presignerPolicy', () => {
  it('reads objects under the results prefix only (the seed granted every bucket)', () => {
    expect(presignerPolicy({ partition: 'aws', results: { bucket: 'results', prefix: 'athena/' }, kmsVia: { region: 'eu-west-1' } }).Statement).toEqual([
      { Sid: 'ReadResults', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::results/athena/*'] },
    ]);
  });

  it('decrypts with the results key when given', () => {
    const policy = presignerPolicy({ partition: 'aws', results: { bucket: 'results', prefix: '' }, resultsKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k', kmsVia: { region: 'us-east-1' } });
    expect(statement(policy, 'DecryptResults')).toEqual({ Action: ['kms:Decrypt'], Resource: ['arn:aws:kms:us-east-1:123456789012:key/k'] });
    // Only through S3 (the presigned URL's download), not by calling KMS with the role's session.
    expect(statementsOf(policy).find((s) => s.Sid === 'DecryptResults')?.Condition).toEqual({ StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } });
    expect(statement(policy, 'ReadResults').Resource).toEqual(['arn:aws:s3:::results/*']);
  });
});

describe('queryApiPolicy', () => {
  const policy = queryApiPolicy({
    arns,
    stateMachineArn: 'arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:x-queries',
    stateMachineName: 'x-queries',
    cancellationStateMachineArn: 'arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:x-cancellations',
    cancellationStateMachineName: 'x-cancellations',
    workGroup: 'analytics',
    presignerRoleArn: 'arn:aws-us-gov:iam::123456789012:role/x-presigner',
    logGroupArn: 'arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:/aws/lambda/x-query-api',
  });

  it("starts, reads and stops this deployment's executions, reads and stops its queries, presigns, and writes its logs", () => {
    // THEN
    expect(statementsOf(policy).map((st) => [st.Sid, st.Action, st.Resource])).toEqual([
      ['StartQueryExecutions', ['states:StartExecution'], ['arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:x-queries']],
      [
        'ReadAndStopQueryExecutions',
        ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution'],
        ['arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:x-queries:*'],
      ],
      ['StartCancellations', ['states:StartExecution'], ['arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:x-cancellations']],
      ['ReadCancellations', ['states:DescribeExecution', 'states:GetExecutionHistory'], ['arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:x-cancellations:*']],
      ['ReadAndStopQueries', ['athena:GetQueryExecution', 'athena:StopQueryExecution'], ['arn:aws-us-gov:athena:us-gov-west-1:123456789012:workgroup/analytics']],
      ['AssumePresignerRole', ['sts:AssumeRole'], ['arn:aws-us-gov:iam::123456789012:role/x-presigner']],
      ['WriteOwnLogs', ['logs:CreateLogStream', 'logs:PutLogEvents'], ['arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:/aws/lambda/x-query-api:*']],
      ['WriteTraces', REQUIRED_WILDCARDS.lambdaTracing.actions, ['*']],
    ]);
  });

  it('can neither start a query nor read a result itself', () => {
    // THEN
    const actions = statementsOf(policy).flatMap((st) => st.Action);
    expect(actions).not.toContain('athena:StartQueryExecution');
    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual([]);
  });
});

describe('cancellationStateMachinePolicy', () => {
  it('invokes the callbacker and records dead letters, and nothing of Athena, Glue or S3', () => {
    // WHEN
    const policy = cancellationStateMachinePolicy({ arns, callbackerFunctionArn: smOptions.callbackerFunctionArn, deadLetterQueueArn: smOptions.deadLetterQueueArn });
    // THEN
    expect(statementsOf(policy).map((st) => [st.Sid, st.Action, st.Resource])).toEqual([
      ['InvokeCallbacker', ['lambda:InvokeFunction'], [smOptions.callbackerFunctionArn]],
      ['RecordUndeliveredCallbacks', ['sqs:SendMessage'], [smOptions.deadLetterQueueArn]],
      ['DeliverLogs', REQUIRED_WILDCARDS.logDelivery.actions, ['*']],
      ['WriteTraces', REQUIRED_WILDCARDS.stateMachineTracing.actions, ['*']],
    ]);
  });

  it('encrypts dead letters with the queue key through SQS only when one is given', () => {
    // WHEN
    const policy = cancellationStateMachinePolicy({ arns, callbackerFunctionArn: 'f', deadLetterQueueArn: 'q', deadLetterQueueKmsKeyArn: 'arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/k' });
    // THEN
    expect(statementsOf(policy).find((st) => st.Sid === 'EncryptDeadLetters')).toEqual({
      Sid: 'EncryptDeadLetters',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: ['arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/k'],
      Condition: { StringEquals: { 'kms:ViaService': 'sqs.us-gov-west-1.amazonaws.com' } },
    });
  });
});

describe('trust policies', () => {
  it('trust exactly one service principal, with confused-deputy conditions when given', () => {
    expect(serviceTrustPolicy({ service: 'states.amazonaws.com', sourceAccount: '123456789012', sourceArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:q' }).Statement).toEqual([
      {
        Sid: 'TrustService',
        Effect: 'Allow',
        Principal: { Service: 'states.amazonaws.com' },
        Action: ['sts:AssumeRole'],
        Condition: {
          StringEquals: { 'aws:SourceAccount': '123456789012' },
          ArnLike: { 'aws:SourceArn': 'arn:aws:states:us-east-1:123456789012:stateMachine:q' },
        },
      },
    ]);
  });

  it('omit the condition block when no condition applies', () => {
    expect(serviceTrustPolicy({ service: 'lambda.amazonaws.com' }).Statement[0]).not.toHaveProperty('Condition');
  });

  it('let exactly the given roles assume the presigner, in one statement', () => {
    expect(roleTrustPolicy(['arn:aws:iam::123456789012:role/cb', 'arn:aws:iam::123456789012:role/api']).Statement).toEqual([
      {
        Sid: 'TrustPresigningFunctions',
        Effect: 'Allow',
        Principal: { AWS: ['arn:aws:iam::123456789012:role/cb', 'arn:aws:iam::123456789012:role/api'] },
        Action: ['sts:AssumeRole'],
      },
    ]);
  });
});

describe('deadLetterQueuePolicy', () => {
  it('denies sqs:SendMessage to every principal but the sender roles, and grants nothing', () => {
    // WHEN
    const senders = ['arn:aws-us-gov:iam::123456789012:role/x-sm', 'arn:aws-us-gov:iam::123456789012:role/x-cancel'];
    const policy = deadLetterQueuePolicy({ queueArn: smOptions.deadLetterQueueArn, senderRoleArns: senders });
    // THEN
    expect(policy.Statement).toEqual([
      {
        Sid: 'OnlyTheStateMachinesRecordDeadLetters',
        Effect: 'Deny',
        Principal: '*',
        Action: ['sqs:SendMessage'],
        Resource: [smOptions.deadLetterQueueArn],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': senders } },
      },
    ]);
  });
});

describe('redrivePolicy', () => {
  const options = {
    arns,
    stateMachineArn: 'arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:x-queries',
    stateMachineName: 'x-queries',
    workGroup: 'analytics',
    deadLetterQueueArn: smOptions.deadLetterQueueArn,
    callbackerFunctionArn: smOptions.callbackerFunctionArn,
  };

  it('reads this state machine, its executions and its workgroup, drains the queue and invokes the callbacker', () => {
    // WHEN
    const policy = redrivePolicy(options);
    // THEN
    expect(statementsOf(policy).map((st) => [st.Action, st.Resource])).toEqual([
      [['states:ListExecutions'], [options.stateMachineArn]],
      [['states:DescribeExecution', 'states:GetExecutionHistory'], ['arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:x-queries:*']],
      [['athena:GetQueryExecution'], ['arn:aws-us-gov:athena:us-gov-west-1:123456789012:workgroup/analytics']],
      [['sqs:ReceiveMessage', 'sqs:DeleteMessage'], [smOptions.deadLetterQueueArn]],
      [['lambda:InvokeFunction'], [smOptions.callbackerFunctionArn]],
    ]);
  });

  it('lists, reads and describes the executions of the cancellation machine too, when given', () => {
    // WHEN
    const policy = redrivePolicy({ ...options, cancellationStateMachine: { arn: 'arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:x-cancellations', name: 'x-cancellations' } });
    // THEN
    expect(statement(policy, 'ListFailedExecutions').Resource).toEqual([options.stateMachineArn, 'arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:x-cancellations']);
    expect(statement(policy, 'ReadExecutions').Resource).toEqual([
      'arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:x-queries:*',
      'arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:x-cancellations:*',
    ]);
  });

  it('decrypts with the dead-letter queue key only when one is given', () => {
    // WHEN
    const policy = redrivePolicy({ ...options, deadLetterQueueKmsKeyArn: 'arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/k' });
    // THEN
    expect(statement(policy, 'DecryptDeadLetters')).toEqual({ Action: ['kms:Decrypt'], Resource: ['arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/k'] });
  });

  it('leaves the decrypt statement to Terraform when the key is a token (a variable that may be null)', () => {
    // GIVEN a key that stands for a Terraform variable
    const token = '${TfToken[TOKEN.1]}';
    // WHEN
    const policy = redrivePolicy({ ...options, deadLetterQueueKmsKeyArn: token, isUnresolved: (value) => value === token });
    // THEN
    expect(policy.Statement).toHaveLength(6);
    expect(policy.Statement[5]).toEqual({
      $deferred: 'spread',
      list: {
        $deferred: 'conditional',
        test: { isNull: token },
        then: [],
        otherwise: [
          {
            Sid: 'DecryptDeadLetters',
            Effect: 'Allow',
            Action: ['kms:Decrypt'],
            Resource: [token],
            Condition: { StringEquals: { 'kms:ViaService': 'sqs.us-gov-west-1.amazonaws.com' } },
          },
        ],
      },
    });
  });
});

describe('REQUIRED_WILDCARDS', () => {
  it.each(Object.entries(REQUIRED_WILDCARDS))('%s carries a reason and an AWS documentation link', (_name, entry) => {
    expect(entry.why.length).toBeGreaterThan(20);
    expect(entry.doc).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
  });
});

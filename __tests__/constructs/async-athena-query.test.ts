import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { ApiGatewayMethod } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayMethodSettings } from '@cdktf/provider-aws/lib/api-gateway-method-settings';
import { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import { TerraformOutput, Testing, TerraformStack } from 'cdktf';
import { AsyncAthenaQuery, type AsyncAthenaQueryProps, InvalidPropsError, NamePrefixCollisionError } from '../../constructs';
import { deadLetterQueuePolicy } from '../../constructs/builders/iam-policies';
import { resourceNamed, resourcesOf, synthesize, useScratchTempDir } from '../support/synth';

useScratchTempDir();

/** The error a construction throws: constructions add to the tree, so each runs once. */
function thrownBy(create: () => unknown): Error {
  try {
    create();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the construction to throw');
}

const props: AsyncAthenaQueryProps = { workGroup: 'analytics', outputLocation: 's3://results-bucket/athena/', namePrefix: 'orders' };
const synth = () => synthesize((scope) => new AsyncAthenaQuery(scope, 'Svc', props));
let defaults: ReturnType<typeof synth>;
beforeAll(() => {
  defaults = synth();
});

describe('AsyncAthenaQuery: callbacker', () => {
  it('runs on nodejs22.x, arm64, with tracing and JSON logs into its own log group', () => {
    expect(defaults.text).toHaveResourceWithProperties(LambdaFunction, {
      function_name: 'orders-callbacker',
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      handler: 'index.handler',
      memory_size: 256,
      timeout: 45,
      tracing_config: { mode: 'Active' },
      logging_config: { log_format: 'JSON', log_group: expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.Svc_Callbacker_LogGroup_\w+\.name\}$/) },
    });
    expect(defaults.text).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/aws/lambda/orders-callbacker', retention_in_days: 30 });
  });

  it('uploads the shipped zip from a path relative to the stack, hashed by Terraform from the file', () => {
    const fn = resourceNamed(defaults, 'aws_lambda_function', 'Callbacker');
    expect(fn.filename).toMatch(/^\$\{path\.module\}\/assets\/Svc_Callbacker_Package_\w+\/[0-9A-F]{32}\/callbacker\.zip$/);
    expect(fn.source_code_hash).toBe(`\${filebase64sha256("${fn.filename}")}`);
    expect(defaults.json.data?.archive_file).toBeUndefined();
  });

  it('passes only ARNs and settings in its environment, never a secret value', () => {
    const env = (resourceNamed(defaults, 'aws_lambda_function', 'Callbacker').environment as { variables: Record<string, string> }).variables;
    expect(Object.keys(env).sort()).toEqual(['CALLBACK_ALLOWED_PORTS', 'PRESIGNER_ROLE_ARN', 'PRESIGN_EXPIRY_SECONDS', 'WEBHOOK_SECRET_ARN', 'WEBHOOK_SIGNING']);
    expect(env).toMatchObject({ PRESIGN_EXPIRY_SECONDS: '3600', WEBHOOK_SIGNING: 'enabled', CALLBACK_ALLOWED_PORTS: '443' });
    expect(env.WEBHOOK_SECRET_ARN).toMatch(/^\$\{aws_secretsmanager_secret\.Svc_SigningSecret_\w+\.arn\}$/);
  });

  it('has a role trusted by lambda.amazonaws.com and a presigner role trusted by that role and the query API role only', () => {
    const callbackerTrust = JSON.parse(resourceNamed(defaults, 'aws_iam_role', 'Callbacker_Role').assume_role_policy as string);
    const presignerTrust = JSON.parse(resourceNamed(defaults, 'aws_iam_role', 'PresignerRole').assume_role_policy as string);
    expect(callbackerTrust.Statement).toEqual([expect.objectContaining({ Principal: { Service: 'lambda.amazonaws.com' }, Action: ['sts:AssumeRole'] })]);
    expect(presignerTrust.Statement).toEqual([
      expect.objectContaining({
        Principal: { AWS: [expect.stringMatching(/^\$\{aws_iam_role\.Svc_Callbacker_Role_\w+\.arn\}$/), expect.stringMatching(/^\$\{aws_iam_role\.Svc_QueryApi_Role_\w+\.arn\}$/)] },
      }),
    ]);
    expect(defaults.text).toHaveResourceWithProperties(IamRole, { name: expect.stringMatching(/^orders-presigner-\$\{data\.aws_region\.\w+\.region\}$/), max_session_duration: 3600 });
  });
});

describe('AsyncAthenaQuery: state machine', () => {
  it('is a STANDARD state machine logging errors without execution data, with tracing', () => {
    expect(defaults.text).toHaveResourceWithProperties(SfnStateMachine, {
      name: 'orders-queries',
      type: 'STANDARD',
      logging_configuration: { level: 'ERROR', include_execution_data: false, log_destination: expect.stringMatching(/\.arn\}:\*$/) },
      tracing_configuration: { enabled: true },
    });
    expect(defaults.text).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/aws/vendedlogs/states/orders-queries', retention_in_days: 30 });
  });

  it('runs the query with .sync on the workgroup and output location given, with or without execution parameters', () => {
    const definition = JSON.parse(resourceNamed(defaults, 'aws_sfn_state_machine', 'Queries').definition as string);
    expect(definition.StartAt).toBe('HasExecutionParameters');
    for (const state of ['StartQuery', 'StartParameterizedQuery']) {
      expect(definition.States[state].Resource).toMatch(/^arn:\$\{data\.aws_partition\.Svc_Context_Partition_\w+\.partition\}:states:::athena:startQueryExecution\.sync$/);
      expect(definition.States[state].Parameters).toMatchObject({ WorkGroup: 'analytics', ResultConfiguration: { OutputLocation: 's3://results-bucket/athena/' } });
    }
    expect(definition.States.StartParameterizedQuery.Parameters['ExecutionParameters.$']).toBe('$.ExecutionParameters');
    expect(definition.States.StartQuery.Parameters['ExecutionParameters.$']).toBeUndefined();
    expect(definition.States.DeliverCallback.Parameters.FunctionName).toMatch(/^\$\{aws_lambda_function\.Svc_Callbacker_Function_\w+\.arn\}$/);
  });

  it('has a role trusted by states.amazonaws.com for this account and state machine only', () => {
    const trust = JSON.parse(resourceNamed(defaults, 'aws_iam_role', 'Queries_Role').assume_role_policy as string);
    expect(trust.Statement[0].Principal).toEqual({ Service: 'states.amazonaws.com' });
    expect(trust.Statement[0].Condition.StringEquals['aws:SourceAccount']).toMatch(/account_id\}$/);
    expect(trust.Statement[0].Condition.ArnLike['aws:SourceArn']).toMatch(/:stateMachine:orders-queries$/);
  });
});

describe('AsyncAthenaQuery: cancellation state machine', () => {
  it('is a STANDARD state machine that builds the CANCELLED outcome and delivers it through the callbacker', () => {
    // GIVEN
    const machine = resourceNamed(defaults, 'aws_sfn_state_machine', 'Cancellations');
    const definition = JSON.parse(machine.definition as string);
    // THEN
    expect(machine).toMatchObject({ name: 'orders-cancellations', type: 'STANDARD', tracing_configuration: { enabled: true } });
    expect(definition.StartAt).toBe('BuildCancelledOutcome');
    expect(definition.States.DeliverCallback.Parameters.Payload).toMatchObject({ 'ExecutionArn.$': '$$.Execution.Input.ExecutionArn', 'CallbackUrl.$': '$$.Execution.Input.CallbackUrl' });
    expect(Object.keys(definition.States).filter((name) => definition.States[name].Resource?.includes(':athena:'))).toEqual([]);
  });

  it('has its own role, trusted by states.amazonaws.com for this state machine only', () => {
    const trust = JSON.parse(resourceNamed(defaults, 'aws_iam_role', 'Cancellations_Role').assume_role_policy as string);
    expect(trust.Statement[0].Principal).toEqual({ Service: 'states.amazonaws.com' });
    expect(trust.Statement[0].Condition.ArnLike['aws:SourceArn']).toMatch(/:stateMachine:orders-cancellations$/);
    expect(defaults.text).toHaveResourceWithProperties(IamRole, { name: expect.stringMatching(/^orders-cancel-\$\{data\.aws_region\.\w+\.region\}$/) });
  });
});

describe('AsyncAthenaQuery: query API function', () => {
  it('runs the shipped query API bundle on nodejs22.x, arm64, with tracing, JSON logs and a timeout under API Gateway\'s', () => {
    expect(defaults.text).toHaveResourceWithProperties(LambdaFunction, {
      function_name: 'orders-query-api',
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      handler: 'index.handler',
      memory_size: 256,
      timeout: 28,
      tracing_config: { mode: 'Active' },
    });
    const fn = resourceNamed(defaults, 'aws_lambda_function', 'QueryApi');
    expect(fn.filename).toMatch(/^\$\{path\.module\}\/assets\/Svc_QueryApi_Package_\w+\/[0-9A-F]{32}\/query-api\.zip$/);
    expect(fn.source_code_hash).toBe(`\${filebase64sha256("${fn.filename}")}`);
  });

  it('knows the two state machines, the output location and how to presign, and nothing secret', () => {
    const env = (resourceNamed(defaults, 'aws_lambda_function', 'QueryApi').environment as { variables: Record<string, string> }).variables;
    expect(Object.keys(env).sort()).toEqual(['CANCELLATION_STATE_MACHINE_ARN', 'OUTPUT_LOCATION', 'PRESIGNER_ROLE_ARN', 'PRESIGN_EXPIRY_SECONDS', 'STATE_MACHINE_ARN']);
    expect(env).toMatchObject({ OUTPUT_LOCATION: 's3://results-bucket/athena/', PRESIGN_EXPIRY_SECONDS: '3600' });
    expect(env.STATE_MACHINE_ARN).toMatch(/^\$\{aws_sfn_state_machine\.Svc_Queries_StateMachine_\w+\.arn\}$/);
    expect(env.CANCELLATION_STATE_MACHINE_ARN).toMatch(/^\$\{aws_sfn_state_machine\.Svc_Cancellations_StateMachine_\w+\.arn\}$/);
  });

  it('takes its memory and reserved concurrency from the props', () => {
    const s = synthesize((scope) => new AsyncAthenaQuery(scope, 'Svc', { ...props, queryApiMemoryMb: 1024, queryApiReservedConcurrency: 20 }));
    expect(s.text).toHaveResourceWithProperties(LambdaFunction, { function_name: 'orders-query-api', memory_size: 1024, reserved_concurrent_executions: 20 });
  });
});

describe('AsyncAthenaQuery: REST API', () => {
  it('is regional', () => {
    expect(defaults.text).toHaveResourceWithProperties(ApiGatewayRestApi, { name: 'orders-api', endpoint_configuration: { types: ['REGIONAL'] } });
  });

  it('requires AWS_IAM on every route, a validated body on both POST routes and the query id on the others', () => {
    const methods = Object.values(resourcesOf(defaults, 'aws_api_gateway_method'));
    expect(methods.map((m) => m.http_method).sort()).toEqual(['DELETE', 'GET', 'GET', 'POST', 'POST']);
    for (const method of methods) {
      expect(method).toMatchObject({ authorization: 'AWS_IAM', request_validator_id: expect.stringMatching(/aws_api_gateway_request_validator/) });
      if (method.http_method === 'POST') {
        expect(method).toMatchObject({ request_models: { 'application/json': expect.any(String) }, request_parameters: { 'method.request.header.Idempotency-Key': false } });
      } else {
        expect(method).toMatchObject({ request_parameters: { 'method.request.path.id': true } });
      }
    }
    expect(defaults.text).toHaveResourceWithProperties(ApiGatewayMethod, { authorization: 'AWS_IAM' });
  });

  it('serves /queries, the seed path /invocation, /queries/{id} and /queries/{id}/result', () => {
    const paths = Object.values(resourcesOf(defaults, 'aws_api_gateway_resource')).map((r) => r.path_part).sort();
    expect(paths).toEqual(['invocation', 'queries', 'result', '{id}']);
  });

  it('sends every route to the query API function through a Lambda proxy integration', () => {
    const integrations = Object.values(resourcesOf(defaults, 'aws_api_gateway_integration'));
    expect(integrations).toHaveLength(5);
    for (const integration of integrations) {
      expect(integration).toMatchObject({
        type: 'AWS_PROXY',
        integration_http_method: 'POST',
        uri: expect.stringMatching(/^\$\{aws_lambda_function\.Svc_QueryApi_Function_\w+\.invoke_arn\}$/),
      });
      expect(integration.credentials).toBeUndefined();
    }
    expect(defaults.text).toHaveResourceWithProperties(ApiGatewayIntegration, { type: 'AWS_PROXY' });
  });

  it('lets API Gateway invoke the function from this API\'s routes only, one permission each', () => {
    // GIVEN
    const permissions = Object.values(resourcesOf(defaults, 'aws_lambda_permission'));
    // THEN
    expect(permissions.map((p) => String(p.source_arn).replace(/^\$\{aws_api_gateway_rest_api\.Svc_Api_RestApi_\w+\.execution_arn\}/, '<api>')).sort()).toEqual([
      '<api>/*/DELETE/queries/*',
      '<api>/*/GET/queries/*',
      '<api>/*/GET/queries/*/result',
      '<api>/*/POST/invocation',
      '<api>/*/POST/queries',
    ]);
    for (const permission of permissions) {
      expect(permission).toMatchObject({ action: 'lambda:InvokeFunction', principal: 'apigateway.amazonaws.com', function_name: expect.stringMatching(/Svc_QueryApi_Function_\w+\.function_name\}$/) });
    }
    expect(defaults.text).toHaveResourceWithProperties(LambdaPermission, { principal: 'apigateway.amazonaws.com' });
  });

  it("serves the 'live' stage with JSON access logs and tracing, throttled, without data trace", () => {
    expect(defaults.text).toHaveResourceWithProperties(ApiGatewayStage, {
      stage_name: 'live',
      xray_tracing_enabled: true,
      access_log_settings: { destination_arn: expect.stringMatching(/aws_cloudwatch_log_group\.Svc_Api_AccessLogGroup_\w+\.arn/), format: expect.stringContaining('"requestId":"$context.requestId"') },
    });
    expect(defaults.text).toHaveResourceWithProperties(ApiGatewayMethodSettings, {
      method_path: '*/*',
      settings: { throttling_rate_limit: 50, throttling_burst_limit: 100, data_trace_enabled: false, metrics_enabled: true, logging_level: 'ERROR' },
    });
  });

  it('re-creates the deployment from a hash of every configured argument of every part of the API definition, and depends on each', () => {
    // GIVEN
    const deployment = Object.values(resourcesOf(defaults, 'aws_api_gateway_deployment'))[0];
    const partTypes = [
      'aws_api_gateway_model',
      'aws_api_gateway_request_validator',
      'aws_api_gateway_gateway_response',
      'aws_api_gateway_resource',
      'aws_api_gateway_method',
      'aws_api_gateway_integration',
      'aws_lambda_permission',
    ];
    const parts = partTypes.flatMap((type) => Object.entries(resourcesOf(defaults, type)).map(([name, config]) => ({ address: `${type}.${name}`, config })));
    // WHEN
    const trigger = (deployment.triggers as Record<string, string>).redeployment;
    // THEN every part is waited for, and hashed by its arguments (the configuration), never as a whole resource
    // object (its state, which the provider reads back differently after a refresh)
    expect(parts.length).toBeGreaterThanOrEqual(20);
    expect(trigger).toMatch(/^\$\{sha1\(jsonencode\(\[\{/);
    for (const part of parts) {
      expect(deployment.depends_on).toContain(part.address);
      expect(trigger).not.toMatch(new RegExp(`[[ ]${part.address.replace(/\./g, '\\.')}[,\\]]`));
    }
    // one object per part: each API Gateway part names its REST API, each Lambda permission its source ARN
    const apiGatewayParts = parts.filter((p) => p.address.startsWith('aws_api_gateway_'));
    const permissions = parts.filter((p) => p.address.startsWith('aws_lambda_permission.'));
    expect(trigger.match(/"rest_api_id" = /g)).toHaveLength(apiGatewayParts.length);
    expect(trigger.match(/"source_arn" = /g)).toHaveLength(permissions.length);
    for (const { config } of parts.filter((p) => p.address.startsWith('aws_api_gateway_gateway_response.'))) {
      expect(trigger).toContain(`"response_type" = ${JSON.stringify(config.response_type)}`);
    }
    expect(deployment.lifecycle).toEqual({ create_before_destroy: true });
  });

  it('has no WAF association unless asked', () => {
    expect(defaults.text).not.toHaveResource(Wafv2WebAclAssociation);
  });
});

describe('AsyncAthenaQuery: dead-letter queue and signing secret', () => {
  it('keeps undeliverable callbacks 14 days in an encrypted queue', () => {
    expect(defaults.text).toHaveResourceWithProperties(SqsQueue, { name: 'orders-callback-dlq', message_retention_seconds: 1209600, sqs_managed_sse_enabled: true });
  });

  it("attaches a queue policy that denies sqs:SendMessage to all but the two state machines' roles", () => {
    // GIVEN
    const [policy] = Object.values(resourcesOf(defaults, 'aws_sqs_queue_policy'));
    const [queueName] = Object.keys(resourcesOf(defaults, 'aws_sqs_queue'));
    const roleNamed = (infix: string) => (Object.entries(resourcesOf(defaults, 'aws_iam_role')).find(([, r]) => String(r.name).includes(infix)) ?? [])[0];
    // THEN
    expect(defaults.text).toHaveResource(SqsQueuePolicy);
    expect(policy.queue_url).toBe(`\${aws_sqs_queue.${queueName}.url}`);
    expect(JSON.parse(String(policy.policy))).toEqual(
      deadLetterQueuePolicy({
        queueArn: `\${aws_sqs_queue.${queueName}.arn}`,
        senderRoleArns: [`\${aws_iam_role.${roleNamed('-states-')}.arn}`, `\${aws_iam_role.${roleNamed('-cancel-')}.arn}`],
      }),
    );
  });

  it('writes the signing secret through a write-only argument from an ephemeral random password, never into state', () => {
    // GIVEN
    const version = Object.values(resourcesOf(defaults, 'aws_secretsmanager_secret_version'))[0];
    const synthesized = JSON.parse(defaults.text) as { data?: Record<string, unknown> };
    // THEN
    expect(version.secret_string).toBeUndefined();
    expect(version.secret_string_wo).toMatch(/^\$\{"whsec_\$\{ephemeral\.aws_secretsmanager_random_password\.\w+\.random_password\}"\}$/);
    expect(version.secret_string_wo_version).toBe(1);
    expect(synthesized.data?.aws_secretsmanager_random_password).toBeUndefined();
  });

  it('names the signing secret with a generated suffix, so a destroyed stack can be applied again the same day', () => {
    expect(defaults.text).toHaveResourceWithProperties(SecretsmanagerSecret, { name_prefix: 'orders-webhook-signing-secret-', recovery_window_in_days: 30 });
  });
});

describe('AsyncAthenaQuery: options', () => {
  it('uses an existing signing secret instead of creating one', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hooks-AbCdEf';
    const s = synthesize((scope) => new AsyncAthenaQuery(scope, 'Svc', { ...props, existingSigningSecretArn: arn }));
    expect(resourcesOf(s, 'aws_secretsmanager_secret')).toEqual({});
    expect(s.text).toHaveResourceWithProperties(LambdaFunction, { environment: { variables: expect.objectContaining({ WEBHOOK_SECRET_ARN: arn }) } });
  });

  it('sends unsigned callbacks only when signing is explicitly disabled', () => {
    const s = synthesize((scope) => new AsyncAthenaQuery(scope, 'Svc', { ...props, disableWebhookSigning: true }));
    const env = (resourceNamed(s, 'aws_lambda_function', 'Callbacker').environment as { variables: Record<string, string> }).variables;
    expect(env.WEBHOOK_SIGNING).toBe('disabled');
    expect(env).not.toHaveProperty('WEBHOOK_SECRET_ARN');
    expect(resourcesOf(s, 'aws_secretsmanager_secret')).toEqual({});
  });

  it('applies memory, timeout, reserved concurrency, retention, stage and throttling overrides', () => {
    const s = synthesize(
      (scope) =>
        new AsyncAthenaQuery(scope, 'Svc', {
          ...props,
          callbackerMemoryMb: 512,
          callbackerTimeoutSeconds: 60,
          callbackerReservedConcurrency: 5,
          logRetentionDays: 7,
          stageName: 'v1',
          throttlingRateLimit: 5,
          throttlingBurstLimit: 10,
          webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/api/abc',
        }),
    );
    expect(s.text).toHaveResourceWithProperties(LambdaFunction, { memory_size: 512, timeout: 60, reserved_concurrent_executions: 5 });
    expect(Object.values(resourcesOf(s, 'aws_cloudwatch_log_group')).map((g) => g.retention_in_days)).toEqual([7, 7, 7, 7, 7]);
    expect(s.text).toHaveResourceWithProperties(ApiGatewayStage, { stage_name: 'v1' });
    expect(s.text).toHaveResourceWithProperties(ApiGatewayMethodSettings, { settings: expect.objectContaining({ throttling_rate_limit: 5, throttling_burst_limit: 10 }) });
    expect(s.text).toHaveResourceWithProperties(Wafv2WebAclAssociation, { web_acl_arn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/api/abc' });
  });

  it('passes the allowed callback hosts and ports to the callbacker', () => {
    const s = synthesize((scope) => new AsyncAthenaQuery(scope, 'Svc', { ...props, allowedCallbackHosts: ['hooks.example.com', '*.partner.example'], allowedCallbackPorts: [443, 8443] }));
    expect(s.text).toHaveResourceWithProperties(LambdaFunction, {
      environment: { variables: expect.objectContaining({ CALLBACK_ALLOWED_HOSTS: 'hooks.example.com,*.partner.example', CALLBACK_ALLOWED_PORTS: '443,8443' }) },
    });
  });

  it('tags every taggable resource', () => {
    const s = synthesize((scope) => new AsyncAthenaQuery(scope, 'Svc', { ...props, tags: { team: 'data' } }));
    const taggable = Object.entries(s.json.resource).flatMap(([type, byName]) => Object.values(byName).map((r) => [type, r] as const)).filter(([, r]) => 'tags' in r);
    expect(taggable.map(([type]) => type).sort()).toEqual(
      [
        'aws_api_gateway_rest_api',
        'aws_api_gateway_stage',
        ...Array(5).fill('aws_cloudwatch_log_group'),
        ...Array(5).fill('aws_iam_role'),
        'aws_lambda_function',
        'aws_lambda_function',
        'aws_secretsmanager_secret',
        'aws_sfn_state_machine',
        'aws_sfn_state_machine',
        'aws_sqs_queue',
      ].sort(),
    );
    for (const [, r] of taggable) expect(r.tags).toEqual({ ManagedBy: 'cdktf-async-athena-query', team: 'data' });
  });

  it('creates the account-level API Gateway logging role only when asked, before the stage', () => {
    const s = synthesize((scope) => new AsyncAthenaQuery(scope, 'Svc', { ...props, manageApiGatewayAccountRole: true }));
    const account = Object.entries(resourcesOf(s, 'aws_api_gateway_account'));
    expect(account).toHaveLength(1);
    expect(resourceNamed(s, 'aws_api_gateway_stage', 'Stage').depends_on).toEqual([`aws_api_gateway_account.${account[0][0]}`]);
    expect(resourcesOf(defaults, 'aws_api_gateway_account')).toEqual({});
  });
});

describe('AsyncAthenaQuery: grants and local testing', () => {
  it('grants a role execute-api:Invoke on the routes of this API and stage only', () => {
    // GIVEN
    const s = synthesize((scope) => {
      const svc = new AsyncAthenaQuery(scope, 'Svc', props);
      svc.grantInvoke(new IamRole(scope, 'Client', { name: 'client', assumeRolePolicy: '{}' }));
    });
    // WHEN
    const grant = Object.values(resourcesOf(s, 'aws_iam_role_policy')).find((p) => String(p.name) === 'orders-invoke-api');
    // THEN
    expect(grant?.role).toMatch(/^\$\{aws_iam_role\.Client\.id\}$/);
    const statement = JSON.parse(String(grant?.policy)).Statement;
    expect(statement).toHaveLength(1);
    expect(statement[0].Action).toEqual(['execute-api:Invoke']);
    expect(statement[0].Resource).toEqual([
      expect.stringMatching(/:execute-api:.*\$\{aws_api_gateway_rest_api\.Svc_Api_RestApi_\w+\.id\}\/\$\{aws_api_gateway_stage\.Svc_Api_Stage_\w+\.stage_name\}\/POST\/queries$/),
      expect.stringMatching(/\/POST\/invocation$/),
      expect.stringMatching(/\/GET\/queries\/\*$/),
      expect.stringMatching(/\/DELETE\/queries\/\*$/),
      expect.stringMatching(/\/GET\/queries\/\*\/result$/),
    ]);
  });

  it('lets grantRedrive give a role exactly what npm run redrive needs, on this deployment', () => {
    // GIVEN
    const s = synthesize((scope) => {
      const svc = new AsyncAthenaQuery(scope, 'Svc', { ...props, deadLetterQueueKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k' });
      svc.grantRedrive(new IamRole(scope, 'Operator', { name: 'operator', assumeRolePolicy: '{}' }));
    });
    // WHEN
    const grant = Object.values(resourcesOf(s, 'aws_iam_role_policy')).find((p) => String(p.name) === 'orders-redrive');
    // THEN
    expect(grant?.role).toMatch(/^\$\{aws_iam_role\.Operator\.id\}$/);
    const statements = JSON.parse(String(grant?.policy)).Statement as { Sid: string; Action: string[]; Resource: string[] }[];
    expect(statements.map((st) => [st.Sid, st.Action])).toEqual([
      ['ListFailedExecutions', ['states:ListExecutions']],
      ['ReadExecutions', ['states:DescribeExecution', 'states:GetExecutionHistory']],
      ['ReadQueries', ['athena:GetQueryExecution']],
      ['ReadDeadLetters', ['sqs:ReceiveMessage', 'sqs:DeleteMessage']],
      ['InvokeCallbacker', ['lambda:InvokeFunction']],
      ['DecryptDeadLetters', ['kms:Decrypt']],
    ]);
    expect(statements[0].Resource).toEqual([
      expect.stringMatching(/^\$\{aws_sfn_state_machine\.Svc_Queries_StateMachine_\w+\.arn\}$/),
      expect.stringMatching(/^\$\{aws_sfn_state_machine\.Svc_Cancellations_StateMachine_\w+\.arn\}$/),
    ]);
    expect(statements[1].Resource).toEqual([
      expect.stringMatching(/:execution:\$\{aws_sfn_state_machine\.Svc_Queries_StateMachine_\w+\.name\}:\*$/),
      expect.stringMatching(/:execution:\$\{aws_sfn_state_machine\.Svc_Cancellations_StateMachine_\w+\.name\}:\*$/),
    ]);
    expect(statements[3].Resource).toEqual([expect.stringMatching(/^\$\{aws_sqs_queue\.\w+\.arn\}$/)]);
  });

  it('passes the loopback-http testing flag to the callbacker only when asked, with a synth warning', () => {
    // GIVEN
    const stack = new TerraformStack(Testing.app(), 'loopback');
    // WHEN
    const svc = new AsyncAthenaQuery(stack, 'Svc', { ...props, dangerouslyAllowLoopbackHttpCallbacksForLocalTesting: true });
    const synthesized = Testing.synth(stack);
    // THEN
    expect(synthesized).toHaveResourceWithProperties(LambdaFunction, { environment: { variables: expect.objectContaining({ DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS: 'true' }) } });
    expect(svc.callbacker.node.metadata.map((m) => String(m.data))).toEqual([expect.stringMatching(/dangerouslyAllowLoopbackHttpCallbacksForLocalTesting is on/)]);
    expect(defaults.text).not.toContain('DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS');
  });
});

describe('AsyncAthenaQuery: handles and validation', () => {
  it('exposes every resource it creates and the invoke URL of POST /queries', () => {
    // GIVEN
    const stack = new TerraformStack(Testing.app(), 'handles');
    // WHEN
    const svc = new AsyncAthenaQuery(stack, 'Svc', props);
    new TerraformOutput(stack, 'url', { value: svc.invokeUrl });
    new TerraformOutput(stack, 'arn', { value: svc.stateMachineArn });
    const outputs = (JSON.parse(Testing.synth(stack)) as { output: Record<string, { value: string }> }).output;
    // THEN
    for (const handle of [svc.callbackerFunction, svc.callbackerRole, svc.presignerRole, svc.callbackerLogGroup, svc.stateMachine, svc.stateMachineRole, svc.stateMachineLogGroup, svc.cancellationStateMachine, svc.queryApiFunction, svc.queryApiRole, svc.apiAccessLogGroup, svc.api.restApi, svc.api.stage, svc.deadLetterQueue.queue, svc.signingSecret?.secret]) {
      expect(handle).toBeDefined();
    }
    expect(outputs.url.value).toMatch(/^\$\{aws_api_gateway_stage\.Svc_Api_Stage_\w+\.invoke_url\}\/queries$/);
    expect(outputs.arn.value).toMatch(/^\$\{aws_sfn_state_machine\.Svc_Queries_StateMachine_\w+\.arn\}$/);
  });

  it('throws one InvalidPropsError listing every invalid literal prop', () => {
    // GIVEN
    const stack = new TerraformStack(Testing.app(), 'invalid');
    // WHEN
    const error = thrownBy(() => new AsyncAthenaQuery(stack, 'Svc', { workGroup: 'bad group', outputLocation: 's3://Bad/x', presignExpirySeconds: 0 }));
    // THEN
    expect(error).toBeInstanceOf(InvalidPropsError);
    expect(error.message).toMatch(/AsyncAthenaQuery 'Svc' has 3 invalid props:\n {2}- workGroup must match .*\n {2}- outputLocation must .*\n {2}- presignExpirySeconds must be an integer from 1 to 604800, got 0\./);
  });

  it('refuses two instances with the same name prefix in one stack', () => {
    // GIVEN
    const stack = new TerraformStack(Testing.app(), 'collide');
    new AsyncAthenaQuery(stack, 'A', props);
    // WHEN
    const error = thrownBy(() => new AsyncAthenaQuery(stack, 'B', props));
    // THEN
    expect(error).toBeInstanceOf(NamePrefixCollisionError);
    expect(error.message).toMatch(/namePrefix 'orders' is used by both 'collide\/A' and 'collide\/B'/);
  });

  it('derives a distinct default name prefix per instance', () => {
    const s = synthesize((scope) => {
      new AsyncAthenaQuery(scope, 'Orders', { workGroup: 'a', outputLocation: 's3://results-bucket/a/' });
      new AsyncAthenaQuery(scope, 'Billing', { workGroup: 'b', outputLocation: 's3://results-bucket/b/' });
    });
    const names = Object.values(resourcesOf(s, 'aws_lambda_function')).map((f) => f.function_name as string).sort();
    expect(names).toEqual([
      expect.stringMatching(/^billing-[0-9a-f]{8}-callbacker$/),
      expect.stringMatching(/^billing-[0-9a-f]{8}-query-api$/),
      expect.stringMatching(/^orders-[0-9a-f]{8}-callbacker$/),
      expect.stringMatching(/^orders-[0-9a-f]{8}-query-api$/),
    ]);
  });
});

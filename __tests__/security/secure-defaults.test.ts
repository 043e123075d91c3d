/**
 * Issue 5 §3: secure defaults, each tested on main.ts's stack (Terraform variables) and on literal props, and each
 * override tested on literal props.
 */
import { isDeepStrictEqual } from 'node:util';
import { API_ROUTES, IDEMPOTENCY_KEY_HEADER, QUERY_ID_PARAMETER, REQUEST_CONTENT_TYPE } from '../../constructs/builders/api-contract';
import type { SynthesizedStack } from '../../twin/wiring/synthesized-stack';
import {
  BASE_PROPS,
  DEAD_LETTER_KEY_ARN,
  type EvaluatedResource,
  evaluateResources,
  MAIN_VARIABLES,
  LOGS_KEY_ARN,
  type RenderedDeployment,
  renderDeployment,
  resourceAt,
  RESULTS_KEY_ARN,
  ScratchDirectories,
  synthesizeLiteralStacks,
  synthesizeModuleStack,
  WEB_ACL_ARN,
} from './support/deployments';
import { block, isTaggable, only, reference, type Resource, resources } from './support/resources';

const OVERRIDE_TAGS = { Team: 'data-platform', CostCenter: '4242' };

const scratch = new ScratchDirectories();
let moduleStack: SynthesizedStack;
let defaults: SynthesizedStack;
let overrides: SynthesizedStack;
let renderedOverrides: RenderedDeployment;
const evaluatedStacks = new Map<SynthesizedStack, EvaluatedResource[]>();

/** The stack's resources as Terraform creates them (variables at their defaults), evaluated once per stack. */
function created(stack: SynthesizedStack, type?: string): EvaluatedResource[] {
  let all = evaluatedStacks.get(stack);
  if (all === undefined) {
    all = evaluateResources(stack, stack === moduleStack ? MAIN_VARIABLES : {});
    evaluatedStacks.set(stack, all);
  }
  return all.filter((r) => r.count > 0 && (type === undefined || r.type === type));
}

function createdOnly(stack: SynthesizedStack, type: string): EvaluatedResource {
  const found = created(stack, type);
  if (found.length !== 1) throw new Error(`Expected one ${type}, found ${found.length}`);
  return found[0];
}

beforeAll(() => {
  moduleStack = synthesizeModuleStack(scratch.make('module'));
  const literal = synthesizeLiteralStacks(scratch.make('literal'), {
    defaults: BASE_PROPS,
    overrides: {
      ...BASE_PROPS,
      throttlingRateLimit: 10,
      throttlingBurstLimit: 20,
      apiLoggingLevel: 'INFO',
      logRetentionDays: 90,
      logsKmsKeyArn: LOGS_KEY_ARN,
      deadLetterQueueKmsKeyArn: DEAD_LETTER_KEY_ARN,
      resultsKmsKeyArn: RESULTS_KEY_ARN,
      callbackerReservedConcurrency: 5,
      queryApiReservedConcurrency: 7,
      webAclArn: WEB_ACL_ARN,
      manageApiGatewayAccountRole: true,
      tags: OVERRIDE_TAGS,
    },
  });
  defaults = literal.defaults;
  overrides = literal.overrides;
  renderedOverrides = renderDeployment('overrides', overrides);
});

afterAll(() => scratch.removeAll());

const logGroups = (stack: SynthesizedStack) => created(stack, 'aws_cloudwatch_log_group');
const methodSettings = (stack: SynthesizedStack) => block(createdOnly(stack, 'aws_api_gateway_method_settings').config, 'settings');
/** The two functions, by the construct that makes each. */
const FUNCTIONS = [
  ['callbacker', 'Callbacker'],
  ['query API function', 'QueryApi'],
] as const;
const STATE_MACHINES = [
  ['query state machine', 'Queries'],
  ['cancellation state machine', 'Cancellations'],
] as const;
const lambdaFunction = (stack: SynthesizedStack, construct = 'Callbacker') => resourceAt(stack, 'aws_lambda_function', `/${construct}/Function`).config;
const createdFunction = (stack: SynthesizedStack, construct: string) => {
  const { name } = resourceAt(stack, 'aws_lambda_function', `/${construct}/Function`);
  const found = created(stack, 'aws_lambda_function').filter((r) => r.name === name);
  if (found.length !== 1) throw new Error(`Expected the ${construct} function to be created`);
  return found[0].config;
};

describe.each([
  ['the module stack (Terraform variables)', () => moduleStack],
  ['literal props', () => defaults],
])('secure defaults of %s', (_label, stackOf) => {
  // --- API -------------------------------------------------------------------------------------------------------
  it('makes the API regional', () => {
    expect(block(only(stackOf(), 'aws_api_gateway_rest_api').config, 'endpoint_configuration')).toEqual({ types: ['REGIONAL'] });
  });

  it('requires AWS_IAM on every method', () => {
    // GIVEN
    const methods = resources(stackOf(), 'aws_api_gateway_method');
    // WHEN
    const authorizations = methods.map((m) => m.config.authorization);
    // THEN
    expect(methods.length).toBeGreaterThan(0);
    expect(new Set(authorizations)).toEqual(new Set(['AWS_IAM']));
  });

  it('exposes exactly the routes of the contract', () => {
    // GIVEN
    const stack = stackOf();
    const paths = new Map(resources(stack, 'aws_api_gateway_resource').map((r) => [reference(r, 'id'), r.config]));
    const fullPath = (id: unknown): string => {
      const resource = paths.get(String(id));
      return resource === undefined ? '' : `${fullPath(resource.parent_id)}/${String(resource.path_part)}`;
    };
    // WHEN
    const routes = resources(stack, 'aws_api_gateway_method').map((m) => `${String(m.config.http_method)} ${fullPath(m.config.resource_id)}`);
    // THEN
    expect(routes.sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('validates the body of every POST against the request model, and the path of every other method', () => {
    // GIVEN
    const stack = stackOf();
    const validators = resources(stack, 'aws_api_gateway_request_validator');
    const [bodyValidator, parametersValidator] = ['body', 'parameters'].map((name) => validators.find((v) => v.config.name === name) as Resource);
    const model = only(stack, 'aws_api_gateway_model');
    // WHEN
    const methods = resources(stack, 'aws_api_gateway_method').map((m) => m.config);
    // THEN
    expect(bodyValidator.config).toMatchObject({ validate_request_body: true, validate_request_parameters: false });
    expect(parametersValidator.config).toMatchObject({ validate_request_body: false, validate_request_parameters: true });
    for (const method of methods) {
      if (method.http_method === 'POST') {
        expect(method.request_validator_id).toBe(reference(bodyValidator, 'id'));
        expect(method.request_models).toEqual({ [REQUEST_CONTENT_TYPE]: reference(model, 'name') });
        expect(method.request_parameters).toEqual({ [`method.request.header.${IDEMPOTENCY_KEY_HEADER}`]: false });
      } else {
        expect(method.request_validator_id).toBe(reference(parametersValidator, 'id'));
        expect(method.request_parameters).toEqual({ [`method.request.path.${QUERY_ID_PARAMETER}`]: true });
      }
    }
  });

  it('hands every route to the query API function through a Lambda proxy integration', () => {
    // GIVEN
    const stack = stackOf();
    const fn = resourceAt(stack, 'aws_lambda_function', '/QueryApi/Function');
    // WHEN
    const integrations = resources(stack, 'aws_api_gateway_integration').map((i) => i.config);
    // THEN
    expect(integrations).toHaveLength(API_ROUTES.length);
    for (const integration of integrations) {
      expect(integration).toMatchObject({ type: 'AWS_PROXY', integration_http_method: 'POST', uri: `\${aws_lambda_function.${fn.name}.invoke_arn}` });
    }
  });

  it('lets API Gateway invoke the function for the routes of this API only, one permission per route', () => {
    // GIVEN
    const stack = stackOf();
    const api = only(stack, 'aws_api_gateway_rest_api');
    const fn = resourceAt(stack, 'aws_lambda_function', '/QueryApi/Function');
    // WHEN
    const permissions = resources(stack, 'aws_lambda_permission').map((p) => p.config);
    // THEN
    expect(permissions.map((p) => p.source_arn).sort()).toEqual(
      API_ROUTES.map((r) => `${reference(api, 'execution_arn')}/*/${r.method}${r.path.replace(`{${QUERY_ID_PARAMETER}}`, '*')}`).sort(),
    );
    for (const permission of permissions) {
      expect(permission).toMatchObject({ action: 'lambda:InvokeFunction', principal: 'apigateway.amazonaws.com', function_name: `\${aws_lambda_function.${fn.name}.function_name}` });
    }
  });

  it('throttles every method of the stage at 50 requests per second, bursts of 100', () => {
    // GIVEN
    const settings = only(stackOf(), 'aws_api_gateway_method_settings').config;
    // THEN
    expect(settings.method_path).toBe('*/*');
    expect(methodSettings(stackOf())).toMatchObject({ throttling_rate_limit: 50, throttling_burst_limit: 100 });
  });

  it('writes JSON access logs with the caller identity to its own log group', () => {
    // GIVEN
    const stack = stackOf();
    const accessLog = block(only(stack, 'aws_api_gateway_stage').config, 'access_log_settings');
    // WHEN
    const format = JSON.parse(String(accessLog.format)) as Record<string, string>;
    // THEN
    expect(accessLog.destination_arn).toBe(`\${aws_cloudwatch_log_group.${resourceAt(stack, 'aws_cloudwatch_log_group', '/Api/AccessLogGroup').name}.arn}`);
    expect(format).toMatchObject({ requestId: '$context.requestId', ip: '$context.identity.sourceIp', userArn: '$context.identity.userArn', status: '$context.status' });
  });

  it('never writes a request body or a value taken from one into the access log', () => {
    // GIVEN
    const accessLog = block(only(stackOf(), 'aws_api_gateway_stage').config, 'access_log_settings');
    // WHEN the format's variables: the validator's error string quotes body values (a callback URL with its token)
    const variables = Object.values(JSON.parse(String(accessLog.format)) as Record<string, string>);
    // THEN
    expect(variables.filter((v) => /\$input|validationErrorString|requestOverride|\$util/.test(v))).toEqual([]);
  });

  it('logs API execution at ERROR without request or response data', () => {
    expect(methodSettings(stackOf())).toMatchObject({ data_trace_enabled: false, logging_level: 'ERROR', metrics_enabled: true });
  });

  it('traces the API stage with X-Ray', () => {
    expect(only(stackOf(), 'aws_api_gateway_stage').config.xray_tracing_enabled).toBe(true);
  });

  it('associates no web ACL unless one is given', () => {
    expect(created(stackOf(), 'aws_wafv2_web_acl_association')).toEqual([]);
  });

  // --- State machine -----------------------------------------------------------------------------------------------
  it.each(STATE_MACHINES)('logs errors of the %s without execution data', (_name, construct) => {
    // GIVEN
    const stack = stackOf();
    const logGroup = resourceAt(stack, 'aws_cloudwatch_log_group', `/${construct}/LogGroup`);
    // WHEN
    const logging = block(resourceAt(stack, 'aws_sfn_state_machine', `/${construct}/StateMachine`).config, 'logging_configuration');
    // THEN
    expect(logging).toEqual({ level: 'ERROR', include_execution_data: false, log_destination: `\${aws_cloudwatch_log_group.${logGroup.name}.arn}:*` });
  });

  it.each(STATE_MACHINES)('traces the %s with X-Ray', (_name, construct) => {
    expect(block(resourceAt(stackOf(), 'aws_sfn_state_machine', `/${construct}/StateMachine`).config, 'tracing_configuration')).toEqual({ enabled: true });
  });

  // --- Lambda ------------------------------------------------------------------------------------------------------
  it('keeps every log group for 30 days', () => {
    // GIVEN
    const groups = logGroups(stackOf());
    // THEN
    expect(groups).toHaveLength(5);
    expect(groups.map((g) => g.config.retention_in_days)).toEqual([30, 30, 30, 30, 30]);
  });

  it.each(FUNCTIONS)('has the %s log to the log group the module created', (_name, construct) => {
    // GIVEN
    const stack = stackOf();
    const logGroup = resourceAt(stack, 'aws_cloudwatch_log_group', `/${construct}/LogGroup`);
    // THEN
    expect(block(lambdaFunction(stack, construct), 'logging_config')).toMatchObject({ log_group: `\${aws_cloudwatch_log_group.${logGroup.name}.name}` });
  });

  it('puts no secret in the callbacker environment, only the ARN of the secret', () => {
    // GIVEN
    const variables = block(createdFunction(stackOf(), 'Callbacker'), 'environment').variables as Record<string, string>;
    const secret = createdOnly(stackOf(), 'aws_secretsmanager_secret');
    // WHEN
    const leaking = Object.entries(variables).filter(
      ([, value]) => /secret_string|random_password|aws_secretsmanager_secret_version|whsec_/i.test(value),
    );
    const secretLike = Object.keys(variables).filter((name) => /SECRET|PASSWORD|TOKEN|PRIVATE|CREDENTIAL/i.test(name));
    // THEN
    expect(leaking).toEqual([]);
    expect(secretLike).toEqual(['WEBHOOK_SECRET_ARN']);
    expect(variables.WEBHOOK_SECRET_ARN).toBe(secret.attributes.arn);
  });

  it('gives the query API function no secret, not even the ARN of the signing secret', () => {
    // GIVEN
    const variables = block(createdFunction(stackOf(), 'QueryApi'), 'environment').variables as Record<string, string>;
    // WHEN
    const secretLike = Object.entries(variables).filter(([name, value]) => /SECRET|PASSWORD|TOKEN|PRIVATE|CREDENTIAL/i.test(name) || /secretsmanager|whsec_/i.test(value));
    // THEN
    expect(Object.keys(variables).sort()).toEqual(['CANCELLATION_STATE_MACHINE_ARN', 'OUTPUT_LOCATION', 'PRESIGNER_ROLE_ARN', 'PRESIGN_EXPIRY_SECONDS', 'STATE_MACHINE_ARN']);
    expect(secretLike).toEqual([]);
  });

  it.each(FUNCTIONS)('leaves the %s concurrency unreserved', (_name, construct) => {
    expect(createdFunction(stackOf(), construct).reserved_concurrent_executions ?? undefined).toBeUndefined();
  });

  it.each(FUNCTIONS)('traces the %s with X-Ray', (_name, construct) => {
    expect(block(lambdaFunction(stackOf(), construct), 'tracing_config')).toEqual({ mode: 'Active' });
  });

  // --- Presigned URLs, dead letters ----------------------------------------------------------------------------------
  it('caps presigner sessions, and so presigned URLs, at one hour', () => {
    // GIVEN
    const presigner = resourceAt(stackOf(), 'aws_iam_role', '/Callbacker/PresignerRole');
    // THEN
    expect(presigner.config.max_session_duration).toBe(3600);
  });

  it('encrypts the dead-letter queue with SQS-managed keys', () => {
    // GIVEN
    const queue = createdOnly(stackOf(), 'aws_sqs_queue').config;
    // THEN
    expect(queue.sqs_managed_sse_enabled).toBe(true);
    expect(queue.kms_master_key_id ?? undefined).toBeUndefined();
  });

  // --- Tags --------------------------------------------------------------------------------------------------------
  it('tags every taggable resource with ManagedBy', () => {
    // GIVEN
    const taggable = created(stackOf()).filter((r) => isTaggable(r.type));
    // WHEN
    const untagged = taggable.filter((r) => (r.config.tags as Record<string, string> | undefined)?.ManagedBy !== 'cdktf-async-athena-query');
    // THEN
    expect(taggable.length).toBeGreaterThanOrEqual(11);
    expect(untagged.map((r) => `${r.type}.${r.name}`)).toEqual([]);
  });
});

describe('overrides of the secure defaults (literal props)', () => {
  it('throttles at the rate and burst given', () => {
    expect(methodSettings(overrides)).toMatchObject({ throttling_rate_limit: 10, throttling_burst_limit: 20 });
  });

  it('logs API execution at the level given, still without request or response data', () => {
    expect(methodSettings(overrides)).toMatchObject({ logging_level: 'INFO', data_trace_enabled: false });
  });

  it('keeps every log group for the retention given', () => {
    expect(logGroups(overrides).map((g) => g.config.retention_in_days)).toEqual([90, 90, 90, 90, 90]);
  });

  it('encrypts every log group with the logs key given', () => {
    expect(logGroups(overrides).map((g) => g.config.kms_key_id)).toEqual(Array(5).fill(LOGS_KEY_ARN));
  });

  it('encrypts the dead-letter queue with the key given instead of SQS-managed keys', () => {
    // GIVEN
    const queue = only(overrides, 'aws_sqs_queue').config;
    // THEN
    expect(queue.kms_master_key_id).toBe(DEAD_LETTER_KEY_ARN);
    expect(queue.sqs_managed_sse_enabled).toBeUndefined();
  });

  it('reserves the callbacker concurrency given', () => {
    expect(lambdaFunction(overrides, 'Callbacker').reserved_concurrent_executions).toBe(5);
  });

  it('reserves the query API function concurrency given', () => {
    expect(lambdaFunction(overrides, 'QueryApi').reserved_concurrent_executions).toBe(7);
  });

  it('associates the web ACL given with the API stage', () => {
    // GIVEN
    const stage = only(overrides, 'aws_api_gateway_stage');
    // WHEN
    const association = only(overrides, 'aws_wafv2_web_acl_association').config;
    // THEN
    expect(association).toMatchObject({ web_acl_arn: WEB_ACL_ARN, resource_arn: reference(stage, 'arn') });
  });

  it('has Athena write results with SSE-KMS under the results key, with or without execution parameters', () => {
    // GIVEN
    const states = renderedOverrides.definition.States as Record<string, { Resource?: string; Parameters?: Record<string, unknown> }>;
    // WHEN
    const starts = Object.values(states).filter((s) => s.Resource?.endsWith(':athena:startQueryExecution.sync'));
    // THEN
    expect(starts).toHaveLength(2);
    for (const start of starts) {
      expect(start.Parameters?.ResultConfiguration).toEqual({
        OutputLocation: BASE_PROPS.outputLocation,
        EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: RESULTS_KEY_ARN },
      });
    }
  });

  it.each([
    ['stateMachine', ['kms:GenerateDataKey', 'kms:Decrypt']],
    ['presigner', ['kms:Decrypt']],
  ] as const)('grants the %s role exactly %j on the results key', (key, actions) => {
    // GIVEN
    const role = renderedOverrides.roles[key];
    // WHEN
    const onKey = (role?.inline ?? []).flatMap((p) => p.Statement).filter((s) => ([] as string[]).concat(s.Resource ?? []).includes(RESULTS_KEY_ARN));
    // THEN
    expect(onKey.flatMap((s) => ([] as string[]).concat(s.Action ?? [])).sort()).toEqual([...actions].sort());
  });

  it('tags every taggable resource with the tags given, next to ManagedBy', () => {
    // GIVEN
    const taggable = resources(overrides).filter((r: Resource) => isTaggable(r.type));
    const expected = { ManagedBy: 'cdktf-async-athena-query', ...OVERRIDE_TAGS };
    // WHEN
    const mistagged = taggable.filter((r) => !isDeepStrictEqual(r.config.tags, expected));
    // THEN
    expect(taggable.map((r) => r.type)).toEqual(expect.arrayContaining(['aws_iam_role', 'aws_lambda_function', 'aws_sfn_state_machine', 'aws_sqs_queue', 'aws_secretsmanager_secret', 'aws_api_gateway_rest_api', 'aws_api_gateway_stage', 'aws_cloudwatch_log_group']));
    expect(mistagged.map((r) => `${r.type}.${r.name}: ${JSON.stringify(r.config.tags)}`)).toEqual([]);
  });
});

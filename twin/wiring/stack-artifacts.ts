/**
 * Everything the twin runs, read from the synthesized stack and evaluated by Terraform: the two state-machine
 * definitions (queries, cancellations), the REST API (routes, models, validators, Lambda proxy integrations and the
 * Lambda permissions, gateway responses, stage throttling), the two Lambda functions (bundle, handler, timeout,
 * environment), the roles, the dead-letter queue and the signing secret.
 *
 * Nothing here is rebuilt from the builders: a bug in how the constructs wire the builders' output into resources
 * must show up in the twin.
 */
import * as path from 'node:path';
import { evaluateInStack, findResources, type SynthesizedStack } from './synthesized-stack';

/** One mapping template per content type. */
export type TemplatesByContentType = Readonly<Record<string, string>>;

/** An integration response rule as API Gateway stores it. */
export interface IntegrationResponseArtifact {
  readonly statusCode: string;
  /** Regex on the backend status; undefined for the default response. */
  readonly selectionPattern?: string;
  readonly responseTemplates: TemplatesByContentType;
}

/** One method of the REST API with its integration. */
export interface ApiRouteArtifact {
  /** Resource path, e.g. `/queries` or `/queries/{id}`. */
  readonly path: string;
  readonly httpMethod: string;
  readonly authorization: string;
  /** Whether the method's request validator checks bodies. */
  readonly validateBody: boolean;
  /** Whether the method's request validator checks request parameters. */
  readonly validateParameters: boolean;
  /** Declared request parameters (`method.request.path.id`, `method.request.header.X`) and whether each is required. */
  readonly requestParameters: Readonly<Record<string, boolean>>;
  /** Model schema (JSON text) by content type. */
  readonly requestModels: Readonly<Record<string, string>>;
  readonly integration: {
    readonly type: string;
    readonly uri: string;
    readonly httpMethod: string;
    readonly passthroughBehavior: string;
    readonly requestTemplates: TemplatesByContentType;
    readonly credentials?: string;
    /** Milliseconds API Gateway waits for the integration. @default 29000 */
    readonly timeoutMilliseconds: number;
  };
  readonly integrationResponses: readonly IntegrationResponseArtifact[];
}

/** An `aws_lambda_permission`: who may invoke which function, from which source ARN. */
export interface LambdaPermissionArtifact {
  readonly functionName: string;
  readonly action: string;
  readonly principal: string;
  readonly sourceArn?: string;
}

/** A state machine as deployed. */
export interface StateMachineArtifact {
  readonly arn: string;
  readonly name: string;
  readonly type: string;
  readonly roleArn: string;
  /** The definition as Terraform renders it (a JSON string). */
  readonly definition: string;
}

/** A Lambda function as deployed. */
export interface FunctionArtifact {
  readonly functionArn: string;
  readonly functionName: string;
  /** `file.export`, e.g. `index.handler`. */
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memorySizeMb: number;
  readonly roleArn: string;
  /** `environment.variables`, evaluated; numbers become strings as Lambda stores them. */
  readonly environment: Readonly<Record<string, string>>;
  /** The deployment package Lambda would get, relative to the stack directory. */
  readonly codePackage: CodePackageArtifact;
}

/** A customised gateway response. */
export interface GatewayResponseArtifact {
  readonly statusCode: string;
  readonly responseTemplates: TemplatesByContentType;
}

/** The deployed shape of the whole stack, as the twin needs it. */
export interface TwinArtifacts {
  /** The Terraform variable values the artifacts were evaluated with. */
  readonly variables: Readonly<Record<string, unknown>>;
  /** The query state machine. */
  readonly stateMachine: StateMachineArtifact;
  /** The cancellation state machine. */
  readonly cancellationStateMachine: StateMachineArtifact;
  readonly api: {
    readonly name: string;
    /** The REST API's id (a stand-in) and its execute-api ARN, which Lambda permissions' source ARNs start with. */
    readonly id: string;
    readonly executionArn: string;
    readonly stageName: string;
    readonly routes: readonly ApiRouteArtifact[];
    readonly gatewayResponses: Readonly<Record<string, GatewayResponseArtifact>>;
    /** Stage-wide throttling from `aws_api_gateway_method_settings` on `*\/*`, when set. */
    readonly throttling?: { readonly rateLimit: number; readonly burstLimit: number };
    readonly accessLogFormat?: string;
  };
  /** The callbacker function. */
  readonly callbacker: FunctionArtifact;
  /** The query API function, behind every route. */
  readonly queryApi: FunctionArtifact;
  /** Every Lambda permission of the stack. */
  readonly lambdaPermissions: readonly LambdaPermissionArtifact[];
  readonly roles: readonly { readonly arn: string; readonly name: string; readonly maxSessionDurationSeconds: number }[];
  readonly deadLetterQueue: { readonly url: string; readonly arn: string; readonly name: string };
  readonly signingSecret?: { readonly arn: string; readonly name: string };
}

/**
 * Where the function's code is in the stack: the zip its `filename` names (packaging `prebuilt-zip`), or the bundle an
 * `archive_file` data source zips at plan time (packaging `archive-provider`; the zip does not exist before a plan).
 */
export type CodePackageArtifact = { readonly kind: 'zip'; readonly file: string } | { readonly kind: 'archive-source'; readonly file: string };

type Config = Record<string, unknown>;

function pick(config: Config, keys: readonly string[]): Config {
  return Object.fromEntries(keys.filter((k) => config[k] !== undefined).map((k) => [k, config[k]]));
}

/** Every resource of a type, with the listed settings and attribute references, keyed by Terraform name. */
function expressionsFor(stack: SynthesizedStack, type: string, keys: readonly string[], attributes: readonly string[] = []): Record<string, Config> {
  return Object.fromEntries(
    Object.entries(findResources(stack, type)).map(([name, config]) => [
      name,
      { ...pick(config, keys), ...Object.fromEntries(attributes.map((a) => [`attr_${a}`, `\${${type}.${name}.${a}}`])) },
    ]),
  );
}

/** The name of the one resource of a type whose construct path ends with `suffix` (cdktf writes it under `//`). */
function nameAt(stack: SynthesizedStack, type: string, suffix: string): string {
  const found = Object.entries(findResources(stack, type)).filter(([, config]) => {
    const meta = config['//'] as { metadata?: { path?: string } } | undefined;
    return (meta?.metadata?.path ?? '').endsWith(suffix);
  });
  if (found.length !== 1) throw new Error(`The twin expects exactly one ${type} at *${suffix} in the stack, found ${found.length}`);
  return found[0][0];
}

function only<T>(items: Record<string, T>, what: string): T {
  const values = Object.values(items);
  if (values.length !== 1) throw new Error(`The twin expects exactly one ${what} in the stack, found ${values.length}`);
  return values[0];
}

function str(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`Expected ${what} to be a string, got ${JSON.stringify(value)}`);
  return value;
}

function num(value: unknown, what: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`Expected ${what} to be a number, got ${JSON.stringify(value)}`);
  return n;
}

function templates(value: unknown): TemplatesByContentType {
  return Object.fromEntries(Object.entries((value ?? {}) as Record<string, unknown>).map(([k, v]) => [k, str(v, `template for ${k}`)]));
}

/** A path under `${path.module}`, relative to the stack directory. */
function moduleRelative(value: string, what: string): string {
  const relative = /^\$\{path\.module\}\/(.+)$/.exec(value);
  if (relative === null) throw new Error(`${what} must be under \${path.module}, got ${value}`);
  return path.normalize(relative[1]);
}

/** Finds the code the function's `filename` points at: the shipped zip, or the source of an archive_file data source. */
function codePackageOf(stack: SynthesizedStack, filename: string): CodePackageArtifact {
  const archive = /^\$\{data\.archive_file\.([A-Za-z0-9_]+)\.output_path\}$/.exec(filename);
  if (archive === null) return { kind: 'zip', file: moduleRelative(filename, "The function's filename") };
  const source = findResources(stack, 'archive_file', 'data')[archive[1]];
  return { kind: 'archive-source', file: moduleRelative(str(source?.source_file, `archive_file.${archive[1]}.source_file`), "The archive's source_file") };
}

/** Reads and evaluates the stack. Runs Terraform once (about 0.3 s). */
export function readTwinArtifacts(stack: SynthesizedStack, variables: Readonly<Record<string, unknown>>): TwinArtifacts {
  const raw = {
    sfn: expressionsFor(stack, 'aws_sfn_state_machine', ['name', 'type', 'definition', 'role_arn'], ['arn']),
    lambda: expressionsFor(stack, 'aws_lambda_function', ['function_name', 'handler', 'runtime', 'timeout', 'memory_size', 'environment', 'role'], ['arn']),
    permissions: expressionsFor(stack, 'aws_lambda_permission', ['function_name', 'action', 'principal', 'source_arn']),
    roles: expressionsFor(stack, 'aws_iam_role', ['name', 'max_session_duration'], ['arn']),
    queues: expressionsFor(stack, 'aws_sqs_queue', ['name'], ['url', 'arn']),
    secrets: expressionsFor(stack, 'aws_secretsmanager_secret', [], ['arn', 'name']),
    restApis: expressionsFor(stack, 'aws_api_gateway_rest_api', ['name'], ['id', 'root_resource_id', 'execution_arn']),
    resources: expressionsFor(stack, 'aws_api_gateway_resource', ['parent_id', 'path_part'], ['id']),
    methods: expressionsFor(stack, 'aws_api_gateway_method', ['resource_id', 'http_method', 'authorization', 'request_models', 'request_validator_id', 'request_parameters']),
    validators: expressionsFor(stack, 'aws_api_gateway_request_validator', ['validate_request_body', 'validate_request_parameters'], ['id']),
    models: expressionsFor(stack, 'aws_api_gateway_model', ['name', 'schema', 'content_type']),
    integrations: expressionsFor(stack, 'aws_api_gateway_integration', [
      'resource_id', 'http_method', 'type', 'uri', 'integration_http_method', 'passthrough_behavior', 'request_templates', 'credentials', 'timeout_milliseconds',
    ]),
    integrationResponses: expressionsFor(stack, 'aws_api_gateway_integration_response', [
      'resource_id', 'http_method', 'status_code', 'selection_pattern', 'response_templates',
    ]),
    gatewayResponses: expressionsFor(stack, 'aws_api_gateway_gateway_response', ['response_type', 'status_code', 'response_templates']),
    stages: expressionsFor(stack, 'aws_api_gateway_stage', ['stage_name', 'access_log_settings']),
    methodSettings: expressionsFor(stack, 'aws_api_gateway_method_settings', ['method_path', 'settings']),
  };
  const evaluated = evaluateInStack(stack, raw, { variables }) as Record<keyof typeof raw, Record<string, Config>>;

  const stateMachineAt = (suffix: string): StateMachineArtifact => {
    const sfn = evaluated.sfn[nameAt(stack, 'aws_sfn_state_machine', suffix)];
    return {
      arn: str(sfn.attr_arn, 'state machine arn'),
      name: str(sfn.name, 'state machine name'),
      type: typeof sfn.type === 'string' ? sfn.type : 'STANDARD',
      roleArn: str(sfn.role_arn, 'state machine role'),
      definition: str(sfn.definition, 'state machine definition'),
    };
  };
  const functionAt = (suffix: string): FunctionArtifact => {
    const name = nameAt(stack, 'aws_lambda_function', suffix);
    const fn = evaluated.lambda[name];
    const environment = ((fn.environment as Config | undefined)?.variables ?? {}) as Config;
    return {
      functionArn: str(fn.attr_arn, 'function arn'),
      functionName: str(fn.function_name, 'function_name'),
      handler: str(fn.handler, 'handler'),
      runtime: str(fn.runtime, 'runtime'),
      // Lambda's defaults when unset: 3 s and 128 MB. https://docs.aws.amazon.com/lambda/latest/dg/configuration-function-common.html
      timeoutSeconds: fn.timeout === undefined ? 3 : num(fn.timeout, 'timeout'),
      memorySizeMb: fn.memory_size === undefined ? 128 : num(fn.memory_size, 'memory_size'),
      roleArn: str(fn.role, 'function role'),
      environment: Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])),
      codePackage: codePackageOf(stack, str(findResources(stack, 'aws_lambda_function')[name].filename, 'function filename')),
    };
  };
  const queue = only(evaluated.queues, 'aws_sqs_queue');
  const restApi = only(evaluated.restApis, 'aws_api_gateway_rest_api');
  const stage = only(evaluated.stages, 'aws_api_gateway_stage');

  const resourcePaths = new Map<string, string>([[str(restApi.attr_root_resource_id, 'root resource id'), '']]);
  const resources = Object.values(evaluated.resources);
  for (let pass = 0; pass < resources.length; pass++) {
    for (const r of resources) {
      const parent = resourcePaths.get(str(r.parent_id, 'parent_id'));
      if (parent !== undefined) resourcePaths.set(str(r.attr_id, 'resource id'), `${parent}/${str(r.path_part, 'path_part')}`);
    }
  }
  const modelsByName = new Map(Object.values(evaluated.models).map((m) => [str(m.name, 'model name'), str(m.schema, 'model schema')]));
  const validatorsById = new Map(
    Object.values(evaluated.validators).map((v) => [str(v.attr_id, 'validator id'), { body: v.validate_request_body === true, parameters: v.validate_request_parameters === true }]),
  );

  const routes: ApiRouteArtifact[] = Object.values(evaluated.methods).map((method) => {
    const resourceId = str(method.resource_id, 'method resource_id');
    const httpMethod = str(method.http_method, 'http_method');
    const sameMethod = (c: Config): boolean => c.resource_id === resourceId && c.http_method === httpMethod;
    const integration = Object.values(evaluated.integrations).find(sameMethod);
    if (integration === undefined) throw new Error(`Method ${httpMethod} on resource ${resourceId} has no integration`);
    const requestModels = Object.fromEntries(
      Object.entries((method.request_models ?? {}) as Record<string, unknown>).map(([contentType, name]) => {
        const schema = modelsByName.get(str(name, 'request model name'));
        if (schema === undefined) throw new Error(`Request model ${String(name)} is not defined`);
        return [contentType, schema];
      }),
    );
    const validator = method.request_validator_id === undefined ? undefined : validatorsById.get(str(method.request_validator_id, 'validator id'));
    return {
      path: resourcePaths.get(resourceId) ?? `/<unknown resource ${resourceId}>`,
      httpMethod,
      authorization: str(method.authorization, 'authorization'),
      validateBody: validator?.body === true,
      validateParameters: validator?.parameters === true,
      requestParameters: Object.fromEntries(Object.entries((method.request_parameters ?? {}) as Record<string, unknown>).map(([name, required]) => [name, required === true])),
      requestModels,
      integration: {
        type: str(integration.type, 'integration type'),
        uri: str(integration.uri, 'integration uri'),
        httpMethod: str(integration.integration_http_method, 'integration_http_method'),
        passthroughBehavior: typeof integration.passthrough_behavior === 'string' ? integration.passthrough_behavior : 'WHEN_NO_MATCH',
        requestTemplates: templates(integration.request_templates),
        ...(typeof integration.credentials === 'string' && { credentials: integration.credentials }),
        // API Gateway's default integration timeout. https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
        timeoutMilliseconds: integration.timeout_milliseconds === undefined ? 29000 : num(integration.timeout_milliseconds, 'timeout_milliseconds'),
      },
      integrationResponses: Object.values(evaluated.integrationResponses)
        .filter(sameMethod)
        .map((r) => ({
          statusCode: String(r.status_code),
          ...(typeof r.selection_pattern === 'string' && r.selection_pattern !== '' && { selectionPattern: r.selection_pattern }),
          responseTemplates: templates(r.response_templates),
        })),
    };
  });

  const stageWide = Object.values(evaluated.methodSettings).find((m) => m.method_path === '*/*');
  const settings = (Array.isArray(stageWide?.settings) ? stageWide?.settings[0] : stageWide?.settings) as Config | undefined;
  const accessLog = (Array.isArray(stage.access_log_settings) ? stage.access_log_settings[0] : stage.access_log_settings) as Config | undefined;
  const secret = Object.values(evaluated.secrets)[0];

  return {
    variables,
    stateMachine: stateMachineAt('/Queries/StateMachine'),
    cancellationStateMachine: stateMachineAt('/Cancellations/StateMachine'),
    api: {
      name: str(restApi.name, 'rest api name'),
      id: str(restApi.attr_id, 'rest api id'),
      executionArn: str(restApi.attr_execution_arn, 'rest api execution arn'),
      stageName: str(stage.stage_name, 'stage name'),
      routes,
      gatewayResponses: Object.fromEntries(
        Object.values(evaluated.gatewayResponses).map((g) => [
          str(g.response_type, 'response_type'),
          { statusCode: String(g.status_code), responseTemplates: templates(g.response_templates) },
        ]),
      ),
      ...(settings?.throttling_rate_limit !== undefined &&
        settings.throttling_burst_limit !== undefined && {
          throttling: { rateLimit: num(settings.throttling_rate_limit, 'rate limit'), burstLimit: num(settings.throttling_burst_limit, 'burst limit') },
        }),
      ...(typeof accessLog?.format === 'string' && { accessLogFormat: accessLog.format }),
    },
    callbacker: functionAt('/Callbacker/Function'),
    queryApi: functionAt('/QueryApi/Function'),
    lambdaPermissions: Object.values(evaluated.permissions).map((p) => ({
      functionName: str(p.function_name, 'permission function_name'),
      action: str(p.action, 'permission action'),
      principal: str(p.principal, 'permission principal'),
      ...(typeof p.source_arn === 'string' && { sourceArn: p.source_arn }),
    })),
    roles: Object.values(evaluated.roles).map((r) => ({
      arn: str(r.attr_arn, 'role arn'),
      name: str(r.name, 'role name'),
      // IAM's default maximum session: one hour. https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-settings.html
      maxSessionDurationSeconds: r.max_session_duration === undefined ? 3600 : num(r.max_session_duration, 'max_session_duration'),
    })),
    deadLetterQueue: { url: str(queue.attr_url, 'queue url'), arn: str(queue.attr_arn, 'queue arn'), name: str(queue.name, 'queue name') },
    ...(secret !== undefined && { signingSecret: { arn: str(secret.attr_arn, 'secret arn'), name: str(secret.attr_name, 'secret name') } }),
  };
}

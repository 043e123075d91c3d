import { ApiGatewayDeployment } from '@cdktf/provider-aws/lib/api-gateway-deployment';
import { ApiGatewayGatewayResponse } from '@cdktf/provider-aws/lib/api-gateway-gateway-response';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { ApiGatewayMethod } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayMethodSettings } from '@cdktf/provider-aws/lib/api-gateway-method-settings';
import { ApiGatewayModel } from '@cdktf/provider-aws/lib/api-gateway-model';
import { ApiGatewayRequestValidator } from '@cdktf/provider-aws/lib/api-gateway-request-validator';
import { ApiGatewayResource } from '@cdktf/provider-aws/lib/api-gateway-resource';
import { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import type { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import { type ITerraformDependable, type TerraformResource, Token } from 'cdktf';
import { Construct } from 'constructs';
import {
  API_ROUTES,
  type ApiRoute,
  buildAccessLogFormat,
  buildRequestModel,
  IDEMPOTENCY_KEY_HEADER,
  QUERY_ID_PARAMETER,
  QUERY_ROUTES,
  REQUEST_CONTENT_TYPE,
} from './builders/api-contract';
import { resourceName } from './builders/naming';
import { resourceTags } from './tagging';
import type { JsonTree } from './builders/deferred';
import { countWhen, terraformExpression } from './terraform-json';

/** Props of {@link QueryRestApi}. */
export interface QueryRestApiProps {
  /** Prefix of the physical names (`<prefix>-api`). */
  readonly namePrefix: string;
  /** The function behind every route (Lambda proxy integrations): the query API function. */
  readonly queryApiFunction: LambdaFunction;
  /**
   * Stage name, the first path segment of the URL.
   *
   * @default 'live' (the seed sample's)
   */
  readonly stageName?: string;
  /**
   * Steady-state request rate limit of the stage, per second.
   *
   * @default 50
   * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst limit of the stage.
   *
   * @default 100
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Execution logging level of the stage's methods. Execution logs and access logs need the account-level API
   * Gateway CloudWatch role (see `AsyncAthenaQueryProps.manageApiGatewayAccountRole`).
   *
   * @default 'ERROR'
   */
  readonly loggingLevel?: 'OFF' | 'ERROR' | 'INFO';
  /**
   * Retention of the access-log group, in days.
   *
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * KMS key for the access-log group.
   *
   * @default - CloudWatch Logs default encryption
   */
  readonly logsKmsKeyArn?: string;
  /**
   * A regional WAFv2 web ACL to associate with the stage. A Terraform token whose value is null means no WAF.
   *
   * @default - no WAF
   */
  readonly webAclArn?: string;
  /**
   * Resources the stage must wait for, such as the account-level API Gateway CloudWatch role settings that access
   * logging needs.
   *
   * @default - none
   */
  readonly stageDependsOn?: readonly ITerraformDependable[];
  /**
   * Tags for every taggable resource.
   *
   * @default - only `ManagedBy`
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Construct ids of a route's resources, kept stable: they are part of the module's resource addresses. */
const ROUTE_IDS: Readonly<Record<string, string>> = {
  'POST /queries': 'Queries',
  'POST /invocation': 'Invocation',
  [`GET /queries/{${QUERY_ID_PARAMETER}}`]: 'Status',
  [`DELETE /queries/{${QUERY_ID_PARAMETER}}`]: 'Cancel',
  [`GET /queries/{${QUERY_ID_PARAMETER}}/result`]: 'Result',
};

/** Construct ids of the path resources. */
const RESOURCE_IDS: Readonly<Record<string, string>> = {
  '/queries': 'QueriesResource',
  '/invocation': 'InvocationResource',
  [`/queries/{${QUERY_ID_PARAMETER}}`]: 'QueryResource',
  [`/queries/{${QUERY_ID_PARAMETER}}/result`]: 'ResultResource',
};

/** `METHOD /path`, the key of a route. */
export function routeKey(route: ApiRoute): string {
  return `${route.method} ${route.path}`;
}

/**
 * A regional REST API, IAM-authenticated, whose every route (submit, status, cancel, result link) is served by the
 * query API function through a Lambda proxy integration. API Gateway keeps what it does best: SigV4 authorization,
 * the JSON-schema request model of the POST body and the request validators (a refused request never reaches the
 * function), throttling and access logs.
 */
export class QueryRestApi extends Construct {
  /** The REST API. */
  public readonly restApi: ApiGatewayRestApi;
  /** The stage. */
  public readonly stage: ApiGatewayStage;
  /** The deployment, re-created whenever the API definition changes. */
  public readonly deployment: ApiGatewayDeployment;
  /** Everything the deployment snapshots: it depends on each, and its trigger hashes each one's configured arguments. */
  public readonly definitionParts: readonly TerraformResource[];
  /** The access-log group. */
  public readonly accessLogGroup: CloudwatchLogGroup;
  /** The request model. */
  public readonly requestModel: ApiGatewayModel;
  /** The methods, by route (`POST /queries`, `GET /queries/{id}`, ...). */
  public readonly methods: Readonly<Record<string, ApiGatewayMethod>>;
  /** The permissions letting API Gateway invoke the function, one per route, scoped to it. */
  public readonly permissions: readonly LambdaPermission[];
  /** The full URL of `POST /queries`. */
  public readonly invokeUrl: string;
  /** The stage's base URL (`https://<id>.execute-api.<region>.amazonaws.com/<stage>`). */
  public readonly stageUrl: string;

  constructor(scope: Construct, id: string, props: QueryRestApiProps) {
    super(scope, id);
    const tags = resourceTags(props.tags);
    const apiName = resourceName(props.namePrefix, 'restApi');
    const stageName = props.stageName ?? 'live';
    const fn = props.queryApiFunction;

    this.restApi = new ApiGatewayRestApi(this, 'RestApi', {
      name: apiName,
      description: 'Asynchronous Athena queries: POST a query and a callback URL; read, cancel and fetch it by id.',
      endpointConfiguration: { types: ['REGIONAL'] },
      tags,
    });

    this.requestModel = new ApiGatewayModel(this, 'RequestModel', {
      restApiId: this.restApi.id,
      name: 'QueryRequest',
      contentType: REQUEST_CONTENT_TYPE,
      schema: JSON.stringify(buildRequestModel()),
    });
    const bodyValidator = new ApiGatewayRequestValidator(this, 'BodyValidator', {
      restApiId: this.restApi.id,
      name: 'body',
      validateRequestBody: true,
      validateRequestParameters: false,
    });
    const parametersValidator = new ApiGatewayRequestValidator(this, 'ParametersValidator', {
      restApiId: this.restApi.id,
      name: 'parameters',
      validateRequestBody: false,
      validateRequestParameters: true,
    });

    // Refused requests get a 400 that says which rule failed, instead of API Gateway's bare message.
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html
    const badRequestBody = new ApiGatewayGatewayResponse(this, 'BadRequestBody', {
      restApiId: this.restApi.id,
      responseType: 'BAD_REQUEST_BODY',
      statusCode: '400',
      responseTemplates: {
        [REQUEST_CONTENT_TYPE]: '{"message": "Invalid request body", "errors": "$context.error.validationErrorString", "requestId": "$context.requestId"}',
      },
    });
    const badRequestParameters = new ApiGatewayGatewayResponse(this, 'BadRequestParameters', {
      restApiId: this.restApi.id,
      responseType: 'BAD_REQUEST_PARAMETERS',
      statusCode: '400',
      responseTemplates: {
        [REQUEST_CONTENT_TYPE]: '{"message": "Invalid request parameters", "errors": "$context.error.validationErrorString", "requestId": "$context.requestId"}',
      },
    });

    const resources = new Map<string, ApiGatewayResource>();
    const resourceFor = (path: string): ApiGatewayResource => {
      const existing = resources.get(path);
      if (existing !== undefined) return existing;
      const parentPath = path.slice(0, path.lastIndexOf('/'));
      const resource = new ApiGatewayResource(this, RESOURCE_IDS[path], {
        restApiId: this.restApi.id,
        parentId: parentPath === '' ? this.restApi.rootResourceId : resourceFor(parentPath).id,
        pathPart: path.slice(path.lastIndexOf('/') + 1),
      });
      resources.set(path, resource);
      return resource;
    };

    const methods: Record<string, ApiGatewayMethod> = {};
    const permissions: LambdaPermission[] = [];
    const definitionParts: TerraformResource[] = [this.requestModel, bodyValidator, parametersValidator, badRequestBody, badRequestParameters];
    for (const route of API_ROUTES) {
      const routeId = ROUTE_IDS[routeKey(route)];
      const resource = resourceFor(route.path);
      const submit = route.operation === 'submit';
      const method = new ApiGatewayMethod(this, `${routeId}${route.method.charAt(0)}${route.method.slice(1).toLowerCase()}`, {
        restApiId: this.restApi.id,
        resourceId: resource.id,
        httpMethod: route.method,
        authorization: 'AWS_IAM',
        requestValidatorId: submit ? bodyValidator.id : parametersValidator.id,
        // The POST body is checked against the model before the function runs; the query id is a required path part.
        ...(submit ? { requestModels: { [REQUEST_CONTENT_TYPE]: this.requestModel.name } } : {}),
        requestParameters: submit ? { [`method.request.header.${IDEMPOTENCY_KEY_HEADER}`]: false } : { [`method.request.path.${QUERY_ID_PARAMETER}`]: true },
      });
      const integration = new ApiGatewayIntegration(this, `${routeId}Integration`, {
        restApiId: this.restApi.id,
        resourceId: resource.id,
        httpMethod: method.httpMethod,
        // The function receives the request as it is and answers the HTTP response.
        // https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        uri: fn.invokeArn,
      });
      // One permission per route, for this API's routes only: `<execution ARN>/<stage>/<METHOD>/<path>`, `{id}` as `*`.
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html
      const permission = new LambdaPermission(this, `${routeId}Permission`, {
        statementId: `AllowApiGateway${routeId}`,
        action: 'lambda:InvokeFunction',
        functionName: fn.functionName,
        principal: 'apigateway.amazonaws.com',
        sourceArn: `${this.restApi.executionArn}/*/${route.method}${route.path.replace(/\{[^}]+\}/g, '*')}`,
      });
      methods[routeKey(route)] = method;
      permissions.push(permission);
      definitionParts.push(resource, method, integration, permission);
    }
    this.methods = methods;
    this.permissions = permissions;

    this.definitionParts = [...new Set(definitionParts)];
    this.deployment = new ApiGatewayDeployment(this, 'Deployment', {
      restApiId: this.restApi.id,
      description: 'Managed by cdktf-async-athena-query',
      // A stage keeps serving the snapshot of its deployment, so a new deployment is made whenever anything the API
      // answers or integrates with changes: every argument of every part (resources, methods, models, validators,
      // integrations, gateway responses, the Lambda permissions) is hashed.
      // https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/api_gateway_deployment
      triggers: { redeployment: deploymentTrigger(this.definitionParts) },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: [...this.definitionParts],
    });

    this.accessLogGroup = new CloudwatchLogGroup(this, 'AccessLogGroup', {
      name: `/aws/apigateway/${apiName}/${stageName}/access`,
      retentionInDays: props.logRetentionDays ?? 30,
      kmsKeyId: props.logsKmsKeyArn,
      tags,
    });

    this.stage = new ApiGatewayStage(this, 'Stage', {
      restApiId: this.restApi.id,
      deploymentId: this.deployment.id,
      stageName,
      xrayTracingEnabled: true,
      accessLogSettings: { destinationArn: this.accessLogGroup.arn, format: buildAccessLogFormat() },
      tags,
      dependsOn: props.stageDependsOn ? [...props.stageDependsOn] : undefined,
    });

    new ApiGatewayMethodSettings(this, 'MethodSettings', {
      restApiId: this.restApi.id,
      stageName: this.stage.stageName,
      methodPath: '*/*',
      settings: {
        throttlingRateLimit: props.throttlingRateLimit ?? 50,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 100,
        metricsEnabled: true,
        loggingLevel: props.loggingLevel ?? 'ERROR',
        // Full request/response logging would write queries and callback URLs to CloudWatch.
        dataTraceEnabled: false,
      },
    });

    if (props.webAclArn !== undefined) {
      new Wafv2WebAclAssociation(this, 'WebAcl', {
        resourceArn: this.stage.arn,
        webAclArn: props.webAclArn,
        count: Token.isUnresolved(props.webAclArn) ? countWhen(Token.asAny(terraformExpression((ref) => `${ref(props.webAclArn)} != null`)) as unknown as boolean) : undefined,
      });
    }

    this.stageUrl = this.stage.invokeUrl;
    this.invokeUrl = `${this.stage.invokeUrl}/${QUERY_ROUTES[0]}`;
  }
}

/** Terraform's meta-arguments and cdktf's metadata key: they say how Terraform manages a resource, not what AWS holds. */
const META_ARGUMENTS = new Set(['depends_on', 'lifecycle', 'count', 'for_each', 'provider', 'provisioner', 'connection', '//']);

/** A rendered value without the keys cdktf leaves `undefined` (arguments not set). */
function withoutUnset(value: unknown): JsonTree {
  if (Array.isArray(value)) return value.map(withoutUnset);
  if (value === null || typeof value !== 'object' || Token.isUnresolved(value)) return value as JsonTree;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, withoutUnset(v)]));
}

/** Every argument a part is configured with, as cdktf renders it at synth time (escape-hatch overrides included). */
function configuredArguments(part: TerraformResource): JsonTree {
  const rendered = part.toTerraform() as { readonly resource: Record<string, Record<string, Record<string, unknown>>> };
  const attributes = rendered.resource[part.terraformResourceType][part.friendlyUniqueId];
  return withoutUnset(Object.fromEntries(Object.entries(attributes).filter(([key]) => !META_ARGUMENTS.has(key))));
}

/**
 * The deployment's redeployment trigger: a SHA-1 of every argument every part is configured with, so that Terraform
 * re-creates the deployment whenever any of them changes (all of them, not a hand-picked list, so a new argument
 * cannot be forgotten; references such as `rest_api_id` and `resource_id` make a replaced parent count too).
 *
 * The configuration, not the parts' state: the provider reads some attributes back differently from what it stored
 * at create (an unset map as `{}` instead of null, the model's schema JSON as API Gateway returns it), so a hash of
 * whole resource objects changes on the first refresh and the plan after the first apply would replace the
 * deployment (the provider's documentation warns of it: "using whole resources will show a difference after the
 * initial implementation").
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/api_gateway_deployment
 */
function deploymentTrigger(parts: readonly TerraformResource[]): string {
  return terraformExpression((ref) => `sha1(jsonencode([${parts.map((part) => ref(configuredArguments(part))).join(', ')}]))`);
}

import { ApiGatewayDeployment } from '@cdktf/provider-aws/lib/api-gateway-deployment';
import { ApiGatewayGatewayResponse } from '@cdktf/provider-aws/lib/api-gateway-gateway-response';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { ApiGatewayIntegrationResponse } from '@cdktf/provider-aws/lib/api-gateway-integration-response';
import { ApiGatewayMethod } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayMethodResponse } from '@cdktf/provider-aws/lib/api-gateway-method-response';
import { ApiGatewayMethodSettings } from '@cdktf/provider-aws/lib/api-gateway-method-settings';
import { ApiGatewayModel } from '@cdktf/provider-aws/lib/api-gateway-model';
import { ApiGatewayRequestValidator } from '@cdktf/provider-aws/lib/api-gateway-request-validator';
import { ApiGatewayResource } from '@cdktf/provider-aws/lib/api-gateway-resource';
import { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import { type ITerraformDependable, type TerraformResource, Token } from 'cdktf';
import { Construct } from 'constructs';
import { AwsContext } from './aws-context';
import {
  buildAccessLogFormat,
  buildIntegrationResponses,
  buildRequestModel,
  buildStartExecutionTemplate,
  QUERY_ROUTES,
  REQUEST_CONTENT_TYPE,
} from './builders/api-contract';
import { apiPolicy, serviceTrustPolicy } from './builders/iam-policies';
import { resourceName, roleName } from './builders/naming';
import { resourceTags } from './tagging';
import type { JsonTree } from './builders/deferred';
import { countWhen, terraformExpression } from './terraform-json';

/** Props of {@link QueryRestApi}. */
export interface QueryRestApiProps {
  /** Prefix of the physical names (`<prefix>-api`, `<prefix>-api-role`). */
  readonly namePrefix: string;
  /** ARN of the state machine each POST starts an execution of. */
  readonly stateMachineArn: string;
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
  /**
   * Partition, region and account.
   *
   * @default - read from the provider
   */
  readonly context?: AwsContext;
}

/**
 * A regional REST API, IAM-authenticated, whose `POST /queries` (and the seed's `POST /invocation`) validates the body
 * against a JSON-schema model and starts a state-machine execution through an AWS-service integration.
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
  /** The role API Gateway assumes to call StartExecution. */
  public readonly role: IamRole;
  /** The access-log group. */
  public readonly accessLogGroup: CloudwatchLogGroup;
  /** The request model. */
  public readonly requestModel: ApiGatewayModel;
  /** The POST methods, by route path. */
  public readonly methods: Readonly<Record<(typeof QUERY_ROUTES)[number], ApiGatewayMethod>>;
  /** The full URL of `POST /queries`. */
  public readonly invokeUrl: string;
  /** The stage's base URL (`https://<id>.execute-api.<region>.amazonaws.com/<stage>`). */
  public readonly stageUrl: string;

  constructor(scope: Construct, id: string, props: QueryRestApiProps) {
    super(scope, id);
    const context = props.context ?? new AwsContext(this, 'Context');
    const tags = resourceTags(props.tags);
    const apiName = resourceName(props.namePrefix, 'restApi');
    const stageName = props.stageName ?? 'live';

    this.restApi = new ApiGatewayRestApi(this, 'RestApi', {
      name: apiName,
      description: 'Asynchronous Athena queries: POST a query and a callback URL.',
      endpointConfiguration: { types: ['REGIONAL'] },
      tags,
    });

    this.role = new IamRole(this, 'Role', {
      name: roleName(props.namePrefix, 'apiRole', context.region),
      description: 'Assumed by API Gateway to start async Athena query executions.',
      // API Gateway does not document aws:SourceArn/aws:SourceAccount for integration-credential roles, so none is set.
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-request-basic-setup.html
      assumeRolePolicy: JSON.stringify(serviceTrustPolicy({ service: 'apigateway.amazonaws.com' })),
      tags,
    });
    const rolePolicy = new IamRolePolicy(this, 'Policy', {
      name: 'start-executions',
      role: this.role.id,
      policy: JSON.stringify(apiPolicy(props.stateMachineArn)),
    });

    this.requestModel = new ApiGatewayModel(this, 'RequestModel', {
      restApiId: this.restApi.id,
      name: 'QueryRequest',
      contentType: REQUEST_CONTENT_TYPE,
      schema: JSON.stringify(buildRequestModel()),
    });
    const validator = new ApiGatewayRequestValidator(this, 'BodyValidator', {
      restApiId: this.restApi.id,
      name: 'body',
      validateRequestBody: true,
      validateRequestParameters: false,
    });

    // Invalid bodies get a 400 that says which rule failed, instead of API Gateway's bare "Invalid request body".
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html
    const badRequestBody = new ApiGatewayGatewayResponse(this, 'BadRequestBody', {
      restApiId: this.restApi.id,
      responseType: 'BAD_REQUEST_BODY',
      statusCode: '400',
      responseTemplates: {
        [REQUEST_CONTENT_TYPE]: '{"message": "Invalid request body", "errors": "$context.error.validationErrorString", "requestId": "$context.requestId"}',
      },
    });

    // https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-request-basic-setup.html (AWS service URI)
    const startExecutionUri = `arn:${context.partition}:apigateway:${context.region}:states:action/StartExecution`;
    const requestTemplate = buildStartExecutionTemplate(props.stateMachineArn);
    const methods: Partial<Record<(typeof QUERY_ROUTES)[number], ApiGatewayMethod>> = {};
    const definitionParts: TerraformResource[] = [this.requestModel, validator, badRequestBody];
    for (const route of QUERY_ROUTES) {
      const routeId = route.charAt(0).toUpperCase() + route.slice(1);
      const resource = new ApiGatewayResource(this, `${routeId}Resource`, {
        restApiId: this.restApi.id,
        parentId: this.restApi.rootResourceId,
        pathPart: route,
      });
      const method = new ApiGatewayMethod(this, `${routeId}Post`, {
        restApiId: this.restApi.id,
        resourceId: resource.id,
        httpMethod: 'POST',
        authorization: 'AWS_IAM',
        requestValidatorId: validator.id,
        requestModels: { [REQUEST_CONTENT_TYPE]: this.requestModel.name },
      });
      const integration = new ApiGatewayIntegration(this, `${routeId}Integration`, {
        restApiId: this.restApi.id,
        resourceId: resource.id,
        httpMethod: method.httpMethod,
        type: 'AWS',
        integrationHttpMethod: 'POST',
        uri: startExecutionUri,
        credentials: this.role.arn,
        // NEVER: a body in any other content type is rejected with 415 instead of reaching StartExecution unvalidated.
        passthroughBehavior: 'NEVER',
        requestTemplates: { [REQUEST_CONTENT_TYPE]: requestTemplate },
      });
      const responses = buildIntegrationResponses().map((rule) => {
        const methodResponse = new ApiGatewayMethodResponse(this, `${routeId}Response${rule.statusCode}`, {
          restApiId: this.restApi.id,
          resourceId: resource.id,
          httpMethod: method.httpMethod,
          statusCode: rule.statusCode,
          responseModels: { [REQUEST_CONTENT_TYPE]: 'Empty' },
        });
        const integrationResponse = new ApiGatewayIntegrationResponse(this, `${routeId}IntegrationResponse${rule.statusCode}`, {
          restApiId: this.restApi.id,
          resourceId: resource.id,
          httpMethod: method.httpMethod,
          statusCode: methodResponse.statusCode,
          selectionPattern: rule.selectionPattern,
          responseTemplates: { [REQUEST_CONTENT_TYPE]: rule.template },
          dependsOn: [integration],
        });
        return { methodResponse, integrationResponse };
      });
      methods[route] = method;
      definitionParts.push(resource, method, integration, ...responses.flatMap((r) => [r.methodResponse, r.integrationResponse]));
    }
    this.methods = methods as Record<(typeof QUERY_ROUTES)[number], ApiGatewayMethod>;

    this.definitionParts = [...definitionParts, rolePolicy];
    this.deployment = new ApiGatewayDeployment(this, 'Deployment', {
      restApiId: this.restApi.id,
      description: 'Managed by cdktf-async-athena-query',
      // A stage keeps serving the snapshot of its deployment, so a new deployment is made whenever anything the API
      // answers or integrates with changes: every argument of every part (methods, models, validators,
      // integrations, integration and method responses, gateway responses, the credentials role's policy) is hashed.
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

import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { LocalBackend, TerraformOutput, TerraformStack, TerraformVariable, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { AsyncAthenaQuery } from './async-athena-query';
import type { AsyncAthenaQueryProps } from './async-athena-query-props';
import type { BackoffPolicy } from './builders/asl';
import { MODULE_MOVES, MODULE_OUTPUTS, MODULE_VARIABLES, type ModuleVariable } from './builders/module-interface';
import { attributeOfOptional, terraformExpression } from './terraform-json';

/**
 * Terraform and provider versions the module needs: write-only arguments (the signing secret never enters state)
 * need Terraform 1.11; `aws_region.region` and the current `aws_api_gateway_deployment` need AWS provider 6.
 * Minimum constraints only, as reusable modules should: the root module pins exact versions.
 * https://developer.hashicorp.com/terraform/language/expressions/version-constraints#best-practices
 */
export const REQUIRED_TERRAFORM_VERSION = '>= 1.11.0';
/** See {@link REQUIRED_TERRAFORM_VERSION}. */
export const REQUIRED_AWS_PROVIDER = { source: 'hashicorp/aws', version: '>= 6.0.0' } as const;

/**
 * The context key under which CDK Terrain (cdktn 0.24) reads the Terraform versions a project targets: the
 * `targetVersions` field of cdktf.json, passed to the app by the cdktn CLI, or `new App({ context })`. cdktn checks
 * every feature a stack uses against it (default `terraform >=1.5.7`); cdktf ignores the key.
 * (cdktn's lib/validations/target-versions.js, TARGET_VERSIONS_CONTEXT_KEY, which cdktn does not export.)
 */
const TARGET_VERSIONS_CONTEXT_KEY = 'targetVersions';

/** Options of {@link AsyncAthenaQueryStack}. */
export interface AsyncAthenaQueryStackOptions {
  /**
   * Configure the AWS provider's region explicitly. Ignored with `asModule`.
   *
   * @default - the region comes from the standard AWS environment (`AWS_REGION`, the profile), as with any provider
   */
  readonly region?: string;
  /**
   * Synthesizes a reusable Terraform module: no `provider` block and no backend, so a root module can call it with
   * `count`, `for_each`, `depends_on` and `providers = { aws = aws.eu }`. `npm run module` writes it to
   * `terraform/async-athena-query/`.
   *
   * @default false - a root configuration for `cdktf deploy`: an AWS provider and a local backend
   */
  readonly asModule?: boolean;
}

/**
 * The deployable stack, and the Terraform module: one {@link AsyncAthenaQuery} whose every prop an HCL user needs is a
 * Terraform variable (see builders/module-interface.ts for the list, types, defaults and validations), with the
 * module's outputs. `cdktf deploy --var output_location=s3://...` deploys it; `npm run module` writes it as a module.
 */
export class AsyncAthenaQueryStack extends TerraformStack {
  /** The service. */
  public readonly service: AsyncAthenaQuery;
  /** The variables, by name. */
  public readonly variables: Readonly<Record<string, TerraformVariable>>;

  constructor(scope: Construct, id: string, options: AsyncAthenaQueryStackOptions = {}) {
    super(scope, id);
    // Under CDK Terrain, write-only arguments (the signing secret) fail synth unless the targets are Terraform 1.11 or
    // later. This stack requires 1.11 anyway (required_version below), so it declares that as its own target (cdktn
    // reads the context from each stack up), unless the app declared targets itself: those are the user's to choose.
    if (this.node.tryGetContext(TARGET_VERSIONS_CONTEXT_KEY) === undefined) {
      this.node.setContext(TARGET_VERSIONS_CONTEXT_KEY, { terraform: REQUIRED_TERRAFORM_VERSION });
    }
    new AwsProvider(this, 'aws', !options.asModule && options.region ? { region: options.region } : {});
    if (options.asModule) {
      // cdktf insists on a provider construct for the resources; a reusable module must not configure one (the root
      // passes it), so the block is removed from the output and only `required_providers` stays.
      // https://developer.hashicorp.com/terraform/language/modules/develop/providers
      this.addOverride('provider', undefined);
      // Likewise cdktf adds a local backend when there is none; a backend in a child module is ignored with a warning.
      this.addOverride('terraform.backend', undefined);
    } else {
      // A relative state path: the default local backend writes the synthesizing machine's absolute path.
      new LocalBackend(this, { path: 'terraform.tfstate' });
    }
    this.addOverride('terraform.required_version', REQUIRED_TERRAFORM_VERSION);
    this.addOverride('terraform.required_providers.aws', REQUIRED_AWS_PROVIDER);

    const variables: Record<string, TerraformVariable> = {};
    const props: Record<string, unknown> = {};
    for (const spec of MODULE_VARIABLES) {
      const variable = new TerraformVariable(this, spec.name, {
        type: spec.type,
        description: spec.description,
        ...(spec.default !== undefined && spec.default !== null ? { default: spec.default } : {}),
        nullable: spec.default === null ? true : undefined,
        validation: spec.validations.map((v) => ({ condition: `\${${v.condition}}`, errorMessage: v.errorMessage })),
      });
      // cdktf cannot write a null default (TerraformVariable throws on it), yet `default = null` is what makes an
      // optional variable optional. https://developer.hashicorp.com/terraform/language/values/variables#default-values
      if (spec.default === null) variable.addOverride('default', null);
      variables[spec.name] = variable;
      props[spec.prop] = propValue(spec, variable);
    }
    this.variables = variables;

    this.service = new AsyncAthenaQuery(this, 'AsyncAthenaQuery', props as unknown as AsyncAthenaQueryProps);

    const nullOutput = Token.asString(terraformExpression(() => 'null'));
    const { service } = this;
    const values: Record<string, string> = {
      api_invoke_url: service.invokeUrl,
      api_stage_arn: service.api.stage.arn,
      query_api_function_arn: service.queryApiFunction.arn,
      query_api_role_arn: service.queryApiRole.arn,
      state_machine_arn: service.stateMachineArn,
      state_machine_role_arn: service.stateMachineRole.arn,
      cancellation_state_machine_arn: service.cancellationStateMachineArn,
      callbacker_function_arn: service.callbackerFunction.arn,
      callbacker_role_arn: service.callbackerRole.arn,
      presigner_role_arn: service.presignerRole.arn,
      dead_letter_queue_url: service.deadLetterQueue.queueUrl,
      dead_letter_queue_arn: service.deadLetterQueue.queueArn,
      output_location: service.outputLocation,
      webhook_signing_secret_arn: service.signingSecretArn ?? nullOutput,
      api_gateway_account_role_arn: service.apiGatewayAccountRole ? attributeOfOptional(service.apiGatewayAccountRole, 'arn') : nullOutput,
    };
    for (const output of MODULE_OUTPUTS) {
      // A construct id of its own (output_location is a variable too); the Terraform name is the output's.
      new TerraformOutput(this, `output-${output.name}`, { value: values[output.name], description: output.description }).overrideLogicalId(output.name);
    }
    if (MODULE_MOVES.length > 0) this.addOverride('moved', MODULE_MOVES.map((move) => ({ from: move.from, to: move.to })));
  }
}

/** A variable's value, typed as its prop expects (a token of the right kind). */
function propValue(spec: ModuleVariable, variable: TerraformVariable): unknown {
  switch (spec.kind) {
    case 'string':
      return variable.stringValue;
    case 'number':
      return variable.numberValue;
    case 'bool':
      return variable.booleanValue;
    case 'list(string)':
      return variable.listValue;
    case 'list(number)':
      return Token.asNumberList(variable.value);
    case 'map(string)':
      return Token.asStringMap(variable.value);
    case 'backoff': {
      const attribute = (name: string): number => Token.asNumber(terraformExpression((ref) => `${ref(variable.value)}.${name}`));
      const policy: BackoffPolicy = {
        intervalSeconds: attribute('interval_seconds'),
        backoffRate: attribute('backoff_rate'),
        maxAttempts: attribute('max_attempts'),
        maxDelaySeconds: attribute('max_delay_seconds'),
      };
      return policy;
    }
  }
}

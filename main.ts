import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { AsyncAthenaQuery } from './constructs';
import { MAX_NAME_PREFIX_LENGTH } from './constructs/builders/naming';
import { OUTPUT_LOCATION_PATTERN } from './constructs/builders/s3-location';
import { MAX_PRESIGN_EXPIRY_SECONDS, WORK_GROUP_PATTERN } from './constructs/builders/validation';

/** Options of {@link AsyncAthenaQueryStack}. */
export interface AsyncAthenaQueryStackOptions {
  /**
   * Configure the AWS provider's region explicitly.
   *
   * @default - the region comes from the standard AWS environment (`AWS_REGION`, the profile), as with any provider
   */
  readonly region?: string;
}

/**
 * The deployable stack: one {@link AsyncAthenaQuery} wired from Terraform variables, so `cdktf deploy` (or the
 * synthesized directory used as a Terraform module) takes the workgroup and output location as inputs.
 */
export class AsyncAthenaQueryStack extends TerraformStack {
  /** The service. */
  public readonly service: AsyncAthenaQuery;

  constructor(scope: Construct, id: string, options: AsyncAthenaQueryStackOptions = {}) {
    super(scope, id);
    new AwsProvider(this, 'aws', options.region ? { region: options.region } : {});
    // A relative state path: the default local backend writes the synthesizing machine's absolute path.
    new LocalBackend(this, { path: 'terraform.tfstate' });

    const workgroup = new TerraformVariable(this, 'workgroup', {
      type: 'string',
      default: 'primary',
      description: 'Athena workgroup the queries run in.',
      validation: [
        {
          condition: `\${can(regex("${WORK_GROUP_PATTERN}", var.workgroup))}`,
          errorMessage: `workgroup must match ${WORK_GROUP_PATTERN} (1-128 letters, digits, '.', '_' or '-').`,
        },
      ],
    });
    const outputLocation = new TerraformVariable(this, 'output_location', {
      type: 'string',
      description: 'S3 URI where Athena writes results, ending in "/", e.g. s3://my-results/athena/. IAM is scoped to it.',
      validation: [
        {
          // The same rules as the construct's: the pattern, then no '..' and no IP-address form in the bucket name.
          condition: `\${can(regex("${OUTPUT_LOCATION_PATTERN}", var.output_location)) && !can(regex("^s3://[^/]*[.][.]", var.output_location)) && !can(regex("^s3://[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+/", var.output_location))}`,
          errorMessage: 'output_location must look like s3://<bucket>/<prefix>/ (a valid bucket name, ending in "/", without *, ? or $).',
        },
      ],
    });
    const namePrefix = new TerraformVariable(this, 'name_prefix', {
      type: 'string',
      default: 'async-athena',
      description: `Prefix of every physical name; at most ${MAX_NAME_PREFIX_LENGTH} characters so derived names fit AWS limits.`,
      validation: [
        {
          condition: `\${length(var.name_prefix) <= ${MAX_NAME_PREFIX_LENGTH} && can(regex("^[A-Za-z][A-Za-z0-9-]*$", var.name_prefix))}`,
          errorMessage: `name_prefix must start with a letter, contain only letters, digits and hyphens, and be at most ${MAX_NAME_PREFIX_LENGTH} characters.`,
        },
      ],
    });
    const presignExpiry = new TerraformVariable(this, 'presign_expiry_seconds', {
      type: 'number',
      default: 3600,
      description: 'Requested lifetime of presigned result URLs, in seconds (the presigner session caps it at 3600).',
      validation: [
        {
          condition: `\${var.presign_expiry_seconds >= 1 && var.presign_expiry_seconds <= ${MAX_PRESIGN_EXPIRY_SECONDS} && floor(var.presign_expiry_seconds) == var.presign_expiry_seconds}`,
          errorMessage: `presign_expiry_seconds must be a whole number from 1 to ${MAX_PRESIGN_EXPIRY_SECONDS}.`,
        },
      ],
    });

    this.service = new AsyncAthenaQuery(this, 'AsyncAthenaQuery', {
      workGroup: workgroup.stringValue,
      outputLocation: outputLocation.stringValue,
      namePrefix: namePrefix.stringValue,
      presignExpirySeconds: presignExpiry.numberValue,
    });

    const outputs: Record<string, { value: string; description: string }> = {
      api_invoke_url: { value: this.service.invokeUrl, description: 'Full URL of POST /queries (IAM-signed requests only).' },
      state_machine_arn: { value: this.service.stateMachineArn, description: 'ARN of the query state machine.' },
      callbacker_function_arn: { value: this.service.callbackerFunction.arn, description: 'ARN of the callbacker Lambda function.' },
      callbacker_role_arn: { value: this.service.callbackerRole.arn, description: 'ARN of the callbacker execution role.' },
      presigner_role_arn: { value: this.service.presignerRole.arn, description: 'ARN of the role that presigns result URLs.' },
      state_machine_role_arn: { value: this.service.stateMachineRole.arn, description: 'ARN of the state machine execution role.' },
      api_stage_arn: { value: this.service.api.stage.arn, description: 'ARN of the API stage (for a WAF web ACL association made outside this module).' },
      api_role_arn: { value: this.service.apiRole.arn, description: 'ARN of the role API Gateway uses to start executions.' },
      dead_letter_queue_url: { value: this.service.deadLetterQueue.queueUrl, description: 'URL of the queue of undeliverable callbacks (for npm run redrive).' },
      dead_letter_queue_arn: { value: this.service.deadLetterQueue.queueArn, description: 'ARN of the queue of undeliverable callbacks.' },
      webhook_signing_secret_arn: { value: this.service.signingSecretArn ?? '', description: 'ARN of the Secrets Manager secret that signs callbacks (share it with receivers).' },
    };
    for (const [name, output] of Object.entries(outputs)) new TerraformOutput(this, name, output);
  }
}

if (require.main === module) {
  const app = new App();
  new AsyncAthenaQueryStack(app, 'async-athena-query');
  app.synth();
}

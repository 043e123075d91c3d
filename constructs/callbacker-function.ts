import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { Annotations, Fn, Lazy, type TerraformAsset, type TerraformDataSource, Token } from 'cdktf';
import { Construct } from 'constructs';
import { AwsContext } from './aws-context';
import { conditional, type JsonTree, objectWith } from './builders/deferred';
import { InvalidPropsError } from './builders/errors';
import { callbackerPolicy, presignerPolicy, type ResultsLocation, roleTrustPolicy, serviceTrustPolicy } from './builders/iam-policies';
import { resourceName, roleName } from './builders/naming';
import { type CallbackerPackaging, CALLBACKER_PACKAGINGS, DEFAULT_CALLBACKER_PACKAGING } from './builders/packaging';
import { MAX_CHAINED_SESSION_SECONDS } from './builders/validation';
import { shippedCallbacker } from './callbacker-bundle';
import { deploymentPackage } from './function-package';
import { logGroupAndRole, nodeFunction } from './shared-resources';
import { resourceTags } from './tagging';
import { isDecidedByTerraform, isUnresolvedToken, renderJsonDocument, terraformExpression } from './terraform-json';

/** Props of {@link CallbackerFunction}. */
export interface CallbackerFunctionProps {
  /**
   * Prefix of the physical names (`<prefix>-callbacker`, `<prefix>-callbacker-role`, `<prefix>-presigner-role`).
   */
  readonly namePrefix: string;
  /**
   * Where Athena writes results. The presigner role may read objects under this prefix and nothing else.
   */
  readonly results: ResultsLocation;
  /**
   * Requested lifetime of presigned result URLs, in seconds (1 to 604800).
   *
   * The URL is signed with the presigner role's session, which can last at most one hour (role chaining), and a URL
   * dies with the session that signed it. The callback's `ExpiredIn` reports the real lifetime.
   *
   * @default 3600
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html
   */
  readonly presignExpirySeconds?: number;
  /**
   * KMS key the results are encrypted with (SSE-KMS); the presigner gets `kms:Decrypt` on it.
   *
   * @default - results are not KMS-encrypted
   */
  readonly resultsKmsKeyArn?: string;
  /**
   * ARN of the Secrets Manager secret holding the Standard Webhooks signing secret(s), `whsec_...` separated by
   * spaces while rotating. Required unless `disableWebhookSigning` is true.
   *
   * @default - none; then `disableWebhookSigning` must be true
   */
  readonly signingSecretArn?: string;
  /**
   * KMS key of the signing secret, when it is encrypted with a customer-managed key.
   *
   * @default - the secret uses the AWS-managed key
   */
  readonly signingSecretKmsKeyArn?: string;
  /**
   * Sends callbacks unsigned. Receivers then cannot tell our callbacks from forged ones: use only when they
   * authenticate callbacks another way. A Terraform bool token is decided by Terraform.
   *
   * @default false
   */
  readonly disableWebhookSigning?: boolean;
  /**
   * Hosts callbacks may go to: exact names or `*.suffix` patterns.
   *
   * @default - any public host
   */
  readonly allowedCallbackHosts?: readonly string[];
  /**
   * Ports callbacks may go to.
   *
   * @default [443]
   */
  readonly allowedCallbackPorts?: readonly number[];
  /**
   * Lets the callbacker POST over plain http to loopback addresses, for running the bundle on a workstation (the
   * offline twin). The handler ignores it inside a real Lambda sandbox (where `AWS_LAMBDA_RUNTIME_API` is set), so a
   * deployed stack cannot send callbacks over http or to loopback even with this on.
   *
   * @default false
   */
  readonly dangerouslyAllowLoopbackHttpCallbacksForLocalTesting?: boolean;
  /**
   * Memory of the function, in MB.
   *
   * @default 256
   */
  readonly memoryMb?: number;
  /**
   * Timeout of one invocation, in seconds. It must cover a connect timeout, a 10 s POST, an optional wait for a
   * short Retry-After and a second POST.
   *
   * @default 45
   */
  readonly timeoutSeconds?: number;
  /**
   * Reserved concurrency, to cap how many callbacks run at once.
   *
   * @default - unreserved
   */
  readonly reservedConcurrency?: number;
  /**
   * Retention of the function's log group, in days.
   *
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * KMS key for the log group.
   *
   * @default - CloudWatch Logs default encryption
   */
  readonly logsKmsKeyArn?: string;
  /**
   * Tags for every taggable resource.
   *
   * @default - only `ManagedBy`
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * How the deployment package reaches Lambda: the zip this package ships (`prebuilt-zip`), or a zip the `archive`
   * provider makes from the shipped bundle during `terraform plan` (`archive-provider`, which needs the optional peer
   * dependency `@cdktf/provider-archive` and plan and apply in one working directory).
   *
   * @default 'prebuilt-zip'
   */
  readonly packaging?: CallbackerPackaging;
  /**
   * Partition, region and account.
   *
   * @default - read from the provider
   */
  readonly context?: AwsContext;
}

/**
 * The callbacker Lambda: presigns the result CSV and POSTs the callback. Its code is the bundle this package ships
 * prebuilt (`npm run build` bundles handler/ with esbuild): by default the shipped deterministic zip, uploaded as is,
 * so synth never bundles. It has its own log group, role, and a presigner role it assumes to sign.
 */
export class CallbackerFunction extends Construct {
  /** The function. */
  public readonly function: LambdaFunction;
  /** The function's execution role. */
  public readonly role: IamRole;
  /** The role the function assumes to presign result URLs; only it can read results. */
  public readonly presignerRole: IamRole;
  /** The function's log group. */
  public readonly logGroup: CloudwatchLogGroup;
  /** How the deployment package reaches Lambda. */
  public readonly packaging: CallbackerPackaging;
  /**
   * The shipped file copied into the synthesized stack: the zip (`prebuilt-zip`) or the bundle the archive provider
   * zips (`archive-provider`).
   */
  public readonly asset: TerraformAsset;
  /**
   * The `archive_file` data source that zips the bundle at plan time (an `@cdktf/provider-archive` `DataArchiveFile`);
   * only with packaging `archive-provider`.
   */
  public readonly archive?: TerraformDataSource;
  /** ARN of the function. */
  public readonly functionArn: string;
  /** The roles the presigner role trusts: this function's, and those added with {@link allowPresigning}. */
  private readonly presigningRoleArns: string[] = [];

  constructor(scope: Construct, id: string, props: CallbackerFunctionProps) {
    super(scope, id);
    const signingDisabled = props.disableWebhookSigning;
    if (signingDisabled !== true && props.signingSecretArn === undefined) {
      throw new Error(
        `CallbackerFunction '${id}': signingSecretArn must be set, got undefined. Give the ARN of a Secrets Manager secret ` +
          'holding a whsec_ signing secret, or set disableWebhookSigning: true to send unsigned callbacks.',
      );
    }
    const context = props.context ?? new AwsContext(this, 'Context');
    const tags = resourceTags(props.tags);
    const functionName = resourceName(props.namePrefix, 'callbackerFunction');
    const presignExpirySeconds = props.presignExpirySeconds ?? 3600;
    if (!Token.isUnresolved(presignExpirySeconds) && presignExpirySeconds > MAX_CHAINED_SESSION_SECONDS) {
      Annotations.of(this).addWarning(
        `presignExpirySeconds is ${presignExpirySeconds}, but URLs signed with an assumed role's session live at most ` +
          `${MAX_CHAINED_SESSION_SECONDS} s (role chaining); callbacks will report the real ExpiredIn.`,
      );
    }

    this.packaging = props.packaging ?? DEFAULT_CALLBACKER_PACKAGING;
    if (!(CALLBACKER_PACKAGINGS as readonly string[]).includes(this.packaging)) {
      throw new InvalidPropsError('CallbackerFunction', id, [
        { prop: 'packaging', rule: `be one of ${CALLBACKER_PACKAGINGS.map((m) => `'${m}'`).join(', ')}`, value: this.packaging },
      ]);
    }
    const code = deploymentPackage(this, id, shippedCallbacker(), this.packaging, `callbacker-${props.namePrefix}`);
    this.asset = code.asset;
    this.archive = code.archive;

    ({ logGroup: this.logGroup, role: this.role } = logGroupAndRole(this, {
      // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
      logGroupName: `/aws/lambda/${functionName}`,
      roleName: roleName(props.namePrefix, 'callbackerRole', context.region),
      roleDescription: 'Execution role of the async Athena query callbacker.',
      // Lambda does not document aws:SourceArn/aws:SourceAccount for execution-role assumption, so none is set.
      // https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
      trustPolicy: serviceTrustPolicy({ service: 'lambda.amazonaws.com' }),
      logRetentionDays: props.logRetentionDays,
      logsKmsKeyArn: props.logsKmsKeyArn,
      tags,
    }));

    this.presigningRoleArns.push(this.role.arn);
    this.presignerRole = new IamRole(this, 'PresignerRole', {
      name: roleName(props.namePrefix, 'presignerRole', context.region),
      description: 'Assumed by the callbacker and the query API function to presign result URLs; reads results only.',
      // Lazy: the query API function's role is added after this construct is made (allowPresigning).
      assumeRolePolicy: Lazy.stringValue({ produce: () => JSON.stringify(roleTrustPolicy(this.presigningRoleArns)) }),
      maxSessionDuration: MAX_CHAINED_SESSION_SECONDS,
      tags,
    });
    new IamRolePolicy(this, 'PresignerPolicy', {
      name: 'read-results',
      role: this.presignerRole.id,
      policy: renderJsonDocument(
        presignerPolicy({ partition: context.partition, results: props.results, resultsKmsKeyArn: props.resultsKmsKeyArn, kmsVia: context, isUnresolved: isUnresolvedToken }),
      ),
    });

    const rolePolicy = new IamRolePolicy(this, 'Policy', {
      name: 'callbacker',
      role: this.role.id,
      policy: renderJsonDocument(
        callbackerPolicy({
          logGroupArn: this.logGroup.arn,
          presignerRoleArn: this.presignerRole.arn,
          signingSecretArn: signingDisabled === true ? undefined : props.signingSecretArn,
          signingDisabled,
          signingSecretKmsKeyArn: props.signingSecretKmsKeyArn,
          kmsVia: context,
          isUnresolved: isUnresolvedToken,
        }),
      ),
    });

    const environment = callbackerEnvironment({
      presignExpirySeconds,
      presignerRoleArn: this.presignerRole.arn,
      signingDisabled,
      signingSecretArn: props.signingSecretArn,
      allowedCallbackHosts: props.allowedCallbackHosts,
      allowedCallbackPorts: props.allowedCallbackPorts ?? [443],
    });
    if (props.dangerouslyAllowLoopbackHttpCallbacksForLocalTesting) {
      environment.fixed.DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS = 'true';
      Annotations.of(this).addWarning(
        'dangerouslyAllowLoopbackHttpCallbacksForLocalTesting is on. It has no effect in a deployed Lambda, but it ' +
          'signals a local-testing configuration: do not deploy it.',
      );
    }

    this.function = nodeFunction(this, {
      functionName,
      description: 'Presigns Athena results and delivers the callback (cdktf-async-athena-query).',
      role: this.role,
      filename: code.filename,
      sourceCodeHash: code.sourceCodeHash,
      memorySize: props.memoryMb ?? 256,
      timeout: props.timeoutSeconds ?? 45,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: { variables: environment.render() },
      logGroup: this.logGroup,
      tags,
      dependsOn: [rolePolicy],
    });
    this.functionArn = this.function.arn;
  }

  /**
   * Lets another role assume the presigner role (the query API function's, for fresh result links): the presigner's
   * trust policy names it next to this function's role. The other role still needs `sts:AssumeRole` on the presigner
   * in its own policy.
   */
  public allowPresigning(roleArn: string): void {
    this.presigningRoleArns.push(roleArn);
  }
}

/** What the function's environment is made of. */
interface CallbackerEnvironmentOptions {
  readonly presignExpirySeconds: number;
  readonly presignerRoleArn: string;
  readonly signingDisabled?: boolean;
  readonly signingSecretArn?: string;
  readonly allowedCallbackHosts?: readonly string[];
  readonly allowedCallbackPorts: readonly number[];
}

/** A list of hosts or ports as the handler reads it: comma-separated, joined by Terraform when it is a token. */
function commaSeparated(list: readonly (string | number)[]): string {
  return Token.isUnresolved(list) ? Fn.join(',', list as string[]) : list.join(',');
}

/**
 * The function's environment variables (read by handler/env.ts): fixed ones, plus the signing secret's ARN unless
 * signing is off. Inputs that are Terraform tokens (module variables) are decided by Terraform.
 */
function callbackerEnvironment(options: CallbackerEnvironmentOptions) {
  const fixed: Record<string, string> = {
    PRESIGN_EXPIRY_SECONDS: Token.isUnresolved(options.presignExpirySeconds) ? Token.asString(options.presignExpirySeconds) : String(options.presignExpirySeconds),
    PRESIGNER_ROLE_ARN: options.presignerRoleArn,
    CALLBACK_ALLOWED_PORTS: commaSeparated(options.allowedCallbackPorts),
  };
  const hosts = options.allowedCallbackHosts;
  if (hosts !== undefined && (Token.isUnresolved(hosts) || hosts.length > 0)) fixed.CALLBACK_ALLOWED_HOSTS = commaSeparated(hosts);
  const disabled = options.signingDisabled;
  return {
    fixed,
    render(): Record<string, string> {
      const signing: JsonTree = isUnresolvedToken(disabled) ? conditional({ isTrue: disabled as unknown as JsonTree }, 'disabled', 'enabled') : disabled === true ? 'disabled' : 'enabled';
      const secret = options.signingSecretArn;
      // The secret's ARN is never null while signing is on (the construct passes a created or given secret), so only
      // a signing switch that is a Terraform variable makes the key conditional.
      const withSecret: Record<string, string> = secret === undefined || disabled === true ? {} : { WEBHOOK_SECRET_ARN: secret };
      const tree: JsonTree = isUnresolvedToken(disabled)
        ? objectWith({ ...fixed, WEBHOOK_SIGNING: signing }, { deferred: conditional({ isTrue: disabled as unknown as JsonTree }, {}, withSecret) })
        : { ...fixed, WEBHOOK_SIGNING: signing, ...withSecret };
      if (!isDecidedByTerraform(tree)) return tree as Record<string, string>;
      return Token.asStringMap(terraformExpression((ref) => ref(tree)));
    },
  };
}

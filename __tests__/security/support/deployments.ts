/**
 * Deployments under security test: the module's own stack (main.ts, Terraform variables, so every value is a token)
 * and stacks built from literal props. Each is synthesized once per test file and rendered with the real `terraform`
 * binary, so policies are checked exactly as Terraform would send them to AWS. Test helper; not a suite.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArchiveProvider } from '@cdktf/provider-archive/lib/provider';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { AsyncAthenaQuery, type AsyncAthenaQueryProps, MODULE_VARIABLES } from '../../../constructs';
import {
  evaluateInStack,
  findResources,
  readSynthesizedStack,
  type SynthesizedStack,
  synthesizeMainStack,
} from '../../../twin/wiring/synthesized-stack';
import type { PolicyDocument } from './policies';

/** The account every stand-in ARN lives in (the twin's default). */
export const ACCOUNT_ID = '123456789012';
/** A neighbouring account. */
export const OTHER_ACCOUNT_ID = '210987654321';
/** The region every stand-in ARN lives in (the twin's default). */
export const REGION = 'us-east-1';

/** The name prefix every deployment under test uses, so rows name the same physical resources on both paths. */
export const NAME_PREFIX = 'async-athena';
export const WORK_GROUP = 'analytics';
export const RESULTS_BUCKET = 'results-bucket';
export const RESULTS_PREFIX = 'athena/';
export const OUTPUT_LOCATION = `s3://${RESULTS_BUCKET}/${RESULTS_PREFIX}`;

/** Customer-managed keys given as literal props. */
export const RESULTS_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const DEAD_LETTER_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/2234abcd-12ab-34cd-56ef-1234567890ab`;
export const LOGS_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/3234abcd-12ab-34cd-56ef-1234567890ab`;
export const WEB_ACL_ARN = `arn:aws:wafv2:${REGION}:${ACCOUNT_ID}:regional/webacl/async-athena-api/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111`;

/** The smallest valid literal props. */
export const BASE_PROPS: AsyncAthenaQueryProps = { workGroup: WORK_GROUP, outputLocation: OUTPUT_LOCATION, namePrefix: NAME_PREFIX };

/**
 * The module's Terraform variables that carry the same configuration as literal props, through the module's own
 * variable table (each variable names its prop): the module path and the literal path can then be held to the same rows.
 */
export function variablesFromProps(props: AsyncAthenaQueryProps): Record<string, unknown> {
  const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const values: Record<string, unknown> = {};
  for (const variable of MODULE_VARIABLES) {
    const value = props[variable.prop];
    if (value === undefined) continue;
    values[variable.name] =
      variable.kind === 'backoff' ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [snake(k), v])) : value;
  }
  return values;
}

/** Values for main.ts's Terraform variables, matching {@link BASE_PROPS}. */
export const MAIN_VARIABLES: Readonly<Record<string, unknown>> = variablesFromProps(BASE_PROPS);

/** Temporary folders of one test file, removed in `afterAll`. */
export class ScratchDirectories {
  private readonly made: string[] = [];

  /** A new empty folder. */
  public make(label: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `security-${label}-`));
    this.made.push(dir);
    return dir;
  }

  /** Removes every folder made. */
  public removeAll(): void {
    for (const dir of this.made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Synthesizes main.ts's stack (the Terraform-module path: every input is a variable). */
export function synthesizeModuleStack(outdir: string): SynthesizedStack {
  return synthesizeMainStack(outdir);
}

/** Synthesizes one stack per entry, each holding one AsyncAthenaQuery built from literal props, in one app. */
export function synthesizeLiteralStacks<K extends string>(outdir: string, propsByStack: Readonly<Record<K, AsyncAthenaQueryProps>>): Record<K, SynthesizedStack> {
  const app = new App({ outdir });
  for (const [name, props] of Object.entries(propsByStack) as [K, AsyncAthenaQueryProps][]) {
    const stack = new TerraformStack(app, name);
    new AwsProvider(stack, 'aws', { region: REGION });
    new ArchiveProvider(stack, 'archive');
    new AsyncAthenaQuery(stack, 'AsyncAthenaQuery', props);
  }
  app.synth();
  return Object.fromEntries(
    Object.keys(propsByStack).map((name) => [name, readSynthesizedStack(path.join(outdir, 'stacks', name))]),
  ) as Record<K, SynthesizedStack>;
}

/** The roles the module creates, by the construct path they are created at. */
export const ROLE_PATHS = {
  stateMachine: '/Queries/Role',
  cancellationStateMachine: '/Cancellations/Role',
  callbacker: '/Callbacker/Role',
  presigner: '/Callbacker/PresignerRole',
  queryApi: '/QueryApi/Role',
  apiGatewayAccount: '/ApiGatewayAccountRole',
} as const;

export type RoleKey = keyof typeof ROLE_PATHS;

/** One role as Terraform would create it. */
export interface RenderedRole {
  /** Terraform address, `aws_iam_role.<name>`. */
  readonly address: string;
  readonly name: string;
  readonly arn: string;
  /** `assume_role_policy`. */
  readonly trust: PolicyDocument;
  /** Inline policies (`aws_iam_role_policy`). */
  readonly inline: readonly PolicyDocument[];
  /** ARNs of attached managed policies (`aws_iam_role_policy_attachment`). */
  readonly attachedPolicyArns: readonly string[];
}

/** ARNs of the deployment's own resources, as Terraform would render them. */
export interface RenderedArns {
  readonly stateMachine: string;
  readonly cancellationStateMachine: string;
  readonly callbackerFunction: string;
  readonly queryApiFunction: string;
  /** The REST API's execute-api ARN (`arn:aws:execute-api:<region>:<account>:<api id>`). */
  readonly restApiExecution: string;
  readonly deadLetterQueue: string;
  readonly signingSecret: string;
  readonly callbackerLogGroup: string;
  readonly stateMachineLogGroup: string;
  readonly apiAccessLogGroup: string;
  readonly queryApiLogGroup: string;
  readonly cancellationStateMachineLogGroup: string;
}

/** A deployment, rendered. */
export interface RenderedDeployment {
  /** Readable name for test titles. */
  readonly label: string;
  readonly stack: SynthesizedStack;
  readonly roles: Readonly<Partial<Record<RoleKey, RenderedRole>>>;
  readonly arns: RenderedArns;
  /** The state machine definition (ASL), parsed. */
  readonly definition: Record<string, unknown>;
  /** The dead-letter queue's resource policy (`aws_sqs_queue_policy`). */
  readonly deadLetterQueuePolicy: PolicyDocument;
  /**
   * The query API function's resource policy, as Lambda builds it from the `aws_lambda_permission` resources: one
   * statement per permission, its source ARN as an `ArnLike aws:SourceArn` condition.
   * https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-services.html
   */
  readonly queryApiFunctionPolicy: PolicyDocument;
}

/** The construct path of a synthesized resource (cdktf writes it under `//.metadata.path`). */
export function constructPath(config: Record<string, unknown>): string {
  const meta = config['//'] as { metadata?: { path?: string } } | undefined;
  return meta?.metadata?.path ?? '';
}

/** The one resource of a type whose construct path ends with a suffix; throws when there is not exactly one. */
export function resourceAt(stack: SynthesizedStack, type: string, pathSuffix: string): { name: string; config: Record<string, unknown> } {
  const found = Object.entries(findResources(stack, type)).filter(([, config]) => constructPath(config).endsWith(pathSuffix));
  if (found.length !== 1) throw new Error(`Expected one ${type} at *${pathSuffix}, found ${found.length}`);
  return { name: found[0][0], config: found[0][1] };
}

/**
 * The stack, with one unused variable when it has none: Terraform rejects an empty `"variable": {}` block, which is
 * what the scratch configuration gets for a stack built from literal props only.
 */
export function withSomeVariable(stack: SynthesizedStack): SynthesizedStack {
  if (Object.keys(stack.json.variable ?? {}).length > 0) return stack;
  return { ...stack, json: { ...stack.json, variable: { unused_stand_in: { type: 'string', default: '' } } } };
}

/** A role reference: plain, or `one(...[*])` for a role that exists only when a variable says so. */
const ROLE_REFERENCE = /^\$\{(?:aws_iam_role\.([A-Za-z0-9_]+)\.(?:id|name)|one\(aws_iam_role\.([A-Za-z0-9_]+)\[\*\]\.(?:id|name)\))\}$/;

function roleKeyOf(config: Record<string, unknown>): RoleKey {
  const p = constructPath(config);
  const key = (Object.keys(ROLE_PATHS) as RoleKey[]).find((k) => p.endsWith(ROLE_PATHS[k]));
  // A role the tests do not know about would escape every expectation: fail loudly instead.
  if (!key) throw new Error(`Unknown IAM role at ${p}: add it to ROLE_PATHS and give it rows`);
  return key;
}

function roleOfAttachment(type: string, name: string, config: Record<string, unknown>): string {
  const match = ROLE_REFERENCE.exec(String(config.role));
  if (!match) throw new Error(`${type}.${name} is attached to ${String(config.role)}, not to a role of this stack`);
  return match[1] ?? match[2];
}

/**
 * Renders every role (trust, inline and attached policies) and the resource ARNs rows refer to, with one Terraform run.
 */
export function renderDeployment(
  label: string,
  stack: SynthesizedStack,
  variables: Readonly<Record<string, unknown>> = {},
): RenderedDeployment {
  const allRoles = findResources(stack, 'aws_iam_role');
  const allInline = findResources(stack, 'aws_iam_role_policy');
  const allAttachments = findResources(stack, 'aws_iam_role_policy_attachment');
  // Resources whose `count` a variable decides: only those Terraform would create are rendered.
  const counted = (type: string, resources: Record<string, Record<string, unknown>>) =>
    Object.fromEntries(Object.entries(resources).map(([name, config]) => [`${type}.${name}`, config.count ?? 1]));
  const counts = evaluateInStack(
    withSomeVariable(stack),
    { counts: { ...counted('aws_iam_role', allRoles), ...counted('aws_iam_role_policy', allInline), ...counted('aws_iam_role_policy_attachment', allAttachments) } },
    { variables, accountId: ACCOUNT_ID, region: REGION },
  ).counts as Record<string, number>;
  const created = (type: string, resources: Record<string, Record<string, unknown>>) =>
    Object.fromEntries(Object.entries(resources).filter(([name]) => Number(counts[`${type}.${name}`]) > 0));
  const roles = created('aws_iam_role', allRoles);
  const inline = created('aws_iam_role_policy', allInline);
  const attachments = created('aws_iam_role_policy_attachment', allAttachments);
  const expressions = {
    roles: Object.fromEntries(
      Object.entries(roles).map(([name, config]) => [name, { name: config.name, arn: `\${aws_iam_role.${name}.arn}`, trust: config.assume_role_policy }]),
    ),
    inline: Object.fromEntries(Object.entries(inline).map(([name, config]) => [name, config.policy])),
    attached: Object.fromEntries(Object.entries(attachments).map(([name, config]) => [name, config.policy_arn])),
    arns: {
      stateMachine: `\${aws_sfn_state_machine.${resourceAt(stack, 'aws_sfn_state_machine', '/Queries/StateMachine').name}.arn}`,
      cancellationStateMachine: `\${aws_sfn_state_machine.${resourceAt(stack, 'aws_sfn_state_machine', '/Cancellations/StateMachine').name}.arn}`,
      callbackerFunction: `\${aws_lambda_function.${resourceAt(stack, 'aws_lambda_function', '/Callbacker/Function').name}.arn}`,
      queryApiFunction: `\${aws_lambda_function.${resourceAt(stack, 'aws_lambda_function', '/QueryApi/Function').name}.arn}`,
      restApiExecution: `\${aws_api_gateway_rest_api.${resourceAt(stack, 'aws_api_gateway_rest_api', '/Api/RestApi').name}.execution_arn}`,
      deadLetterQueue: `\${aws_sqs_queue.${resourceAt(stack, 'aws_sqs_queue', '/DeadLetterQueue/Queue').name}.arn}`,
      signingSecret: `\${aws_secretsmanager_secret.${resourceAt(stack, 'aws_secretsmanager_secret', '/SigningSecret/Secret').name}.arn}`,
      callbackerLogGroup: `\${aws_cloudwatch_log_group.${resourceAt(stack, 'aws_cloudwatch_log_group', '/Callbacker/LogGroup').name}.arn}`,
      stateMachineLogGroup: `\${aws_cloudwatch_log_group.${resourceAt(stack, 'aws_cloudwatch_log_group', '/Queries/LogGroup').name}.arn}`,
      apiAccessLogGroup: `\${aws_cloudwatch_log_group.${resourceAt(stack, 'aws_cloudwatch_log_group', '/Api/AccessLogGroup').name}.arn}`,
      queryApiLogGroup: `\${aws_cloudwatch_log_group.${resourceAt(stack, 'aws_cloudwatch_log_group', '/QueryApi/LogGroup').name}.arn}`,
      cancellationStateMachineLogGroup: `\${aws_cloudwatch_log_group.${resourceAt(stack, 'aws_cloudwatch_log_group', '/Cancellations/LogGroup').name}.arn}`,
    },
    permissions: Object.fromEntries(
      Object.entries(findResources(stack, 'aws_lambda_permission')).map(([name, config]) => [
        name,
        { action: config.action, principal: config.principal, functionName: config.function_name, sourceArn: config.source_arn, statementId: config.statement_id },
      ]),
    ),
    definition: resourceAt(stack, 'aws_sfn_state_machine', '/Queries/StateMachine').config.definition,
    deadLetterQueuePolicy: resourceAt(stack, 'aws_sqs_queue_policy', '/DeadLetterQueue/Policy').config.policy,
  };
  const out = evaluateInStack(withSomeVariable(stack), expressions, { variables, accountId: ACCOUNT_ID, region: REGION });
  const renderedRoles = out.roles as Record<string, { name: string; arn: string; trust: string }>;
  const renderedInline = out.inline as Record<string, string>;
  const renderedAttached = out.attached as Record<string, string>;

  const byRole: Partial<Record<RoleKey, RenderedRole>> = {};
  for (const [name, config] of Object.entries(roles)) {
    const key = roleKeyOf(config);
    const policies = Object.entries(inline)
      .filter(([policyName, policy]) => roleOfAttachment('aws_iam_role_policy', policyName, policy) === name)
      .map(([policyName]) => JSON.parse(renderedInline[policyName]) as PolicyDocument);
    const attachedPolicyArns = Object.entries(attachments)
      .filter(([attachmentName, attachment]) => roleOfAttachment('aws_iam_role_policy_attachment', attachmentName, attachment) === name)
      .map(([attachmentName]) => renderedAttached[attachmentName]);
    byRole[key] = {
      address: `aws_iam_role.${name}`,
      name: renderedRoles[name].name,
      arn: renderedRoles[name].arn,
      trust: JSON.parse(renderedRoles[name].trust) as PolicyDocument,
      inline: policies,
      attachedPolicyArns,
    };
  }
  const arns = out.arns as RenderedArns;
  const permissions = Object.values(out.permissions as Record<string, { action: string; principal: string; functionName: string; sourceArn: string; statementId: string }>);
  return {
    label,
    stack,
    roles: byRole,
    arns,
    definition: JSON.parse(out.definition as string) as Record<string, unknown>,
    deadLetterQueuePolicy: JSON.parse(out.deadLetterQueuePolicy as string) as PolicyDocument,
    queryApiFunctionPolicy: {
      Version: '2012-10-17',
      Statement: permissions.map((p) => ({
        Sid: p.statementId,
        Effect: 'Allow',
        Principal: { Service: p.principal },
        Action: p.action,
        Resource: arns.queryApiFunction,
        Condition: { ArnLike: { 'aws:SourceArn': p.sourceArn } },
      })),
    },
  };
}

/** The role of a deployment, failing when the deployment has none of that kind. */
export function roleOf(deployment: RenderedDeployment, key: RoleKey): RenderedRole {
  const role = deployment.roles[key];
  if (!role) throw new Error(`${deployment.label} has no ${key} role`);
  return role;
}

/** A deployment to put under test: literal props, or the same configuration given to the module stack's variables. */
export interface DeploymentSpec {
  readonly label: string;
  /** The configuration. */
  readonly props: AsyncAthenaQueryProps;
  /** Given to main.ts's stack as Terraform variables ({@link variablesFromProps}) instead of as literal props. */
  readonly asVariables?: boolean;
}

/** Source data a query may read, given to the deployment with every option. */
export const SOURCE_DATA_LOCATION = 's3://source-data/sales/';

/** The deployments every IAM expectation must hold for. */
const WITH_KEYS_AND_DATABASE: AsyncAthenaQueryProps = { ...BASE_PROPS, resultsKmsKeyArn: RESULTS_KEY_ARN, deadLetterQueueKmsKeyArn: DEAD_LETTER_KEY_ARN, database: 'sales' };
const WITH_SOURCE_DATA: AsyncAthenaQueryProps = {
  ...BASE_PROPS,
  sourceDataLocations: [SOURCE_DATA_LOCATION],
  glueDatabases: ['sales', 'marketing'],
  manageApiGatewayAccountRole: true,
};

export const DEPLOYMENT_SPECS: readonly DeploymentSpec[] = [
  { label: 'module stack (Terraform variables)', props: BASE_PROPS, asVariables: true },
  { label: 'module stack with KMS keys and a database as variables', props: WITH_KEYS_AND_DATABASE, asVariables: true },
  { label: 'module stack with source data and the account logging role as variables', props: WITH_SOURCE_DATA, asVariables: true },
  { label: 'literal props', props: BASE_PROPS },
  { label: 'literal props with KMS keys and a database', props: WITH_KEYS_AND_DATABASE },
  { label: 'literal props with source data and the account logging role', props: WITH_SOURCE_DATA },
];

/** Synthesizes and renders every deployment of {@link DEPLOYMENT_SPECS}: two synths and one Terraform run each. */
export function renderDeployments(scratch: ScratchDirectories, specs: readonly DeploymentSpec[] = DEPLOYMENT_SPECS): Map<string, RenderedDeployment> {
  const literal = specs.filter((s) => !s.asVariables);
  const stackName = (i: number) => `literal-${i}`;
  const literalStacks = synthesizeLiteralStacks(
    scratch.make('literal'),
    Object.fromEntries(literal.map((s, i) => [stackName(i), s.props])),
  );
  const rendered = new Map<string, RenderedDeployment>();
  let moduleStack: SynthesizedStack | undefined;
  for (const spec of specs) {
    if (spec.asVariables) {
      moduleStack ??= synthesizeModuleStack(scratch.make('module'));
      rendered.set(spec.label, renderDeployment(spec.label, moduleStack, variablesFromProps(spec.props)));
    } else {
      rendered.set(spec.label, renderDeployment(spec.label, literalStacks[stackName(literal.indexOf(spec))]));
    }
  }
  return rendered;
}

/**
 * Renders every deployment once for a test file (beforeAll) and removes the scratch folders afterwards (afterAll).
 * Returns the lookup by spec and the rendered map, both valid once the file's tests run.
 */
export function useRenderedDeployments(): { deployment: (spec: DeploymentSpec) => RenderedDeployment; all: () => readonly RenderedDeployment[] } {
  const scratch = new ScratchDirectories();
  let rendered: Map<string, RenderedDeployment> | undefined;
  beforeAll(() => {
    rendered = renderDeployments(scratch);
  });
  afterAll(() => scratch.removeAll());
  const map = (): Map<string, RenderedDeployment> => {
    if (!rendered) throw new Error('deployments are rendered in beforeAll; use them inside tests');
    return rendered;
  };
  return {
    deployment: (spec) => {
      const d = map().get(spec.label);
      if (!d) throw new Error(`${spec.label} was not rendered`);
      return d;
    },
    all: () => [...map().values()],
  };
}

/** A resource as Terraform would create it: its configuration evaluated, and some of its attributes' stand-ins. */
export interface EvaluatedResource {
  readonly type: string;
  readonly name: string;
  /** Instances Terraform creates (the evaluated `count`, 1 without one). */
  readonly count: number;
  readonly config: Record<string, unknown>;
  /** Stand-in values of `arn`, `id` and `name`, to compare with references evaluated in {@link EvaluatedResource.config}. */
  readonly attributes: { readonly arn: unknown; readonly id: unknown; readonly name: unknown };
}

/**
 * Every resource of a stack with its configuration evaluated by Terraform for the given variables (one Terraform run):
 * the module stack's values that come from variables, `count` decisions and `jsonencode` documents become what Terraform
 * would send to AWS, so the same expectations hold for the module stack and for literal props.
 */
export function evaluateResources(stack: SynthesizedStack, variables: Readonly<Record<string, unknown>> = {}): EvaluatedResource[] {
  const all = Object.keys(stack.json.resource ?? {}).flatMap((type) => Object.entries(findResources(stack, type)).map(([name, config]) => ({ type, name, config })));
  const expressions = Object.fromEntries(
    all.map(({ type, name, config }) => [
      `${type}.${name}`.replace(/\./g, '__'),
      {
        count: config.count ?? 1,
        config: Object.fromEntries(Object.entries(config).filter(([key]) => !['//', 'count', 'depends_on', 'lifecycle', 'provider'].includes(key))),
        attributes: { arn: `\${${type}.${name}.arn}`, id: `\${${type}.${name}.id}`, name: `\${${type}.${name}.name}` },
      },
    ]),
  );
  const out = evaluateInStack(withSomeVariable(stack), expressions, { variables, accountId: ACCOUNT_ID, region: REGION });
  return all.map(({ type, name }) => {
    const value = out[`${type}.${name}`.replace(/\./g, '__')] as { count: number | string; config: Record<string, unknown>; attributes: EvaluatedResource['attributes'] };
    return { type, name, count: Number(value.count), config: value.config, attributes: value.attributes };
  });
}

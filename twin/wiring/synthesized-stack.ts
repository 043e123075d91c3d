/**
 * Reads what `cdktf synth` produced and evaluates its Terraform expressions with the real `terraform` binary, using
 * stand-in values for what only AWS knows (account, region, resource ids). Everything the module deploys (the
 * state-machine definition, the mapping templates, the IAM policies, the Lambda environment) can then be executed or
 * simulated exactly as Terraform would render it, variables and functions (`regex`, `element`, `sha1`, ...) included.
 *
 * Terraform cannot download the aws or archive providers here, so resources are not planned; only expressions are
 * evaluated, in a provider-free scratch configuration (locals + outputs).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The JSON of a synthesized stack (`cdk.tf.json`). */
export interface TerraformJson {
  readonly variable?: Record<string, Record<string, unknown>>;
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output?: Record<string, Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/** A synthesized stack on disk. */
export interface SynthesizedStack {
  /** Folder of the stack (`cdktf.out/stacks/<name>`): `cdk.tf.json` and `assets/`. */
  readonly directory: string;
  /** The parsed `cdk.tf.json`. */
  readonly json: TerraformJson;
}

/** Values standing in for what AWS would return. */
export interface StandIns {
  /** Terraform variable values. */
  readonly variables: Readonly<Record<string, unknown>>;
  /** @default 'aws' */
  readonly partition?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
}

/**
 * Synthesizes the module's stack (main.ts) in this process into `outdir` and returns it: the same code path as
 * `cdktf synth`, without the CLI.
 */
export function synthesizeMainStack(outdir: string, stackName = 'async-athena-query'): SynthesizedStack {
  // Loaded lazily: only callers that synthesize pay for cdktf and the provider classes.
  const { App } = require('cdktf') as typeof import('cdktf');
  const { AsyncAthenaQueryStack } = require('../../main') as typeof import('../../main');
  const app = new App({ outdir });
  new AsyncAthenaQueryStack(app, stackName);
  app.synth();
  return readSynthesizedStack(path.join(outdir, 'stacks', stackName));
}

/** Reads a synthesized stack folder. */
export function readSynthesizedStack(directory: string): SynthesizedStack {
  const json = JSON.parse(fs.readFileSync(path.join(directory, 'cdk.tf.json'), 'utf8')) as TerraformJson;
  return { directory, json };
}

/** One resource or data source of the stack, by its Terraform address (`aws_iam_role.Name`). */
export function findResources(stack: SynthesizedStack, type: string, kind: 'resource' | 'data' = 'resource'): Record<string, Record<string, unknown>> {
  return (stack.json[kind] as Record<string, Record<string, Record<string, unknown>>> | undefined)?.[type] ?? {};
}

/** The single resource of a type, failing when there is not exactly one. */
export function onlyResource(stack: SynthesizedStack, type: string, kind: 'resource' | 'data' = 'resource'): { name: string; config: Record<string, unknown> } {
  const all = Object.entries(findResources(stack, type, kind));
  if (all.length !== 1) throw new Error(`Expected exactly one ${kind} ${type}, found ${all.length}: ${all.map(([n]) => n).join(', ')}`);
  return { name: all[0][0], config: all[0][1] };
}

/**
 * A reference to an attribute of a resource, data source or ephemeral resource, with the instance index of a counted
 * one (`aws_x.y[*].arn`, `aws_x.y[0].arn`).
 */
const REFERENCE = /\b((?:data|ephemeral)\.[a-z0-9_]+\.[A-Za-z0-9_]+|aws_[a-z0-9_]+\.[A-Za-z0-9_]+)(\[(?:\*|\d+)\])?\.([a-z0-9_]+)\b/g;

/** A reference to a whole resource object (`aws_x.y` with no attribute), as the deployment trigger hashes them. */
const WHOLE_RESOURCE = /\b(aws_[a-z0-9_]+\.[A-Za-z0-9_]+)\b(?![.[])/g;

/** The local holding the stand-in object of a whole resource. */
function objectLocalName(address: string): string {
  return `object_${address.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** The local holding the evaluated `count` of a resource (`aws_x.y`). */
function countLocalName(address: string): string {
  return `count_${address.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function localName(reference: string): string {
  return `ref_${reference.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/**
 * Rewrites every resource or data reference to a local, collecting the references met. References never occur inside
 * string literals of our expressions, so replacing them anywhere in a string is safe and simpler than parsing HCL.
 */
function rewriteReferences(value: unknown, found: Set<string>): unknown {
  if (typeof value === 'string') {
    return value
      .replace(REFERENCE, (_match, address: string, index: string | undefined, attribute: string) => {
        const reference = `${address}.${attribute}`;
        found.add(reference);
        if (index !== '[*]') return `local.${localName(reference)}`;
        // A splat of a counted resource: one stand-in per instance, as many as its count evaluates to.
        found.add(`${address}.#count`);
        return `(local.${countLocalName(address)} > 0 ? [local.${localName(reference)}] : [])`;
      })
      .replace(WHOLE_RESOURCE, (_match, address: string) => {
        // Only inside an expression: the configuration itself stands in for the object (its arguments).
        found.add(`${address}.#object`);
        return `local.${objectLocalName(address)}`;
      });
  }
  if (Array.isArray(value)) return value.map((v) => rewriteReferences(v, found));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== '//').map(([k, v]) => [k, rewriteReferences(v, found)]));
  }
  return value;
}

/**
 * The stand-in value of one attribute, as a Terraform template: ARNs and URLs built from the resource's own name
 * (itself possibly an expression), so that policies and definitions render as they would in a real account.
 */
function standInFor(stack: SynthesizedStack, reference: string, found: Set<string>): string {
  const parts = reference.split('.');
  const kind = parts[0] === 'data' || parts[0] === 'ephemeral' ? parts[0] : 'resource';
  const [type, name, attribute] = kind === 'resource' ? parts : parts.slice(1);
  const blocks = kind === 'resource' ? findResources(stack, type) : ((stack.json[kind] as Record<string, Record<string, Record<string, unknown>>> | undefined)?.[type] ?? {});
  const config = blocks[name] ?? {};
  const prop = (key: string): string => {
    const v = config[key];
    if (typeof v === 'string') return rewriteReferences(v, found) as string;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    // Objects (request templates, settings) only feed hashes such as the deployment trigger: a stable stand-in will do.
    return `${type}-${name}-${key}`;
  };
  // A name_prefix gets Terraform's 26-digit unique suffix. https://developer.hashicorp.com/terraform/plugin/sdkv2/resources/import (id.PrefixedUniqueId)
  const secretName = (): string => (config.name_prefix !== undefined ? `${prop('name_prefix')}20261130000000000000000001` : prop('name'));
  const P = '${local.stand_in_partition}';
  const R = '${local.stand_in_region}';
  const A = '${local.stand_in_account}';
  const shortId = createHash('sha256').update(`${type}.${name}`).digest('hex').slice(0, 10);
  const table: Record<string, Record<string, () => string>> = {
    aws_partition: { partition: () => P, dns_suffix: () => 'amazonaws.com' },
    aws_region: { region: () => R, name: () => R },
    aws_caller_identity: { account_id: () => A },
    aws_secretsmanager_random_password: { random_password: () => 'StandInRandomPassword0123456789abcdefghijklm' },
    archive_file: { output_path: () => prop('output_path'), output_base64sha256: () => 'stand-in-base64-sha256=' },
    aws_iam_role: { arn: () => `arn:${P}:iam::${A}:role/${prop('name')}`, id: () => prop('name'), name: () => prop('name') },
    aws_lambda_function: {
      arn: () => `arn:${P}:lambda:${R}:${A}:function:${prop('function_name')}`,
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-integrations.html (the integration URI)
      invoke_arn: () => `arn:${P}:apigateway:${R}:lambda:path/2015-03-31/functions/arn:${P}:lambda:${R}:${A}:function:${prop('function_name')}/invocations`,
    },
    aws_sfn_state_machine: { arn: () => `arn:${P}:states:${R}:${A}:stateMachine:${prop('name')}` },
    aws_sqs_queue: { arn: () => `arn:${P}:sqs:${R}:${A}:${prop('name')}`, url: () => `https://sqs.${R}.amazonaws.com/${A}/${prop('name')}` },
    aws_secretsmanager_secret: {
      arn: () => `arn:${P}:secretsmanager:${R}:${A}:secret:${secretName()}-AbCdEf`,
      id: () => `arn:${P}:secretsmanager:${R}:${A}:secret:${secretName()}-AbCdEf`,
      name: () => secretName(),
    },
    aws_cloudwatch_log_group: { arn: () => `arn:${P}:logs:${R}:${A}:log-group:${prop('name')}`, name: () => prop('name') },
    aws_api_gateway_rest_api: { id: () => shortId, root_resource_id: () => `${shortId}root`, execution_arn: () => `arn:${P}:execute-api:${R}:${A}:${shortId}` },
    aws_api_gateway_stage: {
      invoke_url: () => {
        const api = prop('rest_api_id');
        return `https://${api}.execute-api.${R}.amazonaws.com/${prop('stage_name')}`;
      },
      arn: () => `arn:${P}:apigateway:${R}::/restapis/${prop('rest_api_id')}/stages/${prop('stage_name')}`,
    },
  };
  const fromTable = table[type]?.[attribute];
  if (fromTable) return fromTable();
  if (attribute === 'id') return `${shortId}`;
  return prop(attribute);
}

/**
 * Evaluates expressions as the synthesized stack's Terraform would, with real Terraform. `expressions` maps output
 * names to any JSON whose strings may hold `${...}` templates referencing the stack's variables, resources and data.
 * Returns the evaluated values. Throws with Terraform's message when evaluation or a variable validation fails.
 */
export function evaluateInStack(stack: SynthesizedStack, expressions: Readonly<Record<string, unknown>>, standIns: StandIns): Record<string, unknown> {
  const found = new Set<string>();
  const outputs = Object.fromEntries(Object.entries(expressions).map(([name, value]) => [name, { value: rewriteReferences(value, found) }]));
  const locals: Record<string, unknown> = {
    stand_in_partition: standIns.partition ?? 'aws',
    stand_in_region: standIns.region ?? 'us-east-1',
    stand_in_account: standIns.accountId ?? '123456789012',
  };
  const pending = [...found];
  while (pending.length > 0) {
    const reference = pending.pop() as string;
    const before = new Set(found);
    if (reference.endsWith('.#object')) {
      const address = reference.slice(0, -'.#object'.length);
      if (locals[objectLocalName(address)] !== undefined) continue;
      const [type, name] = address.split('.');
      const config = Object.fromEntries(
        Object.entries(findResources(stack, type)[name] ?? {}).filter(([key]) => !['//', 'count', 'depends_on', 'lifecycle', 'provider'].includes(key)),
      );
      (locals as Record<string, unknown>)[objectLocalName(address)] = rewriteReferences(config, found);
    } else if (reference.endsWith('.#count')) {
      const address = reference.slice(0, -'.#count'.length);
      if (locals[countLocalName(address)] !== undefined) continue;
      const [type, name] = address.split('.');
      const count = findResources(stack, type)[name]?.count;
      locals[countLocalName(address)] = count === undefined ? '1' : String(rewriteReferences(count, found));
    } else {
      if (locals[localName(reference)] !== undefined) continue;
      locals[localName(reference)] = standInFor(stack, reference, found);
    }
    for (const r of found) if (!before.has(r)) pending.push(r);
  }
  const variables = Object.fromEntries(
    Object.entries(stack.json.variable ?? {}).map(([name, block]) => [name, Object.fromEntries(Object.entries(block).filter(([k]) => k !== '//'))]),
  );
  // Terraform rejects an empty `variable` block.
  const config = { ...(Object.keys(variables).length > 0 ? { variable: variables } : {}), locals, output: outputs };
  // Files the configuration reads with path.module (the callbacker zip under assets/) must be where it expects them.
  const assets = path.join(stack.directory, 'assets');
  return runTerraform(config, standIns.variables, fs.existsSync(assets) ? { assets } : {});
}

/**
 * Evaluates a provider-free configuration with `terraform apply` and returns its outputs. `links` names folders to
 * link into the scratch directory, for configurations that read files relative to themselves.
 */
export function runTerraform(
  config: unknown,
  variables: Readonly<Record<string, unknown>>,
  links: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-eval-'));
  try {
    // Folders the configuration reads (by path relative to it), linked in rather than copied.
    for (const [name, target] of Object.entries(links)) fs.symlinkSync(target, path.join(dir, name), 'dir');
    fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify(config));
    fs.writeFileSync(path.join(dir, 'stand-ins.tfvars.json'), JSON.stringify(variables));
    const env = { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
    const run = (args: string[]) => execFileSync('terraform', args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    try {
      run(['init', '-backend=false', '-no-color']);
      run(['apply', '-auto-approve', '-no-color', '-var-file=stand-ins.tfvars.json']);
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string };
      const text = `${e.stderr ?? ''}`.replace(/There are some problems with the CLI configuration:[^]*?╵\n/, '');
      // Terraform wraps long messages; one line per message keeps them searchable.
      throw new TerraformEvaluationError(text.replace(/\s+/g, ' ').trim());
    }
    const raw = JSON.parse(run(['output', '-json'])) as Record<string, { value: unknown }>;
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.value]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Terraform refused the configuration or a variable value; the message is Terraform's. */
export class TerraformEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TerraformEvaluationError';
  }
}

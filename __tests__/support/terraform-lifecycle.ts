/**
 * What the Terraform lifecycle suites need to plan, apply and destroy the committed module for real: scratch checkouts
 * of the repository's module and examples, the real `terraform` binary with the real AWS provider installed offline
 * from a local filesystem mirror, and moto (behind the gap-filling proxy of moto-gap-proxy.ts) as the AWS account.
 * Test helper; not a suite.
 *
 * Only two things differ from what a user runs, both mechanical and made here, in one place:
 * - {@link adaptToAwsProvider5}: the local provider is AWS 5.100.0 while the module asks for `>= 6.0.0`, so the
 *   constraint is lowered and the one 6.x attribute the module reads is renamed (see its documentation).
 * - provider override files (`provider_override.tf`, a Terraform override file beside the example's own provider
 *   blocks) point every AWS endpoint at the local proxy, with fake keys and `max_retries = 2` (so that an unfilled
 *   moto gap fails at once instead of after minutes of retries), and may change the provider's region.
 * Other override files are written by the suites themselves, each one documented where it is written.
 * https://developer.hashicorp.com/terraform/language/files/override
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MODULE_DIRECTORY } from '../../scripts/module-artifact';
import { signRequest } from '../../twin/iam/sigv4-verifier';
import { type MotoServer, startMotoServer } from '../../twin/sqs/moto-server';
import { type MotoGapProxy, startMotoGapProxy } from './moto-gap-proxy';
import { createQuietly } from './quiet-sdk';

const ROOT = path.resolve(__dirname, '..', '..');

/** The filesystem mirror holding the AWS provider (`<mirror>/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/`). */
export const AWS_PROVIDER_MIRROR = process.env.TF_AWS_PROVIDER_MIRROR ?? '/opt/tf-plugins';
/** The provider version the mirror holds on this machine and on CI. */
export const LOCAL_AWS_PROVIDER_VERSION = '5.100.0';
const PROVIDER_PACKAGE = path.join(AWS_PROVIDER_MIRROR, 'registry.terraform.io', 'hashicorp', 'aws', LOCAL_AWS_PROVIDER_VERSION, 'linux_amd64');

/** Why the lifecycle suites cannot run here, or undefined when they can. */
export function lifecycleUnavailable(): string | undefined {
  if (!fs.existsSync(PROVIDER_PACKAGE)) {
    return `no local AWS provider ${LOCAL_AWS_PROVIDER_VERSION} at ${PROVIDER_PACKAGE} (terraform cannot download providers here; set TF_AWS_PROVIDER_MIRROR to a filesystem mirror that holds it)`;
  }
  return undefined;
}

/** Fake keys moto accepts (it checks no signature). */
const MOTO_CREDENTIALS = { accessKeyId: 'moto-lifecycle', secretAccessKey: 'moto-lifecycle' };

/** Every service the module's resources and data sources call. */
const MODULE_SERVICES = ['apigateway', 'cloudwatchlogs', 'iam', 'lambda', 'secretsmanager', 'sfn', 'sqs', 'sts', 'wafv2'] as const;

/**
 * Lets the committed module and examples run on AWS provider 5.100.0 (the version this machine holds), in every
 * `.tf` and `.tf.json` file under `root`:
 * 1. the AWS provider constraint `>= 6.x.y` becomes `>= 5.100.0`;
 * 2. `data.aws_region.<name>.region` becomes `data.aws_region.<name>.name` (6.x added `region` and deprecated `name`;
 *    5.x has only `name`, with the same value).
 * Nothing else changes. Throws when the module has no such constraint or reference any more, so that a change of the
 * module cannot silently make this function do nothing.
 */
export function adaptToAwsProvider5(root: string): { readonly constraints: number; readonly regionReferences: number } {
  let constraints = 0;
  let regionReferences = 0;
  const visit = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.terraform') visit(file);
        continue;
      }
      if (!/\.tf(\.json)?$/.test(entry.name)) continue;
      const text = fs.readFileSync(file, 'utf8');
      const adapted = text
        .replace(/>= 6\.\d+\.\d+/g, () => {
          constraints += 1;
          return `>= ${LOCAL_AWS_PROVIDER_VERSION}`;
        })
        .replace(/\bdata\.aws_region\.([A-Za-z0-9_-]+)\.region\b/g, (_match, name: string) => {
          regionReferences += 1;
          return `data.aws_region.${name}.name`;
        });
      if (adapted !== text) fs.writeFileSync(file, adapted);
    }
  };
  visit(root);
  if (constraints === 0 || regionReferences === 0) {
    throw new Error(`adaptToAwsProvider5 found ${constraints} '>= 6.x' constraints and ${regionReferences} data.aws_region .region references under ${root}: update it to the module`);
  }
  return { constraints, regionReferences };
}

/** A moto server of its own behind the gap-filling proxy: one AWS account, empty at start. */
export interface LocalAws {
  /** The proxy's endpoint: give it to the provider and to SDK clients. */
  readonly endpoint: string;
  readonly proxy: MotoGapProxy;
  readonly moto: MotoServer;
  close(): Promise<void>;
}

export async function startLocalAws(): Promise<LocalAws> {
  // A server of its own, not the shared MOTO_ENDPOINT one: an apply must see only its own account state.
  const moto = await startMotoServer();
  const proxy = await startMotoGapProxy(moto.endpoint);
  return {
    endpoint: proxy.endpoint,
    proxy,
    moto,
    close: async () => {
      await proxy.close();
      await moto.close();
    },
  };
}

/** One run of terraform. */
export interface TerraformRun {
  readonly args: readonly string[];
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class TerraformError extends Error {
  constructor(
    readonly run: TerraformRun,
    readonly cwd: string,
  ) {
    super(`terraform ${run.args.join(' ')} exited with ${run.status} in ${cwd}:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
    this.name = 'TerraformError';
  }
}

/** The environment of every terraform run: offline provider installation, no AWS settings of the developer's shell. */
function terraformEnvironment(cliConfig: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && !key.startsWith('TF_')));
  return { ...env, TF_CLI_CONFIG_FILE: cliConfig, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
}

/** The CLI configuration file of a checkout, in its root. */
const CLI_CONFIG = 'terraform.rc';

/** Options of {@link Checkout.fresh}. */
export interface CheckoutOptions {
  /** The AWS endpoint every provider configuration is pointed at. */
  readonly endpoint: string;
  /** Provider configurations of the example (`''` for the default one, else the alias) and a region to force on each. */
  readonly providers?: Readonly<Record<string, string | undefined>>;
}

/**
 * A fresh checkout of the repository's module and one example in its own folder, as a pipeline job has it: the
 * committed files (adapted by {@link adaptToAwsProvider5}), a provider override file, and nothing from another job.
 */
export class Checkout {
  /** The example folder, where terraform runs. */
  readonly dir: string;
  /** The module folder of this checkout. */
  readonly moduleDir: string;
  private readonly env: NodeJS.ProcessEnv;

  /** A fresh checkout of the committed module and `example` under `root` (created), pointed at a local account. */
  static fresh(root: string, example: string, options: CheckoutOptions): Checkout {
    fs.mkdirSync(root, { recursive: true });
    // Only what a fresh clone has: no .terraform folder or state a developer's own run left behind.
    const committed = (source: string) => !source.split(path.sep).some((part) => part === '.terraform' || part.startsWith('terraform.tfstate') || part === '.terraform.lock.hcl');
    fs.cpSync(path.join(ROOT, 'examples', example), path.join(root, 'examples', example), { recursive: true, filter: committed });
    fs.cpSync(path.join(ROOT, MODULE_DIRECTORY), path.join(root, MODULE_DIRECTORY), { recursive: true });
    adaptToAwsProvider5(root);
    // The AWS provider from the local mirror, everything else (nothing, here) from the registry as usual.
    // https://developer.hashicorp.com/terraform/cli/config/config-file#provider-installation
    fs.writeFileSync(
      path.join(root, CLI_CONFIG),
      [
        'provider_installation {',
        `  filesystem_mirror {\n    path    = ${JSON.stringify(AWS_PROVIDER_MIRROR)}\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }`,
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }',
        '}',
        '',
      ].join('\n'),
    );
    const checkout = new Checkout(root, example);
    checkout.writeFile('provider_override.tf', providerOverride(options.endpoint, options.providers ?? { '': undefined }));
    return checkout;
  }

  private constructor(
    readonly root: string,
    readonly example: string,
  ) {
    this.dir = path.join(root, 'examples', example);
    this.moduleDir = path.join(root, MODULE_DIRECTORY);
    this.env = terraformEnvironment(path.join(root, CLI_CONFIG));
  }

  /** A copy of this checkout as it is now (initialized folder and state included), under `root`. */
  clone(root: string): Checkout {
    fs.cpSync(this.root, root, { recursive: true, verbatimSymlinks: true });
    return new Checkout(root, this.example);
  }

  /** Writes a file into the example folder (an override file, a plan carried over from another job). */
  writeFile(name: string, content: string | Buffer): void {
    fs.writeFileSync(path.join(this.dir, name), content);
  }

  /** Runs terraform in the example folder. */
  run(args: readonly string[]): Promise<TerraformRun> {
    const all = [...args, '-no-color'];
    return new Promise((resolve, reject) => {
      const child = spawn('terraform', all, { cwd: this.dir, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => resolve({ args: all, status: code ?? -1, stdout, stderr }));
    });
  }

  /** Runs terraform and throws a {@link TerraformError} unless it exits 0. */
  async ok(args: readonly string[]): Promise<TerraformRun> {
    const run = await this.run(args);
    if (run.status !== 0) throw new TerraformError(run, this.dir);
    return run;
  }

  /** `terraform show -json` of a plan file, or of the state without one. */
  async show(planFile?: string): Promise<TerraformShow> {
    return JSON.parse((await this.ok(['show', '-json', ...(planFile === undefined ? [] : [planFile])])).stdout) as TerraformShow;
  }

  /** The state file's text, as the local backend keeps it. */
  stateText(): string {
    return fs.readFileSync(path.join(this.dir, 'terraform.tfstate'), 'utf8');
  }

  /** Every managed resource instance of the state. */
  resources(): StateResource[] {
    const state = JSON.parse(this.stateText()) as RawState;
    return state.resources
      .filter((r) => r.mode === 'managed')
      .flatMap((r) =>
        r.instances.map((i) => ({ module: r.module ?? '', type: r.type, name: r.name, indexKey: i.index_key, attributes: i.attributes })),
      );
  }

  /** The one managed resource of a type in a module instance (`module.x`, `module.x["k"]`, ...). */
  resource(type: string, module = ''): StateResource {
    const found = this.resources().filter((r) => r.type === type && (module === '' || r.module === module));
    if (found.length !== 1) throw new Error(`${found.length} ${type} in ${module || 'the state'}, expected 1`);
    return found[0];
  }

  /** Files under the checkout, relative to its root, except Terraform's working data (`.terraform/`). */
  files(): Map<string, string> {
    const listing = new Map<string, string>();
    const visit = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== '.terraform') visit(file);
        } else {
          const stat = fs.statSync(file);
          listing.set(path.relative(this.root, file), `${stat.size}:${stat.mtimeMs}`);
        }
      }
    };
    visit(this.root);
    return listing;
  }
}

/** A provider override file: every endpoint at `endpoint`, moto's fake keys, no AWS metadata lookups. */
function providerOverride(endpoint: string, providers: Readonly<Record<string, string | undefined>>): string {
  return Object.entries(providers)
    .map(([alias, region]) =>
      [
        'provider "aws" {',
        ...(alias === '' ? [] : [`  alias = ${JSON.stringify(alias)}`]),
        ...(region === undefined ? [] : [`  region = ${JSON.stringify(region)}`]),
        `  access_key                  = ${JSON.stringify(MOTO_CREDENTIALS.accessKeyId)}`,
        `  secret_key                  = ${JSON.stringify(MOTO_CREDENTIALS.secretAccessKey)}`,
        '  skip_credentials_validation = true',
        '  skip_metadata_api_check     = true',
        // A gap the proxy does not fill shows at once as an error instead of minutes of retries.
        '  max_retries                 = 2',
        '  endpoints {',
        ...MODULE_SERVICES.map((service) => `    ${service} = ${JSON.stringify(endpoint)}`),
        '  }',
        '}',
        '',
      ].join('\n'),
    )
    .join('\n');
}

interface RawState {
  readonly resources: readonly {
    readonly module?: string;
    readonly mode: 'managed' | 'data';
    readonly type: string;
    readonly name: string;
    readonly instances: readonly { readonly index_key?: string | number; readonly attributes: Record<string, unknown> }[];
  }[];
}

/** One managed resource instance of a state. */
export interface StateResource {
  /** `module.x`, `module.x["k"]`, `module.x[0]`. */
  readonly module: string;
  readonly type: string;
  readonly name: string;
  readonly indexKey?: string | number;
  readonly attributes: Record<string, unknown>;
}

/** The parts of `terraform show -json` the suites read. https://developer.hashicorp.com/terraform/internals/json-format */
export interface TerraformShow {
  readonly resource_changes?: readonly ResourceChange[];
}

export interface ResourceChange {
  readonly address: string;
  readonly module_address?: string;
  readonly type: string;
  readonly change: {
    readonly actions: readonly ('no-op' | 'create' | 'read' | 'update' | 'delete')[];
    readonly before: Record<string, unknown> | null;
    readonly after: Record<string, unknown> | null;
    readonly after_unknown?: Record<string, unknown>;
  };
}

/** The changes of a plan to resources of a type. */
export function changesOf(plan: TerraformShow, type: string): ResourceChange[] {
  return (plan.resource_changes ?? []).filter((c) => c.type === type);
}

/** A secret's current value, read from the local account. */
export async function secretValue(endpoint: string, region: string, secretId: string): Promise<string> {
  const client = createQuietly(() => new SecretsManagerClient({ region, endpoint, credentials: MOTO_CREDENTIALS }));
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (SecretString === undefined) throw new Error(`secret ${secretId} has no string value`);
    return SecretString;
  } finally {
    client.destroy();
  }
}

/**
 * One signed AWS API call to the local account, for services the devDependencies have no SDK client of: the JSON
 * protocol when `target` is given (`X-Amz-Target`), else a REST call.
 */
export async function awsCall(
  endpoint: string,
  request: { readonly region: string; readonly service: string; readonly method: string; readonly path: string; readonly target?: string; readonly body?: unknown },
): Promise<{ readonly status: number; readonly body: unknown }> {
  const url = new URL(request.path, endpoint);
  const body = request.body === undefined ? '' : JSON.stringify(request.body);
  const headers: Record<string, string> =
    request.target === undefined ? { 'content-type': 'application/json' } : { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': request.target };
  const signed = await signRequest({ method: request.method, url, headers, body }, MOTO_CREDENTIALS, { region: request.region, service: request.service });
  const response = await fetch(url, { method: request.method, headers: signed, body: request.method === 'GET' ? undefined : body });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

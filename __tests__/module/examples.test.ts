/**
 * Issue 9 §1: the examples are root modules that load the committed module with `terraform init`, as far as the
 * offline limit (provider download) allows: the module is found and installed, calling it with `for_each`, `count`,
 * `depends_on` and `providers = { aws = aws.us }` is accepted (a module with its own provider block is refused there),
 * and the only errors left are the provider downloads this machine cannot make. `terraform validate` against a real
 * AWS provider, and plan/apply, are in lifecycle tests that use a local provider copy.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODULE_DIRECTORY } from '../../scripts/module-artifact';

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLES = ['minimal', 'complete'] as const;

let scratch: string;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'module-examples-'));
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface TerraformRun {
  readonly status: number;
  readonly output: string;
}

/** Runs terraform in a folder, offline: no CLI configuration, so providers come from the (unreachable) registry. */
function terraform(cwd: string, args: readonly string[]): TerraformRun {
  const run = spawnSync('terraform', [...args, '-no-color'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' },
  });
  return { status: run.status ?? -1, output: `${run.stdout}\n${run.stderr}`.replace(/\s+/g, ' ') };
}

/** A copy of the repository's examples and module, so each example's relative `source` resolves as in a checkout. */
function checkout(name: string): string {
  const root = fs.mkdtempSync(path.join(scratch, `${name}-`));
  // Only what a fresh clone has: no .terraform folder a developer's own init left behind.
  const tracked = (source: string) => !source.split(path.sep).includes('.terraform') && !source.endsWith('.terraform.lock.hcl');
  fs.cpSync(path.join(ROOT, 'examples'), path.join(root, 'examples'), { recursive: true, filter: tracked });
  fs.cpSync(path.join(ROOT, MODULE_DIRECTORY), path.join(root, MODULE_DIRECTORY), { recursive: true });
  return root;
}

/** The errors of a run, by their title line. */
function errors(run: TerraformRun): string[] {
  return [...run.output.matchAll(/Error: ([A-Z][^.│]*?)(?= [A-Z][a-z]| Could| This| on |$)/g)].map((m) => m[1].trim());
}

const PROVIDER_DOWNLOAD_ERRORS = new Set(['Failed to query available provider packages', 'Failed to install provider']);

describe.each(EXAMPLES)('examples/%s', (example) => {
  let init: TerraformRun;
  let dir: string;

  beforeAll(() => {
    dir = path.join(checkout(example), 'examples', example);
    init = terraform(dir, ['init', '-backend=false']);
  });

  test('installs the module from its relative source', () => {
    expect(init.output).toContain('Initializing modules...');
    expect(init.output).toMatch(/in \.\.\/\.\.\/terraform\/async-athena-query/);
  });

  test('fails only where this machine cannot download providers', () => {
    // THEN the configuration loaded: the only errors are the provider downloads
    expect(init.status).not.toBe(0);
    expect(errors(init).length).toBeGreaterThan(0);
    expect(errors(init).filter((e) => !PROVIDER_DOWNLOAD_ERRORS.has(e))).toEqual([]);
    expect(init.output).toContain('hashicorp/aws');
  });

  test('is formatted as terraform fmt writes it', () => {
    expect(terraform(dir, ['fmt', '-check', '-diff']).status).toBe(0);
  });
});

describe('examples/complete', () => {
  let providers: TerraformRun;

  beforeAll(() => {
    const dir = path.join(checkout('providers'), 'examples', 'complete');
    terraform(dir, ['init', '-backend=false']);
    providers = terraform(dir, ['providers']);
  });

  test('passes the aliased provider to the instance in the second region, and the default one to the for_each instances', () => {
    expect(providers.status).toBe(0);
    expect(providers.output).toMatch(/module\.orders_us/);
    expect(providers.output).toMatch(/module\.team_queries/);
    expect(providers.output).toMatch(/provider\[registry\.terraform\.io\/hashicorp\/aws\] >= 6\.0\.0/);
  });
});

describe('the offline check itself', () => {
  test('would catch a module that configures its own provider (a legacy module refuses for_each)', () => {
    // GIVEN the committed module with a provider block added
    const root = checkout('legacy');
    fs.writeFileSync(path.join(root, MODULE_DIRECTORY, 'legacy_provider.tf.json'), JSON.stringify({ provider: { aws: { region: 'eu-west-1' } } }));
    // WHEN
    const init = terraform(path.join(root, 'examples', 'complete'), ['init', '-backend=false']);
    // THEN
    expect(errors(init)).toContain('Module is incompatible with count, for_each, and depends_on');
  });
});

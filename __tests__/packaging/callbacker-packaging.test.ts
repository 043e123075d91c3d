/**
 * How the functions' code (the callbacker's and the query API function's) reaches Lambda in the synthesized stack, in
 * both packaging modes: the default uploads the shipped zips, which Terraform hashes from the files and which nothing
 * writes at plan time; `archive-provider` has the archive provider zip the shipped bundles during plan.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArchiveProvider } from '@cdktf/provider-archive/lib/provider';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { AsyncAthenaQuery, type AsyncAthenaQueryProps, CallbackerFunction, InvalidPropsError, MissingPeerDependencyError, shippedCallbacker, shippedQueryApi } from '../../constructs';
import { loadArchiveProvider } from '../../constructs/archive-packaging';
import { useScratchTempDir } from '../support/synth';

useScratchTempDir();
const ROOT = path.resolve(__dirname, '..', '..');

interface StackJson {
  provider?: Record<string, unknown>;
  terraform?: { required_providers?: Record<string, unknown> };
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
}

interface SynthesizedStack {
  readonly directory: string;
  readonly json: StackJson;
}

/** Synthesizes a stack with an AWS provider and the given instances, the way `cdktf synth` writes it. */
function synthesizeStack(instances: Record<string, Partial<AsyncAthenaQueryProps>>, extra?: (stack: TerraformStack) => void): SynthesizedStack {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'packaging-'));
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'consumer');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  extra?.(stack);
  for (const [id, props] of Object.entries(instances)) new AsyncAthenaQuery(stack, id, { workGroup: 'primary', outputLocation: `s3://results-bucket/${id.toLowerCase()}/`, ...props });
  app.synth();
  const directory = path.join(outdir, 'stacks', 'consumer');
  return { directory, json: JSON.parse(fs.readFileSync(path.join(directory, 'cdk.tf.json'), 'utf8')) as StackJson };
}

/** The functions of the stack, the callbacker's or the query API function's (by their construct ids). */
function functions(stack: SynthesizedStack, kind: 'Callbacker' | 'QueryApi'): Record<string, unknown>[] {
  return Object.entries(stack.json.resource.aws_lambda_function)
    .filter(([name]) => name.includes(`_${kind}_Function_`))
    .map(([, config]) => config);
}

/** What each kind of function ships. */
const SHIPPED = { Callbacker: shippedCallbacker, QueryApi: shippedQueryApi } as const;

/** A path under `${path.module}` as a path in the stack folder. */
function inStack(stack: SynthesizedStack, value: unknown): string {
  const match = /^\$\{path\.module\}\/(.+)$/.exec(String(value));
  if (match === null) throw new Error(`expected a path under \${path.module}, got ${String(value)}`);
  return path.join(stack.directory, match[1]);
}

/**
 * Evaluates expressions with the real terraform binary in a fresh folder holding only the stack's `assets/`, as a
 * saved plan would be applied from a fresh checkout of the synthesized module.
 */
function evaluateInFreshCopy(stack: SynthesizedStack, outputs: Record<string, unknown>): Record<string, unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'packaging-tf-'));
  fs.cpSync(path.join(stack.directory, 'assets'), path.join(dir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify({ output: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { value: v }])) }));
  const env = { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  const run = (args: string[]) => execFileSync('terraform', args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  run(['init', '-backend=false', '-no-color']);
  run(['apply', '-auto-approve', '-no-color']);
  const raw = JSON.parse(run(['output', '-json'])) as Record<string, { value: unknown }>;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.value]));
}

describe("packaging 'prebuilt-zip' (the default)", () => {
  let stack: SynthesizedStack;
  beforeAll(() => {
    stack = synthesizeStack({ Orders: {}, Billing: { namePrefix: 'billing' } });
  });

  it.each(['Callbacker', 'QueryApi'] as const)('uploads the shipped %s zip, copied into the stack byte for byte', (kind) => {
    // GIVEN
    const shipped = fs.readFileSync(SHIPPED[kind]().zipFile);
    // THEN
    expect(functions(stack, kind)).toHaveLength(2);
    for (const fn of functions(stack, kind)) expect(fs.readFileSync(inStack(stack, fn.filename)).equals(shipped)).toBe(true);
  });

  it('gives each function of each instance its own package file', () => {
    const files = [...functions(stack, 'Callbacker'), ...functions(stack, 'QueryApi')].map((fn) => fn.filename);
    expect(new Set(files).size).toBe(4);
  });

  it.each(['Callbacker', 'QueryApi'] as const)('has Terraform hash the %s file it uploads, and the path resolves from a fresh copy of the stack', (kind) => {
    // GIVEN
    const [fn] = functions(stack, kind);
    const expected = createHash('sha256').update(fs.readFileSync(SHIPPED[kind]().zipFile)).digest('base64');
    // WHEN
    const evaluated = evaluateInFreshCopy(stack, { filename: fn.filename, source_code_hash: fn.source_code_hash });
    // THEN
    expect(fn.source_code_hash).toBe(`\${filebase64sha256("${String(fn.filename)}")}`);
    expect(evaluated.source_code_hash).toBe(expected);
    expect(evaluated.filename).toBe(`./${String(fn.filename).replace('${path.module}/', '')}`);
  });

  it('makes nothing at plan time: no archive_file data source and no archive provider', () => {
    expect(stack.json.data?.archive_file).toBeUndefined();
    expect(Object.keys(stack.json.provider ?? {})).toEqual(['aws']);
    expect(Object.keys(stack.json.terraform?.required_providers ?? {})).toEqual(['aws']);
  });
});

describe("packaging 'archive-provider'", () => {
  let stack: SynthesizedStack;
  beforeAll(() => {
    stack = synthesizeStack({ Orders: { callbackerPackaging: 'archive-provider', namePrefix: 'orders' }, Billing: { callbackerPackaging: 'archive-provider', namePrefix: 'billing' } });
  });

  it.each([
    ['Callbacker', 'callbacker'],
    ['QueryApi', 'query-api'],
  ] as const)('zips the shipped %s bundle at plan time from a path relative to the stack, with a pinned file mode, one zip per instance', (kind, stem) => {
    // GIVEN
    const archives = Object.entries(stack.json.data?.archive_file ?? {}).filter(([name]) => name.includes(`_${kind}_Archive_`)).map(([, a]) => a);
    // THEN
    expect(archives).toHaveLength(2);
    for (const archive of archives) {
      expect(archive).toMatchObject({
        type: 'zip',
        source_file: expect.stringMatching(new RegExp(`^\\$\\{path\\.module\\}/assets/\\w+_${kind}_Bundle_\\w+/[0-9A-F]{32}/index\\.js$`)),
        output_path: expect.stringMatching(new RegExp(`^\\$\\{path\\.module\\}/assets/\\w+_${kind}_Bundle_\\w+/[0-9A-F]{32}/${stem}-(orders|billing)\\.zip$`)),
        output_file_mode: '0644',
      });
      expect(fs.readFileSync(inStack(stack, archive.source_file)).equals(fs.readFileSync(SHIPPED[kind]().bundleFile))).toBe(true);
    }
    expect(new Set(archives.map((a) => a.output_path)).size).toBe(2);
  });

  it.each(['Callbacker', 'QueryApi'] as const)("uploads the %s archive's output with the archive's hash", (kind) => {
    for (const fn of functions(stack, kind)) {
      expect(fn.filename).toMatch(new RegExp(`^\\$\\{data\\.archive_file\\.\\w+_${kind}_Archive_\\w+\\.output_path\\}$`));
      expect(fn.source_code_hash).toMatch(new RegExp(`^\\$\\{data\\.archive_file\\.\\w+_${kind}_Archive_\\w+\\.output_base64sha256\\}$`));
    }
  });

  it('adds one archive provider for the stack', () => {
    expect(Object.keys(stack.json.provider ?? {}).sort()).toEqual(['archive', 'aws']);
    expect(stack.json.provider?.archive).toHaveLength(1);
  });

  it('keeps an archive provider the stack already has instead of adding one', () => {
    // WHEN
    const withOwn = synthesizeStack({ Orders: { callbackerPackaging: 'archive-provider' } }, (s) => new ArchiveProvider(s, 'own', { alias: 'own' }));
    // THEN
    expect(withOwn.json.provider?.archive).toEqual([{ alias: 'own' }]);
  });
});

describe('loadArchiveProvider', () => {
  /** A loader failing as Node does when the package is not installed. */
  const missing = (name: string) => (): never => {
    throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
  };

  it('throws MissingPeerDependencyError naming the peer range of package.json and both ways out', () => {
    // GIVEN
    const range = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> }).peerDependencies['@cdktf/provider-archive'];
    // WHEN
    const load = () => loadArchiveProvider('Callbacker', missing('@cdktf/provider-archive/lib/data-archive-file'));
    // THEN
    expect(load).toThrow(MissingPeerDependencyError);
    expect(load).toThrow(`CallbackerFunction 'Callbacker': packaging 'archive-provider' needs the optional peer dependency @cdktf/provider-archive (${range})`);
    expect(load).toThrow(`npm install --save-dev @cdktf/provider-archive@${range}\`, or use packaging 'prebuilt-zip'`);
  });

  it('lets a missing module other than the archive provider through unchanged', () => {
    // GIVEN
    const load = missing('some-transitive-module');
    // WHEN / THEN
    expect(() => loadArchiveProvider('Callbacker', load)).toThrow("Cannot find module 'some-transitive-module'");
  });

  it('lets other loading errors through unchanged', () => {
    // GIVEN
    const broken = new SyntaxError('Unexpected token');
    // WHEN
    const load = () =>
      loadArchiveProvider('Callbacker', () => {
        throw broken;
      });
    // THEN
    expect(load).toThrow(broken);
  });
});

describe('MissingPeerDependencyError', () => {
  it('quotes a range with spaces in the install command, so the shell passes it as one argument', () => {
    // WHEN
    const error = new MissingPeerDependencyError('Callbacker', '@cdktn/provider-archive', '>=14.0.1 <15.0.0', undefined);
    // THEN
    expect(error.message).toContain("Run `npm install --save-dev '@cdktn/provider-archive@>=14.0.1 <15.0.0'`");
  });
});

describe('AsyncAthenaQuery: callbackerPackaging', () => {
  it('rejects an unknown packaging with InvalidPropsError naming the prop, the choices and the value', () => {
    // WHEN
    const create = () => synthesizeStack({ Orders: { callbackerPackaging: 'zip' as never } });
    // THEN
    expect(create).toThrow(InvalidPropsError);
    expect(create).toThrow(/callbackerPackaging must be one of 'prebuilt-zip', 'archive-provider', got "zip"/);
  });
});

describe('an unbuilt checkout', () => {
  it('fails at construction with MissingCallbackerBundleError saying to run npm run build', () => {
    // GIVEN a copy of the compiled package without dist/callbacker, using this repository's peers
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'unbuilt-'));
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(copy, 'package.json'));
    fs.cpSync(path.join(ROOT, 'dist', 'constructs'), path.join(copy, 'dist', 'constructs'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    const program = `
      const { App, TerraformStack } = require('cdktf');
      const { AsyncAthenaQuery } = require(${JSON.stringify(copy)});
      try {
        new AsyncAthenaQuery(new TerraformStack(new App({ outdir: ${JSON.stringify(path.join(copy, 'out'))} }), 's'), 'Q', { workGroup: 'primary', outputLocation: 's3://results-bucket/q/' });
      } catch (error) {
        process.stdout.write(JSON.stringify({ name: error.name, message: error.message }));
      }`;
    // WHEN
    const thrown = JSON.parse(execFileSync(process.execPath, ['-e', program], { cwd: copy, encoding: 'utf8' }) || 'null') as { name: string; message: string } | null;
    // THEN
    expect(thrown).toEqual({ name: 'MissingCallbackerBundleError', message: expect.stringContaining('run `npm run build` in the package folder') });
    expect(thrown?.message).toContain(path.join(copy, 'dist', 'callbacker'));
  });
});

describe('CallbackerFunction: packaging', () => {
  it('rejects an unknown packaging with InvalidPropsError when used on its own', () => {
    // GIVEN
    const stack = new TerraformStack(new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'packaging-')) }), 'alone');
    let thrown: unknown;
    // WHEN (a construction adds to the tree, so it runs once)
    try {
      new CallbackerFunction(stack, 'Callbacker', { namePrefix: 'alone', results: { bucket: 'results-bucket', prefix: 'q/' }, disableWebhookSigning: true, packaging: 'tarball' as never });
    } catch (error) {
      thrown = error;
    }
    // THEN
    expect(thrown).toBeInstanceOf(InvalidPropsError);
    expect((thrown as Error).message).toMatch(/packaging must be one of 'prebuilt-zip', 'archive-provider', got "tarball"/);
  });
});

/**
 * Issue 9 §1: the committed Terraform module (terraform/async-athena-query/) is what `npm run module` generates from the
 * constructs today, byte for byte; it configures no provider and no backend, constrains versions from below only, and
 * its README and ours carry input and output tables generated from the variables' own definitions.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MODULE_OUTPUTS, MODULE_VARIABLES, REQUIRED_AWS_PROVIDER, REQUIRED_TERRAFORM_VERSION } from '../../constructs';
import { DOCS_BEGIN, DOCS_END, generateModule, MODULE_DIRECTORY, moduleDocs, readModule } from '../../scripts/module-artifact';

const ROOT = path.resolve(__dirname, '..', '..');
const MODULE = path.join(ROOT, MODULE_DIRECTORY);

let generated: Map<string, Buffer>;
let committed: Map<string, Buffer>;

beforeAll(() => {
  generated = generateModule();
  committed = readModule(MODULE);
});

const json = (file: string) => JSON.parse(committed.get(file)?.toString('utf8') ?? 'null') as Record<string, Record<string, unknown>>;

describe('the committed module', () => {
  test('holds exactly the files a fresh `npm run module` writes', () => {
    expect([...committed.keys()].sort()).toEqual([...generated.keys()].sort());
  });

  test('is byte for byte what a fresh `npm run module` writes (run it and commit when this fails)', () => {
    // WHEN
    const stale = [...generated.entries()].filter(([file, bytes]) => !committed.get(file)?.equals(bytes)).map(([file]) => file);
    // THEN
    expect(stale).toEqual([]);
  });

  test('ships the zips it deploys (callbacker, query API function), so neither plan nor apply writes or needs a file of its own', () => {
    // GIVEN
    const functions = Object.values((json('main.tf.json').resource as Record<string, Record<string, Record<string, unknown>>>).aws_lambda_function);
    // WHEN
    const filenames = functions.map((f) => String(f.filename));
    // THEN
    expect(filenames.map((f) => path.basename(f)).sort()).toEqual(['callbacker.zip', 'query-api.zip']);
    for (const [i, filename] of filenames.entries()) {
      expect(committed.has(filename.replace('${path.module}/', ''))).toBe(true);
      expect(functions[i].source_code_hash).toBe(`\${filebase64sha256("${filename}")}`);
    }
    expect(json('main.tf.json').data ?? {}).not.toHaveProperty('archive_file');
  });

  test('configures no provider and no backend, so callers may use count, for_each, depends_on and providers', () => {
    // GIVEN
    const all = [...committed.entries()].filter(([file]) => file.endsWith('.tf.json')).map(([, bytes]) => JSON.parse(bytes.toString('utf8')) as Record<string, unknown>);
    // THEN
    for (const file of all) {
      expect(file).not.toHaveProperty('provider');
      expect((file.terraform as Record<string, unknown> | undefined) ?? {}).not.toHaveProperty('backend');
    }
  });

  test('constrains Terraform and the AWS provider from below only, with the full provider source address', () => {
    // GIVEN
    const terraform = json('versions.tf.json').terraform as { required_version: string; required_providers: Record<string, { source: string; version: string }> };
    // THEN
    expect(terraform.required_version).toBe(REQUIRED_TERRAFORM_VERSION);
    expect(terraform.required_providers).toEqual({ aws: REQUIRED_AWS_PROVIDER });
    expect(REQUIRED_AWS_PROVIDER.version).toMatch(/^>= \d+\.\d+\.\d+$/);
    expect(REQUIRED_TERRAFORM_VERSION).toMatch(/^>= 1\.1[1-9]\.\d+$/);
  });

  test('declares every variable and output of the module interface, nothing more', () => {
    expect(Object.keys(json('variables.tf.json').variable).sort()).toEqual(MODULE_VARIABLES.map((v) => v.name).sort());
    expect(Object.keys(json('outputs.tf.json').output).sort()).toEqual(MODULE_OUTPUTS.map((o) => o.name).sort());
  });

  test('holds no absolute path of the machine that generated it, and no cdktf metadata', () => {
    // GIVEN
    const text = [...committed.entries()].filter(([file]) => /\.(json|md)$/.test(file)).map(([, bytes]) => bytes.toString('utf8')).join('\n');
    // THEN
    expect(text).not.toContain(ROOT);
    expect(text).not.toContain('"//"');
    expect(text).not.toContain('TfToken');
  });
});

describe('generated documentation', () => {
  /** The generated section of a README, markers included. */
  const section = (text: string) => text.slice(text.indexOf(DOCS_BEGIN), text.indexOf(DOCS_END) + DOCS_END.length);

  test("the repository README's input and output tables are the generated ones", () => {
    expect(section(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'))).toBe(moduleDocs());
  });

  test("the module README's tables are the generated ones", () => {
    expect(section(committed.get('README.md')?.toString('utf8') ?? '')).toBe(moduleDocs());
  });

  test.each(MODULE_VARIABLES.map((v) => [v.name] as const))('lists the input %s', (name) => {
    expect(moduleDocs()).toContain(`| \`${name}\` |`);
  });

  test.each(MODULE_OUTPUTS.map((o) => [o.name] as const))('lists the output %s', (name) => {
    expect(moduleDocs()).toContain(`| \`${name}\` |`);
  });
});

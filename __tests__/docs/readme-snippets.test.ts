/**
 * Every TypeScript and HCL block of README.md is code: TypeScript is type-checked against the built package, imported
 * by its name as a consumer imports it, and jest blocks run with jest; HCL is formatted-checked and loaded by the real
 * terraform binary as far as offline allows (module calls against a provider-free copy of the synthesized module's
 * variables and outputs; `terraform init` may fail only at downloading providers). A block marked
 * `<!-- snippet-skip: reason -->` is reported as skipped with its reason. The receiver snippet also runs for real in
 * readme-receiver.test.ts, and the consumer check runs the "Use it from CDKTF" blocks in a scratch project.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { CHECKED_LANGUAGES, type ReadmeSnippet, readmeSnippets, UNCHECKED_LANGUAGES } from '../../scripts/readme-snippets';
import { synthesizeMainStack } from '../../twin/wiring/synthesized-stack';

const ROOT = path.resolve(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const snippets = readmeSnippets(README);
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; main: string; peerDependencies: Record<string, string> };

const label = (s: ReadmeSnippet) => `line ${s.line} (${s.section || 'top'})`;
const checked = (language: string) => snippets.filter((s) => s.language === language && s.skipReason === undefined);
const skipped = snippets.filter((s) => s.skipReason !== undefined);

let scratch: string;
let project: string;
beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, manifest.main))) throw new Error(`${manifest.main} is missing: run npm run build (npm test does) first`);
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-snippets-'));
  // A consumer project: our package under its name (a link to this repository, resolved through package.json like an
  // install), and links to this repository's other packages so the snippets' other imports resolve.
  project = path.join(scratch, 'project');
  const modules = path.join(project, 'node_modules');
  fs.mkdirSync(modules, { recursive: true });
  for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    if (!entry.startsWith('.') && entry !== manifest.name) fs.symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(modules, entry), 'dir');
  }
  fs.symlinkSync(ROOT, path.join(modules, manifest.name), 'dir');
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('README.md code blocks', () => {
  it('are all in a language the tests know, so a new kind of block cannot go unchecked', () => {
    const known: readonly string[] = [...CHECKED_LANGUAGES, ...UNCHECKED_LANGUAGES];
    expect(snippets.filter((s) => !known.includes(s.language)).map((s) => `${label(s)}: ${s.language}`)).toEqual([]);
  });

  it('include TypeScript and HCL blocks to check', () => {
    expect(checked('ts').length).toBeGreaterThanOrEqual(3);
    expect(checked('hcl').length).toBeGreaterThanOrEqual(2);
  });

  it('give a reason for every block they skip', () => {
    for (const s of skipped) expect(s.skipReason?.length).toBeGreaterThan(10);
  });

  // A block that is not standalone must say which other check runs it: an npm script of this package.
  const scripts = Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
  for (const s of skipped) {
    it(`${label(s)} is not standalone, and names the check that runs it: ${s.skipReason}`, () => {
      const named = [...(s.skipReason ?? '').matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]);
      expect(named.length).toBeGreaterThan(0);
      for (const script of named) expect(scripts).toContain(script);
    });
  }
});

describe('readmeSnippets', () => {
  it('reads a skip marker above a block, its section and language, and tells jest tests apart', () => {
    // GIVEN
    const markdown = [
      '## Usage',
      '<!-- snippet-skip: continues the block above -->',
      '',
      '```typescript',
      "it('x', () => expect(1).toBe(1));",
      '```',
      '```tf',
      'locals {}',
      '```',
      '```yaml',
      'a: 1',
      '```',
    ].join('\n');
    // WHEN
    const [first, second, third] = readmeSnippets(markdown);
    // THEN
    expect(first).toMatchObject({ language: 'ts', line: 4, section: 'Usage', skipReason: 'continues the block above', isJestTest: true });
    expect(second).toMatchObject({ language: 'hcl', line: 7, isJestTest: false });
    expect(second.skipReason).toBeUndefined();
    expect(third.language).toBe('unknown:yaml');
  });

  it('refuses a fence that is never closed', () => {
    expect(() => readmeSnippets('```ts\nconst a = 1;\n')).toThrow(/line 1: the ``` fence is never closed/);
  });
});

describe('README.md TypeScript blocks', () => {
  it.each(checked('ts').map((s) => [label(s), s] as const))('type-check against the built package as a consumer imports it: %s', (_label, snippet) => {
    // GIVEN
    const file = path.join(project, `snippet-${snippet.line}.ts`);
    fs.writeFileSync(file, snippet.code);
    // WHEN
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      esModuleInterop: true,
      skipLibCheck: true,
      types: ['node', 'jest'],
      typeRoots: [path.join(project, 'node_modules', '@types')],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? path.basename(d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    // THEN
    expect(diagnostics).toEqual([]);
  });

  it.each(checked('ts').filter((s) => s.isJestTest).map((s) => [label(s), s] as const))('run with jest and pass: %s', (_label, snippet) => {
    // GIVEN the snippet as a test file, with cdktf's jest setup
    const dir = path.join(project, `jest-${snippet.line}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'readme.test.ts'), snippet.code);
    fs.writeFileSync(path.join(dir, 'setup.js'), "require('cdktf').Testing.setupJest();\n");
    const config = {
      rootDir: dir,
      testEnvironment: 'node',
      setupFilesAfterEnv: ['<rootDir>/setup.js'],
      transform: { '^.+\\.ts$': [path.join(project, 'node_modules', '@swc', 'jest'), { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
    };
    // WHEN
    const run = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--watchman=false', '--config', JSON.stringify(config)], {
      cwd: dir,
      env: { ...process.env, TMPDIR: scratch, CHECKPOINT_DISABLE: '1' },
      encoding: 'utf8',
    });
    // THEN (jest reports on standard error)
    expect({ status: run.status, report: run.stderr }).toEqual({ status: 0, report: expect.stringMatching(/Tests:\s+\d+ passed, \d+ total/) });
    expect(run.stderr).not.toMatch(/failed/);
  });
});

/** Titles of the `Error:` blocks terraform printed. */
function errorTitles(output: string): string[] {
  return [...output.matchAll(/Error: (.+)/g)].map((m) => m[1].trim());
}

/** Errors `terraform init` gives only because providers cannot be downloaded here. */
const PROVIDER_DOWNLOAD_ERRORS = ['Failed to query available provider packages', 'Failed to install provider', 'Failed to resolve provider packages'];

describe('README.md HCL blocks', () => {
  let stubModule: string;
  beforeAll(() => {
    // The synthesized module's interface without its resources: module calls can be validated with no provider.
    const stack = synthesizeMainStack(path.join(scratch, 'cdktf.out'));
    stubModule = path.join(scratch, 'stub-module');
    fs.mkdirSync(stubModule);
    const strip = (blocks: Record<string, Record<string, unknown>> | undefined, keep: (block: Record<string, unknown>) => Record<string, unknown>) =>
      Object.fromEntries(Object.entries(blocks ?? {}).map(([name, block]) => [name, keep(Object.fromEntries(Object.entries(block).filter(([k]) => k !== '//')))]));
    fs.writeFileSync(
      path.join(stubModule, 'main.tf.json'),
      JSON.stringify({
        variable: strip(stack.json.variable, (block) => block),
        output: strip(stack.json.output as Record<string, Record<string, unknown>>, (block) => ({ description: block.description, value: null })),
      }),
    );
  });

  const terraform = (args: string[], cwd: string) => {
    try {
      return { status: 0, output: execFileSync('terraform', args, { cwd, env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
    } catch (error) {
      const e = error as { status?: number; stdout?: string; stderr?: string };
      return { status: e.status ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  };

  it.each(checked('hcl').map((s) => [label(s), s] as const))('are formatted as terraform fmt writes them and load in terraform: %s', (_label, snippet) => {
    // GIVEN the snippet as a root module, its module calls pointed at the stub of our module
    const dir = path.join(scratch, `hcl-${snippet.line}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'main.tf'), snippet.code.replace(/^(\s*source\s*=\s*)"[^"]*"/gm, `$1"${path.relative(dir, stubModule)}"`));
    fs.writeFileSync(path.join(scratch, `fmt-${snippet.line}.tf`), snippet.code);
    // WHEN
    const fmt = terraform(['fmt', '-check', '-diff', '-no-color', `fmt-${snippet.line}.tf`], scratch);
    const init = terraform(['init', '-backend=false', '-no-color'], dir);
    // THEN
    expect(fmt).toEqual({ status: 0, output: '' });
    if (init.status === 0) {
      // No provider needed: terraform validates the whole configuration, module inputs and outputs included.
      expect(terraform(['validate', '-no-color'], dir)).toEqual({ status: 0, output: expect.stringContaining('The configuration is valid') });
    } else {
      expect(errorTitles(init.output).filter((title) => !PROVIDER_DOWNLOAD_ERRORS.includes(title))).toEqual([]);
      expect(errorTitles(init.output).length).toBeGreaterThan(0);
    }
  });
});

describe('the README install command', () => {
  it('installs the package with every required peer dependency at its range from package.json', () => {
    // GIVEN
    const section = snippets.filter((s) => s.section === 'Use it from CDKTF' && s.language === 'sh');
    const install = section.map((s) => s.code.trim()).find((code) => code.startsWith('npm install'));
    // WHEN
    const args = install?.split(/\s+/).slice(2) ?? [];
    // THEN
    const required = Object.entries(manifest.peerDependencies).filter(([name]) => name !== '@cdktf/provider-archive');
    expect(args.sort()).toEqual([manifest.name, ...required.map(([name, range]) => `${name}@${range}`)].sort());
  });
});

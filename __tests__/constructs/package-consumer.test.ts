import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * Proves the package works as a library from another CDKTF project: `main`/`types` resolve to the compiled output
 * (`npm run build`, which `npm test` runs first), the published file list holds what a consumer needs, and a consumer
 * stack with its own provider can create two instances side by side.
 */
const root = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; main: string; types: string };
let consumer: string;

beforeAll(() => {
  if (!fs.existsSync(path.join(root, manifest.main))) throw new Error(`${manifest.main} is missing: run npm run build (npm test does) first`);
  consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-'));
  const modules = path.join(consumer, 'node_modules');
  fs.mkdirSync(path.join(modules, '@cdktf'), { recursive: true });
  // The consumer installs our package and its own copies of cdktf, constructs and the provider (links stand in for
  // `npm install`; Node resolves them to one real copy, as npm's deduplication would).
  fs.symlinkSync(root, path.join(modules, manifest.name), 'dir');
  for (const dep of ['cdktf', 'constructs', '@cdktf/provider-aws']) fs.symlinkSync(path.join(root, 'node_modules', dep), path.join(modules, dep), 'dir');
});
afterAll(() => fs.rmSync(consumer, { recursive: true, force: true }));

const consumerProgram = `
const { App, TerraformStack } = require('cdktf');
const { AwsProvider } = require('@cdktf/provider-aws/lib/provider');
const { AsyncAthenaQuery } = require('${'NAME'}');

class AnalyticsStack extends TerraformStack {
  constructor(scope, id) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: 'eu-west-1' });
    new AsyncAthenaQuery(this, 'Orders', { workGroup: 'orders', outputLocation: 's3://analytics-results/orders/' });
    new AsyncAthenaQuery(this, 'Billing', { workGroup: 'billing', outputLocation: 's3://analytics-results/billing/' });
  }
}
const app = new App({ outdir: process.argv[2] });
new AnalyticsStack(app, 'analytics');
app.synth();
`;

describe('the published package', () => {
  it('resolves main and types to the compiled constructs', () => {
    // WHEN
    const resolved = require.resolve(manifest.name, { paths: [consumer] });
    // THEN
    expect(path.relative(root, fs.realpathSync(resolved))).toBe(path.normalize(manifest.main));
    expect(fs.existsSync(path.join(root, manifest.types))).toBe(true);
  });

  it('ships the compiled constructs, their types and the handler sources, and no tests', () => {
    // WHEN
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })) as [{ files: { path: string }[] }];
    const files = pack.files.map((f) => f.path);
    // THEN
    expect(files).toEqual(expect.arrayContaining(['dist/constructs/index.js', 'dist/constructs/index.d.ts', 'dist/constructs/async-athena-query.d.ts', 'handler/index.ts', 'package.json', 'README.md']));
    expect(files.filter((f) => f.startsWith('__tests__/') || f.startsWith('node_modules/') || f.startsWith('cdktf.out/'))).toEqual([]);
  });

  it('lets a consumer stack create two instances side by side without name or id collisions', () => {
    // GIVEN
    const script = path.join(consumer, 'consumer.js');
    fs.writeFileSync(script, consumerProgram.replace('NAME', manifest.name));
    const outdir = path.join(consumer, 'cdktf.out');
    // WHEN
    execFileSync(process.execPath, [script, outdir], { cwd: consumer, stdio: 'pipe' });
    // THEN
    const synth = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'analytics', 'cdk.tf.json'), 'utf8')) as { resource: Record<string, Record<string, Record<string, unknown>>> };
    // Names that must be unique per account and region (inline policy, model and validator names are per parent).
    // The signing secret has a name_prefix (Terraform adds a unique suffix), so its prefix must differ too.
    const accountScoped = ['aws_iam_role', 'aws_lambda_function', 'aws_sfn_state_machine', 'aws_sqs_queue', 'aws_secretsmanager_secret', 'aws_cloudwatch_log_group', 'aws_api_gateway_rest_api'];
    const names = accountScoped.flatMap((type) =>
      Object.values(synth.resource[type] ?? {}).map((r) => `${type}:${String(r.name ?? r.name_prefix ?? r.function_name)}`),
    );
    expect(names).toHaveLength(2 * 12);
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(synth.resource.aws_lambda_function)).toHaveLength(2);
  });

  it('type-checks a TypeScript consumer against the published types', () => {
    // GIVEN
    const file = path.join(consumer, 'consumer.ts');
    fs.writeFileSync(
      file,
      [
        `import { TerraformStack, App } from 'cdktf';`,
        `import { AsyncAthenaQuery, type AsyncAthenaQueryProps, QueryStateMachine } from '${manifest.name}';`,
        `const props: AsyncAthenaQueryProps = { workGroup: 'primary', outputLocation: 's3://r/x/', presignExpirySeconds: 900 };`,
        `const svc = new AsyncAthenaQuery(new TerraformStack(new App(), 's'), 'Q', props);`,
        `const url: string = svc.invokeUrl;`,
        `const machine: QueryStateMachine = svc.queries;`,
        `export { url, machine };`,
      ].join('\n'),
    );
    // WHEN
    const program = ts.createProgram([file], { strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, target: ts.ScriptTarget.ES2022, types: [] });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    // THEN
    expect(diagnostics).toEqual([]);
  });
});

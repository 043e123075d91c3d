import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** Relative imports of a TypeScript file (type-only imports included: they still tie the modules together). */
function relativeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  return specs.map((spec) => {
    const base = path.resolve(path.dirname(file), spec);
    const candidate = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => fs.existsSync(c));
    if (candidate === undefined) throw new Error(`${path.relative(ROOT, file)} imports ${spec}, which does not resolve`);
    return candidate;
  });
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every import cycle among the files, as lists of paths relative to the repository root. */
function cycles(files: readonly string[]): string[][] {
  const graph = new Map(files.map((f) => [f, relativeImports(f)]));
  const found: string[][] = [];
  const visit = (node: string, trail: string[]): void => {
    const at = trail.indexOf(node);
    if (at !== -1) {
      found.push(trail.slice(at).concat(node).map((f) => path.relative(ROOT, f)));
      return;
    }
    for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
  };
  for (const file of files) visit(file, []);
  return found;
}

describe('import graph', () => {
  test('the constructs and builders have no import cycle', () => {
    // GIVEN
    const files = sourceFiles(path.join(ROOT, 'constructs'));
    // WHEN
    const found = cycles(files);
    // THEN
    expect(found).toEqual([]);
  });

  test('the builders import neither a construct module nor a CDK framework', () => {
    // GIVEN
    const builders = sourceFiles(path.join(ROOT, 'constructs', 'builders'));
    // WHEN
    const offending = builders.flatMap((file) => {
      const text = fs.readFileSync(file, 'utf8');
      const framework = [...text.matchAll(/from '((?:cdktf|cdktn|constructs|@cdktf\/[^']+|@cdktn\/[^']+))'/g)].map((m) => m[1]);
      const constructModules = relativeImports(file).filter((target) => !target.includes(`${path.sep}builders${path.sep}`) && !target.endsWith('-props.ts'));
      return [...framework, ...constructModules.map((t) => path.relative(ROOT, t))].map((what) => `${path.relative(ROOT, file)} -> ${what}`);
    });
    // THEN
    expect(offending).toEqual([]);
  });

  test('the handler imports nothing from the constructs but the pure builders, and no CDK framework', () => {
    // GIVEN the bundled handlers, which share the API contract, the definition's names and the S3 location rules with
    // the constructs through constructs/builders/ (itself free of any framework, see above)
    const handler = sourceFiles(path.join(ROOT, 'handler'));
    // WHEN
    const offending = handler.flatMap((file) => {
      const framework = [...fs.readFileSync(file, 'utf8').matchAll(/from '((?:cdktf|cdktn|constructs|@cdktf\/[^']+|@cdktn\/[^']+))'/g)].map((m) => m[1]);
      const outside = relativeImports(file)
        .filter((target) => !target.startsWith(path.join(ROOT, 'handler')) && !target.startsWith(path.join(ROOT, 'constructs', 'builders') + path.sep))
        .map((target) => path.relative(ROOT, target));
      return [...framework, ...outside].map((what) => `${path.relative(ROOT, file)} -> ${what}`);
    });
    // THEN
    expect(offending).toEqual([]);
  });
});

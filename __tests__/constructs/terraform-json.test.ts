import { App, TerraformOutput, TerraformStack, TerraformVariable, Token } from 'cdktf';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { conditional, elementsOf, type JsonTree, keysWhenSet, merge, objectWith, spread, whenSet } from '../../constructs/builders/deferred';
import { hclQuoted, isUnresolvedToken, renderJsonDocument } from '../../constructs/terraform-json';
import { runTerraform } from '../../twin/wiring/synthesized-stack';
import { useScratchTempDir } from '../support/synth';

useScratchTempDir();

/** Text that trips every escaping rule of HCL templates and JSON. */
const HOSTILE = 'quote " backslash \\ newline \n tab \t cr \r ${not.a.ref} %{ if x } dollar $ percent % unicode ü 😀 bell \u0007';

interface Rendered {
  readonly variables: Record<string, unknown>;
  readonly outputs: Record<string, string>;
}

/** Renders documents in a stack with the given variables, and returns the synthesized variables and output values. */
function renderInStack(build: (stack: TerraformStack) => Record<string, JsonTree>): Rendered {
  const outdir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'render-'));
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'render');
  for (const [name, tree] of Object.entries(build(stack))) new TerraformOutput(stack, name, { value: renderJsonDocument(tree as object) });
  app.synth();
  const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'render', 'cdk.tf.json'), 'utf8')) as {
    variable?: Record<string, unknown>;
    output: Record<string, { value: string }>;
  };
  return { variables: json.variable ?? {}, outputs: Object.fromEntries(Object.entries(json.output).map(([k, v]) => [k, v.value])) };
}

/** Evaluates the rendered outputs with the real terraform binary and parses each as JSON. */
function evaluate(rendered: Rendered, values: Record<string, unknown> = {}): Record<string, unknown> {
  const config = {
    ...(Object.keys(rendered.variables).length > 0 ? { variable: rendered.variables } : {}),
    output: Object.fromEntries(Object.entries(rendered.outputs).map(([k, v]) => [k, { value: v }])),
  };
  const out = runTerraform(config, values);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, JSON.parse(String(v))]));
}

function optionalString(stack: TerraformStack, name: string): TerraformVariable {
  const variable = new TerraformVariable(stack, name, { type: 'string', nullable: true });
  variable.addOverride('default', null);
  return variable;
}

describe('renderJsonDocument', () => {
  test('renders a literal document as JSON text, byte for byte what JSON.stringify gives', () => {
    // GIVEN
    const tree = { Comment: HOSTILE, n: 1.5, list: [true, null, 'x'] };
    // WHEN
    const rendered = renderJsonDocument(tree);
    // THEN
    expect(rendered).toBe(JSON.stringify(tree));
  });

  test('keeps string references inside JSON text when nothing else needs Terraform', () => {
    // GIVEN
    const rendered = renderInStack((stack) => {
      const name = new TerraformVariable(stack, 'name', { type: 'string', default: 'queries' });
      return { doc: { Resource: `arn:aws:states:::${name.stringValue}` } };
    });
    // THEN
    expect(rendered.outputs.doc).toBe('{"Resource":"arn:aws:states:::${var.name}"}');
  });

  test('escapes hostile literal text so Terraform evaluates it back unchanged', () => {
    // GIVEN a document that needs an expression (a number token) and holds hostile text in values and keys
    const rendered = renderInStack((stack) => {
      const n = new TerraformVariable(stack, 'n', { type: 'number', default: 3 });
      return { doc: { [HOSTILE]: HOSTILE, nested: [{ deep: HOSTILE }], n: n.numberValue } };
    });
    // WHEN
    const out = evaluate(rendered);
    // THEN
    expect(out.doc).toEqual({ [HOSTILE]: HOSTILE, nested: [{ deep: HOSTILE }], n: 3 });
  });

  test('keeps number, list and map tokens typed', () => {
    // GIVEN
    const rendered = renderInStack((stack) => {
      const n = new TerraformVariable(stack, 'n', { type: 'number', default: 1.5 });
      const list = new TerraformVariable(stack, 'list', { type: 'list(string)', default: ['a', 'b'] });
      const map = new TerraformVariable(stack, 'map', { type: 'map(string)', default: { k: 'v' } });
      const flag = new TerraformVariable(stack, 'flag', { type: 'bool', default: true });
      // A string that is one token keeps the token's type (a one-interpolation template is its value).
      return { doc: { n: n.numberValue, list: list.listValue, map: Token.asString(map.value), flag: flag.booleanValue as unknown as JsonTree } };
    });
    // WHEN
    const out = evaluate(rendered);
    // THEN
    expect(out.doc).toEqual({ n: 1.5, list: ['a', 'b'], map: { k: 'v' }, flag: true });
  });

  test('escapes a value Terraform inserts, where JSON text would let a quote break out', () => {
    // GIVEN a string variable inside a document that Terraform renders
    const rendered = renderInStack((stack) => {
      const name = optionalString(stack, 'name');
      return { doc: { Statement: whenSet(name.stringValue, isUnresolvedToken, (value) => ({ Resource: value })) } };
    });
    // WHEN the variable holds a quote
    const out = evaluate(rendered, { name: 'x","Resource":"*' });
    // THEN it stays one string
    expect(out.doc).toEqual({ Statement: [{ Resource: 'x","Resource":"*' }] });
  });

  describe('deferred nodes', () => {
    const withOptional = (stack: TerraformStack) => {
      const key = optionalString(stack, 'key');
      return {
        statements: [{ Sid: 'Always' }, ...whenSet(key.stringValue, isUnresolvedToken, (arn) => ({ Sid: 'Key', Resource: [arn] })), { Sid: 'Last' }],
        object: objectWith({ Fixed: 1 }, keysWhenSet(key.stringValue, isUnresolvedToken, (arn) => ({ KmsKey: arn }))),
      };
    };

    test('leave out an optional statement and key when the variable is null', () => {
      // GIVEN
      const rendered = renderInStack(withOptional);
      // WHEN
      const out = evaluate(rendered);
      // THEN
      expect(out).toEqual({ statements: [{ Sid: 'Always' }, { Sid: 'Last' }], object: { Fixed: 1 } });
    });

    test('put the optional statement and key in place when the variable is set', () => {
      // GIVEN
      const rendered = renderInStack(withOptional);
      // WHEN
      const out = evaluate(rendered, { key: 'arn:aws:kms:eu-west-1:123456789012:key/k' });
      // THEN
      expect(out).toEqual({
        statements: [{ Sid: 'Always' }, { Sid: 'Key', Resource: ['arn:aws:kms:eu-west-1:123456789012:key/k'] }, { Sid: 'Last' }],
        object: { Fixed: 1, KmsKey: 'arn:aws:kms:eu-west-1:123456789012:key/k' },
      });
    });

    test('keep differently shaped elements of one conditional list, which a single Terraform conditional cannot type', () => {
      // GIVEN two statements of different shapes behind one condition
      const rendered = renderInStack((stack) => {
        const key = optionalString(stack, 'key');
        return {
          doc: { Statement: [spread(conditional({ isNull: key.stringValue }, [], [{ Sid: 'A' }, { Sid: 'B', Condition: { StringEquals: { k: 'v' } } }]))] },
        };
      });
      // WHEN
      const set = evaluate(rendered, { key: 'k' });
      const unset = evaluate(rendered);
      // THEN
      expect(set.doc).toEqual({ Statement: [{ Sid: 'A' }, { Sid: 'B', Condition: { StringEquals: { k: 'v' } } }] });
      expect(unset.doc).toEqual({ Statement: [] });
    });

    test('splice a token list into an array, and test a bool and an empty list', () => {
      // GIVEN
      const rendered = renderInStack((stack) => {
        const list = new TerraformVariable(stack, 'list', { type: 'list(string)', default: [] });
        const flag = new TerraformVariable(stack, 'flag', { type: 'bool', default: false });
        return {
          doc: {
            All: ['first', ...elementsOf(list.listValue, isUnresolvedToken), 'last'],
            Flag: conditional({ isTrue: flag.booleanValue }, 'on', 'off'),
            Empty: conditional({ isEmpty: list.listValue }, 'none', 'some'),
            Merged: merge({ a: 1 }, { b: 2 }),
            Spread: [spread(['x'])],
          },
        };
      });
      // WHEN
      const out = evaluate(rendered, { list: ['a', 'b'], flag: true });
      // THEN
      expect(out.doc).toEqual({ All: ['first', 'a', 'b', 'last'], Flag: 'on', Empty: 'some', Merged: { a: 1, b: 2 }, Spread: ['x'] });
    });
  });
});

describe('hclQuoted', () => {
  test('doubles template introducers and writes each token as the interpolation it stands for', () => {
    // GIVEN
    const text = 'a ${b} %{c} ${TfToken[TOKEN.12]}';
    // WHEN
    const quoted = hclQuoted(text, (token) => (token === '${TfToken[TOKEN.12]}' ? '${var.x}' : 'unexpected'));
    // THEN
    expect(quoted).toBe('"a $${b} %%{c} ${var.x}"');
  });
});

/**
 * Renders the builders' JSON documents (state-machine definitions, IAM policies) into Terraform attribute values.
 *
 * A document of literals and plain string references renders as JSON text (`JSON.stringify`): Terraform interpolates
 * the references (`${aws_iam_role.x.arn}`) into it, and users' tests can `JSON.parse` the synthesized value. A document
 * holding deferred nodes (builders/deferred.ts) or number/list tokens renders as a Terraform expression,
 * `${jsonencode(<HCL object>)}`, so that Terraform decides the conditional parts with the variables' real values,
 * keeps numbers numbers, and escapes every value it inserts.
 *
 * Why not cdktf's `Fn.jsonencode`: cdktf 0.21 writes string literals into the expression without escaping quotes,
 * backslashes or `%{` (tfExpression.js `escapeString` escapes only newlines and `${`), so a definition holding a
 * comment with a quote, or a VTL-like `%{`, renders as invalid or altered HCL; and `Op.eq(x, null)` renders `undefined`.
 * Here literal text is escaped for HCL, and tokens are left as cdktf placeholders that cdktf itself resolves.
 * https://developer.hashicorp.com/terraform/language/expressions/strings
 */
import { DefaultTokenResolver, type IResolvable, type IResolveContext, StringConcat, Token, Tokenization } from 'cdktf';
import { type DeferredTest, isDeferred, type IsUnresolved, type JsonTree } from './builders/deferred';

/** The `isUnresolved` the builders are handed in constructs. */
export const isUnresolvedToken: IsUnresolved = (value) => Token.isUnresolved(value);

/**
 * What stands for a value inside a string: cdktf's placeholder of a string token (`${TfToken[TOKEN.12]}`), or the
 * builders' marker of a loop element (`LOOP_ITEM`, `loopItemAttribute`).
 */
const PLACEHOLDER = /\$\{TfToken\[[A-Za-z0-9_.]+\]\}|\u0000item(?:\.[A-Za-z0-9_]+)?\u0000/g;

/** Turns a token into the Terraform interpolation it stands for (`${var.n}`, `${aws_iam_role.x.arn}`). */
export type TokenResolver = (token: unknown) => string;

/** Whether the document must be left to Terraform: it holds deferred nodes or tokens that JSON text cannot carry. */
function needsExpression(tree: JsonTree): boolean {
  if (tree === null || typeof tree === 'boolean' || typeof tree === 'string') return false;
  if (typeof tree === 'number') return Token.isUnresolved(tree);
  if (isDeferred(tree)) return true;
  if (Token.isUnresolved(tree)) return true;
  if (Array.isArray(tree)) return tree.some(needsExpression);
  return Object.values(tree as Record<string, JsonTree>).some(needsExpression);
}

function escapeLiteral(literal: string): string {
  return (
    literal
      .replace(/\\/g, '\\\\')
      .replace(/"/g, '\\"')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t')
      // Other C0 controls and DEL have no short escape in HCL; \uNNNN is accepted.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .replace(/\$\{/g, '$$${')
      .replace(/%\{/g, '%%{')
  );
}

/**
 * A quoted HCL template of a string: literal text escaped (backslash, quote, control characters, and the template
 * introducers `${` and `%{` doubled), each cdktf token placeholder replaced by the interpolation it stands for.
 */
export function hclQuoted(text: string, resolveToken: TokenResolver): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const loop = /^\u0000(item(?:\.[A-Za-z0-9_]+)?)\u0000$/.exec(match[0]);
    out += escapeLiteral(text.slice(last, match.index)) + (loop !== null ? `\${${loop[1]}}` : resolveToken(match[0]));
    last = (match.index ?? 0) + match[0].length;
  }
  return `"${out}${escapeLiteral(text.slice(last))}"`;
}

/** A token as a bare HCL expression, typed as it is (`var.n`, a list, a bool): its interpolation without `${ }`. */
function bareExpression(token: unknown, resolveToken: TokenResolver): string {
  const interpolation = resolveToken(token);
  const whole = /^\$\{([^]*)\}$/.exec(interpolation);
  if (whole === null) throw new Error(`A token resolved to ${JSON.stringify(interpolation)}, which is not one interpolation`);
  return `(${whole[1]})`;
}

function testExpression(test: DeferredTest, resolveToken: TokenResolver): string {
  if ('isNull' in test) return `${hcl(test.isNull as JsonTree, resolveToken)} == null`;
  if ('isTrue' in test) return `${hcl(test.isTrue as JsonTree, resolveToken)} == true`;
  return `length(${hcl(test.isEmpty as JsonTree, resolveToken)}) == 0`;
}

/** The HCL expression of a value. */
export function hcl(tree: JsonTree, resolveToken: TokenResolver): string {
  const recurse = (value: JsonTree): string => hcl(value, resolveToken);
  if (tree === null) return 'null';
  if (typeof tree === 'boolean') return String(tree);
  if (typeof tree === 'number') {
    if (Token.isUnresolved(tree)) return bareExpression(tree, resolveToken);
    if (!Number.isFinite(tree)) throw new Error(`A JSON document cannot hold the number ${tree}`);
    return JSON.stringify(tree);
  }
  if (typeof tree === 'string') return hclQuoted(tree, resolveToken);
  if (isDeferred(tree)) {
    switch (tree.$deferred) {
      case 'conditional': {
        const test = testExpression(tree.test, resolveToken);
        if (Array.isArray(tree.then) && Array.isArray(tree.otherwise) && tree.then.length + tree.otherwise.length > 1) {
          // Terraform must give both results of `c ? A : B` one type: two tuples of differently shaped objects (a KMS
          // statement with a Condition next to one without) have none ("Inconsistent conditional result types"). One
          // single-element conditional per element always has one, and concat() puts them back in order.
          const one = (items: readonly JsonTree[], when: string) => items.map((item) => `(${when} ? [${recurse(item)}] : [])`);
          return `concat(${[...one(tree.then as readonly JsonTree[], test), ...one(tree.otherwise as readonly JsonTree[], `!(${test})`)].join(', ')})`;
        }
        return `(${test} ? ${recurse(tree.then)} : ${recurse(tree.otherwise)})`;
      }
      case 'merge':
        return `merge(${tree.objects.map(recurse).join(', ')})`;
      case 'spread':
        // A spread outside an array is its list.
        return recurse(tree.list);
      case 'sum':
        return `(${tree.terms.map(recurse).join(' + ')})`;
      case 'for': {
        const list = `[for item in ${recurse(tree.list)} : ${recurse(tree.item)}]`;
        return tree.distinct ? `distinct(${list})` : list;
      }
    }
  }
  if (Token.isUnresolved(tree)) return bareExpression(tree, resolveToken);
  if (Array.isArray(tree)) {
    const items = tree as readonly JsonTree[];
    if (!items.some(isDeferred)) return `[${items.map(recurse).join(', ')}]`;
    // Runs of plain elements become tuples, spreads their lists, and concat() splices them together.
    const lists: string[] = [];
    let run: string[] = [];
    for (const item of items) {
      if (isDeferred(item) && item.$deferred === 'spread') {
        if (run.length > 0) lists.push(`[${run.join(', ')}]`);
        run = [];
        lists.push(recurse(item.list));
      } else {
        run.push(recurse(item));
      }
    }
    if (run.length > 0) lists.push(`[${run.join(', ')}]`);
    return lists.length === 1 ? lists[0] : `concat(${lists.join(', ')})`;
  }
  const entries = Object.entries(tree as Record<string, JsonTree>);
  return `{${entries.map(([key, value]) => `${hclQuoted(key, resolveToken)} = ${recurse(value)}`).join(', ')}}`;
}

/** Resolves tokens at synth time with cdktf's own resolver, so references and functions render as cdktf renders them. */
function tokenResolverFor(context: IResolveContext): TokenResolver {
  const resolver = new DefaultTokenResolver(new StringConcat());
  return (token) => {
    const resolved: unknown = Tokenization.resolve(token, { scope: context.scope, preparing: context.preparing, resolver });
    if (typeof resolved !== 'string') throw new Error(`A token resolved to ${JSON.stringify(resolved)}, not to an interpolation`);
    return resolved;
  };
}

/**
 * The document as a `jsonencode` expression, produced at synth time: tokens are resolved then (by cdktf's own
 * resolver, so references and functions render as cdktf renders them) and written into the expression.
 */
class JsonDocumentExpression implements IResolvable {
  public readonly creationStack: string[] = [];

  constructor(private readonly tree: JsonTree) {}

  resolve(context: IResolveContext): string {
    return `\${jsonencode(${hcl(this.tree, tokenResolverFor(context))})}`;
  }

  toString(): string {
    return Token.asString(this);
  }
}

/**
 * The attribute value of a JSON document: JSON text when every part is known at synth time or a plain string
 * reference, else a `jsonencode` expression Terraform evaluates at plan time.
 */
export function renderJsonDocument(document: object): string {
  // The builders' document types (policies, definitions) are JSON trees; their interfaces only name the keys.
  const tree = document as JsonTree;
  if (!needsExpression(tree)) return JSON.stringify(tree);
  return Token.asString(new JsonDocumentExpression(tree));
}

/** Turns a token (or literal) into a bare HCL expression inside {@link terraformExpression}. */
export type ExpressionReference = (value: unknown) => string;

/**
 * A Terraform expression written as HCL text around tokens: `build` receives `ref`, which turns a token into its bare
 * expression (`var.x`) and a literal string into an escaped HCL string. Returned as a string token resolving to
 * `${<expression>}`; wrap it with `Token.asList`, `Token.asNumber` or `Token.asAny` for other types.
 *
 * For the few derived values cdktf's `Fn` cannot render correctly (null tests, `for` expressions).
 */
export function terraformExpression(build: (ref: ExpressionReference) => string): string {
  return Token.asString({
    creationStack: [],
    resolve(context: IResolveContext): string {
      const resolveToken = tokenResolverFor(context);
      return `\${${build((value) => hcl(value as JsonTree, resolveToken))}}`;
    },
  } satisfies IResolvable);
}

/** Whether a value holds deferred nodes or tokens that only Terraform can decide. */
export function isDecidedByTerraform(tree: JsonTree): boolean {
  return needsExpression(tree);
}

/**
 * An attribute of a resource whose `count` is 0 or 1, as a string token: Terraform's `one(<resource>[*].<attribute>)`,
 * which is null when the resource is absent. https://developer.hashicorp.com/terraform/language/functions/one
 */
export function attributeOfOptional(resource: { readonly terraformResourceType: string; readonly friendlyUniqueId: string }, attribute: string): string {
  return terraformExpression(() => `one(${resource.terraformResourceType}.${resource.friendlyUniqueId}[*].${attribute})`);
}

/** `count` of a resource that exists when a bool is true: a literal 0 or 1, or Terraform's decision for a token. */
export function countWhen(condition: boolean): number {
  if (!Token.isUnresolved(condition)) return condition ? 1 : 0;
  return Token.asNumber(terraformExpression((ref) => `${ref(condition)} ? 1 : 0`));
}

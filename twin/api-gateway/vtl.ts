/**
 * API Gateway's mapping-template language: Velocity (VTL) with the `$input`, `$util` and `$context` variables.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
 *
 * velocityjs renders the Velocity syntax; what API Gateway adds on top is reproduced here with its Java semantics,
 * because template bugs hide exactly in those differences:
 * - `$util.escapeJavaScript` follows Apache commons-lang 2.x `StringEscapeUtils.escapeJavaScript`: `'` becomes `\'`
 *   (not valid JSON), `/` becomes `\/`, and every non-ASCII UTF-16 unit becomes `\uXXXX`.
 * - String methods are Java's: `replaceAll` takes a regex, `replace` replaces every occurrence, `matches` must match
 *   the whole string. velocityjs would otherwise call the JavaScript methods of the same names, which differ.
 * - `$input.json()` prints non-integral numbers the way Java's `Double.toString` does (`1.486768956878E9`).
 */
import { render } from 'velocityjs';

/** A JSON value as parsed from a body. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The HTTP request (or integration response) a template reads through `$input`. */
export interface TemplateInput {
  /** The raw body. */
  readonly body: string;
  /** Header values by name. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Query-string values by name. */
  readonly queryString?: Readonly<Record<string, string>>;
  /** Path-parameter values by name. */
  readonly pathParameters?: Readonly<Record<string, string>>;
}

/** The `$context` variable: any JSON-like tree of strings and numbers. */
export type TemplateContext = { readonly [key: string]: string | number | TemplateContext };

/** A template referenced something API Gateway cannot evaluate (an unsupported JSONPath, a body that is not JSON). */
export class MappingTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MappingTemplateError';
  }
}

/**
 * `StringEscapeUtils.escapeJavaScript` of commons-lang 2.6 (`escapeJavaStyleString(str, true, true)`).
 * ref: https://github.com/apache/commons-lang/blob/LANG_2_6/src/main/java/org/apache/commons/lang/StringEscapeUtils.java
 */
export function escapeJavaScript(text: string): string {
  const hex = (code: number): string => code.toString(16).toUpperCase();
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch > 0xfff) out += `\\u${hex(ch)}`;
    else if (ch > 0xff) out += `\\u0${hex(ch)}`;
    else if (ch > 0x7f) out += `\\u00${hex(ch)}`;
    else if (ch < 32) {
      const named: Record<number, string> = { 8: '\\b', 10: '\\n', 9: '\\t', 12: '\\f', 13: '\\r' };
      out += named[ch] ?? (ch > 0xf ? `\\u00${hex(ch)}` : `\\u000${hex(ch)}`);
    } else {
      const escaped: Record<string, string> = { "'": "\\'", '"': '\\"', '\\': '\\\\', '/': '\\/' };
      out += escaped[text[i]] ?? text[i];
    }
  }
  return out;
}

/**
 * Java's `Double.toString`: plain notation with at least one decimal for 1e-3 <= |d| < 1e7, otherwise
 * `d.dddE±n`. Both use the shortest digits that round-trip, as JavaScript's do (JDK 19 and later).
 */
export function javaDoubleToString(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const plain = String(value);
    return plain.includes('.') ? plain : `${plain}.0`;
  }
  const [mantissa, exponent] = value.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/**
 * JSON as API Gateway prints it: compact, integers as integers, other numbers as Java doubles. A JavaScript number
 * cannot tell `1.0` from `1`, so integral doubles print as integers here (a known, harmless difference).
 */
export function toApiGatewayJson(value: JsonValue): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : javaDoubleToString(value);
  if (Array.isArray(value)) return `[${value.map(toApiGatewayJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toApiGatewayJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Evaluates the JSONPath subset mapping templates use: `$`, `.name`, `['name']`, `["name"]` and `[index]`.
 * Returns undefined when the path selects nothing; throws MappingTemplateError on other syntax.
 */
export function selectJsonPath(root: JsonValue, path: string): JsonValue | undefined {
  if (!path.startsWith('$')) throw new MappingTemplateError(`JSONPath must start with $, got ${JSON.stringify(path)}`);
  const step = /^(?:\.([A-Za-z_$][\w$-]*)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*(\d+)\s*\])/;
  let rest = path.slice(1);
  let current: JsonValue | undefined = root;
  while (rest !== '') {
    const match = step.exec(rest);
    if (match === null) throw new MappingTemplateError(`Unsupported JSONPath ${JSON.stringify(path)} at ${JSON.stringify(rest)}`);
    rest = rest.slice(match[0].length);
    if (current === undefined || current === null || typeof current !== 'object') return undefined;
    if (match[4] !== undefined) {
      current = Array.isArray(current) ? current[Number(match[4])] : undefined;
    } else {
      const key = match[1] ?? (match[2] ?? match[3]).replace(/\\(.)/g, '$1');
      current = Array.isArray(current) ? undefined : current[key];
    }
  }
  return current;
}

/** Java `URLEncoder.encode(s, "UTF-8")`: spaces as `+`, only `A-Za-z0-9.-*_` left bare. */
function javaUrlEncode(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * A Java replacement string (`$1`, `${name}`, `\$` for a literal) as a JavaScript replacer function, so no
 * JavaScript `$` pattern is ever interpreted.
 */
function javaReplacement(replacement: string): (match: string, ...rest: unknown[]) => string {
  return (...args: unknown[]) => {
    const groups = args.slice(1).filter((a): a is string | undefined => typeof a === 'string' || a === undefined);
    const named = args[args.length - 1];
    let out = '';
    for (let i = 0; i < replacement.length; i++) {
      const ch = replacement[i];
      if (ch === '\\' && i + 1 < replacement.length) {
        out += replacement[++i];
      } else if (ch === '$') {
        const name = /^\{([A-Za-z][A-Za-z0-9]*)\}/.exec(replacement.slice(i + 1));
        if (name !== null && named !== null && typeof named === 'object') {
          out += (named as Record<string, string | undefined>)[name[1]] ?? '';
          i += name[0].length;
          continue;
        }
        const digits = /^\d/.exec(replacement.slice(i + 1));
        if (digits === null) throw new MappingTemplateError(`Illegal group reference in Java replacement ${JSON.stringify(replacement)}`);
        out += digits[0] === '0' ? String(args[0]) : (groups[Number(digits[0]) - 1] ?? '');
        i += 1;
      } else {
        out += ch;
      }
    }
    return out;
  };
}

/** Java regex source as a JavaScript RegExp. The syntaxes agree for what mapping templates use. */
function javaRegex(source: unknown, flags: string): RegExp {
  if (typeof source !== 'string') throw new MappingTemplateError(`A regex must be a string, got ${JSON.stringify(source)}`);
  return new RegExp(source, flags);
}

type StringMethod = (text: string, params: readonly unknown[]) => unknown;

/** Java `String` methods whose JavaScript namesakes behave differently, or do not exist. */
const JAVA_STRING_METHODS: Readonly<Record<string, StringMethod>> = {
  replaceAll: (text, [regex, replacement]) => text.replace(javaRegex(regex, 'g'), javaReplacement(String(replacement))),
  replaceFirst: (text, [regex, replacement]) => text.replace(javaRegex(regex, ''), javaReplacement(String(replacement))),
  replace: (text, [target, replacement]) => text.split(String(target)).join(String(replacement)),
  matches: (text, [regex]) => javaRegex(`^(?:${String(regex)})$`, '').test(text),
  split: (text, [regex]) => {
    const parts = text.split(javaRegex(regex, ''));
    // Java drops trailing empty strings.
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    return parts;
  },
  length: (text) => text.length,
  isEmpty: (text) => text.length === 0,
  contains: (text, [part]) => text.includes(String(part)),
  equals: (text, [other]) => text === other,
  equalsIgnoreCase: (text, [other]) => typeof other === 'string' && text.toLowerCase() === other.toLowerCase(),
};

function parseBody(body: string): JsonValue {
  try {
    return JSON.parse(body) as JsonValue;
  } catch (error) {
    throw new MappingTemplateError(`$input.json/$input.path need a JSON body: ${(error as Error).message}`);
  }
}

/**
 * Renders a mapping template the way API Gateway does.
 *
 * @param template the VTL text (a request template, an integration response template or a gateway response template)
 * @param input what `$input` reads
 * @param context the `$context` tree
 */
export function renderMappingTemplate(template: string, input: TemplateInput, context: TemplateContext): string {
  let parsed: JsonValue | undefined;
  const body = (): JsonValue => (parsed ??= input.body === '' ? {} : parseBody(input.body));
  const params = {
    header: { ...input.headers },
    querystring: { ...input.queryString },
    path: { ...input.pathParameters },
  };
  const $input = {
    body: input.body,
    json: (path: string): string => {
      const selected = selectJsonPath(body(), path);
      return selected === undefined ? '' : toApiGatewayJson(selected);
    },
    path: (path: string): JsonValue | undefined => selectJsonPath(body(), path),
    params: (name?: string): unknown => {
      if (name === undefined) return params;
      return params.path[name] ?? params.querystring[name] ?? params.header[name] ?? '';
    },
  };
  const $util = {
    escapeJavaScript: (text: unknown): string => escapeJavaScript(String(text)),
    parseJson: (text: string): JsonValue => parseBody(text),
    urlEncode: (text: string): string => javaUrlEncode(text),
    urlDecode: (text: string): string => decodeURIComponent(text.replace(/\+/g, ' ')),
    base64Encode: (text: string): string => Buffer.from(text, 'utf8').toString('base64'),
    base64Decode: (text: string): string => Buffer.from(text, 'base64').toString('utf8'),
  };
  return render(
    template,
    { input: $input, util: $util, context },
    {},
    {
      escape: false,
      customMethodHandlers: [
        {
          uid: 'java-string-methods',
          match: ({ property, context: target }) => typeof target === 'string' && property in JAVA_STRING_METHODS,
          resolve: ({ property, context: target, params: args }) => JAVA_STRING_METHODS[property](target as string, args),
        },
      ],
    },
  );
}

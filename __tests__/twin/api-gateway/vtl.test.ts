/** API Gateway's VTL semantics as the twin renders them. */
import { escapeJavaScript, javaDoubleToString, renderMappingTemplate, selectJsonPath } from '../../../twin/api-gateway/vtl';

const AWS_FIX_TEMPLATE = String.raw`{"input": "$util.escapeJavaScript($input.json('$')).replaceAll("\\'", "'")"}`;

describe('Function: escapeJavaScript', () => {
  it.each([
    ["'", "\\'"],
    ['"', '\\"'],
    ['\\', '\\\\'],
    ['/', '\\/'],
    ['\n\t\r\b\f', '\\n\\t\\r\\b\\f'],
    ['\u0001\u001f', '\\u0001\\u001F'],
    ['\u007f', '\u007f'],
    ['é', '\\u00E9'],
    ['€', '\\u20AC'],
    ['😀', '\\uD83D\\uDE00'],
    ['plain text', 'plain text'],
  ])('escapes %j as commons-lang 2 does: %j', (input, expected) => {
    // WHEN / THEN
    expect(escapeJavaScript(input)).toBe(expected);
  });
});

describe('Function: renderMappingTemplate', () => {
  it('reproduces the AWS gotcha: escapeJavaScript alone turns an apostrophe into invalid JSON', () => {
    // GIVEN
    const template = `{"input": "$util.escapeJavaScript($input.json('$'))"}`;

    // WHEN
    const rendered = renderMappingTemplate(template, { body: JSON.stringify({ Query: "it's" }) }, {});

    // THEN
    expect(() => JSON.parse(rendered)).toThrow(/Bad escaped character|escape/i);
  });

  it("applies replaceAll as a Java regex, so AWS's documented fix yields valid JSON", () => {
    // GIVEN
    const body = JSON.stringify({ Query: "it's \\' \"q\" ü 😀" });

    // WHEN
    const rendered = renderMappingTemplate(AWS_FIX_TEMPLATE, { body }, {});

    // THEN
    expect(JSON.parse(JSON.parse(rendered).input)).toEqual(JSON.parse(body));
  });

  it('treats $ in a Java replacement as a group reference, not as JavaScript does', () => {
    // WHEN
    const rendered = renderMappingTemplate(String.raw`$input.body.replaceAll('(a)(b)', '$2$1\$')`, { body: 'ab' }, {});

    // THEN
    expect(rendered).toBe('ba$');
  });

  it("replaces every occurrence with Java's String.replace", () => {
    // WHEN
    const rendered = renderMappingTemplate(`$input.body.replace("a", "b")`, { body: 'aaa' }, {});

    // THEN
    expect(rendered).toBe('bbb');
  });

  it('prints $input.json numbers as Java does: integers plain, other numbers as Java doubles', () => {
    // WHEN
    const rendered = renderMappingTemplate(`$input.json('$.a') $input.json('$.b')`, { body: '{"a": 42, "b": 1486768956.878}' }, {});

    // THEN
    expect(rendered).toBe('42 1.486768956878E9');
  });

  it('reads $context values', () => {
    // WHEN
    const rendered = renderMappingTemplate('$context.requestId/$context.identity.caller', { body: '' }, { requestId: 'r-1', identity: { caller: 'AKIA1' } });

    // THEN
    expect(rendered).toBe('r-1/AKIA1');
  });
});

describe('Function: javaDoubleToString', () => {
  it.each([
    [1.5, '1.5'],
    [1e7, '1.0E7'],
    [1486768956.878, '1.486768956878E9'],
    [0.001, '0.001'],
    [0.0001, '1.0E-4'],
    [-2.5e-5, '-2.5E-5'],
    [0, '0.0'],
  ])('prints %p as %s', (value, expected) => {
    // WHEN / THEN
    expect(javaDoubleToString(value)).toBe(expected);
  });
});

describe('Function: selectJsonPath', () => {
  const doc = { a: { 'b c': [10, { d: 'x' }] } };

  it.each([
    ['$', doc],
    ['$.a', doc.a],
    ["$.a['b c'][1].d", 'x'],
    ['$.a["b c"][0]', 10],
    ['$.missing.deeper', undefined],
  ])('selects %s', (path, expected) => {
    // WHEN / THEN
    expect(selectJsonPath(doc, path)).toEqual(expected);
  });

  it('refuses JSONPath it does not implement rather than guessing', () => {
    // WHEN / THEN
    expect(() => selectJsonPath(doc, '$..d')).toThrow(/Unsupported JSONPath/);
  });
});

/** Athena's execution parameters read as SQL literals, as the twin binds them to DuckDB's placeholders. */
import { InvalidExecutionParameterError, parseExecutionParameter } from '../../../twin/athena/execution-parameters';

describe('Function: parseExecutionParameter', () => {
  it.each([
    ["'text'", { kind: 'varchar', value: 'text' }],
    ["'it''s'", { kind: 'varchar', value: "it's" }],
    ["''", { kind: 'varchar', value: '' }],
    ["'; DROP TABLE x; --'", { kind: 'varchar', value: '; DROP TABLE x; --' }],
    ['42', { kind: 'bigint', value: BigInt(42) }],
    ['-9007199254740993', { kind: 'bigint', value: BigInt('-9007199254740993') }],
    ['4.25', { kind: 'double', value: 4.25 }],
    ['1e3', { kind: 'double', value: 1000 }],
    ['TRUE', { kind: 'boolean', value: true }],
    ['null', { kind: 'null' }],
    ["DATE '2026-01-31'", { kind: 'typed', type: 'DATE', value: '2026-01-31' }],
    ["timestamp '2026-01-31 12:00:00'", { kind: 'typed', type: 'TIMESTAMP', value: '2026-01-31 12:00:00' }],
  ])('reads %s', (text, expected) => {
    expect(parseExecutionParameter(text, 0)).toEqual(expected);
  });

  it.each([
    ['an unquoted word', 'alpha'],
    ['a string left open', "'alpha"],
    ['a quote inside a string, not doubled', "'it's'"],
    ['an unknown type name', "COLOR 'red'"],
    ['two literals', '1, 2'],
  ])('refuses %s, naming the parameter, the rule and the value', (_name, text) => {
    // WHEN
    const read = () => parseExecutionParameter(text, 3);

    // THEN
    expect(read).toThrow(InvalidExecutionParameterError);
    expect(read).toThrow(`ExecutionParameters[3] must be a SQL literal ('text' in single quotes, 42, 4.2, true, NULL, DATE '2026-01-31'), got ${JSON.stringify(text)}`);
  });
});

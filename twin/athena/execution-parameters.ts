/**
 * Athena's execution parameters, read as the twin binds them to DuckDB's `?` placeholders. Athena takes each value as
 * a SQL literal, in order: a string in single quotes (`'it''s'`), a number, `true`/`false`, `NULL`, or a typed
 * literal such as `DATE '2026-01-31'`.
 * https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html
 */

/** One parameter, ready to bind. */
export type BoundParameter =
  | { readonly kind: 'varchar'; readonly value: string }
  | { readonly kind: 'bigint'; readonly value: bigint }
  | { readonly kind: 'double'; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' }
  /** A typed literal (`DATE '...'`): its text, which DuckDB casts to the placeholder's type on binding. */
  | { readonly kind: 'typed'; readonly type: string; readonly value: string };

/** Types a typed literal may name. https://trino.io/docs/current/language/types.html */
const TYPED_LITERALS = ['DATE', 'TIME', 'TIMESTAMP', 'DECIMAL', 'REAL', 'DOUBLE', 'BIGINT', 'INTEGER', 'VARCHAR', 'CHAR', 'VARBINARY', 'JSON'];

/** A parameter that is not a literal Athena would accept. */
export class InvalidExecutionParameterError extends Error {
  constructor(index: number, text: string) {
    const shown = text.length > 60 ? `${text.slice(0, 60)}...` : text;
    super(
      `ExecutionParameters[${index}] must be a SQL literal ('text' in single quotes, 42, 4.2, true, NULL, DATE '2026-01-31'), got ${JSON.stringify(shown)}`,
    );
    this.name = 'InvalidExecutionParameterError';
  }
}

/** The body of a quoted literal (`'it''s'` → `it's`), or undefined when the text is not one. */
function quoted(text: string): string | undefined {
  const match = /^'((?:[^']|'')*)'$/s.exec(text);
  return match === null ? undefined : match[1].replace(/''/g, "'");
}

/**
 * Reads one parameter.
 *
 * @throws InvalidExecutionParameterError when it is not a literal
 */
export function parseExecutionParameter(text: string, index: number): BoundParameter {
  const trimmed = text.trim();
  const string = quoted(trimmed);
  if (string !== undefined) return { kind: 'varchar', value: string };
  if (/^[+-]?\d+$/.test(trimmed)) return { kind: 'bigint', value: BigInt(trimmed) };
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)$/.test(trimmed)) return { kind: 'double', value: Number(trimmed) };
  if (/^(true|false)$/i.test(trimmed)) return { kind: 'boolean', value: trimmed.toLowerCase() === 'true' };
  if (/^null$/i.test(trimmed)) return { kind: 'null' };
  const typed = /^([A-Za-z]+)\s+('.*')$/s.exec(trimmed);
  if (typed !== null && TYPED_LITERALS.includes(typed[1].toUpperCase())) {
    const body = quoted(typed[2]);
    if (body !== undefined) return { kind: 'typed', type: typed[1].toUpperCase(), value: body };
  }
  throw new InvalidExecutionParameterError(index, text);
}

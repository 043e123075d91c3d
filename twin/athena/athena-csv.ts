/**
 * Athena's result file format, written and read back.
 *
 * Athena writes query results as CSV with a header row, every value in double quotes, embedded quotes doubled,
 * line breaks kept inside quotes, and NULL as an empty unquoted field.
 * https://docs.aws.amazon.com/athena/latest/ug/querying.html#query-results-specify-location
 */

/** One cell: text, or null for SQL NULL. */
export type CsvCell = string | null;

function quote(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/** Renders a header and rows the way Athena writes a result file. Rows end with a newline, as Athena's do. */
export function writeAthenaCsv(columns: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  const lines = [columns.map(quote).join(',')];
  for (const row of rows) lines.push(row.map((cell) => (cell === null ? '' : quote(cell))).join(','));
  return `${lines.join('\n')}\n`;
}

/**
 * Parses RFC 4180 CSV (quoted or bare fields, `\n` or `\r\n` line ends). An empty unquoted field is NULL, an empty
 * quoted field is the empty string, matching what {@link writeAthenaCsv} writes. Throws on an unterminated quote.
 */
export function parseCsv(text: string): CsvCell[][] {
  const rows: CsvCell[][] = [];
  let row: CsvCell[] = [];
  let i = 0;
  const endRow = (): void => {
    rows.push(row);
    row = [];
  };
  while (i < text.length) {
    if (text[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        if (i >= text.length) throw new Error('Unterminated quoted field in CSV');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        value += text[i];
        i += 1;
      }
      row.push(value);
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n' && text[end] !== '\r') end += 1;
      const bare = text.slice(i, end);
      row.push(bare === '' ? null : bare);
      i = end;
    }
    if (text[i] === ',') {
      i += 1;
      if (i === text.length) row.push(null);
    } else if (text[i] === '\r' && text[i + 1] === '\n') {
      i += 2;
      endRow();
    } else if (text[i] === '\n') {
      i += 1;
      endRow();
    } else if (i >= text.length) {
      endRow();
    } else {
      throw new Error(`Unexpected character ${JSON.stringify(text[i])} after a quoted CSV field at offset ${i}`);
    }
  }
  return rows;
}

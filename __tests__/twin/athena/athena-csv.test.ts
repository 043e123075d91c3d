/** Athena's result CSV format, written and parsed back. */
import { parseCsv, writeAthenaCsv } from '../../../twin/athena/athena-csv';

describe('Function: writeAthenaCsv', () => {
  it('quotes every value, doubles embedded quotes and leaves NULL empty and unquoted', () => {
    // WHEN
    const csv = writeAthenaCsv(['a', 'b "x"'], [['1', 'he said "hi"'], [null, '']]);

    // THEN
    expect(csv).toBe('"a","b ""x"""\n"1","he said ""hi"""\n,""\n');
  });
});

describe('Function: parseCsv', () => {
  it('round-trips line breaks, commas, quotes, unicode, empty strings and NULLs', () => {
    // GIVEN
    const rows = [['multi\nline', 'a,b', '"', 'ü 😀', '', null]];

    // WHEN
    const parsed = parseCsv(writeAthenaCsv(['c1', 'c2', 'c3', 'c4', 'c5', 'c6'], rows));

    // THEN
    expect(parsed).toEqual([['c1', 'c2', 'c3', 'c4', 'c5', 'c6'], ...rows]);
  });

  it('refuses an unterminated quoted field', () => {
    // WHEN / THEN
    expect(() => parseCsv('"open')).toThrow(/Unterminated/);
  });
});

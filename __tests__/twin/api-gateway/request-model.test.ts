/** The request model validated as API Gateway does, and reported in its words. */
import { buildRequestModel } from '../../../constructs/builders/api-contract';
import { RequestModel, validationErrorString } from '../../../twin/api-gateway/request-model';

const model = new RequestModel(JSON.stringify(buildRequestModel()));

describe('Class: RequestModel', () => {
  it('accepts a valid body and returns it parsed', () => {
    // WHEN
    const result = model.check('{"Query":"SELECT 1","CallbackUrl":"https://example.com/hook"}');

    // THEN
    expect(result).toEqual({ valid: true, body: { Query: 'SELECT 1', CallbackUrl: 'https://example.com/hook' } });
  });

  it('lists every violation in the Java validator\'s words', () => {
    // WHEN
    const result = model.check('{"Query":" ","CallbackUrl":"https://example.com","Extra":true}');

    // THEN
    expect(result).toEqual({
      valid: false,
      errors: expect.arrayContaining([
        'object instance has properties which are not allowed by the schema: ["Extra"]',
        'ECMA 262 regex "\\\\S" does not match input string " "',
      ]),
    });
  });

  it('reports array sizes and numeric ranges in the Java validator\'s words', () => {
    // WHEN
    const result = model.check('{"Query":"SELECT ?","CallbackUrl":"https://example.com/hook","ExecutionParameters":[],"ResultReuseMaxAgeMinutes":10081}');

    // THEN
    expect(result).toEqual({
      valid: false,
      errors: [
        'array is too short: must have at least 1 elements but instance has 0 elements',
        'numeric instance is greater than the required maximum (maximum: 10080, found: 10081)',
      ],
    });
  });

  it('refuses a schema whose draft-04 keywords it would validate differently', () => {
    // WHEN / THEN
    expect(() => new RequestModel(JSON.stringify({ type: 'number', maximum: 3, exclusiveMaximum: true }))).toThrow(/exclusiveMaximum/);
  });
});

describe('Function: validationErrorString', () => {
  it('brackets the errors and escapes them for a JSON string', () => {
    // WHEN
    const text = validationErrorString(['a "quoted"\nline', 'b\\c']);

    // THEN
    expect(JSON.parse(`"${text}"`)).toBe('[a "quoted"\nline, b\\c]');
  });
});

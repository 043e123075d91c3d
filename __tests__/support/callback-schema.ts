/** Validates webhook bodies against schemas/callback-payload.schema.json with ajv. Test helper; not a suite. */
import Ajv2020 from 'ajv/dist/2020';
import schema from '../../schemas/callback-payload.schema.json';

const ajv = new Ajv2020({ allErrors: true });
const validate = ajv.compile(schema);

/** The schema errors of a body, as readable lines; empty when it is valid. */
export function callbackSchemaErrors(body: unknown): string[] {
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());
}

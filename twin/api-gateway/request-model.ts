/**
 * Request-body validation against the synthesized API Gateway model (JSON Schema draft-04).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html
 *
 * Ajv 8 validates the schema (draft-04 and draft-07 agree on every keyword the validator accepts here; a schema using
 * one of the few that differ is refused rather than validated differently). Errors are reported in the wording of
 * the Java json-schema-validator API Gateway uses, since receivers of `$context.error.validationErrorString` see it.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

/** Draft-04 keywords whose meaning changed in later drafts. */
const DRAFT4_ONLY = new Set(['id', 'exclusiveMinimum', 'exclusiveMaximum', 'dependencies']);

/** The outcome of validating one body. */
export type BodyValidation = { readonly valid: true; readonly body: unknown } | { readonly valid: false; readonly errors: readonly string[] };

function findDraft4OnlyKeyword(schema: unknown, path = '#'): string | undefined {
  if (schema === null || typeof schema !== 'object') return undefined;
  for (const [key, value] of Object.entries(schema)) {
    if (DRAFT4_ONLY.has(key) && path !== '#/properties') return `${path}/${key}`;
    const found = findDraft4OnlyKeyword(value, `${path}/${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function quoted(value: unknown): string {
  return JSON.stringify(value);
}

/** One Ajv error in the Java validator's words. */
function describe(error: ErrorObject, data: unknown): string {
  const pointer = error.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let value: unknown = data;
  for (const key of pointer) value = (value as Record<string, unknown> | undefined)?.[key];
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `object has missing required properties ([${quoted(params.missingProperty)}])`;
    case 'additionalProperties':
      return `object instance has properties which are not allowed by the schema: [${quoted(params.additionalProperty)}]`;
    case 'type': {
      const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
      const allowed = String(params.type).split(',').map(quoted).join(',');
      return `instance type (${actual}) does not match any allowed primitive type (allowed: [${allowed}])`;
    }
    case 'minLength':
      return `string ${quoted(value)} is too short (length: ${Array.from(String(value)).length}, required minimum: ${String(params.limit)})`;
    case 'maxLength':
      return `string ${quoted(value)} is too long (length: ${Array.from(String(value)).length}, maximum allowed: ${String(params.limit)})`;
    case 'pattern':
      return `ECMA 262 regex ${quoted(params.pattern)} does not match input string ${quoted(value)}`;
    case 'minItems':
      return `array is too short: must have at least ${String(params.limit)} elements but instance has ${(value as unknown[]).length} elements`;
    case 'maxItems':
      return `array is too long: must have at most ${String(params.limit)} elements but instance has ${(value as unknown[]).length} elements`;
    case 'minimum':
      return `numeric instance is lower than the required minimum (minimum: ${String(params.limit)}, found: ${String(value)})`;
    case 'maximum':
      return `numeric instance is greater than the required maximum (maximum: ${String(params.limit)}, found: ${String(value)})`;
    default:
      return `${error.instancePath || 'instance'} ${error.message ?? 'is invalid'}`;
  }
}

/** A compiled request model. */
export class RequestModel {
  private readonly validate: ValidateFunction;

  /** @param schemaText the model's `schema` as synthesized (a JSON string) */
  constructor(schemaText: string) {
    const schema = JSON.parse(schemaText) as Record<string, unknown>;
    const unsupported = findDraft4OnlyKeyword(schema);
    if (unsupported !== undefined) {
      throw new Error(`The request model uses ${unsupported}, whose draft-04 meaning the twin's validator does not implement`);
    }
    const { $schema: _draft, ...rest } = schema;
    // allErrors: API Gateway lists every violation in validationErrorString, not only the first.
    this.validate = new Ajv({ allErrors: true, strict: false }).compile(rest);
  }

  /** Parses and validates a body. */
  check(body: string): BodyValidation {
    let data: unknown;
    try {
      data = JSON.parse(body);
    } catch (error) {
      return { valid: false, errors: [`Invalid JSON in request body: ${(error as Error).message}`] };
    }
    if (this.validate(data)) return { valid: true, body: data };
    return { valid: false, errors: (this.validate.errors ?? []).map((e) => describe(e, data)) };
  }
}

/**
 * `$context.error.validationErrorString`: the errors in brackets, JSON-escaped (quotes, backslashes, control characters)
 * so the value can sit inside a JSON string in a gateway-response template, as it does in API Gateway's answers.
 */
export function validationErrorString(errors: readonly string[]): string {
  return JSON.stringify(`[${errors.join(', ')}]`).slice(1, -1);
}

/**
 * Issue 9 §1 and §3: every input an HCL user needs is a variable with a type, a description, a default (null for the
 * optional ones) and validation blocks; the real `terraform` binary accepts good values and rejects bad ones with a
 * message naming the variable, the rule and the value; and each variable applies the same rule as the construct prop it
 * feeds (the construct's synth-time validation gives the same verdict on the same values).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type AsyncAthenaQueryProps, MODULE_VARIABLES, type ModuleVariable } from '../../constructs';
import { MAX_NAME_PREFIX_LENGTH } from '../../constructs/builders/naming';
import { validateAsyncAthenaQueryProps } from '../../constructs/builders/validation';
import { evaluateInStack, type SynthesizedStack, synthesizeMainStack, TerraformEvaluationError } from '../../twin/wiring/synthesized-stack';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Good and bad values of every variable. A variable without a row fails the first test: new inputs need cases. */
const CASES: Readonly<Record<string, { readonly good: readonly unknown[]; readonly bad: readonly unknown[] }>> = {
  output_location: {
    good: ['s3://results-bucket/', 's3://results-bucket/athena/daily/', 's3://my.results-1/a/'],
    // IAM reads '*' and '?' in a resource as wildcards: such a prefix would widen every grant to other keys.
    bad: ['results-bucket/athena/', 's3://results-bucket/athena', 's3://Results-Bucket/athena/', 's3://results-bucket/*/', 's3://a..b/x/', 's3://10.0.0.1/x/'],
  },
  workgroup: { good: ['analytics', 'team.v2_etl-1'], bad: ['my workgroup', '', 'a'.repeat(129), 'analytics*'] },
  database: { good: [null, 'sales', 'sales_2024-eu'], bad: ['', 'sales db', 'a'.repeat(256)] },
  glue_databases: { good: [null, [], ['sales', '*']], bad: [['sales db'], ['*sales']] },
  source_data_locations: { good: [[], ['s3://lake/sales/', 's3://lake/']], bad: [['s3://lake'], ['s3://lake/*/']] },
  results_kms_key_arn: { good: [null, KEY], bad: ['arn:aws:kms:eu-west-1:123456789012:alias/results', 'key-1234'] },
  query_timeout_seconds: { good: [1, 86400], bad: [0, 86401, 1.5] },
  name_prefix: { good: ['async-athena', 'a'.repeat(MAX_NAME_PREFIX_LENGTH)], bad: ['a'.repeat(MAX_NAME_PREFIX_LENGTH + 1), '9lives', 'async_athena'] },
  tags: {
    good: [{}, { team: 'data', 'cost-center': '42' }],
    bad: [{ 'aws:owner': 'x' }, { ['k'.repeat(129)]: 'x' }, { team: 'v'.repeat(257) }, Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'x']))],
  },
  presign_expiry_seconds: { good: [1, 604800], bad: [0, 604801, 1.5] },
  allowed_callback_hosts: { good: [[], ['hooks.example.com', '*.example.com']], bad: [['Hooks.Example.com'], ['hooks.example.com/path'], ['*']] },
  allowed_callback_ports: { good: [[443], [443, 8443]], bad: [[], [0], [65536]] },
  disable_webhook_signing: { good: [true, false], bad: [] },
  existing_signing_secret_arn: {
    good: [null, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hooks/signing-AbCdEf'],
    bad: ['hooks/signing', 'arn:aws:ssm:eu-west-1:123456789012:parameter/x'],
  },
  signing_secret_kms_key_arn: { good: [null, KEY], bad: ['alias/aws/secretsmanager'] },
  signing_secret_recovery_window_days: { good: [0, 7, 30], bad: [1, 6, 31, 7.5] },
  callbacker_memory_mb: { good: [128, 10240], bad: [127, 10241] },
  callbacker_timeout_seconds: { good: [30, 900], bad: [29, 901] },
  callbacker_reserved_concurrency: { good: [null, 1, 1000], bad: [0, 1001, 2.5] },
  query_api_memory_mb: { good: [128, 10240], bad: [127, 10241, 256.5] },
  query_api_reserved_concurrency: { good: [null, 1, 1000], bad: [0, 1001, 2.5] },
  athena_throttle_retry: {
    good: [{}, { interval_seconds: 2, backoff_rate: 1.5, max_attempts: 0, max_delay_seconds: 60 }],
    bad: [{ interval_seconds: 0 }, { backoff_rate: 0.5 }, { max_attempts: -1 }, { max_delay_seconds: 0 }],
  },
  callback_retry: { good: [{}, { max_attempts: 3 }], bad: [{ interval_seconds: 1.5 }, { max_delay_seconds: 31622401 }] },
  stage_name: { good: ['live', 'v1_prod-2'], bad: ['', 'live stage', 'a'.repeat(129)] },
  throttling_rate_limit: { good: [0.5, 50], bad: [0, -1] },
  throttling_burst_limit: { good: [1, 5000], bad: [0, 5001, 1.5] },
  api_logging_level: { good: ['OFF', 'ERROR', 'INFO'], bad: ['DEBUG', 'info'] },
  web_acl_arn: {
    good: [null, 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/api/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111'],
    bad: ['arn:aws:wafv2:us-east-1:123456789012:global/webacl/api/a1b2c3d4'],
  },
  manage_api_gateway_account_role: { good: [true, false], bad: [] },
  log_retention_days: { good: [1, 30, 3653], bad: [0, 2, 10000] },
  logs_kms_key_arn: { good: [null, KEY], bad: ['arn:aws:kms:eu-west-1:123456789012:alias/logs'] },
  dead_letter_queue_kms_key_arn: { good: [null, KEY], bad: ['1234abcd-12ab-34cd-56ef-1234567890ab'] },
};

const REQUIRED_VALUES = { output_location: 's3://results-bucket/athena/' };

let scratch: string;
let stack: SynthesizedStack;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'module-variables-'));
  stack = synthesizeMainStack(scratch);
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface Declared {
  readonly type?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly nullable?: boolean;
  readonly validation?: readonly { readonly condition: string; readonly error_message: string }[];
}

const declared = (name: string): Declared => (stack.json.variable ?? {})[name] as Declared;

/** The i-th good (or bad) value of every variable that has one, so one terraform run checks many variables. */
function round(kind: 'good' | 'bad', index: number): Record<string, unknown> {
  return Object.fromEntries(Object.entries(CASES).flatMap(([name, cases]) => (cases[kind].length > index ? [[name, cases[kind][index]]] : [])));
}

const rounds = (kind: 'good' | 'bad') => Array.from({ length: Math.max(...Object.values(CASES).map((c) => c[kind].length)) }, (_, i) => i);

/** The prop value a variable value stands for (the module's backoff objects are snake_case). */
function propValue(variable: ModuleVariable, value: unknown): unknown {
  if (variable.kind !== 'backoff' || value === null || typeof value !== 'object') return value;
  const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [camel(k), v]));
}

/** The construct's verdict on the same value given as a literal prop: the problems found for that prop. */
function constructProblems(variable: ModuleVariable, value: unknown): string[] {
  const props = { workGroup: 'primary', outputLocation: REQUIRED_VALUES.output_location, [variable.prop]: value === null ? undefined : propValue(variable, value) };
  return validateAsyncAthenaQueryProps(props as Partial<AsyncAthenaQueryProps>, () => false)
    .filter((p) => p.prop === variable.prop || p.prop.startsWith(`${variable.prop}.`) || p.prop.startsWith(`${variable.prop}[`))
    .map((p) => p.prop);
}

describe('module variables: declarations', () => {
  test('every variable of the stack has good and bad cases here, and every case a variable', () => {
    expect(Object.keys(stack.json.variable ?? {}).sort()).toEqual(Object.keys(CASES).sort());
    expect(MODULE_VARIABLES.map((v) => v.name).sort()).toEqual(Object.keys(CASES).sort());
  });

  test.each(MODULE_VARIABLES.map((v) => [v.name, v] as const))('%s has a type, a description and the default of its table entry', (name, spec) => {
    // GIVEN
    const variable = declared(name);
    // THEN
    expect(variable.type).toBe(spec.type);
    expect(variable.description?.length).toBeGreaterThan(15);
    if (spec.default === undefined) expect(variable).not.toHaveProperty('default');
    else expect(variable.default).toEqual(spec.default);
    if (spec.default === null) expect(variable.nullable).toBe(true);
  });

  test.each(MODULE_VARIABLES.filter((v) => CASES[v.name]?.bad.length > 0).map((v) => [v.name] as const))(
    '%s has a validation block for each rule, naming the variable and the value received',
    (name) => {
      // GIVEN
      const validations = declared(name).validation ?? [];
      // THEN
      expect(validations.length).toBeGreaterThan(0);
      for (const validation of validations) {
        expect(validation.condition).toContain(`var.${name}`);
        expect(validation.error_message).toMatch(new RegExp(`^${name} must .+, got \\$\\{jsonencode\\(var\\.${name}\\)\\}\\.$`));
      }
    },
  );

  test('makes output_location the only required input', () => {
    expect(MODULE_VARIABLES.filter((v) => v.default === undefined).map((v) => v.name)).toEqual(['output_location']);
  });
});

describe('module variables: values through terraform', () => {
  test.each(rounds('good'))('accepts round %i of good values and passes them through unchanged', (index) => {
    // GIVEN
    const values = { ...REQUIRED_VALUES, ...round('good', index) };
    const echoes = Object.fromEntries(Object.keys(values).map((name) => [name, `\${var.${name}}`]));
    // WHEN
    const out = evaluateInStack(stack, echoes, { variables: values });
    // THEN every value arrives (backoff objects with their defaults filled in by optional())
    for (const [name, value] of Object.entries(values)) {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) expect(out[name]).toMatchObject(value);
      // terraform output -json leaves out outputs whose value is null.
      else expect(out[name] ?? null).toEqual(value);
    }
  });

  test.each(rounds('bad'))('rejects round %i of bad values, each with its variable, rule and value', (index) => {
    // GIVEN
    const bad = round('bad', index);
    // WHEN
    let error: unknown;
    try {
      evaluateInStack(stack, { ok: 'x' }, { variables: { ...REQUIRED_VALUES, ...bad } });
    } catch (e) {
      error = e;
    }
    // THEN one message per variable: Terraform names it, our message names the rule and the value received
    expect(error).toBeInstanceOf(TerraformEvaluationError);
    const message = (error as Error).message;
    for (const [name, value] of Object.entries(bad)) {
      // Terraform names the variable (or, for an object, the attribute the condition read) with its value.
      expect(message).toMatch(new RegExp(`var\\.${name}(\\.[a-z_]+)? is`));
      expect(message).toContain(`${name} must `);
      if (value === null || typeof value !== 'object') expect(message).toContain(`got ${JSON.stringify(value)}.`);
    }
  });
});

describe('module variables: the same rules as the construct props', () => {
  const rows = MODULE_VARIABLES.flatMap((v) => [
    ...(CASES[v.name]?.good ?? []).map((value) => [v.name, 'accepts', JSON.stringify(value), v, value] as const),
    ...(CASES[v.name]?.bad ?? []).map((value) => [v.name, 'rejects', JSON.stringify(value), v, value] as const),
  ]);

  test.each(rows)('%s: the construct %s %s as the variable does', (_name, verdict, _text, variable, value) => {
    // WHEN
    const problems = constructProblems(variable, value);
    // THEN
    if (verdict === 'accepts') expect(problems).toEqual([]);
    else expect(problems.length).toBeGreaterThan(0);
  });
});

/**
 * Issue 9 §1: the module's outputs: named <resource>_<attribute>, described, partition-aware, and null (not "") when
 * the resource they describe is not created.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODULE_OUTPUTS } from '../../constructs';
import { evaluateInStack, type SynthesizedStack, synthesizeMainStack } from '../../twin/wiring/synthesized-stack';

const REQUIRED = { output_location: 's3://results-bucket/athena/' };

let scratch: string;
let stack: SynthesizedStack;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'module-outputs-'));
  stack = synthesizeMainStack(scratch);
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Every output as Terraform evaluates it for these variables (outputs that are null are left out by terraform). */
function outputs(variables: Record<string, unknown>, standIns: { partition?: string; region?: string } = {}): Record<string, unknown> {
  const expressions = Object.fromEntries(Object.entries(stack.json.output ?? {}).map(([name, block]) => [name, (block as { value: unknown }).value]));
  return evaluateInStack(stack, expressions, { variables: { ...REQUIRED, ...variables }, ...standIns });
}

describe('module outputs', () => {
  test('are the outputs of the module interface, each <resource>_<attribute> with a description', () => {
    // GIVEN
    const declared = stack.json.output ?? {};
    // THEN
    expect(Object.keys(declared).sort()).toEqual(MODULE_OUTPUTS.map((o) => o.name).sort());
    for (const [name, block] of Object.entries(declared)) {
      expect(name).toMatch(/^[a-z]+(_[a-z]+)*_(arn|url|name|id|location)$/);
      expect(String((block as { description?: string }).description).length).toBeGreaterThan(15);
    }
  });

  test('render the invoke URL of POST /queries and partition-aware, region-qualified ARNs', () => {
    // WHEN
    const out = outputs({ name_prefix: 'orders' }, { partition: 'aws-cn', region: 'cn-north-1' });
    // THEN
    expect(out.api_invoke_url).toMatch(/^https:\/\/\w+\.execute-api\.cn-north-1\.amazonaws\.com\/live\/queries$/);
    expect(out.state_machine_arn).toBe('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:orders-queries');
    expect(out.callbacker_role_arn).toBe('arn:aws-cn:iam::123456789012:role/orders-callbacker-cn-north-1');
  });

  test('give the signing secret ARN when the module creates the secret', () => {
    expect(outputs({}).webhook_signing_secret_arn).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:async-athena-webhook-signing-secret-\d+-\w+$/);
  });

  test('give the existing secret ARN when one is given, and create none', () => {
    // GIVEN
    const existing = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hooks/signing-AbCdEf';
    const secret = Object.values((stack.json.resource as Record<string, Record<string, { count?: unknown }>>).aws_secretsmanager_secret)[0];
    // WHEN
    const created = evaluateInStack(stack, { count: secret.count }, { variables: { ...REQUIRED, existing_signing_secret_arn: existing } }).count;
    // THEN
    expect(outputs({ existing_signing_secret_arn: existing }).webhook_signing_secret_arn).toBe(existing);
    expect(Number(created)).toBe(0);
  });

  test('give null, not "", for the signing secret when signing is disabled', () => {
    expect(outputs({ disable_webhook_signing: true }).webhook_signing_secret_arn ?? null).toBeNull();
  });

  test('give null for the account-wide API Gateway role unless the module manages it, and its ARN when it does', () => {
    expect(outputs({}).api_gateway_account_role_arn ?? null).toBeNull();
    expect(outputs({ manage_api_gateway_account_role: true }).api_gateway_account_role_arn).toBe('arn:aws:iam::123456789012:role/async-athena-apigw-logs-us-east-1');
  });
});

/**
 * Issue 9 §1: the CDKTF consumer example (examples/cdktf-consumer) type-checks as part of `npm test` (tsconfig.json
 * includes examples/) and synthesizes two services side by side the way a user's stack would, with the matchers users
 * write in their own tests.
 */
import { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { Testing } from 'cdktf';
import { AnalyticsStack } from '../../examples/cdktf-consumer/analytics-stack';
import { useScratchTempDir } from '../support/synth';

useScratchTempDir();

let synthesized: string;

beforeAll(() => {
  synthesized = Testing.synth(new AnalyticsStack(Testing.app(), 'analytics', { region: 'eu-west-1' }));
});

describe('examples/cdktf-consumer', () => {
  test.each(['orders', 'billing'])('creates the %s service with its own name prefix', (team) => {
    expect(synthesized).toHaveResourceWithProperties(LambdaFunction, { function_name: `analytics-${team}-callbacker`, runtime: 'nodejs22.x' });
    expect(synthesized).toHaveResourceWithProperties(ApiGatewayRestApi, { name: `analytics-${team}-api` });
  });

  test('lets each team application invoke its own API only', () => {
    // GIVEN
    const policies = Object.values((JSON.parse(synthesized) as { resource: { aws_iam_role_policy: Record<string, { policy: string; role: string }> } }).resource.aws_iam_role_policy);
    // WHEN
    const grants = policies.filter((p) => p.policy.includes('execute-api:Invoke'));
    // THEN
    expect(synthesized).toHaveResourceWithProperties(IamRolePolicy, { policy: expect.stringContaining('execute-api:Invoke') });
    expect(grants).toHaveLength(2);
    expect(new Set(grants.map((g) => g.role)).size).toBe(2);
  });
});

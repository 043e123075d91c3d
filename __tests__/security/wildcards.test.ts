/**
 * Issue 5 §2: no unexplained wildcard. Every `*` in a rendered policy (identity, trust, attached) must be explained by
 * an allowlist entry that links the AWS page requiring it.
 */
import { isWildcardOnlyAction } from '@cloud-copilot/iam-simulate';
import { REQUIRED_WILDCARDS } from '../../constructs/builders/iam-policies';
import { parseOutputLocation } from '../../constructs/builders/s3-location';
import {
  ACCOUNT_ID,
  DEPLOYMENT_SPECS,
  type DeploymentSpec,
  MAIN_VARIABLES,
  REGION,
  type RenderedDeployment,
  useRenderedDeployments,
  type RoleKey,
  roleOf,
} from './support/deployments';
import type { PolicyDocument } from './support/policies';
import {
  ALLOWED_MANAGED_POLICIES,
  requiredWildcardsInUse,
  SCOPED_WILDCARDS,
  unexplainedWildcards,
  type WildcardScope,
} from './support/wildcards';

const { deployment, all: allDeployments } = useRenderedDeployments();

function split(location: string): { bucket: string; prefix: string } {
  const parsed = parseOutputLocation(location);
  if (!parsed) throw new Error(`not an output location: ${location}`);
  return parsed;
}

/** What the scoped wildcards of a deployment may cover, from the inputs it was given. */
function scopeOf(spec: DeploymentSpec, d: RenderedDeployment): WildcardScope {
  const props = spec.props;
  const outputLocation = props ? props.outputLocation : String(MAIN_VARIABLES.output_location);
  return {
    partition: 'aws',
    region: REGION,
    accountId: ACCOUNT_ID,
    resultsLocation: split(outputLocation),
    sourceDataLocations: (props?.sourceDataLocations ?? []).map(split),
    logGroupArns: [d.arns.callbackerLogGroup, d.arns.stateMachineLogGroup, d.arns.apiAccessLogGroup, d.arns.queryApiLogGroup, d.arns.cancellationStateMachineLogGroup],
    glueDatabases: props?.glueDatabases ?? (props?.database ? [props.database] : ['*']),
    stateMachineNames: [d.arns.stateMachine, d.arns.cancellationStateMachine].map((arn) => arn.split(':').pop() ?? ''),
    restApiExecutionArn: d.arns.restApiExecution,
  };
}

const ROLES: readonly RoleKey[] = ['stateMachine', 'cancellationStateMachine', 'callbacker', 'presigner', 'queryApi', 'apiGatewayAccount'];

describe.each(DEPLOYMENT_SPECS)('wildcards in the $label', (spec) => {
  const roles = ROLES.filter((key) => key !== 'apiGatewayAccount' || spec.props?.manageApiGatewayAccountRole === true);

  it.each(roles)('the %s role policies hold no unexplained wildcard', (key) => {
    // GIVEN
    const d = deployment(spec);
    const role = roleOf(d, key);
    // WHEN
    const problems = role.inline.flatMap((policy, i) => unexplainedWildcards(`${key} inline policy ${i}`, policy, scopeOf(spec, d)));
    // THEN
    expect(problems).toEqual([]);
  });

  it.each(roles)('the %s role trust policy holds no wildcard', (key) => {
    // GIVEN
    const d = deployment(spec);
    const role = roleOf(d, key);
    // WHEN
    const problems = unexplainedWildcards(`${key} trust policy`, role.trust, scopeOf(spec, d));
    // THEN
    expect(problems).toEqual([]);
  });

  it('attaches no managed policy outside the allowlist', () => {
    // GIVEN
    const allowed = ALLOWED_MANAGED_POLICIES.map((p) => p.arn('aws'));
    // WHEN
    const attached = Object.values(deployment(spec).roles).flatMap((role) => role?.attachedPolicyArns ?? []);
    // THEN
    expect(attached.filter((arn) => !allowed.includes(arn))).toEqual([]);
  });

  it("holds no IAM policy outside the roles but the dead-letter queue's and the query API function's (no managed policy of its own)", () => {
    // GIVEN
    const d = deployment(spec);
    // WHEN
    const policyBearing = Object.keys(d.stack.json.resource ?? {}).filter(
      (type) => /polic|permission|grant/.test(type) && !['aws_iam_role_policy', 'aws_iam_role_policy_attachment'].includes(type),
    );
    // THEN
    expect(policyBearing.sort()).toEqual(['aws_lambda_permission', 'aws_sqs_queue_policy']);
  });

  it("the dead-letter queue policy's only wildcard is the principal of a Deny, narrowed to everyone but the state machines' roles", () => {
    // GIVEN
    const d = deployment(spec);
    // WHEN
    const statements = d.deadLetterQueuePolicy.Statement;
    const wildcards = statements.flatMap((st) => [st.Principal, ...[st.Action, st.Resource].flat()].filter((v) => typeof v === 'string' && v.includes('*')).map(() => st));
    // THEN
    expect(wildcards.map((st) => [st.Effect, st.Principal, st.Condition])).toEqual([
      ['Deny', '*', { ArnNotEquals: { 'aws:PrincipalArn': [roleOf(d, 'stateMachine').arn, roleOf(d, 'cancellationStateMachine').arn] } }],
    ]);
    expect(statements.filter((st) => st.Effect === 'Allow')).toEqual([]);
  });

  it("the query API function's resource policy holds no unexplained wildcard: API Gateway, from this API's routes only", () => {
    // GIVEN
    const d = deployment(spec);
    // WHEN
    const problems = unexplainedWildcards('query API function policy', d.queryApiFunctionPolicy, scopeOf(spec, d));
    // THEN
    expect(problems).toEqual([]);
    expect(d.queryApiFunctionPolicy.Statement).toHaveLength(5);
    for (const st of d.queryApiFunctionPolicy.Statement) expect(st.Principal).toEqual({ Service: 'apigateway.amazonaws.com' });
  });
});

it('the account logging role attaches exactly the managed policy API Gateway documents', () => {
  // GIVEN
  const spec = DEPLOYMENT_SPECS.find((s) => s.props?.manageApiGatewayAccountRole === true) as DeploymentSpec;
  // WHEN
  const attached = deployment(spec).roles.apiGatewayAccount?.attachedPolicyArns;
  // THEN
  expect(attached).toEqual(['arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']);
});

const REQUIRED_WILDCARD_ACTIONS = [...new Set(Object.values(REQUIRED_WILDCARDS).flatMap((entry) => [...entry.actions]))];

it.each(REQUIRED_WILDCARD_ACTIONS)('%s, allowed on "*", is an action AWS does not scope to resources', async (action) => {
  // GIVEN
  const [service, name] = action.split(':');
  // WHEN
  const wildcardOnly = await isWildcardOnlyAction(service, name);
  // THEN
  expect(wildcardOnly).toBe(true);
});

const ALLOWLIST_ENTRIES = [
  ...Object.entries(REQUIRED_WILDCARDS).map(([name, entry]) => ({ list: 'REQUIRED_WILDCARDS', name, why: entry.why, doc: entry.doc })),
  ...SCOPED_WILDCARDS.map((entry) => ({ list: 'SCOPED_WILDCARDS', name: entry.name, why: entry.why, doc: entry.doc })),
  ...ALLOWED_MANAGED_POLICIES.map((entry) => ({ list: 'ALLOWED_MANAGED_POLICIES', name: entry.arn('aws'), why: entry.why, doc: entry.doc })),
];

it.each(ALLOWLIST_ENTRIES)('$list entry "$name" gives a reason and an AWS documentation link', (entry) => {
  expect(entry.why.length).toBeGreaterThan(20);
  expect(entry.doc).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/\S+$/);
});

it('relies on every REQUIRED_WILDCARDS entry somewhere (the allowlist holds no stale entry)', () => {
  // GIVEN
  const policies = allDeployments().flatMap((d) => Object.values(d.roles).flatMap((role) => role?.inline ?? []));
  // WHEN
  const used = requiredWildcardsInUse(policies);
  // THEN
  expect([...used].sort()).toEqual(Object.keys(REQUIRED_WILDCARDS).sort());
});

// ---------------------------------------------------------------------------------------------------------------
// The check itself fails on what it must catch.
// ---------------------------------------------------------------------------------------------------------------
const CONTROL_SCOPE: WildcardScope = {
  partition: 'aws',
  region: REGION,
  accountId: ACCOUNT_ID,
  resultsLocation: { bucket: 'results-bucket', prefix: 'athena/' },
  sourceDataLocations: [],
  logGroupArns: [`arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:/aws/lambda/async-athena-callbacker`],
  glueDatabases: ['sales'],
  stateMachineNames: ['async-athena-queries'],
  restApiExecutionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:a1b2c3d4e5`,
};

const single = (statement: Record<string, unknown>): PolicyDocument => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] });

it.each([
  ['a service-wide action', single({ Action: ['s3:*'], Resource: ['arn:aws:s3:::results-bucket/athena/*'] }), /wildcard action s3:\*/],
  ['an action prefix', single({ Action: ['s3:Get*'], Resource: ['arn:aws:s3:::results-bucket/athena/*'] }), /wildcard action s3:Get\*/],
  ['Resource "*" for a scopable action', single({ Action: ['s3:GetObject'], Resource: ['*'] }), /Resource "\*" for s3:GetObject/],
  ['the whole results bucket', single({ Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::results-bucket/*'] }), /wildcard resource arn:aws:s3:::results-bucket\/\*/],
  ['every bucket', single({ Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::*'] }), /wildcard resource arn:aws:s3:::\*/],
  ['a prefix one character short', single({ Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::results-bucket/athena*'] }), /wildcard resource/],
  ['every log group', single({ Action: ['logs:PutLogEvents'], Resource: [`arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:*`] }), /wildcard resource/],
  ['every Glue database when one is configured', single({ Action: ['glue:GetTable'], Resource: [`arn:aws:glue:${REGION}:${ACCOUNT_ID}:table/*/*`] }), /wildcard resource/],
  ['every account in an ARN', single({ Action: ['lambda:InvokeFunction'], Resource: [`arn:aws:lambda:${REGION}:*:function:async-athena-callbacker`] }), /wildcard resource/],
  ['NotAction', single({ NotAction: ['iam:*'], Resource: ['*'] }), /uses NotAction/],
  ['a wildcard principal', single({ Principal: { AWS: '*' }, Action: ['sts:AssumeRole'] }), /wildcard principal \*/],
  ['a wildcard source ARN', single({ Principal: { Service: 'states.amazonaws.com' }, Action: ['sts:AssumeRole'], Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:states:${REGION}:${ACCOUNT_ID}:stateMachine:*` } } }), /wildcard in condition ArnLike aws:SourceArn/],
  ['executions of every state machine', single({ Action: ['states:StopExecution'], Resource: [`arn:aws:states:${REGION}:${ACCOUNT_ID}:execution:*`] }), /wildcard resource/],
  ['executions of another state machine', single({ Action: ['states:StopExecution'], Resource: [`arn:aws:states:${REGION}:${ACCOUNT_ID}:execution:other-queries:*`] }), /wildcard resource/],
  ['every route of the API', single({ Principal: { Service: 'apigateway.amazonaws.com' }, Action: ['lambda:InvokeFunction'], Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:a1b2c3d4e5/*/*/*` } } }), /wildcard in condition ArnLike aws:SourceArn/],
  ['every API of the account', single({ Principal: { Service: 'apigateway.amazonaws.com' }, Action: ['lambda:InvokeFunction'], Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:*/*/POST/queries` } } }), /wildcard in condition ArnLike aws:SourceArn/],
])('the check reports %s', (_what, policy, expected) => {
  // WHEN
  const problems = unexplainedWildcards('control', policy, CONTROL_SCOPE);
  // THEN
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatch(expected);
});

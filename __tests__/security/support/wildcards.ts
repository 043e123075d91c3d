/**
 * The no-unexplained-wildcard check. A `*` (or `?`) may appear in a policy only where an allowlist entry explains why
 * AWS needs it and links the AWS page that says so:
 *
 * - `Resource: "*"`: only for actions listed in the module's own allowlist, `REQUIRED_WILDCARDS`
 *   (constructs/builders/iam-policies.ts), which AWS does not scope to resources.
 * - A `*` inside an ARN: only for the scoped patterns of {@link SCOPED_WILDCARDS} below, each pinned to this deployment's
 *   configured bucket, prefix, log group or Glue database, so the `*` only stands for names AWS generates.
 *
 * Test helper; not a suite.
 */
import { REQUIRED_WILDCARDS } from '../../../constructs/builders/iam-policies';
import { asList, type PolicyDocument, type PolicyStatement } from './policies';

/** What the scoped wildcards of one deployment may cover. */
export interface WildcardScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** Output location and source data locations, split. */
  readonly resultsLocation: { readonly bucket: string; readonly prefix: string };
  readonly sourceDataLocations: readonly { readonly bucket: string; readonly prefix: string }[];
  /** ARNs of the log groups the module created. */
  readonly logGroupArns: readonly string[];
  /** Glue databases queries may read; `['*']` when none was configured. */
  readonly glueDatabases: readonly string[];
  /** Names of the state machines the module created. */
  readonly stateMachineNames: readonly string[];
  /** The execute-api ARN of the REST API the module created (`arn:aws:execute-api:<region>:<account>:<api id>`). */
  readonly restApiExecutionArn: string;
}

/** One kind of `*` inside an ARN that AWS needs. */
export interface ScopedWildcard {
  readonly name: string;
  /** The exact wildcard ARNs this entry allows in a deployment. */
  readonly allowed: (scope: WildcardScope) => readonly string[];
  readonly why: string;
  readonly doc: string;
}

/** `*` inside ARNs: each entry lists the exact ARNs it allows, so a `*` anywhere else in the ARN fails. */
export const SCOPED_WILDCARDS: readonly ScopedWildcard[] = [
  {
    name: 'result objects under the output location',
    allowed: (s) => [`arn:${s.partition}:s3:::${s.resultsLocation.bucket}/${s.resultsLocation.prefix}*`],
    why: 'Athena names each result object after the query execution id (<id>.csv, <id>.csv.metadata), unknown until the query starts.',
    doc: 'https://docs.aws.amazon.com/athena/latest/ug/querying-finding-output-files.html',
  },
  {
    name: 'objects of the configured source data locations',
    allowed: (s) => s.sourceDataLocations.map((l) => `arn:${s.partition}:s3:::${l.bucket}/${l.prefix}*`),
    why: 'A table reads every object under its location; their keys are written by whoever loads the data.',
    doc: 'https://docs.aws.amazon.com/athena/latest/ug/s3-permissions.html',
  },
  {
    name: 'log streams of the log groups the module created',
    allowed: (s) => s.logGroupArns.map((arn) => `${arn}:*`),
    why: 'Lambda names a log stream per execution environment; streams are sub-resources of the group ARN.',
    doc: 'https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html',
  },
  {
    name: "executions of the module's state machines",
    allowed: (s) => s.stateMachineNames.map((name) => `arn:${s.partition}:states:${s.region}:${s.accountId}:execution:${name}:*`),
    why: 'Execution names are chosen at run time (an idempotency key or the API request id); the ARN pins account, region and state machine.',
    doc: 'https://docs.aws.amazon.com/step-functions/latest/dg/concepts-state-machine-executions.html',
  },
  {
    name: "the routes of the module's API, in any stage and for any query id",
    allowed: (s) => ['POST/queries', 'POST/invocation', 'GET/queries/*', 'DELETE/queries/*', 'GET/queries/*/result'].map((route) => `${s.restApiExecutionArn}/*/${route}`),
    why: "A Lambda permission's source ARN names a method as <api>/<stage>/<METHOD>/<path>: the stage is the module's own (one API, one stage), and a path parameter ({id}) is any query id.",
    doc: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html',
  },
  {
    name: 'tables of the configured Glue databases (every database of this account and region when none is configured)',
    allowed: (s) => [
      ...s.glueDatabases.map((db) => `arn:${s.partition}:glue:${s.region}:${s.accountId}:table/${db}/*`),
      ...(s.glueDatabases.includes('*') ? [`arn:${s.partition}:glue:${s.region}:${s.accountId}:database/*`] : []),
    ],
    why: 'Queries name tables at run time, and without a default database they may name any database of the catalog; the catalog ARN pins account and region.',
    doc: 'https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html',
  },
];

/** AWS-managed policies the module may attach, each with the page that prescribes it. */
export const ALLOWED_MANAGED_POLICIES: readonly { readonly arn: (partition: string) => string; readonly why: string; readonly doc: string }[] = [
  {
    arn: (partition) => `arn:${partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
    why: 'The account-level API Gateway logging role must be able to create and write log groups named by API Gateway.',
    doc: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html',
  },
];

const WILDCARD = /[*?]/;

/** The REQUIRED_WILDCARDS entries naming an action. */
function requiredWildcardEntriesFor(action: string): string[] {
  return Object.entries(REQUIRED_WILDCARDS)
    .filter(([, entry]) => (entry.actions as readonly string[]).includes(action))
    .map(([name]) => name);
}

function finding(where: string, statement: PolicyStatement, detail: string): string {
  return `${where} statement ${statement.Sid ?? '(no Sid)'}: ${detail}`;
}

/** Every wildcard in a policy that no allowlist entry explains; empty when all is well. */
export function unexplainedWildcards(where: string, policy: PolicyDocument, scope: WildcardScope): string[] {
  const allowedArns = new Set(SCOPED_WILDCARDS.flatMap((entry) => entry.allowed(scope)));
  const problems: string[] = [];
  for (const statement of policy.Statement) {
    // NotAction/NotResource/NotPrincipal grant everything but a list: a wildcard in disguise.
    for (const key of ['NotAction', 'NotResource', 'NotPrincipal'] as const) {
      if (statement[key] !== undefined) problems.push(finding(where, statement, `uses ${key}`));
    }
    const actions = asList(statement.Action);
    for (const action of actions) {
      if (WILDCARD.test(action)) problems.push(finding(where, statement, `wildcard action ${action}`));
    }
    for (const resource of asList(statement.Resource)) {
      if (resource === '*') {
        const unexplained = actions.filter((action) => requiredWildcardEntriesFor(action).length === 0);
        if (unexplained.length > 0) problems.push(finding(where, statement, `Resource "*" for ${unexplained.join(', ')}, not in REQUIRED_WILDCARDS`));
      } else if (WILDCARD.test(resource) && !allowedArns.has(resource)) {
        problems.push(finding(where, statement, `wildcard resource ${resource} matches no SCOPED_WILDCARDS entry`));
      }
    }
    const principal = statement.Principal;
    const principals = typeof principal === 'string' ? [principal] : Object.values(principal ?? {}).flatMap((v) => asList(v));
    for (const p of principals) {
      if (WILDCARD.test(p)) problems.push(finding(where, statement, `wildcard principal ${p}`));
    }
    for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
      for (const [key, value] of Object.entries(keys)) {
        for (const v of asList(value)) {
          if (WILDCARD.test(v) && !allowedArns.has(v)) problems.push(finding(where, statement, `wildcard in condition ${operator} ${key}: ${v}`));
        }
      }
    }
  }
  return problems;
}

/**
 * The REQUIRED_WILDCARDS entries some statement relies on: a statement on `Resource: "*"` whose actions are exactly the
 * entry's, as the policy builders write them.
 */
export function requiredWildcardsInUse(policies: readonly PolicyDocument[]): Set<string> {
  const used = new Set<string>();
  for (const statement of policies.flatMap((p) => p.Statement)) {
    if (!asList(statement.Resource).includes('*')) continue;
    const actions = [...asList(statement.Action)].sort().join(',');
    for (const [name, entry] of Object.entries(REQUIRED_WILDCARDS)) {
      if ([...entry.actions].sort().join(',') === actions) used.add(name);
    }
  }
  return used;
}

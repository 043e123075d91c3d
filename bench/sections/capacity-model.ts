/**
 * The capacity model of one deployment, per AWS account and region: the quotas that bind, what one query consumes of
 * each, and what the default configuration sustains. Written into BENCHMARKS.md under the Capacity section, whose
 * rows check it on the twin (capacity.ts).
 *
 * Every figure names its source. The Step Functions and Athena API rate figures come from the last published
 * versions of the AWS documentation sources on GitHub (awsdocs, archived in 2023); the current pages could be read
 * only in part here and say that the values vary by Region and that new accounts start lower, so the Service Quotas
 * console of the account is the authority.
 */
import type { TokenBucketQuota } from '../support/token-bucket';

/** The documented token buckets the capacity rows replay (the smallest regional defaults). */
export const QUOTAS = {
  /** StartQueryExecution (and StopQueryExecution): 20 calls/s, burst 80, per account. awsdocs/amazon-athena-user-guide doc_source/service-limits.md */
  athenaStartQueryExecution: { bucketSize: 80, refillPerSecond: 20 },
  /** Standard workflows, all Regions but us-east-1, us-west-2, eu-west-1 (5,000 / 1,500 there). awsdocs/aws-step-functions-developer-guide doc_source/limits-overview.md */
  stepFunctionsStateTransition: { bucketSize: 800, refillPerSecond: 500 },
  /** Standard workflows, all Regions but us-east-1, us-west-2, eu-west-1 (1,300 / 300 there). Same source. */
  stepFunctionsStartExecution: { bucketSize: 800, refillPerSecond: 150 },
} as const satisfies Record<string, TokenBucketQuota>;

const ATHENA_LIMITS = 'https://docs.aws.amazon.com/athena/latest/ug/service-limits.html';
const ATHENA_GR = 'https://docs.aws.amazon.com/general/latest/gr/athena.html';
const ATHENA_ARCHIVED = 'https://github.com/awsdocs/amazon-athena-user-guide/blob/main/doc_source/service-limits.md';
const SFN_LIMITS = 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html';
const SFN_ARCHIVED = 'https://github.com/awsdocs/aws-step-functions-developer-guide/blob/main/doc_source/limits-overview.md';
const APIGW_LIMITS = 'https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html';
const LAMBDA_LIMITS = 'https://docs.aws.amazon.com/lambda/latest/dg/limits.html';
const LAMBDA_RESERVED = 'https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html';
const SQS_LIMITS = 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html';

/** Expected seconds a throttled start waits in all, over the default 120 retries (ceilings 1, 2, 4, 8, 16, then 30 s; full jitter halves each). */
export function expectedThrottleRetrySeconds(policy = { intervalSeconds: 1, backoffRate: 2, maxAttempts: 120, maxDelaySeconds: 30 }): number {
  let total = 0;
  for (let n = 0; n < policy.maxAttempts; n++) total += Math.min(policy.maxDelaySeconds, policy.intervalSeconds * policy.backoffRate ** n) / 2;
  return total;
}

const PATIENCE_MINUTES = Math.round(expectedThrottleRetrySeconds() / 60);

/** The model, as Markdown (headings from level 3: it sits under the section's own heading). */
export const CAPACITY_MODEL = `Everything below is per AWS account and Region: every deployment of the module in one account and Region, and
everything else there, shares these quotas. Several instances or workgroups in one account therefore add no Athena
or Step Functions capacity (Athena's quotas are shared by all workgroups of the account: [Athena quotas](${ATHENA_LIMITS})).

### The quotas that bind

| Quota | Default | Source | Checked |
|---|---|---|---|
| Athena active DML queries (QUEUED + RUNNING; query 26 of a quota of 25 gets \`TooManyRequestsException\`) | varies by Region; last published: 25 in us-east-1, 20 elsewhere; adjustable | [Athena quotas](${ATHENA_LIMITS}), [endpoints and quotas](${ATHENA_GR}), [archived source](${ATHENA_ARCHIVED}) | the rule (queued count) on the current page; the numbers only in the archived source: read your account's value in the Service Quotas console |
| Athena StartQueryExecution / StopQueryExecution | 20 calls/s, burst 80 | [archived source](${ATHENA_ARCHIVED}) | not on the current page as far as it could be read here |
| Athena GetQueryExecution / GetQueryResults | 100 calls/s, burst 200 | [archived source](${ATHENA_ARCHIVED}) | as above |
| Step Functions StartExecution (Standard) | bucket 1,300, refill 300/s in us-east-1, us-west-2, eu-west-1; 800 / 150 elsewhere | [Step Functions quotas](${SFN_LIMITS}), [archived source](${SFN_ARCHIVED}) | archived source; the current page says new accounts start lower |
| Step Functions StateTransition (Standard) | bucket 5,000, refill 1,500/s in those three Regions; 800 / 500 elsewhere | same | same |
| Step Functions DescribeExecution / GetExecutionHistory / StopExecution | 300 / 15 s⁻¹, 400 / 20 s⁻¹, 1,000 / 200 s⁻¹ in those three Regions; 250 / 10, 400 / 20, 500 / 25 elsewhere | same | archived source |
| Step Functions open executions | 1,000,000 (\`ExecutionLimitExceeded\` beyond) | same | archived source |
| API Gateway, whole account | 10,000 requests/s, burst 5,000 (2,500 / 1,250 in newer Regions) | [API Gateway quotas](${APIGW_LIMITS}) | current page |
| API Gateway, this stage | 50 requests/s, burst 100 (module defaults \`throttling_rate_limit\`, \`throttling_burst_limit\`) | the synthesized stack; the twin enforces it | measured below |
| Lambda concurrent executions | 1,000 (new accounts lower); reserved concurrency must leave 100 unreserved | [Lambda quotas](${LAMBDA_LIMITS}), [PutFunctionConcurrency](${LAMBDA_RESERVED}) | current pages |
| SQS standard queue (dead letters only) | nearly unlimited calls per second per action | [SQS message quotas](${SQS_LIMITS}) | current page |

### What one query consumes

- **API**: one request to submit, one per status read of a client that polls (\`wait\`), one per fresh result link. All
  share the stage's 50 requests/s.
- **Step Functions**: one StartExecution; the transitions of its path (the rows count them: one query alone is the
  baseline), plus **one transition per throttled start**: a start refused by the active-query quota is retried by the
  StartQuery state (1 s doubling to 30 s, full jitter, 120 attempts), and every retry is billed.
- **Athena**: one active-query slot for the query's run time D; one StartQueryExecution call per attempt (the first and
  every retry). The \`.sync\` integration's own polling of the query is AWS's; whether it counts against the account's
  GetQueryExecution rate is not documented (not checked).
- **Lambda**: one callbacker invocation per delivery attempt (milliseconds for a fast receiver, up to its 45 s timeout
  for a slow one); one query API function invocation per API request other than throttled ones.
- **Status reads** (\`GET /queries/{id}\`, per the contract): DescribeExecution, GetExecutionHistory (a page or more) and
  GetQueryExecution. Idempotent resubmits and cancels read DescribeExecution and GetExecutionHistory too.

### What the default configuration sustains (Q = 20 active queries)

- **Concurrent queries: Q** (20, or your Region's quota). More submissions are not refused: their executions wait,
  retrying the start, for about ${PATIENCE_MINUTES} minutes in expectation (the sum of the 120 retries' mean pauses); a query that finds no
  slot by then gets a FAILED callback (\`Athena.TooManyRequestsException\`), never silence. The backlog absorbed is
  therefore about Q x ${PATIENCE_MINUTES} min / D queries beyond the running ones: about ${Math.round((20 * expectedThrottleRetrySeconds()) / 60)} for D = 60 s, one more wave for D = 30 min.
- **Sustained queries per second: Q / D at best**: 10/s for 2 s queries, 2/s for 10 s, 0.33/s (20 a minute) for 60 s,
  0.011/s (40 an hour) for 30 minutes. Long queries reach it: the rows check ⌈N / Q⌉ x D on the twin. Short queries do
  not, because nothing tells a waiting execution that a slot is free: it finds out at its next retry, every 15 s on
  average once its pause is capped (full jitter up to 30 s). W waiting executions therefore fill freed slots at about
  W / 15 a second, and while that is below Q / D (fewer than 15 x Q / D waiting: 150 for 2 s queries at Q = 20) slots
  stand idle and throughput drops towards W / 15 as the backlog drains; the rows show 2 s queries finishing at about
  half of Q / D.
- **Waiting costs transitions and calls**: every retry of a waiting start is one billed transition and one
  StartQueryExecution call, so a query that waits T for a slot costs about T / 15 s more of each (the rows: in three
  waves of 5-minute queries, a query averages over twenty of each, against one call and a few transitions alone).
- **Submissions per second: 50** (the stage), 100 at once. Step Functions' StartExecution (150/s) and StateTransition
  (500/s; at most a few per query plus the backlog's retries, about W / 15 per second for W waiting executions) do not
  bind before Athena does.
- **Status reads: about 10 per second sustained** (DescribeExecution refills at 10/s, 15/s in the three large Regions,
  after a burst of 250-300), well under the stage's 50. A \`wait\` polls about every 10 s once its pause is capped
  (full jitter up to 20 s; the rows give the mean polls per query), so about 100 clients can \`wait\` at once per
  account and Region before status reads are throttled; callbacks cost none of this.
- **Lambda**: callbacker concurrency is callbacks/s x delivery time: at most Q / D callbacks/s, so a few concurrent
  invocations for fast receivers; receivers that take the full 45 s at 10 callbacks/s would hold 450 of the account's
  1,000.

### What binds first

- **Short queries (seconds)**: Athena's active-query quota, then **Athena's StartQueryExecution rate (20/s, burst 80)**:
  the stage admits 100 submissions at once and 50 a second after that, every one starts with a StartQueryExecution
  call, and a backlog of W waiting executions adds about W / 15 calls a second (over 20/s beyond about 300 waiting).
  The rows replay the calls of a default-configuration burst of 2 s queries through the documented bucket: its busiest
  second asks for several times the burst, and hundreds of calls would be refused. Athena documents its rate throttle
  as \`ThrottlingException\` ("Rate exceeded"), which the StartQuery state retries with the quota's backoff
  (\`Athena.TooManyRequestsException\` and \`Athena.ThrottlingException\`): such a start waits and retries, each retry a
  billed transition and one more call in the next seconds. Which error name Step Functions' Athena \`.sync\`
  integration reports for it cannot be checked offline; a name other than these two would end the start in a FAILED
  callback (never a lost query), so keep bursts of submissions under 80 and backlogs under about 300 until it is known.
- **Long queries (minutes)**: Athena's active-query quota alone: throughput Q / D, and the backlog's patience of about
  ${PATIENCE_MINUTES} minutes bounds how many can wait.
- **Many polling clients**: DescribeExecution's refill rate, long before the stage throttle.

### Going beyond

- **Raise Athena's active DML query quota** (Service Quotas console; adjustable), or run the workgroup on an Athena
  capacity reservation for direct control of concurrency (see [Athena quotas](${ATHENA_LIMITS})); raise the
  StartQueryExecution rate through AWS Support, and keep the stage's burst (\`throttling_burst_limit\`) at or below that
  rate's burst (80) unless it is raised.
- **Raise the stage throttle** (\`throttling_rate_limit\`, \`throttling_burst_limit\`) for more submissions per second, up
  to the account's 10,000 requests/s (and Athena's start rate); for more status reads, request increases of Step
  Functions' DescribeExecution and GetExecutionHistory rates first, which bind before the stage does (all the Step
  Functions quotas listed are soft).
- **Poll less, or not at all**: callbacks cost no status reads; \`wait --max-interval\` lengthens the pauses.
- **Reserve callbacker concurrency** (\`callbacker_reserved_concurrency\`) so other functions cannot starve deliveries;
  it also caps them.
- **Another Region or account**: every quota above is per account and Region, so a second deployment there doubles
  them all; more instances or workgroups in the same account and Region add none.
`;

/**
 * Issue 6 part 1, cost per query: state transitions of one execution of our synthesized definition and of the
 * sample's (bench/fixtures/seed-definition.ts), for queries of 2 s, 60 s and 30 min, counted from the interpreter's
 * event log as Step Functions Standard bills them, and priced per million queries.
 *
 * Both definitions run in aws-local-stepfunctions on a virtual clock (bench/support/virtual-time.ts) with every Task
 * overridden by the same fakes: a query that is RUNNING until T simulated seconds after its start, and a callbacker
 * that accepts at once.
 */
import { executionInputOf } from '../../constructs/builders/api-contract';
import { STATE_NAMES } from '../../constructs/builders/asl';
import { TaskError, type TaskHandler, type TaskJson } from '../../twin/step-functions/service-integrations';
import { loadStack } from '../../twin/wiring/stack-cache';
import { DEFAULT_TWIN_VARIABLES } from '../../twin/twin';
import { SEED_DEFINITION, SEED_TIMEOUT_SECONDS, type SeedExecutionInput, seedTransitionsFor } from '../fixtures/seed-definition';
import { row, type Row, type SectionReport } from '../report';
import { type VirtualClock, VirtualClockMachine, type VirtualRun } from '../support/virtual-time';
import type { BenchOptions } from './section';

/** Most transitions a successful query may take (issue 6). */
export const TRANSITIONS_TARGET = 3;
/** Step Functions Standard, us-east-1 and most regions: $0.025 per 1,000 state transitions. https://aws.amazon.com/step-functions/pricing/ */
export const USD_PER_TRANSITION = 0.025 / 1000;
/** Query durations measured, in seconds. */
export const QUERY_SECONDS = [2, 60, 1800] as const;

const OUTPUT_LOCATION = 's3://bench-results/queries/';
const CALLBACK_URL = 'https://receiver.example/hook';

interface DefinitionState {
  readonly Type: string;
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
}

/** Queries that stay RUNNING for `seconds` of simulated time after they start. */
class TimedQueries {
  private readonly submitted = new Map<string, number>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly seconds: number,
  ) {}

  start(input: TaskJson): { QueryExecutionId: string } {
    const id = `bench-query-${this.submitted.size + 1}`;
    if (typeof (input as { QueryString?: unknown }).QueryString !== 'string') throw new Error(`StartQueryExecution without a QueryString: ${JSON.stringify(input)}`);
    this.submitted.set(id, this.clock.now);
    return { QueryExecutionId: id };
  }

  get(id: string): { QueryExecution: TaskJson } {
    const submittedAt = this.submitted.get(id);
    if (submittedAt === undefined) throw new TaskError('Athena.InvalidRequestException', `QueryExecution ${id} was not found`);
    const done = this.clock.now - submittedAt >= this.seconds;
    return {
      QueryExecution: {
        QueryExecutionId: id,
        ResultConfiguration: { OutputLocation: `${OUTPUT_LOCATION}${id}.csv` },
        Status: {
          State: done ? 'SUCCEEDED' : 'RUNNING',
          SubmissionDateTime: submittedAt * 1000,
          ...(done && { CompletionDateTime: (submittedAt + this.seconds) * 1000 }),
        },
        // Fields every GetQueryExecution answer has, which our StartQuery's ResultSelector keeps.
        Statistics: { EngineExecutionTimeInMillis: this.seconds * 1000 },
        WorkGroup: 'primary',
        EngineVersion: { SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: 'Athena engine version 3' },
      },
    };
  }
}

/**
 * The fakes, by state name, chosen by each Task's Resource as the twin chooses its integrations. The `.sync` fake
 * lets T pass, or, when timeouts are enforced and T reaches the state's TimeoutSeconds, lets that pass and fails
 * with States.Timeout, as Step Functions does.
 */
function fakeHandlers(states: Readonly<Record<string, DefinitionState>>, seconds: number): (clock: VirtualClock) => Record<string, TaskHandler> {
  return (clock) => {
    const queries = new TimedQueries(clock, seconds);
    const handlers: Record<string, TaskHandler> = {};
    for (const [name, state] of Object.entries(states)) {
      if (state.Type !== 'Task') continue;
      const api = /^arn:[a-z-]+:states:::([a-z]+:[A-Za-z]+(?:\.sync)?)$/.exec(state.Resource ?? '')?.[1];
      if (api === 'athena:startQueryExecution.sync') {
        handlers[name] = async (input) => {
          const { QueryExecutionId } = queries.start(input);
          const limit = state.TimeoutSeconds;
          if (clock.enforceTimeouts && limit !== undefined && seconds >= limit) {
            clock.advance(limit);
            throw new TaskError('States.Timeout', `Task ${name} timed out after ${limit} seconds`);
          }
          clock.advance(seconds);
          return queries.get(QueryExecutionId);
        };
      } else if (api === 'athena:startQueryExecution') {
        handlers[name] = async (input) => queries.start(input);
      } else if (api === 'athena:getQueryExecution') {
        handlers[name] = async (input) => queries.get(String((input as { QueryExecutionId?: unknown }).QueryExecutionId));
      } else if (api === 'lambda:invoke') {
        handlers[name] = async () => ({ ExecutedVersion: '$LATEST', Payload: { StatusCode: 204 }, StatusCode: 200 });
      } else {
        // Only a failed delivery reaches the dead-letter queue; the fake callbacker never fails.
        handlers[name] = async () => {
          throw new Error(`The cost benchmark does not expect ${name} (${String(state.Resource)}) to run`);
        };
      }
    }
    return handlers;
  };
}

interface Design {
  readonly machine: VirtualClockMachine;
  readonly states: Readonly<Record<string, DefinitionState>>;
  readonly input: unknown;
  readonly executionArn: string;
}

function run(design: Design, seconds: number, enforceTimeouts: boolean): Promise<VirtualRun> {
  return design.machine.run({ input: design.input, executionArn: design.executionArn, taskHandlers: fakeHandlers(design.states, seconds), enforceTimeouts });
}

function describeSeconds(seconds: number): string {
  return seconds >= 600 && seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

function usdPerMillion(transitions: number): number {
  return transitions * USD_PER_TRANSITION * 1_000_000;
}

export async function costSection(options: BenchOptions): Promise<SectionReport> {
  const { artifacts } = loadStack(DEFAULT_TWIN_VARIABLES);
  const oursDefinition = JSON.parse(artifacts.stateMachine.definition) as { States: Record<string, DefinitionState> };
  const seedInput: SeedExecutionInput = { ApiRequest: { Query: 'SELECT 1', CallbackUrl: CALLBACK_URL } };
  const ours: Design = {
    machine: new VirtualClockMachine(artifacts.stateMachine.definition),
    states: oursDefinition.States,
    // The input the query API function starts executions with.
    input: executionInputOf({ Query: 'SELECT 1', CallbackUrl: CALLBACK_URL }),
    executionArn: `${artifacts.stateMachine.arn.replace(':stateMachine:', ':execution:')}:bench-cost`,
  };
  const seed: Design = {
    machine: new VirtualClockMachine(SEED_DEFINITION),
    states: SEED_DEFINITION.States as Readonly<Record<string, DefinitionState>>,
    input: seedInput,
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:AthenaQueryOrchestration:bench-cost',
  };
  const transitionRows: Row[] = [];
  const costRows: Row[] = [];
  for (const seconds of QUERY_SECONDS) {
    const [o, s] = await Promise.all([run(ours, seconds, false), run(seed, seconds, false)]);
    if (o.status !== 'SUCCEEDED' || s.status !== 'SUCCEEDED') {
      throw new Error(`A ${seconds} s query did not succeed (ours ${o.status}, the sample ${s.status}): the benchmark measured a broken path`);
    }
    const formula = seedTransitionsFor(seconds);
    const matches = s.transitions === formula ? `the sample's ${s.transitions} = 2 + 3·⌈T/15 s⌉` : `the sample's formula 2 + 3·⌈T/15 s⌉ gives ${formula}`;
    const note = seconds >= SEED_TIMEOUT_SECONDS ? `${matches}; timeouts raised above T, see the next row` : matches;
    transitionRows.push(row({ metric: `transitions per successful query, T = ${describeSeconds(seconds)}`, unit: 'transitions', ours: o.transitions, baseline: s.transitions, target: TRANSITIONS_TARGET, note }));
    costRows.push(row({ metric: `cost per million successful queries, T = ${describeSeconds(seconds)}`, unit: 'USD', ours: usdPerMillion(o.transitions), baseline: usdPerMillion(s.transitions) }));
  }
  // As shipped, both designs stop a 30-minute query: our StartQuery's TimeoutSeconds (queryTimeoutSeconds) and the
  // sample's execution TimeoutSeconds are both 1800 s.
  const longest = QUERY_SECONDS[QUERY_SECONDS.length - 1];
  const oursLimit = ours.states[STATE_NAMES.startQuery]?.TimeoutSeconds;
  const limits = oursLimit === SEED_TIMEOUT_SECONDS ? `the shipped ${oursLimit} s limits` : `the shipped limits (ours ${String(oursLimit)} s, the sample ${SEED_TIMEOUT_SECONDS} s)`;
  const [o, s] = await Promise.all([run(ours, longest, true), run(seed, longest, true)]);
  const wrapped = o.events.some((e) => e.type === 'StateEntered' && e.state?.name === STATE_NAMES.wrapQueryFailure);
  const oursOutcome = o.status === 'SUCCEEDED' ? (wrapped ? 'a FAILED (States.Timeout) callback' : 'a SUCCEEDED callback') : o.status;
  transitionRows.push(
    row({
      metric: `transitions, T = ${describeSeconds(longest)} with ${limits}`,
      unit: 'transitions',
      ours: o.transitions,
      baseline: s.transitions,
      note: `ours: ${oursOutcome}; the sample: ${s.status === 'TIMED_OUT' ? 'execution timed out, no callback' : s.status}`,
    }),
  );
  return {
    title: 'Cost per query',
    baseline:
      'the sample\'s state machine (bench/fixtures/seed-definition.ts: StartQueryExecution → Wait 15 s → GetQueryExecution → Choice loop → Lambda), ' +
      'run in the same interpreter as our synthesized definition. Transitions are counted from aws-local-stepfunctions\' event log as Standard ' +
      'workflows are billed (every state entered, plus every retry). Both run on a virtual clock: each Wait moves it by its Seconds and the fake ' +
      'query is RUNNING until T simulated seconds after its start, so no real time passes and no poll drifts; a fake callbacker accepts at once. ' +
      `Priced at $${USD_PER_TRANSITION * 1000} per 1,000 transitions, without the free tier of 4,000 a month. ` +
      'The interpreter\'s timeouts are real-time timers, so the virtual runs apply them themselves: off ("raised above T") for a successful ' +
      'query, on for the row with the shipped 1800 s limits (our StartQuery TimeoutSeconds = queryTimeoutSeconds; the sample\'s execution TimeoutSeconds).' +
      (options.smoke ? ' Same runs with --smoke (they take no real time).' : ''),
    rows: [...transitionRows, ...costRows],
  };
}

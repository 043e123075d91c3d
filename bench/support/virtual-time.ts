/**
 * One execution of a definition in aws-local-stepfunctions, on a virtual clock: the interpreter runs every state, and
 * time passes only where the definition says it does, so a 30-minute query costs no real time and its polls land on
 * the exact simulated second.
 *
 * - Each Wait state's `waitTimeOverrides` entry is a getter: reading it (the interpreter does, once per Wait entered)
 *   advances the clock by the state's `Seconds` and answers 0, so the interpreter does not sleep.
 * - Task handlers advance the clock themselves (a fake `.sync` query by its duration).
 * - Retries happen at once (override 0); the bench's handlers never throw retryable errors, and a retry would still be
 *   counted as a transition.
 *
 * Why not real time at a compressed scale: every loop of a polling definition costs a little real time (timer
 * lateness, interpreter work), about 1 ms here. At 1/100 scale that is 100 ms of simulated time per 15 s poll, and
 * over the 120 polls of a 30-minute query it adds up to most of a poll interval, so the count of polls would depend
 * on machine load. On the virtual clock it cannot drift.
 *
 * The interpreter's own timeouts are real-time timers that never fire here; `enforceTimeouts` applies the top-level
 * TimeoutSeconds on the virtual clock (the execution is stopped when the clock reaches it), and fake Task handlers
 * can apply their state's TimeoutSeconds (see the cost section).
 */
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { RealTimeClock } from '../../twin/clock/twin-clock';
import { interpreterOn } from '../../twin/step-functions/interpreter';
import type { TaskHandler } from '../../twin/step-functions/service-integrations';
import { countTransitions, type ExecutionEvent, normaliseForInterpreter } from '../../twin/step-functions/state-machine-runner';

/**
 * The interpreter the twin runs (the same fixed build), on Node's own timers: this bench keeps its own virtual time
 * through waitTimeOverrides instead.
 */
const { StateMachine } = interpreterOn(new RealTimeClock());
type StateMachine = InstanceType<typeof StateMachine>;

/** Simulated time of one execution. */
export interface VirtualClock {
  /** Simulated seconds since the execution started. */
  readonly now: number;
  /** Whether the definition's timeouts are applied on this clock. */
  readonly enforceTimeouts: boolean;
  /** Lets `seconds` of simulated time pass. */
  advance(seconds: number): void;
}

/** Options of {@link VirtualClockMachine.run}. */
export interface VirtualRunOptions {
  readonly input: unknown;
  /** `$$.Execution.Id`. */
  readonly executionArn: string;
  /** Makes the Task handlers, by state name, of this execution. Every Task state must have one. */
  readonly taskHandlers: (clock: VirtualClock) => Record<string, TaskHandler>;
  /** Apply the top-level TimeoutSeconds on the virtual clock, and tell the handlers to apply theirs. */
  readonly enforceTimeouts: boolean;
}

/** How the execution ended, and what it cost. */
export interface VirtualRun {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  /** State transitions as billed: states entered plus retries (countTransitions). */
  readonly transitions: number;
  /** Simulated seconds from start to end. */
  readonly simulatedSeconds: number;
  readonly events: readonly ExecutionEvent[];
}

interface WaitState {
  readonly Type: 'Wait';
  readonly Seconds?: number;
}

/**
 * Fails unless Promise.withResolvers exists. aws-local-stepfunctions calls it in every Task state; without it (Node 20
 * without twin/polyfill.cjs) each Task throws a TypeError that a States.ALL Catch would quietly take.
 */
export function requireInterpreterPolyfill(): void {
  if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
    throw new Error('aws-local-stepfunctions needs Promise.withResolvers (Node 22+): run the bench with `npm run bench`, which preloads twin/polyfill.cjs');
  }
}

/** A definition, validated once, whose executions run on virtual clocks. */
export class VirtualClockMachine {
  private readonly definition: StateMachineDefinition;
  private readonly machine: StateMachine;

  /** @param definition as JSON text (a synthesized one) or as an object */
  constructor(definition: string | StateMachineDefinition) {
    requireInterpreterPolyfill();
    const parsed = typeof definition === 'string' ? (JSON.parse(definition) as StateMachineDefinition) : definition;
    this.definition = normaliseForInterpreter(parsed).definition;
    // Validated as Step Functions validates on create, as the twin's runner does.
    this.machine = new StateMachine(this.definition, { validationOptions: { checkArn: true, checkPaths: true } });
  }

  /** Runs one execution. Throws if a Task state has no handler, or if it enters a Wait that is not a fixed `Seconds`. */
  run(options: VirtualRunOptions): Promise<VirtualRun> {
    return runOnVirtualClock(this.definition, this.machine, options);
  }
}

async function runOnVirtualClock(definition: StateMachineDefinition, machine: StateMachine, options: VirtualRunOptions): Promise<VirtualRun> {
  const states = definition.States as unknown as Record<string, { Type: string; Retry?: unknown[] }>;

  let now = 0;
  let timedOut = false;
  let abort: () => void = () => undefined;
  const clock: VirtualClock = {
    get now() {
      return now;
    },
    enforceTimeouts: options.enforceTimeouts,
    advance(seconds) {
      const limit = definition.TimeoutSeconds;
      if (options.enforceTimeouts && limit !== undefined && now + seconds >= limit) {
        // Reaching the limit is enough: on AWS any latency puts the next step after it.
        now = limit;
        timedOut = true;
        abort();
        return;
      }
      now += seconds;
    },
  };

  const handlers = options.taskHandlers(clock);
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task' && handlers[name] === undefined) throw new Error(`Task state ${name} has no handler: it would call AWS`);
    if (state.Retry !== undefined) retryIntervalOverrides[name] = 0;
    if (state.Type !== 'Wait') continue;
    const seconds = (state as unknown as WaitState).Seconds;
    Object.defineProperty(waitTimeOverrides, name, {
      enumerable: true,
      get: () => {
        // A SecondsPath wait (the receiver's Retry-After) is only reached after a callbacker error the bench's fake
        // handlers never throw; should one be reached, the run fails rather than guess its time.
        if (seconds === undefined) throw new Error(`Wait state ${name} has no fixed Seconds; the virtual clock cannot time it`);
        clock.advance(seconds);
        return 0;
      },
    });
  }

  const execution = machine.run(options.input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides, retryIntervalOverrides },
    context: { Execution: { Id: options.executionArn, Name: options.executionArn.split(':').pop() ?? '' } },
    noThrowOnAbort: true,
  });
  abort = execution.abort;
  const events: ExecutionEvent[] = [];
  const drained = (async () => {
    for await (const event of execution.eventLogs) events.push(event as unknown as ExecutionEvent);
  })();
  let failed = false;
  try {
    await execution.result;
  } catch {
    failed = true;
  }
  await drained;
  return {
    status: timedOut ? 'TIMED_OUT' : failed ? 'FAILED' : 'SUCCEEDED',
    transitions: countTransitions(events),
    simulatedSeconds: now,
    events,
  };
}

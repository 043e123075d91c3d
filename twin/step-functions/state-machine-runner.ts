/**
 * The synthesized state machine, executed by aws-local-stepfunctions behind a StartExecution that validates like
 * Step Functions does. Each execution keeps the interpreter's event log, from which state transitions are counted
 * the way Step Functions bills them (every state entered, every retry).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 *
 * Waits and retry intervals are compressed through the interpreter's overrides (each second of the definition
 * becomes `timeScale` seconds); the definition itself is never edited. The override is one interval per retrier, so by
 * default every retry waits its IntervalSeconds; `retryTiming: 'backoff-and-jitter'` computes each wait as Step
 * Functions does instead (see {@link RetryTiming}). A Wait with SecondsPath (the receiver's Retry-After) takes no real
 * time: the seconds it waits are added to the timestamps of the events that follow it (see {@link secondsPathWaitMs}),
 * so the event log shows when each state would have run.
 */
import { StateMachine, type StateMachineDefinition } from './interpreter';
import { randomUUID } from 'node:crypto';
import type { TaskHandler, TaskHandlerFactory, TaskJson } from './service-integrations';

/** An event of the interpreter's log. */
export type ExecutionEvent = {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: { readonly name: string; readonly type: string; readonly input?: unknown; readonly output?: unknown };
  readonly Error?: string;
  readonly Cause?: unknown;
} & Record<string, unknown>;

/** Execution statuses. https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One execution. */
export interface ExecutionRecord {
  readonly executionArn: string;
  readonly name: string;
  /** The execution input exactly as StartExecution received it. */
  readonly inputText: string;
  readonly input: TaskJson;
  readonly startDate: Date;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: TaskJson;
  error?: string;
  cause?: string;
  readonly events: ExecutionEvent[];
  /** States whose input or output exceeded Step Functions' 256 KiB payload limit. */
  readonly payloadLimitViolations: string[];
}

/** A Step Functions API error: `type` is the exception name, answered with HTTP 400. */
export class StepFunctionsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }

  /** The AWS JSON 1.0 error body. */
  body(): { __type: string; message: string } {
    return { __type: `com.amazonaws.swf.service.v2.model#${this.type}`, message: this.message };
  }
}

/**
 * How retry waits are timed, before `timeScale` compresses them.
 *
 * - `fixed-interval`: every retry by a retrier waits its IntervalSeconds. The interpreter takes one override per
 *   retrier, so BackoffRate, MaxDelaySeconds and JitterStrategy are not applied.
 * - `backoff-and-jitter`: retry n (from 0) of a retrier waits IntervalSeconds x BackoffRate^n, capped at
 *   MaxDelaySeconds, and with JitterStrategy FULL a uniformly random part of that, from 0 to all of it, as Step
 *   Functions documents (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). The wait
 *   is computed when the state's Task handler throws and handed to the interpreter as that retrier's override for the
 *   retry that follows. Counts restart when the handler succeeds or an error is not retried. Errors raised by the
 *   interpreter itself (a Task's `States.Timeout`) are not seen by the handler; their retries keep the fixed interval.
 */
export type RetryTiming = 'fixed-interval' | 'backoff-and-jitter';

/** Options of {@link StateMachineRunner}. */
export interface StateMachineRunnerOptions {
  readonly stateMachineArn: string;
  readonly roleArn: string;
  /** The definition as Terraform renders it (JSON text). */
  readonly definition: string;
  /** Makes, for each execution, a handler for every Task state by state name. */
  readonly taskHandlers: TaskHandlerFactory;
  /**
   * Seconds of real time per second of the definition's waits and retry intervals.
   *
   * @default 0.001 (a 5 s retry interval becomes 5 ms)
   */
  readonly timeScale?: number;
  /**
   * How retry waits are timed.
   *
   * @default 'fixed-interval'
   */
  readonly retryTiming?: RetryTiming;
  /**
   * Uniform numbers in [0, 1) for FULL jitter (with `retryTiming: 'backoff-and-jitter'`); a seeded generator makes
   * a run repeatable.
   *
   * @default Math.random
   */
  readonly random?: () => number;
}

/** Step Functions' limit on execution input and on every state's input and output, in UTF-8 bytes. */
export const MAX_PAYLOAD_BYTES = 262144;

/** https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#StepFunctions-StartExecution-request-name */
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

/** A Retry rule as the definition states it; absent fields take the States Language defaults. */
interface DefinitionRetrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

interface DefinitionState {
  readonly Type: string;
  readonly Retry?: readonly DefinitionRetrier[];
  readonly Seconds?: number;
  readonly SecondsPath?: string;
}

/**
 * Milliseconds a Wait state with SecondsPath waits for the input it entered with. Reference paths of the form
 * `$.a.b` only (what the definition uses); anything else throws, rather than guessing.
 * https://states-language.net/spec.html#wait-state
 */
export function secondsPathWaitMs(secondsPath: string, input: unknown): number {
  if (!/^\$(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(secondsPath)) throw new Error(`The twin reads SecondsPath of the form $.a.b only, got ${secondsPath}`);
  const value = secondsPath
    .split('.')
    .slice(1)
    .reduce<unknown>((at, key) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), input);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`SecondsPath ${secondsPath} must point to a non-negative integer, got ${JSON.stringify(value)}`);
  return value * 1000;
}

/** States Language defaults of a retrier. https://states-language.net/spec.html#retrying-after-error */
const RETRIER_DEFAULTS = { IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 } as const;

/**
 * Seconds Step Functions waits before retry `attempt` (0 for the first retry) of a retrier: IntervalSeconds x
 * BackoffRate^attempt, capped at MaxDelaySeconds, and with JitterStrategy FULL a uniformly random part of that.
 */
export function retryDelaySeconds(retrier: Omit<DefinitionRetrier, 'ErrorEquals'>, attempt: number, random: () => number = Math.random): number {
  const backoff = (retrier.IntervalSeconds ?? RETRIER_DEFAULTS.IntervalSeconds) * (retrier.BackoffRate ?? RETRIER_DEFAULTS.BackoffRate) ** attempt;
  const capped = retrier.MaxDelaySeconds === undefined ? backoff : Math.min(backoff, retrier.MaxDelaySeconds);
  return retrier.JitterStrategy === 'FULL' ? random() * capped : capped;
}

/** The index of the retrier that takes the error, as the interpreter picks it (the first that names it), or -1. */
function retrierFor(retriers: readonly DefinitionRetrier[], error: unknown): number {
  const { name, isRetryable } = (error ?? {}) as { name?: unknown; isRetryable?: unknown };
  if (isRetryable === false) return -1;
  // Errors thrown by a Task handler are never States.Timeout, so States.TaskFailed takes them all, as States.ALL does.
  return retriers.findIndex((r) => r.ErrorEquals.some((e) => e === 'States.ALL' || e === 'States.TaskFailed' || e === name));
}

/**
 * Works around an interpreter bug without changing what the definition means.
 *
 * aws-local-stepfunctions 3.0.0 treats `ResultPath: "$"` as "store the result under a key named $" instead of
 * "replace the input with the result" (its processResultPath strips "$." and sets the key "$"). "$" is the
 * specified default of ResultPath, for states and for Catchers alike (https://states-language.net/spec.html#filters),
 * so removing exactly that value is an equivalent definition the interpreter handles correctly. Nothing else is
 * touched; every change is returned so it can be shown.
 */
export function normaliseForInterpreter(definition: StateMachineDefinition): { definition: StateMachineDefinition; changes: string[] } {
  const changes: string[] = [];
  const states = Object.fromEntries(
    Object.entries(definition.States).map(([name, state]) => {
      const copy = { ...state } as Record<string, unknown>;
      if (copy.ResultPath === '$') {
        delete copy.ResultPath;
        changes.push(`${name}: ResultPath "$" left to its default`);
      }
      if (Array.isArray(copy.Catch)) {
        copy.Catch = (copy.Catch as Record<string, unknown>[]).map((catcher, index) => {
          if (catcher.ResultPath !== '$') return catcher;
          changes.push(`${name}.Catch[${index}]: ResultPath "$" left to its default`);
          const { ResultPath: _default, ...rest } = catcher;
          return rest;
        });
      }
      return [name, copy];
    }),
  );
  return { definition: { ...definition, States: states as unknown as StateMachineDefinition['States'] }, changes };
}

/** Counts state transitions as billed: every state entered plus every retry. */
export function countTransitions(events: readonly ExecutionEvent[]): number {
  return events.filter((e) => e.type === 'StateEntered' || e.type === 'StateRetried').length;
}

/** The local Step Functions state machine. */
export class StateMachineRunner {
  private readonly machine: StateMachine;
  private readonly states: Readonly<Record<string, DefinitionState>>;
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, Promise<ExecutionRecord>>();
  private readonly aborts = new Map<string, () => void>();
  private readonly endListeners = new Set<(record: ExecutionRecord) => void>();
  private readonly retryIntervalOverrides: Record<string, number[]> = {};
  private readonly waitTimeOverrides: Record<string, number> = {};
  readonly name: string;
  /** The equivalences applied for the interpreter (see {@link normaliseForInterpreter}). */
  readonly interpreterWorkarounds: readonly string[];

  constructor(private readonly options: StateMachineRunnerOptions) {
    const synthesized = JSON.parse(options.definition) as StateMachineDefinition;
    const { definition, changes } = normaliseForInterpreter(synthesized);
    this.interpreterWorkarounds = changes;
    this.states = definition.States as unknown as Record<string, DefinitionState>;
    // Validated once here (asl-validator is slow), with ARN and path checks on, as Step Functions validates on create.
    this.machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
    this.name = options.stateMachineArn.split(':').pop() ?? '';
    const scale = options.timeScale ?? 0.001;
    for (const [name, state] of Object.entries(this.states)) {
      // Defaults from the States Language spec: IntervalSeconds 1. https://states-language.net/spec.html#retrying-after-error
      if (state.Retry !== undefined) this.retryIntervalOverrides[name] = state.Retry.map((r) => Math.round((r.IntervalSeconds ?? 1) * 1000 * scale));
      // A SecondsPath wait gets 0 here: it takes no real time, and its seconds shift the logged timestamps instead.
      if (state.Type === 'Wait') this.waitTimeOverrides[name] = Math.round((state.Seconds ?? 0) * 1000 * scale);
    }
  }

  /** Every execution so far, in start order. */
  get executions(): ExecutionRecord[] {
    return [...this.records.values()];
  }

  /** The execution, or undefined. */
  describe(executionArn: string): ExecutionRecord | undefined {
    return this.records.get(executionArn);
  }

  /** Resolves when the execution has ended. */
  async waitFor(executionArn: string): Promise<ExecutionRecord> {
    const running = this.running.get(executionArn);
    const record = this.records.get(executionArn);
    if (running !== undefined) return running;
    if (record === undefined) throw new Error(`No execution ${executionArn}`);
    return record;
  }

  /** Resolves when no execution is running. */
  async whenIdle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /** Stops every running execution (StopExecution); they end ABORTED. */
  async abortAll(): Promise<void> {
    for (const abort of this.aborts.values()) abort();
    await this.whenIdle();
  }

  /** Calls the listener when an execution ends; returns a function that stops it. */
  onExecutionEnd(listener: (record: ExecutionRecord) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /**
   * StartExecution. Validates the request as Step Functions does, starts the execution in the background and
   * returns `{executionArn, startDate}` (epoch seconds, as the JSON protocol sends it). Throws StepFunctionsError.
   */
  startExecution(request: unknown): { executionArn: string; startDate: number } {
    if (request === null || typeof request !== 'object' || Array.isArray(request)) {
      throw new StepFunctionsError('SerializationException', 'Start of structure or map found where not expected.');
    }
    const { stateMachineArn, name: requestedName, input: inputText = '{}' } = request as Record<string, unknown>;
    if (typeof stateMachineArn !== 'string' || !/^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/.test(stateMachineArn)) {
      throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${String(stateMachineArn)}'`);
    }
    if (stateMachineArn !== this.options.stateMachineArn) throw new StepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    const name = requestedName === undefined ? randomUUID() : requestedName;
    if (typeof name !== 'string' || name.length < 1 || name.length > 80 || INVALID_NAME.test(name)) {
      throw new StepFunctionsError('InvalidName', `Invalid Name: '${String(name)}'`);
    }
    if (typeof inputText !== 'string') throw new StepFunctionsError('SerializationException', 'Expected a string for input.');
    if (Buffer.byteLength(inputText, 'utf8') > MAX_PAYLOAD_BYTES) {
      throw new StepFunctionsError('ValidationException', `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PAYLOAD_BYTES}`);
    }
    let input: TaskJson;
    try {
      input = JSON.parse(inputText) as TaskJson;
    } catch (error) {
      throw new StepFunctionsError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(error as Error).message}'`);
    }
    const executionArn = this.options.stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
    const existing = this.records.get(executionArn);
    if (existing !== undefined) {
      // Standard workflows: the same name and input while still running is an idempotent retry.
      if (existing.status === 'RUNNING' && existing.inputText === inputText) return { executionArn, startDate: existing.startDate.getTime() / 1000 };
      throw new StepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = { executionArn, name, inputText, input, startDate: new Date(), status: 'RUNNING', events: [], payloadLimitViolations: [] };
    this.records.set(executionArn, record);
    this.running.set(executionArn, this.execute(record));
    return { executionArn, startDate: record.startDate.getTime() / 1000 };
  }

  /**
   * Wraps each handler of a state with Retry so that, when it throws an error a retrier takes, the retrier's override
   * holds the backoff-and-jitter wait of the retry that follows (see {@link RetryTiming}). One per execution.
   */
  private withBackoff(handlers: Record<string, TaskHandler>, overrides: Record<string, number[]>): Record<string, TaskHandler> {
    const scale = this.options.timeScale ?? 0.001;
    const random = this.options.random ?? Math.random;
    return Object.fromEntries(
      Object.entries(handlers).map(([name, handler]) => {
        const retriers = this.states[name]?.Retry;
        if (retriers === undefined) return [name, handler];
        const attempts = retriers.map(() => 0);
        const wrapped: TaskHandler = async (input) => {
          try {
            const result = await handler(input);
            attempts.fill(0);
            return result;
          } catch (error) {
            const index = retrierFor(retriers, error);
            if (index === -1 || attempts[index] >= (retriers[index].MaxAttempts ?? RETRIER_DEFAULTS.MaxAttempts)) {
              attempts.fill(0);
            } else {
              overrides[name][index] = Math.round(retryDelaySeconds(retriers[index], attempts[index], random) * 1000 * scale);
              attempts[index] += 1;
            }
            throw error;
          }
        };
        return [name, wrapped];
      }),
    );
  }

  private async execute(record: ExecutionRecord): Promise<ExecutionRecord> {
    let taskResourceLocalHandlers = this.options.taskHandlers(record.executionArn);
    let retryIntervalOverrides = this.retryIntervalOverrides;
    if (this.options.retryTiming === 'backoff-and-jitter') {
      // This execution's own overrides: another execution's retry must not change the wait of this one.
      retryIntervalOverrides = Object.fromEntries(Object.entries(this.retryIntervalOverrides).map(([name, intervals]) => [name, [...intervals]]));
      taskResourceLocalHandlers = this.withBackoff(taskResourceLocalHandlers, retryIntervalOverrides);
    }
    const execution = this.machine.run(record.input, {
      overrides: { taskResourceLocalHandlers, retryIntervalOverrides, waitTimeOverrides: this.waitTimeOverrides },
      // The interpreter fills in Execution.Input and StartTime; the rest of the context object comes from here.
      // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html
      context: {
        Execution: { Id: record.executionArn, Name: record.name, RoleArn: this.options.roleArn, RedriveCount: 0 },
        StateMachine: { Id: this.options.stateMachineArn, Name: this.name },
      },
      noThrowOnAbort: true,
    });
    this.aborts.set(record.executionArn, execution.abort);
    const drained = (async () => {
      let waitedMs = 0;
      for await (const logged of execution.eventLogs) {
        const event = logged as unknown as ExecutionEvent;
        record.events.push(waitedMs === 0 ? event : { ...event, timestamp: event.timestamp + waitedMs });
        const secondsPath = event.type === 'StateEntered' && event.state !== undefined ? this.states[event.state.name]?.SecondsPath : undefined;
        if (secondsPath !== undefined) waitedMs += secondsPathWaitMs(secondsPath, event.state?.input);
      }
    })();
    try {
      record.output = (await execution.result) as TaskJson;
      record.status = record.events.some((e) => e.type === 'ExecutionAborted') ? 'ABORTED' : 'SUCCEEDED';
    } catch {
      record.status = 'FAILED';
    }
    await drained;
    record.stopDate = new Date();
    const failed = record.events.find((e) => e.type === 'ExecutionFailed');
    if (failed !== undefined) {
      record.error = failed.Error;
      record.cause = typeof failed.Cause === 'string' ? failed.Cause : JSON.stringify(failed.Cause);
    }
    if (record.events.some((e) => e.type === 'ExecutionTimeout')) record.status = 'TIMED_OUT';
    for (const event of record.events) {
      for (const [what, payload] of [['input', event.state?.input], ['output', event.state?.output]] as const) {
        if (payload !== undefined && Buffer.byteLength(JSON.stringify(payload), 'utf8') > MAX_PAYLOAD_BYTES) {
          record.payloadLimitViolations.push(`${event.state?.name ?? '?'} ${what} (${event.type})`);
        }
      }
    }
    if (record.events.some((e) => e.type === 'ExecutionAborted')) record.status = 'ABORTED';
    this.running.delete(record.executionArn);
    this.aborts.delete(record.executionArn);
    for (const listener of this.endListeners) listener(record);
    return record;
  }
}

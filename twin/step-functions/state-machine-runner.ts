/**
 * The synthesized state machine, executed by aws-local-stepfunctions behind a StartExecution that validates like
 * Step Functions does. Each execution keeps the interpreter's event log, from which state transitions are counted
 * the way Step Functions bills them (every state entered, every retry).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 *
 * Time is the twin clock's (twin/clock/twin-clock.ts): the interpreter is loaded on it (interpreter.ts), so Wait
 * states, retry backoff with its jitter, TimeoutSeconds and every timestamp are exact twin seconds, and the definition
 * itself is never edited beyond the equivalences of {@link normaliseForInterpreter}.
 */
import type { StateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';
import { randomUUID } from 'node:crypto';
import { RealTimeClock, type TwinClock } from '../clock/twin-clock';
import { interpreterOn } from './interpreter';
import type { TaskHandlerFactory, TaskJson } from './service-integrations';

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
  /** The error and cause a StopExecution gave, once one arrived. */
  stopRequest?: { readonly error?: string; readonly cause?: string; readonly at: Date };
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

/** Options of {@link StateMachineRunner}. */
export interface StateMachineRunnerOptions {
  readonly stateMachineArn: string;
  readonly roleArn: string;
  /** The definition as Terraform renders it (JSON text). */
  readonly definition: string;
  /** Makes, for each execution, a handler for every Task state by state name. */
  readonly taskHandlers: TaskHandlerFactory;
  /**
   * The twin clock the executions keep time on.
   *
   * @default the wall clock (a {@link RealTimeClock})
   */
  readonly clock?: TwinClock;
  /**
   * Uniform numbers in [0, 1) for the FULL jitter of retries; a seeded generator makes a run repeatable.
   *
   * @default Math.random
   */
  readonly random?: () => number;
}

/** Step Functions' limit on execution input and on every state's input and output, in UTF-8 bytes. */
export const MAX_PAYLOAD_BYTES = 262144;

/** https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#StepFunctions-StartExecution-request-name */
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

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
  private readonly clock: TwinClock;
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, Promise<ExecutionRecord>>();
  private readonly aborts = new Map<string, () => void>();
  private readonly endListeners = new Set<(record: ExecutionRecord) => void>();
  private readonly stopListeners = new Set<(record: ExecutionRecord) => void>();
  /** Set by abortAll: executions that have not begun yet are stopped as soon as they begin. */
  private aborting = false;
  readonly name: string;
  /** The equivalences applied for the interpreter (see {@link normaliseForInterpreter}). */
  readonly interpreterWorkarounds: readonly string[];

  constructor(private readonly options: StateMachineRunnerOptions) {
    const synthesized = JSON.parse(options.definition) as StateMachineDefinition;
    const { definition, changes } = normaliseForInterpreter(synthesized);
    this.interpreterWorkarounds = changes;
    this.clock = options.clock ?? new RealTimeClock();
    const { StateMachine: Machine } = interpreterOn(this.clock, options.random);
    // Validated once here (asl-validator is slow), with ARN and path checks on, as Step Functions validates on create.
    this.machine = new Machine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
    this.name = options.stateMachineArn.split(':').pop() ?? '';
  }

  /** ARN of the state machine. */
  get stateMachineArn(): string {
    return this.options.stateMachineArn;
  }

  /** ARN of its execution role. */
  get roleArn(): string {
    return this.options.roleArn;
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
    this.aborting = true;
    for (const abort of this.aborts.values()) abort();
    await this.whenIdle();
  }

  /**
   * Calls the listener when a StopExecution stops a running execution (before its task handlers learn of it): Step
   * Functions then stops the job a `.sync` task runs. Returns a function that removes the listener.
   */
  onExecutionStop(listener: (record: ExecutionRecord) => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  /** Whether a StopExecution stopped the execution (it may still be winding down). */
  isStopped(executionArn: string): boolean {
    return this.records.get(executionArn)?.stopRequest !== undefined;
  }

  /**
   * StopExecution: a running execution ends ABORTED with the given error and cause, and runs no later state; a closed
   * one is left as it is. Returns `{stopDate}` (epoch seconds). Throws StepFunctionsError.
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html
   */
  stopExecution(request: unknown): { stopDate: number } {
    const { executionArn, error, cause } = (request ?? {}) as Record<string, unknown>;
    if (typeof executionArn !== 'string' || !/^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(executionArn)) {
      throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${String(executionArn)}'`);
    }
    if (error !== undefined && (typeof error !== 'string' || error.length > 256)) throw new StepFunctionsError('ValidationException', 'error must be a string of at most 256 characters');
    if (cause !== undefined && (typeof cause !== 'string' || cause.length > 32768)) throw new StepFunctionsError('ValidationException', 'cause must be a string of at most 32768 characters');
    const record = this.records.get(executionArn);
    if (record === undefined) throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    if (record.status !== 'RUNNING' || record.stopRequest !== undefined) {
      return { stopDate: (record.stopDate ?? record.stopRequest?.at ?? new Date(this.clock.now())).getTime() / 1000 };
    }
    const at = new Date(this.clock.now());
    record.stopRequest = { ...(typeof error === 'string' && { error }), ...(typeof cause === 'string' && { cause }), at };
    // The execution is ABORTED as of the call, as DescribeExecution reports it right after; the interpreter winds down.
    record.status = 'ABORTED';
    record.stopDate = at;
    if (typeof error === 'string') record.error = error;
    if (typeof cause === 'string') record.cause = cause;
    for (const listener of this.stopListeners) listener(record);
    // An execution that has not begun yet is stopped as soon as it begins (execute checks stopRequest).
    this.aborts.get(executionArn)?.();
    return { stopDate: at.getTime() / 1000 };
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
    const record: ExecutionRecord = { executionArn, name, inputText, input, startDate: new Date(this.clock.now()), status: 'RUNNING', events: [], payloadLimitViolations: [] };
    this.records.set(executionArn, record);
    // The execution begins at the same twin instant, as its own event once the caller's request is answered: on the
    // virtual clock, executions started together then run one after another in the order they were started.
    this.running.set(executionArn, new Promise((resolve) => this.clock.setTimeout(() => resolve(this.execute(record)), 0)));
    return { executionArn, startDate: record.startDate.getTime() / 1000 };
  }

  private async execute(record: ExecutionRecord): Promise<ExecutionRecord> {
    const execution = this.machine.run(record.input, {
      overrides: { taskResourceLocalHandlers: this.options.taskHandlers(record.executionArn) },
      // The interpreter fills in Execution.Input and StartTime; the rest of the context object comes from here.
      // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html
      context: {
        Execution: { Id: record.executionArn, Name: record.name, RoleArn: this.options.roleArn, RedriveCount: 0 },
        StateMachine: { Id: this.options.stateMachineArn, Name: this.name },
      },
      noThrowOnAbort: true,
    });
    this.aborts.set(record.executionArn, execution.abort);
    if (this.aborting || record.stopRequest !== undefined) execution.abort();
    const drained = (async () => {
      for await (const event of execution.eventLogs) record.events.push(event as unknown as ExecutionEvent);
    })();
    let ended: ExecutionStatus;
    try {
      const output = (await execution.result) as TaskJson;
      if (record.stopRequest === undefined) record.output = output;
      ended = record.events.some((e) => e.type === 'ExecutionAborted') ? 'ABORTED' : 'SUCCEEDED';
    } catch {
      ended = 'FAILED';
    }
    await drained;
    // A stopped execution stays as StopExecution left it.
    if (record.stopRequest !== undefined) ended = 'ABORTED';
    record.status = ended;
    record.stopDate = record.stopRequest?.at ?? new Date(this.clock.now());
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
    if (record.events.some((e) => e.type === 'ExecutionAborted') || record.stopRequest !== undefined) record.status = 'ABORTED';
    if (record.stopRequest !== undefined) {
      record.stopDate = record.stopRequest.at;
      if (record.stopRequest.error !== undefined) record.error = record.stopRequest.error;
      if (record.stopRequest.cause !== undefined) record.cause = record.stopRequest.cause;
    }
    this.running.delete(record.executionArn);
    this.aborts.delete(record.executionArn);
    for (const listener of this.endListeners) listener(record);
    return record;
  }
}

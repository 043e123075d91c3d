/**
 * A local Amazon Athena on DuckDB: databases and tables from CSV and Parquet files, queries that go QUEUED → RUNNING →
 * SUCCEEDED / FAILED / CANCELLED, results written to the local S3 as Athena-style CSV at
 * `<OutputLocation><QueryExecutionId>.csv`, ClientRequestToken idempotency, the active-query quota, execution
 * parameters bound to the query's `?` placeholders, result reuse, and StopQueryExecution.
 * https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html
 *
 * Only what this stack may do is allowed: its state machine role has Glue read-only permissions, so a statement
 * other than a query fails as it would in AWS, and DuckDB's file, network and extension access is switched off once
 * the tables are loaded, so SQL sent through the twin cannot read or write the host's files.
 */
import { DuckDBConnection, DuckDBInstance, StatementType } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RealTimeClock, type TwinClock } from '../clock/twin-clock';
import { type CsvCell, writeAthenaCsv } from './athena-csv';
import { type BoundParameter, InvalidExecutionParameterError, parseExecutionParameter } from './execution-parameters';

/** The request of StartQueryExecution, as the state machine's Parameters produce it. */
export interface StartQueryExecutionInput {
  readonly QueryString: string;
  readonly WorkGroup?: string;
  readonly ClientRequestToken?: string;
  readonly ResultConfiguration?: { readonly OutputLocation?: string; readonly EncryptionConfiguration?: unknown };
  readonly QueryExecutionContext?: { readonly Database?: string; readonly Catalog?: string };
  /** Values of the query's `?` placeholders, in order, each a SQL literal. */
  readonly ExecutionParameters?: readonly string[];
  readonly ResultReuseConfiguration?: ResultReuseConfiguration;
}

/** https://docs.aws.amazon.com/athena/latest/APIReference/API_ResultReuseConfiguration.html */
export interface ResultReuseConfiguration {
  readonly ResultReuseByAgeConfiguration?: { readonly Enabled: boolean; readonly MaxAgeInMinutes?: number };
}

/** Athena's default maximum age of a reused result, when reuse is on without one. */
export const DEFAULT_RESULT_REUSE_MAX_AGE_MINUTES = 60;

/** Athena's query states. https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecutionStatus.html */
export type QueryState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/**
 * A query execution as GetQueryExecution returns it, with timestamps in epoch milliseconds, which is how Step
 * Functions hands them over. https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecution.html
 */
export interface QueryExecution {
  readonly QueryExecutionId: string;
  readonly Query: string;
  readonly StatementType: 'DML';
  readonly WorkGroup: string;
  readonly ResultConfiguration: { readonly OutputLocation: string };
  readonly QueryExecutionContext?: { readonly Database?: string; readonly Catalog?: string };
  readonly ExecutionParameters?: readonly string[];
  readonly ResultReuseConfiguration?: ResultReuseConfiguration;
  readonly EngineVersion: { readonly SelectedEngineVersion: string; readonly EffectiveEngineVersion: string };
  readonly Status: {
    readonly State: QueryState;
    readonly SubmissionDateTime: number;
    readonly CompletionDateTime?: number;
    readonly StateChangeReason?: string;
    readonly AthenaError?: { readonly ErrorCategory: number; readonly Retryable: boolean; readonly ErrorMessage: string };
  };
  readonly Statistics?: {
    readonly EngineExecutionTimeInMillis: number;
    readonly DataScannedInBytes: number;
    readonly TotalExecutionTimeInMillis: number;
    readonly QueryQueueTimeInMillis: number;
    readonly ServicePreProcessingTimeInMillis: number;
    readonly QueryPlanningTimeInMillis: number;
    readonly ServiceProcessingTimeInMillis: number;
    readonly ResultReuseInformation: { readonly ReusedPreviousResult: boolean };
  };
}

/** An error Athena's API answers with; `name` is the exception name without the service prefix. */
export class AthenaServiceError extends Error {
  constructor(
    name: 'TooManyRequestsException' | 'ThrottlingException' | 'InvalidRequestException' | 'InternalServerException',
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = name;
  }
}

/** Writes a result object. */
export type ResultWriter = (bucket: string, key: string, body: string) => Promise<void>;

/** Options of {@link AthenaEngine.create}. */
export interface AthenaEngineOptions {
  /** Workgroups that exist. */
  readonly workGroups: readonly string[];
  /** Where results go: the local S3, with the credentials Athena writes with. */
  readonly writeResult: ResultWriter;
  /** Folders of tables to load: one subfolder per database, one CSV or Parquet file per table. */
  readonly dataDirectories?: readonly string[];
  /**
   * Most queries QUEUED or RUNNING at once; a start beyond it throws TooManyRequestsException, as Athena's
   * active-query quota does. https://docs.aws.amazon.com/athena/latest/ug/service-limits.html
   *
   * @default - no quota
   */
  readonly activeQueryQuota?: number;
  /**
   * Fault injection: when it returns true for a start (that the quota would let through), the start throws
   * TooManyRequestsException; when it returns `'rate'`, ThrottlingException ("Rate exceeded"), as Athena answers a
   * call over its StartQueryExecution rate quota. https://repost.aws/knowledge-center/athena-service-quota-errors
   */
  readonly throttle?: (input: StartQueryExecutionInput) => boolean | 'rate';
  /**
   * How long queries take, in twin time: milliseconds a query stays QUEUED, and at least RUNNING, so progress is
   * visible in demos and tests and benchmarks can give queries a duration.
   *
   * @default 0 for both
   */
  readonly timing?: QueryTiming;
  /**
   * The twin clock: timestamps, the QUEUED and RUNNING durations, and what counts as active for the quota. DuckDB's
   * own work is real work in flight on it (on a virtual clock it takes no twin time).
   *
   * @default the wall clock
   */
  readonly clock?: TwinClock;
}

/** Milliseconds of twin time a query spends QUEUED and RUNNING. */
export interface QueryTiming {
  /** Milliseconds between the start and RUNNING. @default 0 */
  readonly queuedMs?: number;
  /**
   * Milliseconds a query stays RUNNING at least: its duration whenever DuckDB answers sooner (results are written
   * after it). A function gives each query its own duration, e.g. by its text.
   *
   * @default 0
   */
  readonly minimumRunningMs?: number | ((query: QueryExecution) => number);
}

/** A table loaded from a file. */
export interface LoadedTable {
  readonly database: string;
  readonly table: string;
  readonly file: string;
  readonly bytes: number;
}

/** Athena's limit on QueryString, in bytes. */
export const MAX_QUERY_STRING_BYTES = 262144;

const TABLE_FILE = /^([A-Za-z0-9_]+)\.(csv|csv\.gz|tsv|parquet)$/i;
const NAME = /^[A-Za-z0-9_]+$/;

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function sqlIdentifier(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/** A DuckDB value as text in a result file. */
function cellText(value: unknown): CsvCell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return String(value);
}

interface Execution {
  queryExecution: QueryExecution;
  readonly token?: string;
  /** The earlier SUCCEEDED query whose result this one reuses. */
  readonly reuses?: QueryExecution;
  readonly done: Promise<QueryExecution>;
  readonly finish: (qe: QueryExecution) => void;
  connection?: DuckDBConnection;
  cancelRequested: boolean;
  /** Aborted by a stop: cuts short the rest of the minimum RUNNING time, as Athena stops a query at once. */
  readonly stopped: AbortController;
}

/** Real milliseconds between two interrupts of a stopped query's connection (see {@link interruptUntilReleased}). */
const INTERRUPT_AGAIN_MS = 5;

/**
 * Interrupts the connection of a stopped query until its run lets go of it. DuckDB clears a connection's interrupt
 * flag when a query begins on its worker thread, so one interrupt that lands after `runAndReadAll` was called but
 * before the worker began is lost, and the query would run to its end (minutes for a large scan). The repeats are real
 * time, not twin time: DuckDB's work is real, and the twin clock stands still while it is in flight.
 */
function interruptUntilReleased(execution: Execution, connection: DuckDBConnection): void {
  connection.interrupt();
  const timer = setInterval(() => {
    if (execution.connection === connection) connection.interrupt();
    else clearInterval(timer);
  }, INTERRUPT_AGAIN_MS);
  // A run that never lets go must not keep the process alive.
  timer.unref();
}

/** Listens to every state change of every query. */
export type StateChangeListener = (execution: QueryExecution) => void;

/** The local Athena. */
export class AthenaEngine {
  private readonly executions = new Map<string, Execution>();
  private readonly tokens = new Map<string, string>();
  private readonly listeners = new Set<StateChangeListener>();
  /** Starts refused with TooManyRequestsException, quota and injected faults together. */
  throttledStarts = 0;
  /** The most queries QUEUED or RUNNING at the same time so far. */
  peakActiveQueries = 0;
  private readonly clock: TwinClock;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly options: AthenaEngineOptions,
    /** The tables loaded, in load order. */
    readonly tables: readonly LoadedTable[],
  ) {
    this.clock = options.clock ?? new RealTimeClock();
  }

  /** Creates the engine, loads the tables, then seals DuckDB against file, network and extension access. */
  static async create(options: AthenaEngineOptions): Promise<AthenaEngine> {
    const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
    const setup = await instance.connect();
    try {
      // Athena's default catalog, so fully qualified names ("awsdatacatalog"."db"."table") resolve too.
      await setup.run(`ATTACH ':memory:' AS awsdatacatalog`);
      await setup.run('USE awsdatacatalog');
      const tables: LoadedTable[] = [];
      for (const directory of options.dataDirectories ?? []) tables.push(...(await loadDirectory(setup, directory)));
      const allowed = (options.dataDirectories ?? []).map((d) => `${path.resolve(d)}${path.sep}`);
      await setup.run(`SET allowed_directories = [${allowed.map(sqlString).join(', ')}]`);
      await setup.run('SET enable_external_access = false');
      await setup.run('SET lock_configuration = true');
      return new AthenaEngine(instance, options, tables);
    } finally {
      setup.closeSync();
    }
  }

  /** Calls the listener on every state change; returns a function that stops it. */
  onStateChange(listener: StateChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private activeCount(): number {
    let active = 0;
    for (const e of this.executions.values()) if (e.queryExecution.Status.State === 'QUEUED' || e.queryExecution.Status.State === 'RUNNING') active += 1;
    return active;
  }

  private update(execution: Execution, status: Partial<QueryExecution['Status']> & { State: QueryState }, statistics?: QueryExecution['Statistics']): void {
    execution.queryExecution = {
      ...execution.queryExecution,
      Status: { ...execution.queryExecution.Status, ...status },
      ...(statistics !== undefined && { Statistics: statistics }),
    };
    const snapshot = execution.queryExecution;
    for (const listener of this.listeners) listener(snapshot);
    if (status.State === 'SUCCEEDED' || status.State === 'FAILED' || status.State === 'CANCELLED') execution.finish(snapshot);
  }

  /** StartQueryExecution. Throws AthenaServiceError like the API. */
  startQueryExecution(input: StartQueryExecutionInput): { QueryExecutionId: string } {
    const queryString = input.QueryString;
    if (typeof queryString !== 'string' || queryString.length === 0 || Buffer.byteLength(queryString, 'utf8') > MAX_QUERY_STRING_BYTES) {
      throw new AthenaServiceError('InvalidRequestException', `QueryString must be 1 to ${MAX_QUERY_STRING_BYTES} bytes of UTF-8`, 400);
    }
    const workGroup = input.WorkGroup ?? 'primary';
    if (!this.options.workGroups.includes(workGroup)) throw new AthenaServiceError('InvalidRequestException', `WorkGroup ${workGroup} is not found.`, 400);
    const token = input.ClientRequestToken;
    if (token !== undefined) {
      if (token.length < 32 || token.length > 128) {
        throw new AthenaServiceError('InvalidRequestException', 'ClientRequestToken must be 32 to 128 characters long', 400);
      }
      const existing = this.tokens.get(token);
      if (existing !== undefined) {
        const previous = this.executions.get(existing) as Execution;
        const sameParameters = JSON.stringify(previous.queryExecution.ExecutionParameters ?? null) === JSON.stringify(input.ExecutionParameters ?? null);
        if (previous.queryExecution.Query !== queryString || previous.queryExecution.WorkGroup !== workGroup || !sameParameters) {
          throw new AthenaServiceError('InvalidRequestException', 'Idempotent parameters do not match', 400);
        }
        return { QueryExecutionId: existing };
      }
    }
    const parameters = input.ExecutionParameters;
    if (parameters !== undefined && (!Array.isArray(parameters) || parameters.length === 0 || parameters.some((p) => typeof p !== 'string' || p.length < 1 || p.length > 1024))) {
      throw new AthenaServiceError('InvalidRequestException', 'ExecutionParameters must be a list of 1 or more strings of 1 to 1024 characters', 400);
    }
    const reuse = input.ResultReuseConfiguration?.ResultReuseByAgeConfiguration;
    const maxAge = reuse?.MaxAgeInMinutes;
    if (reuse !== undefined && (typeof reuse.Enabled !== 'boolean' || (maxAge !== undefined && (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > 10080)))) {
      throw new AthenaServiceError('InvalidRequestException', 'ResultReuseByAgeConfiguration needs Enabled (a boolean) and MaxAgeInMinutes of 0 to 10080', 400);
    }
    const outputLocation = input.ResultConfiguration?.OutputLocation;
    if (outputLocation === undefined || !/^s3:\/\/[^/]+/.test(outputLocation)) {
      throw new AthenaServiceError(
        'InvalidRequestException',
        'No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.',
        400,
      );
    }
    const quota = this.options.activeQueryQuota;
    const injected = this.options.throttle?.(input);
    if (injected === 'rate') {
      this.throttledStarts += 1;
      throw new AthenaServiceError('ThrottlingException', 'Rate exceeded', 400);
    }
    if ((quota !== undefined && this.activeCount() >= quota) || injected === true) {
      this.throttledStarts += 1;
      throw new AthenaServiceError(
        'TooManyRequestsException',
        'You have exceeded the limit for the number of queries you can run concurrently. Reduce the number of concurrent queries submitted by this account. Contact customer support to request a concurrent query limit increase.',
        400,
      );
    }

    const id = randomUUID();
    let finish: (qe: QueryExecution) => void = () => undefined;
    const done = new Promise<QueryExecution>((resolve) => {
      finish = resolve;
    });
    const prefix = outputLocation.endsWith('/') ? outputLocation : `${outputLocation}/`;
    const execution: Execution = {
      queryExecution: {
        QueryExecutionId: id,
        Query: queryString,
        StatementType: 'DML',
        WorkGroup: workGroup,
        ResultConfiguration: { OutputLocation: `${prefix}${id}.csv` },
        ...(input.QueryExecutionContext !== undefined && { QueryExecutionContext: input.QueryExecutionContext }),
        ...(parameters !== undefined && { ExecutionParameters: [...parameters] }),
        ...(input.ResultReuseConfiguration !== undefined && { ResultReuseConfiguration: input.ResultReuseConfiguration }),
        EngineVersion: { SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: 'Athena engine version 3' },
        Status: { State: 'QUEUED', SubmissionDateTime: this.clock.now() },
      },
      token,
      reuses: reuse?.Enabled === true ? this.reusableResult(queryString, workGroup, input, maxAge ?? DEFAULT_RESULT_REUSE_MAX_AGE_MINUTES) : undefined,
      done,
      finish,
      cancelRequested: false,
      stopped: new AbortController(),
    };
    this.executions.set(id, execution);
    this.peakActiveQueries = Math.max(this.peakActiveQueries, this.activeCount());
    if (token !== undefined) this.tokens.set(token, id);
    for (const listener of this.listeners) listener(execution.queryExecution);
    this.clock.setTimeout(() => void this.run(execution), this.options.timing?.queuedMs ?? 0);
    return { QueryExecutionId: id };
  }

  /**
   * The newest SUCCEEDED query with the same query string, parameters, database context and workgroup that completed
   * at most `maxAgeMinutes` ago: what Athena reuses the result of.
   * https://docs.aws.amazon.com/athena/latest/ug/reusing-query-results.html
   */
  private reusableResult(queryString: string, workGroup: string, input: StartQueryExecutionInput, maxAgeMinutes: number): QueryExecution | undefined {
    const oldest = this.clock.now() - maxAgeMinutes * 60_000;
    const key = (qe: Pick<QueryExecution, 'ExecutionParameters' | 'QueryExecutionContext'>): string => JSON.stringify([qe.ExecutionParameters ?? null, qe.QueryExecutionContext ?? null]);
    const wanted = key({ ExecutionParameters: input.ExecutionParameters, QueryExecutionContext: input.QueryExecutionContext });
    return [...this.executions.values()]
      .map((e) => e.queryExecution)
      .filter((qe) => qe.Status.State === 'SUCCEEDED' && qe.Query === queryString && qe.WorkGroup === workGroup && key(qe) === wanted)
      .filter((qe) => (qe.Status.CompletionDateTime ?? 0) >= oldest)
      .at(-1);
  }

  /** GetQueryExecution. */
  getQueryExecution(id: string): { QueryExecution: QueryExecution } {
    const execution = this.executions.get(id);
    if (execution === undefined) throw new AthenaServiceError('InvalidRequestException', `QueryExecution ${id} was not found`, 400);
    return { QueryExecution: execution.queryExecution };
  }

  /** Every query so far, in submission order. */
  listQueryExecutions(): QueryExecution[] {
    return [...this.executions.values()].map((e) => e.queryExecution);
  }

  /** Resolves with the query once it is SUCCEEDED, FAILED or CANCELLED. */
  waitForQueryExecution(id: string): Promise<QueryExecution> {
    const execution = this.executions.get(id);
    if (execution === undefined) return Promise.reject(new AthenaServiceError('InvalidRequestException', `QueryExecution ${id} was not found`, 400));
    return execution.done;
  }

  /** StopQueryExecution: a QUEUED or RUNNING query becomes CANCELLED; a finished one is left as it is. */
  stopQueryExecution(id: string): void {
    const execution = this.executions.get(id);
    if (execution === undefined) throw new AthenaServiceError('InvalidRequestException', `QueryExecution ${id} was not found`, 400);
    const state = execution.queryExecution.Status.State;
    if (state !== 'QUEUED' && state !== 'RUNNING') return;
    execution.cancelRequested = true;
    execution.stopped.abort();
    if (execution.connection !== undefined) interruptUntilReleased(execution, execution.connection);
    if (state === 'QUEUED') this.update(execution, { State: 'CANCELLED', CompletionDateTime: this.clock.now() });
  }

  /** Runs SQL directly and returns the rows as the result file would hold them; for comparing answers in tests. */
  async directAnswer(sql: string): Promise<{ columns: string[]; rows: CsvCell[][] }> {
    return this.clock.track('Athena: direct answer', async () => {
      const connection = await this.instance.connect();
      try {
        await connection.run('USE awsdatacatalog');
        const reader = await connection.runAndReadAll(sql);
        return { columns: reader.columnNames(), rows: reader.getRows().map((row) => row.map(cellText)) };
      } finally {
        connection.closeSync();
      }
    });
  }

  /**
   * Runs a query. DuckDB and the result write are real work in flight on the clock; the rest of the minimum RUNNING
   * time is a wait on it.
   */
  private async run(execution: Execution): Promise<void> {
    if (execution.queryExecution.Status.State !== 'QUEUED') return;
    const label = `Athena: query ${execution.queryExecution.QueryExecutionId}`;
    let work = this.clock.begin(label);
    try {
      await this.execute(execution, async (ms) => {
        work.end();
        try {
          await this.clock.sleep(ms, execution.stopped.signal);
        } finally {
          work = this.clock.begin(label);
        }
      });
    } finally {
      work.end();
    }
  }

  private async execute(execution: Execution, wait: (ms: number) => Promise<void>): Promise<void> {
    const qe = execution.queryExecution;
    const runningSince = this.clock.now();
    this.update(execution, { State: 'RUNNING' });
    if (execution.reuses !== undefined) return this.reuse(execution, execution.reuses, runningSince);
    const cancelled = (): void => this.update(execution, { State: 'CANCELLED', CompletionDateTime: this.clock.now() });
    const fail = (reason: string): void => {
      this.update(execution, {
        State: 'FAILED',
        CompletionDateTime: this.clock.now(),
        StateChangeReason: reason,
        // ErrorCategory 2 is USER. https://docs.aws.amazon.com/athena/latest/APIReference/API_AthenaError.html
        AthenaError: { ErrorCategory: 2, Retryable: false, ErrorMessage: reason },
      });
    };
    let connection: DuckDBConnection | undefined;
    try {
      connection = await this.instance.connect();
      execution.connection = connection;
      await connection.run('USE awsdatacatalog');
      const database = qe.QueryExecutionContext?.Database;
      if (database !== undefined) {
        if (!NAME.test(database)) return fail(`SCHEMA_NOT_FOUND: Schema '${database}' does not exist`);
        try {
          await connection.run(`USE awsdatacatalog.${sqlIdentifier(database.toLowerCase())}`);
        } catch {
          return fail(`SCHEMA_NOT_FOUND: Schema '${database}' does not exist`);
        }
      }
      const statements = await connection.extractStatements(qe.Query);
      if (statements.count !== 1) return fail(`Only one sql statement is allowed. Got: ${statements.count}`);
      const prepared = await statements.prepare(0);
      if (prepared.statementType !== StatementType.SELECT) {
        // The state machine role may only read the Glue catalog (glue:Get*), so DDL and DML are refused.
        return fail(`Insufficient permissions to execute the query. Only SELECT queries are allowed for this role (statement type ${StatementType[prepared.statementType]}).`);
      }
      const given = qe.ExecutionParameters ?? [];
      // Trino's wording. https://trino.io/docs/current/sql/execute.html
      if (prepared.parameterCount !== given.length) return fail(`Incorrect number of parameters: expected ${prepared.parameterCount} but found ${given.length}`);
      let bound: BoundParameter[];
      try {
        bound = given.map((text, index) => parseExecutionParameter(text, index));
      } catch (error) {
        if (error instanceof InvalidExecutionParameterError) return fail(error.message);
        throw error;
      }
      bound.forEach((parameter, index) => {
        const position = index + 1;
        switch (parameter.kind) {
          case 'varchar':
          case 'typed':
            // A typed literal's text is cast by DuckDB to the placeholder's type as it is bound.
            return prepared.bindVarchar(position, parameter.value);
          case 'bigint':
            return prepared.bindBigInt(position, parameter.value);
          case 'double':
            return prepared.bindDouble(position, parameter.value);
          case 'boolean':
            return prepared.bindBoolean(position, parameter.value);
          case 'null':
            return prepared.bindNull(position);
        }
      });
      // A stop that came while connecting had no connection to interrupt.
      if (execution.cancelRequested) return cancelled();
      const reader = await prepared.runAndReadAll();
      const columns = reader.columnNames();
      const rows = reader.getRows().map((row) => row.map(cellText));
      const minimum = this.options.timing?.minimumRunningMs ?? 0;
      const remaining = (typeof minimum === 'function' ? minimum(qe) : minimum) - (this.clock.now() - runningSince);
      if (remaining > 0) await wait(remaining);
      if (execution.cancelRequested) return cancelled();
      const engineMillis = this.clock.now() - runningSince;
      const location = /^s3:\/\/([^/]+)\/(.+)$/.exec(qe.ResultConfiguration.OutputLocation);
      if (location === null) return fail(`Invalid OutputLocation ${qe.ResultConfiguration.OutputLocation}`);
      try {
        await this.options.writeResult(location[1], location[2], writeAthenaCsv(columns, rows));
      } catch (error) {
        return fail(`Unable to write query results to ${qe.ResultConfiguration.OutputLocation}: ${(error as Error).name}: ${(error as Error).message}`);
      }
      const completed = this.clock.now();
      this.update(
        execution,
        { State: 'SUCCEEDED', CompletionDateTime: completed },
        {
          EngineExecutionTimeInMillis: engineMillis,
          DataScannedInBytes: this.scannedBytes(qe.Query),
          TotalExecutionTimeInMillis: completed - qe.Status.SubmissionDateTime,
          QueryQueueTimeInMillis: runningSince - qe.Status.SubmissionDateTime,
          ServicePreProcessingTimeInMillis: 0,
          QueryPlanningTimeInMillis: 0,
          ServiceProcessingTimeInMillis: completed - runningSince - engineMillis,
          ResultReuseInformation: { ReusedPreviousResult: false },
        },
      );
    } catch (error) {
      if (execution.cancelRequested) return cancelled();
      fail(error instanceof Error ? error.message : String(error));
    } finally {
      execution.connection = undefined;
      connection?.closeSync();
    }
  }

  /**
   * Completes a query with an earlier query's result, as Athena does when result reuse finds one: nothing runs or is
   * scanned, and the result location is the earlier query's.
   */
  private reuse(execution: Execution, previous: QueryExecution, runningSince: number): void {
    if (execution.cancelRequested) {
      this.update(execution, { State: 'CANCELLED', CompletionDateTime: this.clock.now() });
      return;
    }
    const qe = execution.queryExecution;
    const completed = this.clock.now();
    execution.queryExecution = { ...qe, ResultConfiguration: { OutputLocation: previous.ResultConfiguration.OutputLocation } };
    this.update(
      execution,
      { State: 'SUCCEEDED', CompletionDateTime: completed },
      {
        EngineExecutionTimeInMillis: 0,
        DataScannedInBytes: 0,
        TotalExecutionTimeInMillis: completed - qe.Status.SubmissionDateTime,
        QueryQueueTimeInMillis: runningSince - qe.Status.SubmissionDateTime,
        ServicePreProcessingTimeInMillis: 0,
        QueryPlanningTimeInMillis: 0,
        ServiceProcessingTimeInMillis: completed - runningSince,
        ResultReuseInformation: { ReusedPreviousResult: true },
      },
    );
  }

  /**
   * Bytes of the files behind the tables a query names: what Athena would bill as scanned, at most. Names are found
   * in the text (DuckDB's own table-name extraction costs milliseconds per query).
   */
  private scannedBytes(sql: string): number {
    const text = sql.toLowerCase().replace(/"/g, '');
    return this.tables
      .filter((t) => new RegExp(`\\b${t.database.toLowerCase()}\\s*\\.\\s*${t.table.toLowerCase()}\\b`).test(text))
      .reduce((sum, t) => sum + t.bytes, 0);
  }

  /** Closes DuckDB. Queries still running are cancelled. */
  async close(): Promise<void> {
    for (const execution of this.executions.values()) {
      if (execution.queryExecution.Status.State === 'QUEUED' || execution.queryExecution.Status.State === 'RUNNING') this.stopQueryExecution(execution.queryExecution.QueryExecutionId);
    }
    await Promise.all([...this.executions.values()].map((e) => e.done));
    this.instance.closeSync();
  }
}

async function loadDirectory(connection: DuckDBConnection, directory: string): Promise<LoadedTable[]> {
  const loaded: LoadedTable[] = [];
  if (!fs.existsSync(directory)) throw new Error(`Data directory ${directory} does not exist`);
  for (const database of fs.readdirSync(directory, { withFileTypes: true }).filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!NAME.test(database.name)) throw new Error(`Database folder '${database.name}' must be named with letters, digits and underscores (Athena's rule)`);
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${sqlIdentifier(database.name)}`);
    for (const file of fs.readdirSync(path.join(directory, database.name)).sort()) {
      const match = TABLE_FILE.exec(file);
      if (match === null) continue;
      const full = path.resolve(directory, database.name, file);
      const reader = match[2].toLowerCase() === 'parquet' ? `read_parquet(${sqlString(full)})` : `read_csv(${sqlString(full)}, header = true)`;
      await connection.run(`CREATE VIEW ${sqlIdentifier(database.name)}.${sqlIdentifier(match[1])} AS SELECT * FROM ${reader}`);
      loaded.push({ database: database.name, table: match[1], file: full, bytes: fs.statSync(full).size });
    }
  }
  return loaded;
}

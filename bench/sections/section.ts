/**
 * What every section of the bench is: a function from the run's options to a titled group of rows. A new section is
 * one more such function, listed in bench/run.ts.
 */
import type { SectionReport } from '../report';

/** How the bench was asked to run. */
export interface BenchOptions {
  /** The repository root. */
  readonly root: string;
  /** Tiny iteration counts and no slow external commands: proves the harness works, says nothing about speed. */
  readonly smoke: boolean;
  /** Also time the whole test suite (`npm test`); otherwise its last recorded figure is reported. */
  readonly suite: boolean;
}

export type Section = (options: BenchOptions) => Promise<SectionReport>;

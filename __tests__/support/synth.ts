import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import type { Construct } from 'constructs';

/** Synthesized JSON of a scope, as `Testing.synthScope` returns it (a string) and parsed. */
export interface ScopeSynth {
  readonly text: string;
  readonly json: { resource: Record<string, Record<string, Record<string, unknown>>>; data?: Record<string, Record<string, Record<string, unknown>>> };
}

/** Synthesizes what `build` creates in a fresh stack. */
export function synthesize(build: (scope: Construct) => void): ScopeSynth {
  const text = Testing.synthScope(build);
  return { text, json: JSON.parse(text) as ScopeSynth['json'] };
}

/** Every resource of a type, by logical name. */
export function resourcesOf(synth: ScopeSynth, type: string): Record<string, Record<string, unknown>> {
  return synth.json.resource[type] ?? {};
}

/** The single resource of a type whose logical name contains `fragment`. */
export function resourceNamed(synth: ScopeSynth, type: string, fragment: string): Record<string, unknown> {
  const matches = Object.entries(resourcesOf(synth, type)).filter(([name]) => name.includes(fragment));
  if (matches.length !== 1) throw new Error(`expected one ${type} named *${fragment}*, found ${matches.map(([n]) => n).join(', ') || 'none'}`);
  return matches[0][1];
}

/**
 * Points TMPDIR at a private folder for the duration of a test file: every `Testing.synthScope`/`Testing.app` call
 * leaves a `cdktf.outdir.*` folder in the temp dir, and this removes them all afterwards.
 */
export function useScratchTempDir(): void {
  const original = process.env.TMPDIR;
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-test-'));
    process.env.TMPDIR = dir;
  });
  afterAll(() => {
    if (original === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = original;
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

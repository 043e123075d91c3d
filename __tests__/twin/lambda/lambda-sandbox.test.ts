/** The Lambda service: isolation of each sandbox, and errors as Lambda reports them. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LambdaFunctionError, LambdaService } from '../../../twin/lambda/lambda-sandbox';

const BUNDLE = `
let invocations = 0;
exports.handler = async (event) => {
  invocations += 1;
  if (event.fail) { const e = new Error('nope'); e.name = 'CallbackRejectedError'; throw e; }
  if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  if (event.draw) return { drawn: [Math.random(), Math.random()], floor: Math.floor(2.5) };
  console.log(JSON.stringify({ seen: event.value }));
  process.env.MUTATED = 'by the function';
  return { invocations, fromEnv: process.env.SETTING, fromRequire: require('node:process').env.SETTING, home: process.env.HOME ?? null };
};
`;

let directory: string;

beforeAll(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'twin-lambda-test-'));
  fs.writeFileSync(path.join(directory, 'index.js'), BUNDLE);
});

afterAll(() => {
  fs.rmSync(directory, { recursive: true, force: true });
});

function service(options: { timeoutSeconds?: number; maxSandboxes?: number; random?: () => number } = {}): LambdaService {
  return new LambdaService(
    {
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
      functionName: 'f',
      handler: 'index.handler',
      codeDirectory: directory,
      timeoutSeconds: options.timeoutSeconds ?? 5,
      memorySizeMb: 128,
      environment: { SETTING: 'from the function config' },
    },
    { maxSandboxes: options.maxSandboxes, random: options.random },
  );
}

describe('Class: LambdaService', () => {
  it("gives the function its own environment only, through process and require('process')", async () => {
    // WHEN
    const result = await service().invoke({ value: 1 });

    // THEN
    expect(result).toEqual({ invocations: 1, fromEnv: 'from the function config', fromRequire: 'from the function config', home: null });
    expect(process.env.MUTATED).toBeUndefined();
  });

  it('keeps module state per sandbox, as a warm Lambda does', async () => {
    // GIVEN
    const fn = service({ maxSandboxes: 1 });

    // WHEN
    await fn.invoke({});
    const second = await fn.invoke({});

    // THEN
    expect(second).toMatchObject({ invocations: 2 });
    expect(fn.coldStarts).toBe(1);
  });

  it('starts another sandbox for a concurrent invocation', async () => {
    // GIVEN
    const fn = service({ maxSandboxes: 4 });

    // WHEN
    await Promise.all([fn.invoke({ sleepMs: 20 }), fn.invoke({ sleepMs: 20 })]);

    // THEN
    expect(fn.coldStarts).toBe(2);
  });

  it('reports a thrown error as errorType (its name), errorMessage and trace', async () => {
    // WHEN
    const error = await service().invoke({ fail: true }).catch((e: unknown) => e);

    // THEN
    expect(error).toBeInstanceOf(LambdaFunctionError);
    expect((error as LambdaFunctionError).payload()).toEqual({ errorType: 'CallbackRejectedError', errorMessage: 'nope', trace: expect.arrayContaining([expect.stringContaining('CallbackRejectedError: nope')]) });
  });

  it('ends an invocation that outlives the timeout with Sandbox.Timedout', async () => {
    // WHEN
    const error = await service({ timeoutSeconds: 0.05 }).invoke({ sleepMs: 500 }).catch((e: unknown) => e);

    // THEN
    expect((error as LambdaFunctionError).errorType).toBe('Sandbox.Timedout');
  });

  it("collects the function's log lines instead of printing them", async () => {
    // GIVEN
    const fn = service();

    // WHEN
    await fn.invoke({ value: 'logged' });

    // THEN
    expect(fn.logLines).toEqual(['[f] {"seen":"logged"}']);
  });

  it("draws the function's Math.random from the given generator (the SDK's retry jitter), leaving the rest of Math alone", async () => {
    // GIVEN
    const draws = [0.25, 0.75];
    const fn = service({ random: () => draws.shift() ?? 0 });

    // WHEN
    const result = await fn.invoke({ draw: true });

    // THEN
    expect(result).toEqual({ drawn: [0.25, 0.75], floor: 2 });
  });
});

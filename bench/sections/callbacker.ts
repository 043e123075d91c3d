/**
 * Part 5, callbacker: the shipped bundle (built by scripts/build-callbacker.ts, as `npm run build` does) against a minimal SDK bundle of only
 * @aws-sdk/client-s3 + @aws-sdk/s3-request-presigner (bench/fixtures/minimal-sdk-callbacker.ts, built in the same run
 * with the same esbuild options: module-first, minified, node22): zipped size, cold module load in fresh processes,
 * and presign + POST latency to a local receiver.
 */
import { buildSync } from 'esbuild';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildCallbacker, callbackerBuildOptions } from '../../scripts/build-callbacker';
import type { DeliveryRequest, DeliveryResult } from '../../handler/types';
import { succeededEvent } from '../../__tests__/support/callbacker-events';
import { type LocalReceiver, startReceiver } from '../../__tests__/support/local-receiver';
import { type LocalS3, S3RVER_CREDENTIALS, startLocalS3 } from '../../__tests__/support/local-s3';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../__tests__/support/local-secrets-manager';
import { type LocalSts, startLocalSts } from '../../__tests__/support/local-sts';
import { row, type SectionReport } from '../report';
import { runNode } from '../support/processes';
import { median, percentile } from '../support/stats';
import { zipBundle } from '../../scripts/callbacker-zip';
import type { BenchOptions } from './section';

export const ZIP_TARGET_KB = 150;
/** Cold module load of ours at most this many times the minimal bundle's. */
export const LOAD_TARGET_RATIO = 1.3;
export const P50_TARGET_MS = 10;

const ROLE_ARN = 'arn:aws:iam::123456789012:role/bench-presigner';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-signing-AbCdEf';
const SECRET = `whsec_${Buffer.from('bench signing key of 32 bytes!!!').toString('base64')}`;
const RESULT_KEY = 'athena/bench-qid.csv';

type Handler = (event: DeliveryRequest) => Promise<DeliveryResult | { StatusCode: number }>;

/** Prints the milliseconds `require` of the file takes in this fresh process. */
const LOAD_SCRIPT = `const { performance } = require('perf_hooks'); const t = performance.now(); require(process.argv[1]); process.stdout.write(String(performance.now() - t));`;

/**
 * Prints the milliseconds from `require` of the file to the end of its first delivery in this fresh process: the
 * module load (the clients with it), the first credential resolution and every request of a first delivery (ours:
 * AssumeRole, GetSecretValue, the POST; the minimal bundle: the POST).
 */
const FIRST_DELIVERY_SCRIPT = `const { performance } = require('perf_hooks'); const t = performance.now();
const { handler } = require(process.argv[1]); console.log = () => undefined;
handler(JSON.parse(process.argv[2])).then((r) => {
  if (r.StatusCode !== 204) throw new Error('first delivery got ' + r.StatusCode);
  process.stdout.write(String(performance.now() - t));
});`;

/** Bundles the SDK baseline with the callbacker's own esbuild options. */
function buildMinimalBundle(root: string, directory: string): string {
  const options = callbackerBuildOptions(path.join(root, 'bench', 'fixtures', 'minimal-sdk-callbacker.ts'), root, 'bench/0');
  const result = buildSync(options);
  const file = path.join(directory, 'index.js');
  fs.writeFileSync(file, result.outputFiles[0].contents);
  return file;
}

function loadEnv(): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  return { ...base, NODE_NO_WARNINGS: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
}

/** Median `require` time over `runs` fresh processes per bundle, interleaved. */
function coldLoads(files: readonly string[], runs: number, root: string): number[][] {
  const samples = files.map((): number[] => []);
  for (let i = 0; i < runs; i += 1) {
    files.forEach((file, index) => samples[index].push(Number(runNode(['-e', LOAD_SCRIPT, file], { cwd: root, env: loadEnv() }))));
  }
  return samples;
}

/**
 * Median time to the end of the first delivery over `runs` fresh processes per bundle, interleaved. The child is
 * spawned asynchronously: the local services it calls answer from this process's event loop.
 */
async function coldDeliveries(files: readonly string[], runs: number, services: Services, root: string): Promise<number[][]> {
  const samples = files.map((): number[] => []);
  const event = JSON.stringify(succeededEvent({ callbackUrl: services.receiver.url(), outputLocation: `s3://results/${RESULT_KEY}` }));
  for (let i = 0; i < runs; i += 1) {
    for (const [index, file] of files.entries()) {
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['-e', FIRST_DELIVERY_SCRIPT, file, event], { cwd: root, env: handlerEnv(services) }, (error, out, err) =>
          error ? reject(new Error(`${file}: ${error.message}\n${err}`)) : resolve(out),
        );
      });
      samples[index].push(Number(stdout));
    }
  }
  return samples;
}

/** The local services a delivery touches: S3 (to check the URL works), STS, Secrets Manager and the receiver. */
interface Services {
  readonly s3: LocalS3;
  readonly sts: LocalSts;
  readonly secrets: LocalSecretsManager;
  readonly receiver: LocalReceiver;
}

async function startServices(): Promise<Services> {
  const [s3, sts, secrets, receiver] = await Promise.all([
    startLocalS3(['results']),
    // As deployed, the presigner role is assumed from the function's role (role chaining): one-hour sessions at most.
    startLocalSts({ ...S3RVER_CREDENTIALS, maxDurationSeconds: 3600 }),
    startLocalSecretsManager(),
    startReceiver(),
  ]);
  await s3.putObject('results', RESULT_KEY, '"id"\n"1"\n');
  secrets.setSecret(SECRET_ARN, SECRET);
  return { s3, sts, secrets, receiver };
}

/** The environment of a deployed callbacker (presigner role, signing on), pointed at the local services. */
function handlerEnv(services: Services): NodeJS.ProcessEnv {
  return {
    ...loadEnv(),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: services.s3.endpoint,
    AWS_ENDPOINT_URL_STS: services.sts.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: services.secrets.endpoint,
    AWS_CONFIG_FILE: '/nonexistent/bench/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/bench/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    PRESIGN_EXPIRY_SECONDS: '3600',
    PRESIGNER_ROLE_ARN: ROLE_ARN,
    WEBHOOK_SIGNING: 'enabled',
    WEBHOOK_SECRET_ARN: SECRET_ARN,
    DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS: 'true',
    CALLBACK_ALLOWED_PORTS: String(services.receiver.port),
  };
}

/**
 * Loads the bundle in this process and times `calls` sequential invocations after one unmeasured warm-up (which
 * assumes the role, reads the secret and resolves the SDK's credentials). Checks that the last URL downloads.
 */
async function invocationLatencies(file: string, services: Services, calls: number): Promise<number[]> {
  const saved = { env: process.env, log: console.log };
  process.env = handlerEnv(services);
  // The real handler logs one line per delivery; a thousand lines would only measure the terminal.
  console.log = () => undefined;
  try {
    const { handler } = require(file) as { handler: Handler };
    const event = succeededEvent({ callbackUrl: services.receiver.url(), outputLocation: `s3://results/${RESULT_KEY}` });
    await handler(event);
    const samples: number[] = [];
    for (let i = 0; i < calls; i += 1) {
      const started = performance.now();
      const result = await handler(event);
      samples.push(performance.now() - started);
      if (result.StatusCode !== 204) throw new Error(`${file} delivery ${i} got ${result.StatusCode}`);
    }
    const last = services.receiver.requests[services.receiver.requests.length - 1];
    const url = (JSON.parse(last.body) as { QueryResult: { PresignedUrl: string } }).QueryResult.PresignedUrl;
    const download = await fetch(url);
    if (download.status !== 200) throw new Error(`The presigned URL from ${file} answered ${download.status}: the benchmark measured a broken path`);
    return samples;
  } finally {
    process.env = saved.env;
    console.log = saved.log;
  }
}

export async function callbackerSection(options: BenchOptions): Promise<SectionReport> {
  const { root } = options;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-callbacker-'));
  const services = await startServices();
  try {
    const ours = buildCallbacker({ outDir: path.join(scratch, 'ours') }).bundleFile;
    const minimal = buildMinimalBundle(root, fs.mkdtempSync(path.join(scratch, 'minimal-')));
    const [oursBytes, minimalBytes] = [fs.readFileSync(ours), fs.readFileSync(minimal)];
    const runs = options.smoke ? 2 : 15;
    const [oursLoads, minimalLoads] = coldLoads([ours, minimal], runs, root);
    const [oursFirst, minimalFirst] = await coldDeliveries([ours, minimal], runs, services, root);
    const calls = options.smoke ? 20 : 1000;
    const stsBefore = services.sts.requests.length;
    const oursLatency = await invocationLatencies(ours, services, calls);
    const assumeRoleCalls = services.sts.requests.length - stsBefore;
    const minimalLatency = await invocationLatencies(minimal, services, calls);
    return {
      title: 'Callbacker',
      baseline:
        'a minimal SDK bundle, bench/fixtures/minimal-sdk-callbacker.ts (@aws-sdk/client-s3 GetObjectCommand + getSignedUrl with the ' +
        'function\'s own credentials, then a fetch POST; no role, no signing, no SSRF checks), built in the run with the callbacker\'s own ' +
        'esbuild options (module-first `mainFields`, minified, node22). Sizes in KB of 1000 bytes; both zips are made by the package\'s own zipper ' +
        `(scripts/callbacker-zip.ts: fflate, level 9). Load: \`require\` of the bundle in a fresh \`node\` process, median of ${runs} interleaved runs; the target ` +
        `is ${LOAD_TARGET_RATIO}x the minimal bundle's median. Both build the SDK clients they use at module scope, so a load includes them (ours: STS, Secrets Manager and the presigner's S3 client; the minimal bundle: its S3 client). Cold start: ` +
        '`require` and then one delivery in a fresh `node` process, the same number of interleaved runs, against the local services below: ' +
        'the first credential resolution and each request of a first delivery (ours: AssumeRole, GetSecretValue and the POST; ' +
        `the minimal bundle's: the POST). Latency: ${calls} sequential invocations in one process after one unmeasured ` +
        'warm-up, against @20minutes/s3rver, a local STS that caps sessions at one hour as role chaining does, a local Secrets Manager and a ' +
        'local receiver on 127.0.0.1 (presigner role and signing on, as deployed); the last URL must download. A delivery more than about a ' +
        'second after its sandbox last assumed the presigner role assumes it again (a shorter URL than a fresh session would give is never ' +
        `handed out): ${assumeRoleCalls} AssumeRole requests for the warm-up and these ${calls} back-to-back deliveries, while deployed ` +
        'deliveries minutes apart each make one, adding an STS round trip this local STS cannot stand for.',
      rows: [
        row({ metric: 'bundle size', unit: 'KB', ours: oursBytes.length / 1000, baseline: minimalBytes.length / 1000 }),
        row({ metric: 'zipped bundle size', unit: 'KB', ours: zipBundle(oursBytes).length / 1000, baseline: zipBundle(minimalBytes).length / 1000, target: ZIP_TARGET_KB }),
        row({
          metric: 'cold module load',
          unit: 'ms',
          ours: median(oursLoads),
          baseline: median(minimalLoads),
          target: LOAD_TARGET_RATIO * median(minimalLoads),
          note: `target ${LOAD_TARGET_RATIO}x the minimal bundle`,
        }),
        row({
          metric: 'cold start: load + first delivery',
          unit: 'ms',
          ours: median(oursFirst),
          baseline: median(minimalFirst),
          note: 'ours makes two more requests (AssumeRole, GetSecretValue)',
        }),
        row({ metric: 'presign + POST latency p50', unit: 'ms', ours: percentile(oursLatency, 50), baseline: percentile(minimalLatency, 50), target: P50_TARGET_MS }),
        row({ metric: 'presign + POST latency p99', unit: 'ms', ours: percentile(oursLatency, 99), baseline: percentile(minimalLatency, 99) }),
      ],
    };
  } finally {
    await Promise.all([services.s3.close(), services.sts.close(), services.secrets.close(), services.receiver.close()]);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * `npm start`: the offline twin from the command line.
 *
 *   npm start                           demo: one query end to end, then exit (0 on success)
 *   npm start -- --serve                keep the twin running for your own queries and receivers
 *   npm start -- --data DIR             load your tables: DIR/<database>/<table>.csv|.parquet
 *   npm start -- --query "SELECT ..."   demo with another query
 *
 * Needs no AWS account and no network; the dead-letter queue lives in moto's SQS (moto_server on PATH, or
 * MOTO_ENDPOINT naming a running one).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { postSigned } from './api-gateway/signed-client';
import { parseCsv } from './athena/athena-csv';
import { createLocalCertificate } from './receiver/local-tls';
import { PACKAGE_ROOT } from './wiring/stack-cache';
import { RealTimeClock, type TwinClock, VirtualClock } from './clock/twin-clock';
import { startTwin, type Twin } from './twin';
import { type ReceivedDelivery, startWebhookReceiver, type WebhookReceiver } from './receiver/webhook-receiver';

/** The query of the original sample's README. */
export const SAMPLE_QUERY = 'SELECT "col1", "col2" FROM "database1"."tableA" limit 10';

const USAGE = `Usage: npm start [-- options]

  (no option)            run the demo: start the twin, submit one query through the signed API, print the
                         callback and the first result rows, stop, exit 0
  --serve                keep the twin running; prints the API URL and the local credentials
  --data DIR             load tables from DIR (one folder per database, one .csv/.csv.gz/.tsv/.parquet per table)
                         instead of the sample data in data/
  --query SQL            the demo's query (default: ${SAMPLE_QUERY})
  --callback-port PORT   allow callbacks to this port too (your own https receiver on this machine); repeatable
  --trust-ca FILE        PEM certificate your receiver's TLS certificate chains to; repeatable
  --clock KIND           real-time (default): the twin keeps wall-clock time, so waits, retries and timeouts
                         take as long as deployed and receivers see true timestamps; virtual: time jumps to the
                         next wait whenever the twin is idle (retries at once, as in the tests; only for receivers
                         inside this process, since an outside receiver's latency would not count as time)
  --verbose              print the Lambda function's log lines
  --help                 this text
`;

// Our own AWS SDK clients would print a Node 20 support notice on every start; it says nothing about the twin.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const color = process.stdout.isTTY ? { dim: '\x1b[2m', bold: '\x1b[1m', green: '\x1b[32m', red: '\x1b[31m', reset: '\x1b[0m' } : { dim: '', bold: '', green: '', red: '', reset: '' };
const say = (text = ''): void => void process.stdout.write(`${text}\n`);
const step = (mark: string, label: string, text: string): void => say(`${mark} ${color.bold}${label.padEnd(10)}${color.reset} ${text}`);

function table(rows: readonly (readonly (string | null)[])[], limit: number): string[] {
  const shown = rows.slice(0, limit + 1).map((row) => row.map((cell) => (cell === null ? 'NULL' : cell.replace(/\n/g, '⏎'))));
  const widths = shown[0]?.map((_, i) => Math.min(40, Math.max(...shown.map((r) => (r[i] ?? '').length)))) ?? [];
  const line = (row: readonly string[]): string => row.map((cell, i) => cell.slice(0, 40).padEnd(widths[i])).join(' │ ');
  return [line(shown[0] ?? []), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...shown.slice(1).map(line)];
}

interface Options {
  readonly serve: boolean;
  readonly dataDirectory: string;
  readonly query: string;
  readonly callbackPorts: number[];
  readonly trustedCertificates: string[];
  readonly clock: 'real-time' | 'virtual';
  readonly verbose: boolean;
}

function parseOptions(argv: readonly string[]): Options | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      serve: { type: 'boolean', default: false },
      data: { type: 'string' },
      query: { type: 'string' },
      'callback-port': { type: 'string', multiple: true },
      'trust-ca': { type: 'string', multiple: true },
      clock: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const ports = (values['callback-port'] ?? []).map((p) => {
    const port = Number(p);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--callback-port must be a port number, got ${p}`);
    return port;
  });
  const clock = values.clock ?? 'real-time';
  if (clock !== 'real-time' && clock !== 'virtual') throw new Error(`--clock must be real-time or virtual, got ${clock}`);
  return {
    serve: values.serve ?? false,
    dataDirectory: path.resolve(values.data ?? path.join(PACKAGE_ROOT, 'data')),
    query: values.query ?? SAMPLE_QUERY,
    callbackPorts: ports,
    trustedCertificates: (values['trust-ca'] ?? []).map((file) => fs.readFileSync(file, 'utf8')),
    clock,
    verbose: values.verbose ?? false,
  };
}

async function startAll(options: Options): Promise<{ twin: Twin; receiver: WebhookReceiver }> {
  const started = Date.now();
  const tls = createLocalCertificate();
  const clock: TwinClock = options.clock === 'virtual' ? new VirtualClock() : new RealTimeClock();
  const receiver = await startWebhookReceiver({ tls, clock });
  try {
    const twin = await startTwin({
      clock,
      dataDirectories: [options.dataDirectory],
      callbackPorts: [receiver.port, ...options.callbackPorts],
      trustedCertificates: [tls.cert, ...options.trustedCertificates],
      // Long enough to watch a query go QUEUED → RUNNING → SUCCEEDED.
      athena: options.serve ? undefined : { timing: { queuedMs: 150, minimumRunningMs: 350 } },
      onLambdaLog: options.verbose ? (line) => say(`${color.dim}  λ ${line}${color.reset}`) : undefined,
    });
    receiver.setSigningSecret(twin.webhookSigningSecret);
    const { artifacts } = twin.stack;
    say(`${color.bold}cdktf-async-athena-query · offline twin${color.reset}  ${color.dim}(started in ${Date.now() - started} ms)${color.reset}`);
    say(`  stack      main.ts ${twin.stack.synthesized ? 'synthesized' : 'from the synthesis cache'}: state machine ${artifacts.stateMachine.name}, API stage ${artifacts.api.stageName}, function ${artifacts.callbacker.functionName} (${artifacts.callbacker.runtime})`);
    say(`  tables     ${twin.athena.tables.map((t) => `${t.database}.${t.table}`).join(', ') || '(none)'}  ${color.dim}from ${options.dataDirectory}${color.reset}`);
    say(`  api        ${twin.stageUrl}/queries  ${color.dim}(AWS_IAM: SigV4-signed requests only)${color.reset}`);
    say(`  receiver   ${receiver.url('/hook')}`);
    say(`  twin-only  ${color.dim}${Object.entries(twin.environmentOverrides).filter(([k]) => !k.startsWith('AWS_')).map(([k, v]) => `${k}=${v.value} (${v.why})`).join('; ')}${color.reset}`);
    if (twin.stateMachine.interpreterWorkarounds.length > 0) {
      say(`  interpreter ${color.dim}${twin.stateMachine.interpreterWorkarounds.join('; ')}${color.reset}`);
    }
    say();
    return { twin, receiver };
  } catch (error) {
    await receiver.close();
    throw error;
  }
}

async function demo(options: Options): Promise<boolean> {
  const { twin, receiver } = await startAll(options);
  const started = Date.now();
  try {
    const body = { Query: options.query, CallbackUrl: receiver.url('/hook') };
    step('→', 'POST', `${twin.stageUrl}/queries ${color.dim}${JSON.stringify(body)}${color.reset}`);
    const response = await postSigned({ stageUrl: twin.stageUrl, credentials: twin.clientCredentials, region: twin.region, clock: twin.clock }, body);
    if (response.status !== 200) {
      step(`${color.red}✗${color.reset}`, 'rejected', `${response.status} ${response.text}`);
      return false;
    }
    const { executionArn } = response.json as { executionArn: string };
    step(`${color.green}✓${color.reset}`, 'submitted', `${response.status} ${color.dim}execution ${executionArn}${color.reset}`);

    const seen = new Set<string>();
    const stopWatching = twin.athena.onStateChange((query) => {
      if (twin.queryOf(executionArn)?.QueryExecutionId !== query.QueryExecutionId || seen.has(query.Status.State)) return;
      seen.add(query.Status.State);
      const reason = query.Status.StateChangeReason === undefined ? '' : ` ${color.dim}${query.Status.StateChangeReason}${color.reset}`;
      step('…', query.Status.State.toLowerCase(), `Athena query ${query.QueryExecutionId}${reason}`);
    });
    let delivery: ReceivedDelivery;
    try {
      delivery = await receiver.waitFor((d) => d.acknowledged || d.answeredStatus !== undefined, 30_000);
    } finally {
      stopWatching();
    }
    await twin.stateMachine.waitFor(executionArn);
    step(`${color.green}✓${color.reset}`, 'callback', `received at ${delivery.path}, answered ${delivery.answeredStatus}, signature ${delivery.signatureVerified ? 'verified' : 'NOT verified'} ${color.dim}(webhook-id ${delivery.webhookId})${color.reset}`);
    say(JSON.stringify(delivery.payload, null, 2).replace(/^/gm, '    '));

    const payload = delivery.payload as { State?: { State?: string }; QueryResult?: { PresignedUrl?: string; ExpiredIn?: number } };
    if (payload.State?.State !== 'SUCCEEDED' || payload.QueryResult?.PresignedUrl === undefined) {
      step(`${color.red}✗${color.reset}`, 'result', `the query did not succeed: ${payload.State?.State}`);
      return false;
    }
    const download = await fetch(payload.QueryResult.PresignedUrl);
    const csv = await download.text();
    if (download.status !== 200) {
      step(`${color.red}✗${color.reset}`, 'result', `download answered ${download.status}: ${csv.slice(0, 200)}`);
      return false;
    }
    const rows = parseCsv(csv);
    step(`${color.green}✓${color.reset}`, 'result', `${rows.length - 1} rows downloaded through the presigned URL (valid ${payload.QueryResult.ExpiredIn} s); the first ones:`);
    for (const line of table(rows, 10)) say(`    ${line}`);
    say();
    say(`${color.dim}done in ${Date.now() - started} ms · transitions: ${twin.stateMachine.executions.map((e) => e.events.filter((ev) => ev.type === 'StateEntered' || ev.type === 'StateRetried').length).join(', ')}${color.reset}`);
    return receiver.deliveries.every((d) => d.signatureVerified);
  } finally {
    await twin.close();
    await receiver.close();
    twin.clock.dispose();
  }
}

async function serve(options: Options): Promise<void> {
  const { twin, receiver } = await startAll(options);
  const { accessKeyId, secretAccessKey } = twin.clientCredentials;
  say(`${color.bold}The twin is running.${color.reset} Press Ctrl+C to stop.`);
  say(`  POST   ${twin.stageUrl}/queries   (also ${twin.stageUrl}/invocation)`);
  say(`  GET    ${twin.stageUrl}/queries/{id}          status`);
  say(`  DELETE ${twin.stageUrl}/queries/{id}          cancel`);
  say(`  GET    ${twin.stageUrl}/queries/{id}/result   a fresh result link`);
  say(`  sign with SigV4: region ${twin.region}, service execute-api`);
  say(`    AWS_ACCESS_KEY_ID=${accessKeyId}`);
  say(`    AWS_SECRET_ACCESS_KEY=${secretAccessKey}`);
  say(`  callbacks are signed (Standard Webhooks) with ${twin.webhookSigningSecret}`);
  say(`  CallbackUrl must be https; the built-in receiver ${receiver.url('/hook')} prints what it gets.`);
  say(`  Your own receivers on this machine: add --callback-port PORT and --trust-ca CERT.PEM.`);
  say();
  say('Undeliverable callbacks: the dead-letter queue is in moto\'s SQS; redrive them with the same credentials and');
  const { artifacts } = twin.stack;
  say(
    `  AWS_REGION=${twin.region} AWS_ACCESS_KEY_ID=${accessKeyId} AWS_SECRET_ACCESS_KEY=${secretAccessKey} \\
` +
      `  AWS_ENDPOINT_URL_SQS=${twin.deadLetters.endpoint} AWS_ENDPOINT_URL_SFN=${twin.awsEndpoint} AWS_ENDPOINT_URL_ATHENA=${twin.awsEndpoint} AWS_ENDPOINT_URL_LAMBDA=${twin.awsEndpoint} \\
` +
      `  npm run redrive -- --state-machine-arn ${artifacts.stateMachine.arn} --cancellation-state-machine-arn ${artifacts.cancellationStateMachine.arn} \\
` +
      `    --output-location s3://${twin.outputLocation.bucket}/${twin.outputLocation.prefix} \\
` +
      `    --function-name ${artifacts.callbacker.functionArn} --queue-url ${twin.deadLetters.queueUrl}`,
  );
  say();
  say('Example (curl 7.75 or later):');
  say(
    `  curl --aws-sigv4 "aws:amz:${twin.region}:execute-api" --user "${accessKeyId}:${secretAccessKey}" -H 'content-type: application/json' \\\n` +
      `    -d '${JSON.stringify({ Query: SAMPLE_QUERY, CallbackUrl: receiver.url('/hook') }).replace(/'/g, "'\\''")}' ${twin.stageUrl}/queries`,
  );
  say();
  // The package's command as this checkout builds it (installed, it is async-athena-query).
  const command = 'node dist/client/bin.js';
  say('Or with the package\'s command (async-athena-query when installed; here after npm run build):');
  say(
    `  export ASYNC_ATHENA_API_URL=${twin.stageUrl} AWS_REGION=${twin.region} AWS_ACCESS_KEY_ID=${accessKeyId} AWS_SECRET_ACCESS_KEY=${secretAccessKey}\n` +
      `  id=$(${command} submit --query '${SAMPLE_QUERY.replace(/'/g, "'\\''")}' --callback-url ${receiver.url('/hook')})\n` +
      `  ${command} wait "$id" && ${command} result "$id"`,
  );
  say();
  let logged = 0;
  let shown = 0;
  const tick = setInterval(() => {
    for (; logged < twin.api.accessLog.length; logged++) say(`${color.dim}api ${twin.api.accessLog[logged]}${color.reset}`);
    for (; shown < receiver.deliveries.length; shown++) {
      const d = receiver.deliveries[shown];
      say(`callback → ${d.path} (signature ${d.signatureVerified ? 'verified' : 'NOT verified'}):\n${JSON.stringify(d.payload, null, 2).replace(/^/gm, '  ')}`);
    }
  }, 100);
  twin.stateMachine.onExecutionEnd((e) => say(`${color.dim}execution ${e.name} ${e.status}${e.error === undefined ? '' : ` (${e.error})`}${color.reset}`));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(tick);
  say('\nstopping…');
  await twin.close();
  await receiver.close();
  twin.clock.dispose();
}

async function main(): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === undefined) {
    say(USAGE);
    return 0;
  }
  if (options.serve) {
    await serve(options);
    return 0;
  }
  return (await demo(options)) ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * npm run redrive -- --state-machine-arn ARN --output-location s3://bucket/prefix/ --function-name NAME
 *                    [--cancellation-state-machine-arn ARN] [--queue-url URL] [--unrecorded-since ISO-8601] [--max N]
 *                    [--dry-run]
 *
 * Re-derives (from Step Functions and Athena) and re-delivers undeliverable callbacks through the deployed callbacker,
 * with the credentials of the standard AWS environment. Sources: the dead-letter queue (--queue-url) and/or the
 * executions whose dead-letter write failed (--unrecorded-since). The permissions it needs are in the README
 * ("Redrive"). Exits 1 if any record failed again, was refused or was not a record; 2 on a usage error.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { parseOutputLocation } from '../constructs/builders/s3-location';
import { AthenaQueryReader, LambdaDeliveryInvoker, SfnExecutionReader, SqsDeadLetterSource } from '../redrive/aws';
import { redrive } from '../redrive/redrive';

const USAGE =
  'usage: npm run redrive -- --state-machine-arn ARN --output-location s3://bucket/prefix/ --function-name NAME ' +
  '[--cancellation-state-machine-arn ARN] [--queue-url URL] [--unrecorded-since ISO-8601] [--max N] [--dry-run]';

const STATE_MACHINE_ARN = /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;

function argument(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

/** The problems with the arguments, each naming the option, the rule and the value received. */
function problems(args: readonly string[]): string[] {
  const found: string[] = [];
  const stateMachineArn = argument(args, '--state-machine-arn');
  if (stateMachineArn === undefined || !STATE_MACHINE_ARN.test(stateMachineArn)) {
    found.push(`--state-machine-arn must be a state machine ARN (terraform output state_machine_arn), got ${JSON.stringify(stateMachineArn ?? null)}`);
  }
  const cancellationArn = argument(args, '--cancellation-state-machine-arn');
  if (args.includes('--cancellation-state-machine-arn') && (cancellationArn === undefined || !STATE_MACHINE_ARN.test(cancellationArn))) {
    found.push(
      `--cancellation-state-machine-arn must be a state machine ARN (terraform output cancellation_state_machine_arn), got ${JSON.stringify(cancellationArn ?? null)}`,
    );
  }
  const outputLocation = argument(args, '--output-location');
  if (outputLocation === undefined || parseOutputLocation(outputLocation) === undefined) {
    found.push(`--output-location must be the module's s3://bucket/prefix/ (ending in /), got ${JSON.stringify(outputLocation ?? null)}`);
  }
  if (!argument(args, '--function-name')) found.push('--function-name must name the callbacker function (terraform output callbacker_function_arn)');
  const queueUrl = argument(args, '--queue-url');
  const since = argument(args, '--unrecorded-since');
  if (queueUrl === undefined && since === undefined) found.push('give --queue-url, --unrecorded-since or both');
  if (queueUrl !== undefined && !/^https?:\/\/\S+$/.test(queueUrl)) found.push(`--queue-url must be an SQS queue URL, got ${JSON.stringify(queueUrl)}`);
  if (since !== undefined && !(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(since) && Number.isFinite(Date.parse(since)))) {
    found.push(`--unrecorded-since must be an ISO 8601 date or time, got ${JSON.stringify(since)}`);
  }
  const max = argument(args, '--max');
  if (max !== undefined && !/^[1-9]\d*$/.test(max)) found.push(`--max must be a positive whole number, got ${JSON.stringify(max)}`);
  return found;
}

async function main(args: readonly string[]): Promise<number> {
  const found = problems(args);
  if (found.length > 0) {
    process.stderr.write(`${USAGE}\n${found.map((p) => `  ${p}`).join('\n')}\n`);
    return 2;
  }
  const queueUrl = argument(args, '--queue-url');
  const since = argument(args, '--unrecorded-since');
  const max = argument(args, '--max');
  const report = await redrive(
    {
      stateMachineArn: argument(args, '--state-machine-arn') as string,
      cancellationStateMachineArn: argument(args, '--cancellation-state-machine-arn'),
      outputLocation: argument(args, '--output-location') as string,
    },
    {
      queue: queueUrl === undefined ? undefined : new SqsDeadLetterSource(new SQSClient({}), queueUrl),
      stepFunctions: new SfnExecutionReader(new SFNClient({})),
      athena: new AthenaQueryReader(new AthenaClient({})),
      invoker: new LambdaDeliveryInvoker(new LambdaClient({}), argument(args, '--function-name') as string),
    },
    { maxRecords: max ? Number(max) : undefined, dryRun: args.includes('--dry-run'), unrecordedSince: since === undefined ? undefined : new Date(since) },
  );
  for (const arn of report.listed) process.stdout.write(`would redeliver ${arn}\n`);
  for (const arn of report.delivered) process.stdout.write(`delivered ${arn}\n`);
  for (const f of report.failed) process.stdout.write(`failed again ${f.executionArn}: ${f.error}\n`);
  for (const r of report.refused) process.stdout.write(`${r.error}\n`);
  for (const i of report.invalid) process.stdout.write(`invalid record ${i.receipt}: ${i.error}\n`);
  process.stdout.write(
    `redrive: ${report.delivered.length} delivered, ${report.failed.length} failed, ${report.refused.length} refused, ${report.invalid.length} invalid\n`,
  );
  return report.failed.length + report.refused.length + report.invalid.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`redrive failed: ${error.name}: ${error.message}\n`);
    process.exit(1);
  },
);

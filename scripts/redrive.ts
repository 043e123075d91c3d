/**
 * npm run redrive -- --queue-url <dead_letter_queue_url> --function-name <callbacker function name or ARN> [--max N] [--dry-run]
 *
 * Re-presigns and re-delivers dead-lettered callbacks through the deployed callbacker, with the credentials of the
 * standard AWS environment (they need sqs:ReceiveMessage/DeleteMessage on the queue and lambda:InvokeFunction on the
 * function). Exits 1 if any record failed again.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LambdaDeliveryInvoker, SqsDeadLetterSource } from '../redrive/aws';
import { redrive } from '../redrive/redrive';

function argument(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

async function main(args: readonly string[]): Promise<number> {
  const queueUrl = argument(args, '--queue-url');
  const functionName = argument(args, '--function-name');
  const max = argument(args, '--max');
  if (!queueUrl || !functionName || (max !== undefined && !/^[1-9]\d*$/.test(max))) {
    process.stderr.write('usage: npm run redrive -- --queue-url URL --function-name NAME [--max N] [--dry-run]\n');
    return 2;
  }
  const report = await redrive(new SqsDeadLetterSource(new SQSClient({}), queueUrl), new LambdaDeliveryInvoker(new LambdaClient({}), functionName), {
    maxRecords: max ? Number(max) : undefined,
    dryRun: args.includes('--dry-run'),
  });
  for (const arn of report.listed) process.stdout.write(`would redeliver ${arn}\n`);
  for (const arn of report.delivered) process.stdout.write(`delivered ${arn}\n`);
  for (const f of report.failed) process.stdout.write(`failed again ${f.executionArn}: ${f.error}\n`);
  for (const i of report.invalid) process.stdout.write(`invalid record ${i.receipt}: ${i.error}\n`);
  process.stdout.write(`redrive: ${report.delivered.length} delivered, ${report.failed.length} failed, ${report.invalid.length} invalid\n`);
  return report.failed.length + report.invalid.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`redrive failed: ${error.name}: ${error.message}\n`);
    process.exit(1);
  },
);

/** The AWS side of a redrive: the SQS dead-letter queue and the deployed callbacker function. */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryRequest } from '../handler/types';
import type { DeadLetterMessage, DeadLetterSource, DeliveryInvoker } from './redrive';

/** Reads the dead-letter queue. Received messages stay invisible for `visibilityTimeoutSeconds`, then return. */
export class SqsDeadLetterSource implements DeadLetterSource {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly visibilityTimeoutSeconds = 300,
  ) {}

  async receive(max: number): Promise<readonly DeadLetterMessage[]> {
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html (at most 10)
    const answer = await this.client.send(
      new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: Math.min(max, 10), WaitTimeSeconds: 1, VisibilityTimeout: this.visibilityTimeoutSeconds }),
    );
    return (answer.Messages ?? []).flatMap((m) => (m.ReceiptHandle && m.Body !== undefined ? [{ receipt: m.ReceiptHandle, body: m.Body }] : []));
  }

  async acknowledge(receipt: string): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt }));
  }
}

/** The deployed callbacker's error, as Lambda reports it: `errorType` and `errorMessage`. */
export class CallbackerInvocationError extends Error {
  constructor(errorType: string, message: string) {
    super(message);
    this.name = errorType;
  }
}

/** Invokes the deployed callbacker, so redelivery uses its signing secret, presigner role and SSRF rules. */
export class LambdaDeliveryInvoker implements DeliveryInvoker {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async deliver(request: DeliveryRequest): Promise<unknown> {
    const answer = await this.client.send(new InvokeCommand({ FunctionName: this.functionName, Payload: Buffer.from(JSON.stringify(request)) }));
    const text = answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : 'null';
    // https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#lambda-Invoke-response-FunctionError
    if (answer.FunctionError) {
      const error = JSON.parse(text) as { errorType?: string; errorMessage?: string };
      throw new CallbackerInvocationError(error.errorType ?? answer.FunctionError, error.errorMessage ?? text);
    }
    return JSON.parse(text) as unknown;
  }
}

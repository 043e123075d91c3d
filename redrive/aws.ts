/**
 * The AWS side of a redrive, on the AWS SDK: the SQS dead-letter queue, Step Functions and Athena (read only), and the
 * deployed callbacker function. The tests run these adapters against moto's SQS and the offline twin's Step Functions,
 * Athena and Lambda endpoints.
 */
import { AthenaClient, GetQueryExecutionCommand, type QueryExecution } from '@aws-sdk/client-athena';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryRequest, JsonObject } from '../handler/types';
import type {
  AthenaReader,
  ExecutionDescription,
  ExecutionListing,
  QueryExecutionDescription,
  StepFunctionsReader,
  TaskHistoryEvent,
} from './derive';
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
    return (answer.Messages ?? []).flatMap((m) =>
      m.MessageId && m.ReceiptHandle && m.Body !== undefined ? [{ id: m.MessageId, receipt: m.ReceiptHandle, body: m.Body }] : [],
    );
  }

  async acknowledge(receipt: string): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt }));
  }
}

/** Reads executions: DescribeExecution, GetExecutionHistory and ListExecutions. */
export class SfnExecutionReader implements StepFunctionsReader {
  constructor(private readonly client: SFNClient) {}

  async describeExecution(executionArn: string): Promise<ExecutionDescription | undefined> {
    try {
      const answer = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return {
        executionArn: answer.executionArn ?? executionArn,
        stateMachineArn: answer.stateMachineArn ?? '',
        status: answer.status ?? '',
        startDate: answer.startDate ?? new Date(0),
        stopDate: answer.stopDate,
        input: answer.input,
        error: answer.error,
      };
    } catch (error) {
      // https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html#API_DescribeExecution_Errors
      if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw error;
    }
  }

  async taskEvents(executionArn: string): Promise<readonly TaskHistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const answer = await this.client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: true }));
      events.push(...(answer.events ?? []));
      nextToken = answer.nextToken;
    } while (nextToken !== undefined);
    return events.flatMap((e): TaskHistoryEvent[] => {
      const scheduled = e.taskScheduledEventDetails;
      const submitted = e.taskSubmittedEventDetails;
      if (e.type === 'TaskScheduled' && scheduled) return [{ type: e.type, resourceType: scheduled.resourceType, resource: scheduled.resource, parameters: scheduled.parameters }];
      if (e.type === 'TaskSubmitted' && submitted) return [{ type: e.type, resourceType: submitted.resourceType, resource: submitted.resource, output: submitted.output }];
      return [];
    });
  }

  async failedExecutions(stateMachineArn: string): Promise<readonly ExecutionListing[]> {
    const listings: ExecutionListing[] = [];
    let nextToken: string | undefined;
    do {
      const answer = await this.client.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'FAILED', maxResults: 1000, nextToken }));
      listings.push(...(answer.executions ?? []).flatMap((e) => (e.executionArn ? [{ executionArn: e.executionArn, stopDate: e.stopDate }] : [])));
      nextToken = answer.nextToken;
    } while (nextToken !== undefined);
    return listings;
  }
}

/** Reads queries: GetQueryExecution. */
export class AthenaQueryReader implements AthenaReader {
  constructor(private readonly client: AthenaClient) {}

  async getQueryExecution(queryExecutionId: string): Promise<QueryExecutionDescription | undefined> {
    let execution: QueryExecution | undefined;
    try {
      ({ QueryExecution: execution } = await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryExecutionId })));
    } catch (error) {
      // An unknown id is an InvalidRequestException. https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryExecution.html
      if ((error as Error).name === 'InvalidRequestException') return undefined;
      throw error;
    }
    if (execution === undefined) return undefined;
    const status = execution.Status ?? {};
    return {
      QueryExecutionId: execution.QueryExecutionId ?? queryExecutionId,
      Status: {
        State: status.State,
        SubmissionDateTime: status.SubmissionDateTime?.toISOString(),
        CompletionDateTime: status.CompletionDateTime?.toISOString(),
        ...(status.StateChangeReason !== undefined && { StateChangeReason: status.StateChangeReason }),
      },
      ResultConfiguration: { OutputLocation: execution.ResultConfiguration?.OutputLocation },
      ...(execution.Statistics !== undefined && { Statistics: JSON.parse(JSON.stringify(execution.Statistics)) as JsonObject }),
    };
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

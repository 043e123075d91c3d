import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { type IResolvable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { deadLetterQueuePolicy } from './builders/iam-policies';
import { resourceName } from './builders/naming';
import { resourceTags } from './tagging';
import { renderJsonDocument, terraformExpression } from './terraform-json';

/** Longest retention SQS allows: 14 days. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

/** Props of {@link CallbackDeadLetterQueue}. */
export interface CallbackDeadLetterQueueProps {
  /** Prefix of the queue name (`<prefix>-callback-dlq`). */
  readonly namePrefix: string;
  /**
   * Customer-managed KMS key for the queue. A Terraform token whose value is null means SSE-SQS.
   *
   * @default - SQS-managed server-side encryption (SSE-SQS)
   */
  readonly kmsKeyArn?: string;
  /**
   * Tags for the queue.
   *
   * @default - only `ManagedBy`
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Where undeliverable callbacks go: one delivery record per message (pointers only: no caller text, no presigned URL,
 * no secret), kept 14 days, encrypted, for `npm run redrive` to re-derive, re-presign and re-deliver. Call
 * {@link CallbackDeadLetterQueue.restrictSendersTo} with the state machine's role so nobody else can write to it.
 */
export class CallbackDeadLetterQueue extends Construct {
  /** The queue. */
  public readonly queue: SqsQueue;
  /** ARN of the queue. */
  public readonly queueArn: string;
  /** URL of the queue. */
  public readonly queueUrl: string;

  constructor(scope: Construct, id: string, props: CallbackDeadLetterQueueProps) {
    super(scope, id);
    this.queue = new SqsQueue(this, 'Queue', {
      name: resourceName(props.namePrefix, 'deadLetterQueue'),
      messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html
      ...encryption(props.kmsKeyArn),
      tags: resourceTags(props.tags),
    });
    this.queueArn = this.queue.arn;
    this.queueUrl = this.queue.url;
  }

  /**
   * Attaches the queue policy that denies `sqs:SendMessage` to every principal but the given roles (the state
   * machines'). Call it once; returns the policy resource.
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-using-identity-based-policies.html
   */
  public restrictSendersTo(...senderRoleArns: string[]): SqsQueuePolicy {
    return new SqsQueuePolicy(this, 'Policy', {
      queueUrl: this.queue.url,
      policy: renderJsonDocument(deadLetterQueuePolicy({ queueArn: this.queue.arn, senderRoleArns })),
    });
  }
}

/** SSE-KMS with the key when one is given, else SSE-SQS; decided by Terraform when the key is a token. */
function encryption(kmsKeyArn: string | undefined): { kmsMasterKeyId?: string; sqsManagedSseEnabled?: boolean | IResolvable } {
  if (kmsKeyArn === undefined) return { sqsManagedSseEnabled: true };
  if (!Token.isUnresolved(kmsKeyArn)) return { kmsMasterKeyId: kmsKeyArn };
  return { kmsMasterKeyId: kmsKeyArn, sqsManagedSseEnabled: Token.asAny(terraformExpression((ref) => `${ref(kmsKeyArn)} == null`)) };
}

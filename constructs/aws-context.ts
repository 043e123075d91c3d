import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { Construct } from 'constructs';
import type { DeploymentArns } from './builders/iam-policies';

/**
 * Where the resources are deployed: partition, region and account, read from the provider so that no ARN hard-codes
 * `arn:aws` or a region. Sub-constructs take one of these; they create it themselves when used on their own.
 */
export class AwsContext extends Construct implements DeploymentArns {
  /** `aws`, `aws-cn`, `aws-us-gov`, ... */
  public readonly partition: string;
  /** The provider's region. */
  public readonly region: string;
  /** The caller's account id. */
  public readonly accountId: string;
  /** The DNS suffix of the partition (`amazonaws.com`, `amazonaws.com.cn`). */
  public readonly dnsSuffix: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const partition = new DataAwsPartition(this, 'Partition');
    // provider 6.x: `region` replaces the deprecated `name` attribute.
    const region = new DataAwsRegion(this, 'Region');
    const identity = new DataAwsCallerIdentity(this, 'Identity');
    this.partition = partition.partition;
    this.dnsSuffix = partition.dnsSuffix;
    this.region = region.region;
    this.accountId = identity.accountId;
  }
}

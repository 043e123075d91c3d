/**
 * A platform team's own CDKTF stack using the construct library: two query services side by side (one per team),
 * each with its own name prefix, database and results location, and a role of the team's application allowed to call
 * its API. `main.ts` synthesizes it; `npm run synth` writes cdktf.out/.
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { AsyncAthenaQuery } from 'cdktf-async-athena-query';

/** Options of {@link AnalyticsStack}. */
export interface AnalyticsStackProps {
  /** The region everything is deployed in. */
  readonly region: string;
}

export class AnalyticsStack extends TerraformStack {
  /** The query service of each team, by team name. */
  public readonly queries: Readonly<Record<string, AsyncAthenaQuery>>;

  constructor(scope: Construct, id: string, props: AnalyticsStackProps) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: props.region });

    const teams = { orders: 'orders', billing: 'billing' } as const;
    const queries: Record<string, AsyncAthenaQuery> = {};
    for (const [team, database] of Object.entries(teams)) {
      const service = new AsyncAthenaQuery(this, `${team}-queries`, {
        namePrefix: `analytics-${team}`,
        workGroup: 'analytics',
        outputLocation: `s3://analytics-results-${props.region}/${team}/`,
        database,
        allowedCallbackHosts: [`${team}.hooks.example.com`],
        tags: { team },
      });
      // The team's application may call its own API, and only that.
      const app = new IamRole(this, `${team}-app`, {
        name: `analytics-${team}-app-${props.region}`,
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      });
      service.grantInvoke(app);
      new TerraformOutput(this, `${team}-api`, { value: service.invokeUrl });
      queries[team] = service;
    }
    this.queries = queries;
  }
}

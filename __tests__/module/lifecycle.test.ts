/**
 * Issue 9 §2: the lifecycle operations of a platform pipeline, run for real on the committed module and examples with
 * the `terraform` binary and the real AWS provider (5.100.0, installed offline from a local mirror), against moto as
 * the AWS account (behind __tests__/support/moto-gap-proxy.ts, which fills the moto gaps the provider runs into).
 *
 * Each scenario has its own moto server and its own scratch checkouts of the repository; the module is never written
 * by hand: the checkouts hold the committed files with only the two mechanical 5.x substitutions of
 * `adaptToAwsProvider5` and provider override files for the endpoints. Overrides a test adds on purpose (a module
 * input, a fixed secret name for the negative control) are written where they are used and say why.
 *
 * The scenarios run concurrently (they spend most of their time waiting on the provider's own propagation delays,
 * about 30 s per SQS queue), each started by the first `beforeAll` and awaited by its `describe`.
 */
import { ApiGatewayGatewayResponse } from '@cdktf/provider-aws/lib/api-gateway-gateway-response';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { ApiGatewayMethod } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayModel } from '@cdktf/provider-aws/lib/api-gateway-model';
import { ApiGatewayRequestValidator } from '@cdktf/provider-aws/lib/api-gateway-request-validator';
import { ApiGatewayResource } from '@cdktf/provider-aws/lib/api-gateway-resource';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AsyncAthenaQueryStack } from '../../constructs/async-athena-query-stack';
import { generateModule, readModule, writeModule } from '../../scripts/module-artifact';
import {
  adaptToAwsProvider5,
  awsCall,
  changesOf,
  Checkout,
  type LocalAws,
  lifecycleUnavailable,
  type StateResource,
  secretValue,
  startLocalAws,
  type TerraformRun,
  type TerraformShow,
} from '../support/terraform-lifecycle';

const unavailable = lifecycleUnavailable();
if (unavailable !== undefined) console.warn(`Terraform lifecycle suites SKIPPED: ${unavailable}`);
const lifecycle = unavailable === undefined ? describe : (title: string, body: () => void) => describe.skip(`${title} [SKIPPED: ${unavailable}]`, body);

/** A scenario waits on terraform, moto and the provider's propagation delays; on a loaded machine that takes minutes. */
const SCENARIO_TIMEOUT_MS = 15 * 60_000;
/** The region of the examples' default provider. */
const EXAMPLE_REGION = 'eu-west-1';

/** Files that changed (added, removed or rewritten) between two listings. */
function changedFiles(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((name) => before.get(name) !== after.get(name)).sort();
}

/** The name (the construct's logical id) of the one resource of a type the module declares. */
function moduleResourceName(moduleDir: string, type: string): string {
  const main = JSON.parse(fs.readFileSync(path.join(moduleDir, 'main.tf.json'), 'utf8')) as { resource: Record<string, Record<string, unknown>> };
  const names = Object.keys(main.resource[type] ?? {});
  if (names.length !== 1) throw new Error(`the module declares ${names.length} ${type}, expected 1`);
  return names[0];
}

/** A change the next release of the module makes, applied to the stack before it is synthesized. */
type ReleaseChange = (stack: AsyncAthenaQueryStack) => void;

/** Every construct of a class in the stack. */
function all<T>(stack: AsyncAthenaQueryStack, kind: abstract new (...args: never[]) => T): T[] {
  const found = stack.node.findAll().filter((c): c is typeof c & T => c instanceof kind);
  if (found.length === 0) throw new Error(`the stack has no ${kind.name}`);
  return found;
}

/**
 * Writes "the next release" of the module into a checkout: the module generated from the constructs by the same
 * generator as `npm run module`, with `change` made through cdktf escape hatches (as a release that changes the
 * constructs would), and adapted to the local provider. Returns a function that puts the previous module back.
 */
function release(checkout: Checkout, change: ReleaseChange): () => void {
  const previous = readModule(checkout.moduleDir);
  writeModule(checkout.moduleDir, generateModule(change));
  adaptToAwsProvider5(checkout.moduleDir);
  return () => writeModule(checkout.moduleDir, previous);
}

/** What a `terraform plan -json` run plans: each changed resource type's actions, and the summary. */
interface PlannedActions {
  /** Actions (`create`, `update`, `replace`, `delete`, ...) by resource type; unchanged resources are absent. */
  readonly byType: ReadonlyMap<string, readonly string[]>;
  readonly summary: { readonly add: number; readonly change: number; readonly remove: number };
}

/** Reads the machine-readable UI of `terraform plan -json`. https://developer.hashicorp.com/terraform/internals/machine-readable-ui */
function plannedActions(run: TerraformRun): PlannedActions {
  const byType = new Map<string, string[]>();
  let summary = { add: -1, change: -1, remove: -1 };
  for (const line of run.stdout.split('\n').filter((l) => l.startsWith('{'))) {
    const message = JSON.parse(line) as {
      type: string;
      change?: { resource: { resource_type: string }; action: string };
      changes?: { add: number; change: number; remove: number };
    };
    if (message.type === 'planned_change' && message.change !== undefined) {
      const type = message.change.resource.resource_type;
      byType.set(type, [...(byType.get(type) ?? []), message.change.action]);
    }
    if (message.type === 'change_summary' && message.changes !== undefined) summary = { add: message.changes.add, change: message.changes.change, remove: message.changes.remove };
  }
  return { byType, summary };
}

/** Runs a scenario, keeping its rejection for the `describe` that awaits it (and none unhandled meanwhile). */
function launch<T>(run: () => Promise<T>): Promise<T> {
  const promise = run();
  promise.catch(() => undefined);
  return promise;
}

let scratch: string;
const servers: LocalAws[] = [];
async function localAws(): Promise<LocalAws> {
  const aws = await startLocalAws();
  servers.push(aws);
  return aws;
}

/** §2.1: plan in one job, apply the plan file in a fresh checkout, then plan again. */
interface SplitJobs {
  readonly aws: LocalAws;
  readonly planJob: Checkout;
  readonly applyJob: Checkout;
  readonly writtenAtPlan: readonly string[];
  readonly apply: TerraformRun;
  readonly secondPlan: TerraformRun;
  readonly firstPlanJson: string;
  readonly secondPlanJson: string;
  readonly secret: string;
}

async function planThenApplyElsewhere(): Promise<SplitJobs> {
  const aws = await localAws();
  const planJob = Checkout.fresh(path.join(scratch, 'plan-job'), 'minimal', { endpoint: aws.endpoint });
  await planJob.ok(['init']);
  const beforePlan = planJob.files();
  await planJob.ok(['plan', '-out', 'tfplan']);
  const writtenAtPlan = changedFiles(beforePlan, planJob.files());
  // The apply job is another checkout: it gets the plan file and nothing else the plan job made.
  const applyJob = Checkout.fresh(path.join(scratch, 'apply-job'), 'minimal', { endpoint: aws.endpoint });
  applyJob.writeFile('tfplan', fs.readFileSync(path.join(planJob.dir, 'tfplan')));
  await applyJob.ok(['init']);
  const apply = await applyJob.ok(['apply', 'tfplan']);
  const secretArn = String(applyJob.resource('aws_secretsmanager_secret').attributes.arn);
  const secret = await secretValue(aws.endpoint, EXAMPLE_REGION, secretArn);
  const secondPlan = await applyJob.run(['plan', '-detailed-exitcode', '-out', 'second.tfplan']);
  return {
    aws,
    planJob,
    applyJob,
    writtenAtPlan,
    apply,
    secondPlan,
    firstPlanJson: JSON.stringify(await planJob.show('tfplan')),
    secondPlanJson: JSON.stringify(await applyJob.show('second.tfplan')),
    secret,
  };
}

/** §2.2: apply, destroy, apply again with the same inputs; and the same with a fixed secret name (negative control). */
interface Recreation {
  readonly aws: LocalAws;
  readonly firstSecret: StateResource;
  readonly deletedDate: unknown;
  readonly applyAgain: TerraformRun;
  readonly secondSecret: StateResource;
  readonly fixedName: { readonly firstApply: TerraformRun; readonly destroy: TerraformRun; readonly applyAgain: TerraformRun };
}

async function destroyAndApplyAgain(): Promise<Recreation> {
  const aws = await localAws();
  const [recreated, fixedName] = await Promise.all([
    (async () => {
      const checkout = Checkout.fresh(path.join(scratch, 'recreate'), 'minimal', { endpoint: aws.endpoint });
      await checkout.ok(['init']);
      await checkout.ok(['apply', '-auto-approve']);
      const firstSecret = checkout.resource('aws_secretsmanager_secret');
      await checkout.ok(['destroy', '-auto-approve']);
      const described = await awsCall(aws.endpoint, {
        region: EXAMPLE_REGION,
        service: 'secretsmanager',
        method: 'POST',
        path: '/',
        target: 'secretsmanager.DescribeSecret',
        body: { SecretId: firstSecret.attributes.arn },
      });
      const applyAgain = await checkout.run(['apply', '-auto-approve']);
      return { firstSecret, deletedDate: (described.body as { DeletedDate?: unknown }).DeletedDate, applyAgain, secondSecret: checkout.resource('aws_secretsmanager_secret') };
    })(),
    (async () => {
      // Negative control: the module as it was before it used name_prefix, a fixed secret name, through an override
      // file in this checkout's module. Only the secret (and what it needs) is applied: -target keeps it fast.
      const checkout = Checkout.fresh(path.join(scratch, 'fixed-secret-name'), 'minimal', { endpoint: aws.endpoint });
      const secret = moduleResourceName(checkout.moduleDir, 'aws_secretsmanager_secret');
      const version = moduleResourceName(checkout.moduleDir, 'aws_secretsmanager_secret_version');
      fs.writeFileSync(
        path.join(checkout.moduleDir, 'fixed_secret_name_override.tf.json'),
        JSON.stringify({ resource: { aws_secretsmanager_secret: { [secret]: { name: 'async-athena-webhook-signing-secret', name_prefix: null } } } }),
      );
      await checkout.ok(['init']);
      const target = `-target=module.async_athena.aws_secretsmanager_secret_version.${version}`;
      const firstApply = await checkout.run(['apply', '-auto-approve', target]);
      const destroy = await checkout.run(['destroy', '-auto-approve', `-target=module.async_athena.aws_secretsmanager_secret.${secret}`]);
      const applyAgain = await checkout.run(['apply', '-auto-approve', target]);
      return { firstApply, destroy, applyAgain };
    })(),
  ]);
  return { aws, ...recreated, fixedName };
}

/** §2.3: the minimal example with the same inputs in two regions of one account. */
interface TwoRegions {
  readonly applies: readonly TerraformRun[];
  readonly eu: Checkout;
  readonly us: Checkout;
}

async function applyInTwoRegions(): Promise<TwoRegions> {
  const aws = await localAws();
  const eu = Checkout.fresh(path.join(scratch, 'region-eu'), 'minimal', { endpoint: aws.endpoint });
  // The same example and inputs; only the provider's region differs (set in the provider override file).
  const us = Checkout.fresh(path.join(scratch, 'region-us'), 'minimal', { endpoint: aws.endpoint, providers: { '': 'us-east-1' } });
  await Promise.all([eu.ok(['init']), us.ok(['init'])]);
  const applies = await Promise.all([eu.run(['apply', '-auto-approve']), us.run(['apply', '-auto-approve'])]);
  return { applies, eu, us };
}

/** §2.3 and §2.4 in one root module: examples/complete (for_each over two teams, count, depends_on, a second region). */
interface Complete {
  readonly checkout: Checkout;
  readonly apply: TerraformRun;
  readonly writtenByApply: readonly string[];
  readonly secondPlan: TerraformRun;
  readonly webAclArn: string;
}

async function applyComplete(): Promise<Complete> {
  const aws = await localAws();
  // The example associates a web ACL of the reader's account; the account here gets one, and the example's
  // placeholder ARN is replaced by its ARN through an override file (the only input that differs).
  const created = await awsCall(aws.endpoint, {
    region: EXAMPLE_REGION,
    service: 'wafv2',
    method: 'POST',
    path: '/',
    target: 'AWSWAF_20190729.CreateWebACL',
    body: { Name: 'api-protection', Scope: 'REGIONAL', DefaultAction: { Allow: {} }, VisibilityConfig: { SampledRequestsEnabled: false, CloudWatchMetricsEnabled: false, MetricName: 'api' } },
  });
  const webAclArn = (created.body as { Summary: { ARN: string } }).Summary.ARN;
  const checkout = Checkout.fresh(path.join(scratch, 'complete'), 'complete', { endpoint: aws.endpoint, providers: { '': undefined, us: undefined } });
  checkout.writeFile('web_acl_override.tf', `module "team_queries" {\n  web_acl_arn = ${JSON.stringify(webAclArn)}\n}\n`);
  await checkout.ok(['init']);
  const before = checkout.files();
  const apply = await checkout.ok(['apply', '-auto-approve']);
  const writtenByApply = changedFiles(before, checkout.files());
  const secondPlan = await checkout.run(['plan', '-detailed-exitcode']);
  return { checkout, apply, writtenByApply, secondPlan, webAclArn };
}

/** §1/§3 with the real provider: `terraform validate` of each example, and of each with a bad module input. */
interface Validation {
  readonly good: TerraformRun;
  readonly bad: TerraformRun;
}

async function validateExample(example: 'minimal' | 'complete', moduleBlock: string): Promise<Validation> {
  // validate calls no AWS API; the endpoint is never contacted.
  const good = Checkout.fresh(path.join(scratch, `validate-${example}`), example, { endpoint: 'http://127.0.0.1:9' });
  const bad = Checkout.fresh(path.join(scratch, `validate-${example}-bad`), example, { endpoint: 'http://127.0.0.1:9' });
  // A bad input given to the module call, through an override file of the example.
  bad.writeFile('bad_input_override.tf', `module "${moduleBlock}" {\n  workgroup = "bad wg"\n}\n`);
  await Promise.all([good.ok(['init', '-backend=false']), bad.ok(['init', '-backend=false'])]);
  return { good: await good.run(['validate']), bad: await bad.run(['validate']) };
}

lifecycle('the committed module through a pipeline (terraform + AWS provider 5.100.0 + moto)', () => {
  let split: Promise<SplitJobs>;
  let recreation: Promise<Recreation>;
  let regions: Promise<TwoRegions>;
  let complete: Promise<Complete>;
  let validation: Promise<Record<'minimal' | 'complete', Validation>>;

  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'module-lifecycle-'));
    split = launch(planThenApplyElsewhere);
    recreation = launch(destroyAndApplyAgain);
    regions = launch(applyInTwoRegions);
    complete = launch(applyComplete);
    validation = launch(async () => {
      const [minimal, full] = await Promise.all([validateExample('minimal', 'async_athena'), validateExample('complete', 'team_queries')]);
      return { minimal, complete: full };
    });
  });

  afterAll(async () => {
    await Promise.allSettled([split, recreation, regions, complete, validation]);
    await Promise.all(servers.map((s) => s.close()));
    fs.rmSync(scratch, { recursive: true, force: true });
  }, SCENARIO_TIMEOUT_MS);

  describe('§2.1 plan and apply in separate jobs', () => {
    let jobs: SplitJobs;
    beforeAll(async () => {
      jobs = await split;
    }, SCENARIO_TIMEOUT_MS);

    test('the plan job writes no file but its plan', () => {
      expect(jobs.writtenAtPlan).toEqual([path.join('examples', 'minimal', 'tfplan')]);
    });

    test('a fresh checkout given only the plan file applies it', () => {
      expect(jobs.apply.stdout).toMatch(/Apply complete! Resources: \d+ added, 0 changed, 0 destroyed\./);
      expect(jobs.applyJob.root).not.toBe(jobs.planJob.root);
    });

    test('the plan after the apply is empty (no perpetual diff)', () => {
      // -detailed-exitcode: 0 = no changes, 2 = changes
      expect({ status: jobs.secondPlan.status, output: jobs.secondPlan.stdout.includes('No changes.') }).toEqual({ status: 0, output: true });
    });
  });

  describe('§2.1 no secret in the state or a plan', () => {
    let jobs: SplitJobs;
    beforeAll(async () => {
      jobs = await split;
    }, SCENARIO_TIMEOUT_MS);

    test('the module wrote a Standard Webhooks signing secret (whsec_ + 32 random bytes in base64) to Secrets Manager', () => {
      expect(jobs.secret).toMatch(/^whsec_[A-Za-z0-9]{44}$/);
    });

    test('the state does not contain it', () => {
      const state = jobs.applyJob.stateText();
      expect(state).not.toContain(jobs.secret.slice('whsec_'.length));
      expect(state).not.toMatch(/whsec_[A-Za-z0-9]/);
    });

    test('neither the plan before the apply nor the plan after it contains it', () => {
      for (const plan of [jobs.firstPlanJson, jobs.secondPlanJson]) {
        expect(plan).not.toContain(jobs.secret.slice('whsec_'.length));
        expect(plan).not.toMatch(/whsec_[A-Za-z0-9]/);
      }
    });
  });

  describe('§2.5 upgrades reach the stage', () => {
    /** The release applied here: the gateway response to an invalid body no longer carries the request id. */
    const UPGRADE: ReleaseChange = (stack) => {
      for (const response of all(stack, ApiGatewayGatewayResponse)) {
        response.addOverride('response_templates', { 'application/json': '{"message": "Invalid request body", "errors": "$context.error.validationErrorString"}' });
      }
    };

    /** Further releases after UPGRADE, each changing one part of what the API answers or how it integrates. */
    const API_CHANGES: readonly (readonly [string, ReleaseChange])[] = [
      ['an integration (its timeout)', (stack) => all(stack, ApiGatewayIntegration)[0].addOverride('timeout_milliseconds', 20000)],
      [
        'the request model',
        (stack) => {
          const [model] = all(stack, ApiGatewayModel);
          model.addOverride('schema', String(model.schemaInput).replace('"title":"AsyncAthenaQueryRequest"', '"title":"AsyncAthenaQueryRequestV2"'));
        },
      ],
      ['a method (an API key required)', (stack) => all(stack, ApiGatewayMethod)[0].addOverride('api_key_required', true)],
      ['the request validator', (stack) => all(stack, ApiGatewayRequestValidator)[0].addOverride('validate_request_parameters', true)],
      ['a resource (its path)', (stack) => all(stack, ApiGatewayResource)[0].addOverride('path_part', 'queries-v2')],
      ['a Lambda permission (its statement id)', (stack) => all(stack, LambdaPermission)[0].addOverride('statement_id', 'AllowApiGatewayV2')],
    ];

    let jobs: SplitJobs;
    let plan: TerraformShow;
    let oldDeploymentId: string;
    let newDeploymentId: string;
    let servedDeploymentId: unknown;
    const planned = new Map<string, PlannedActions & { readonly show?: TerraformShow }>();

    /**
     * The planned actions in a copy of the applied checkout changed by `prepare`, without refreshing (the state is
     * fresh), and the whole plan when `show` is asked.
     */
    async function planInCopy(name: string, prepare: (copy: Checkout) => void, options: { readonly show?: boolean } = {}): Promise<void> {
      const copy = jobs.applyJob.clone(path.join(scratch, `upgrade-${planned.size}-${name.replace(/\W+/g, '-')}`));
      prepare(copy);
      const actions = plannedActions(await copy.ok(['plan', '-refresh=false', '-lock=false', '-json', '-out', 'next.tfplan']));
      planned.set(name, { ...actions, show: options.show === true ? await copy.show('next.tfplan') : undefined });
    }

    beforeAll(async () => {
      jobs = await split;
      // GIVEN the applied module, WHEN a release changes what the API answers for an invalid body
      oldDeploymentId = String(jobs.applyJob.resource('aws_api_gateway_deployment').attributes.id);
      release(jobs.applyJob, UPGRADE);
      await jobs.applyJob.ok(['plan', '-out', 'upgrade.tfplan']);
      plan = await jobs.applyJob.show('upgrade.tfplan');
      await jobs.applyJob.ok(['apply', 'upgrade.tfplan']);
      newDeploymentId = String(jobs.applyJob.resource('aws_api_gateway_deployment').attributes.id);
      const stage = jobs.applyJob.resource('aws_api_gateway_stage').attributes;
      const served = await awsCall(jobs.aws.endpoint, { region: EXAMPLE_REGION, service: 'apigateway', method: 'GET', path: `/restapis/${String(stage.rest_api_id)}/stages/${String(stage.stage_name)}` });
      servedDeploymentId = (served.body as { deploymentId?: unknown }).deploymentId;
      // The next plans, each in its own copy of the upgraded checkout, run side by side.
      await Promise.all([
        planInCopy('the same release', (copy) => release(copy, UPGRADE)),
        ...API_CHANGES.map(([name, change]) =>
          planInCopy(name, (copy) =>
            release(copy, (stack) => {
              UPGRADE(stack);
              change(stack);
            }),
          ),
        ),
        // The caller gives the module other tags, through an override file of the example's module block.
        planInCopy('other tags', (copy) => copy.writeFile('tags_override.tf', 'module "async_athena" {\n  tags = { team = "data-platform" }\n}\n'), { show: true }),
      ]);
    }, SCENARIO_TIMEOUT_MS);

    test('a changed gateway response creates a new deployment before deleting the old one', () => {
      expect(changesOf(plan, 'aws_api_gateway_deployment').map((c) => c.change.actions)).toEqual([['create', 'delete']]);
    });

    test('and points the stage at it', () => {
      const [stage] = changesOf(plan, 'aws_api_gateway_stage');
      expect(stage.change.actions).toEqual(['update']);
      expect(stage.change.after_unknown?.deployment_id).toBe(true);
    });

    test('after the apply, API Gateway serves the stage from the new deployment', () => {
      expect(newDeploymentId).not.toBe(oldDeploymentId);
      expect(servedDeploymentId).toBe(newDeploymentId);
    });

    test('regenerating the applied release plans no change', () => {
      expect(planned.get('the same release')?.summary).toEqual({ add: 0, change: 0, remove: 0 });
    });

    test.each(API_CHANGES.map(([name]) => name))('a release changing %s replaces the deployment and updates the stage', (name) => {
      expect(planned.get(name)?.byType.get('aws_api_gateway_deployment')).toEqual(['replace']);
      expect(planned.get(name)?.byType.get('aws_api_gateway_stage')).toEqual(['update']);
    });

    test('an unrelated change (the tags) updates the tagged resources and keeps the deployment and the stage', () => {
      const tags = planned.get('other tags');
      for (const type of ['aws_lambda_function', 'aws_sfn_state_machine', 'aws_iam_role']) expect(tags?.byType.get(type)).toContain('update');
      expect(tags?.byType.has('aws_api_gateway_deployment')).toBe(false);
      // The stage is tagged too: it is updated, but keeps its deployment.
      const [stage] = changesOf(tags?.show ?? {}, 'aws_api_gateway_stage');
      expect(stage.change.actions).toEqual(['update']);
      expect(stage.change.after?.deployment_id).toBe(stage.change.before?.deployment_id);
      expect(stage.change.after_unknown?.deployment_id).toBeFalsy();
    });
  });

  describe('§2.2 destroy, then apply again the same day', () => {
    let run: Recreation;
    beforeAll(async () => {
      run = await recreation;
    }, SCENARIO_TIMEOUT_MS);

    test('the destroyed signing secret waits out its recovery window (the account still holds its name)', () => {
      expect(typeof run.deletedDate).toBe('number');
    });

    test('applying the same inputs again succeeds, with a new secret of the same name prefix', () => {
      expect(run.applyAgain.stdout).toMatch(/Apply complete! Resources: \d+ added/);
      expect(run.applyAgain.status).toBe(0);
      expect(String(run.secondSecret.attributes.name)).not.toBe(String(run.firstSecret.attributes.name));
      expect(String(run.secondSecret.attributes.name_prefix)).toBe(String(run.firstSecret.attributes.name_prefix));
    });

    test('negative control: with a fixed secret name, the second apply fails as on AWS', () => {
      expect([run.fixedName.firstApply.status, run.fixedName.destroy.status]).toEqual([0, 0]);
      expect(run.fixedName.applyAgain.status).toBe(1);
      expect(run.fixedName.applyAgain.stderr.replace(/\s+/g, ' ')).toContain("You can't create this secret because a secret with this name is already scheduled for deletion.");
    });
  });

  describe('§2.3 the same inputs in two regions of one account', () => {
    let run: TwoRegions;
    beforeAll(async () => {
      run = await regions;
    }, SCENARIO_TIMEOUT_MS);

    const roleNames = (checkout: Checkout) => checkout.resources().filter((r) => r.type === 'aws_iam_role').map((r) => String(r.attributes.name));

    test('both apply', () => {
      expect(run.applies.map((a) => a.status)).toEqual([0, 0]);
    });

    test('with the same regional names, and IAM role names (account-global) that differ by region', () => {
      // GIVEN the names each region got
      const eu = roleNames(run.eu);
      const us = roleNames(run.us);
      // THEN
      const functionNames = (checkout: Checkout) => checkout.resources().filter((r) => r.type === 'aws_lambda_function').map((r) => String(r.attributes.function_name)).sort();
      expect(functionNames(run.eu)).toEqual(functionNames(run.us));
      expect(functionNames(run.eu).length).toBeGreaterThanOrEqual(2);
      expect(eu.length).toBeGreaterThanOrEqual(4);
      expect(eu.every((name) => name.endsWith('-eu-west-1'))).toBe(true);
      expect(us.every((name) => name.endsWith('-us-east-1'))).toBe(true);
      expect(eu.filter((name) => us.includes(name))).toEqual([]);
    });
  });

  describe('§2.3 and §2.4 examples/complete: two instances (for_each), a second region (count, aliased provider), depends_on', () => {
    let run: Complete;
    beforeAll(async () => {
      run = await complete;
    }, SCENARIO_TIMEOUT_MS);

    /** Account- or region-wide identifiers of an instance's resources: ids and ARNs. */
    /**
     * The ids and ARNs of a module instance's resources. A Lambda permission's id is its statement id, which names
     * the statement within its function's policy, not a physical resource: it is qualified by the function.
     */
    const identifiers = (module: string) =>
      run.checkout
        .resources()
        .filter((r) => r.module === module)
        .flatMap((r) =>
          r.type === 'aws_lambda_permission'
            ? [`${String(r.attributes.function_name)}/${String(r.attributes.statement_id)}`]
            : [r.attributes.id, r.attributes.arn].filter((v): v is string => typeof v === 'string' && v !== ''),
        );

    test('applies', () => {
      expect(run.apply.stdout).toMatch(/Apply complete! Resources: \d+ added, 0 changed, 0 destroyed\./);
    });

    test('the two for_each instances share no physical name or ARN', () => {
      // GIVEN
      const orders = identifiers('module.team_queries["orders"]');
      const billing = identifiers('module.team_queries["billing"]');
      // THEN
      expect(orders.length).toBeGreaterThan(30);
      expect(billing.length).toBe(orders.length);
      expect(orders.filter((id) => billing.includes(id))).toEqual([]);
    });

    test('the same name prefix in the second region collides on no ARN (regional names may repeat, IAM role names do not)', () => {
      // GIVEN
      const arns = (module: string) => identifiers(module).filter((id) => id.startsWith('arn:'));
      const roles = (module: string) => run.checkout.resources().filter((r) => r.module === module && r.type === 'aws_iam_role').map((r) => String(r.attributes.name));
      // THEN
      expect(arns('module.orders_us[0]').length).toBeGreaterThan(15);
      expect(arns('module.orders_us[0]').filter((arn) => arns('module.team_queries["orders"]').includes(arn))).toEqual([]);
      expect(roles('module.orders_us[0]').filter((name) => roles('module.team_queries["orders"]').includes(name))).toEqual([]);
    });

    test('no instance writes a file: the apply changes nothing in the checkout but the state', () => {
      expect(run.writtenByApply).toEqual([path.join('examples', 'complete', 'terraform.tfstate')]);
    });

    test('each instance of the first region associates the web ACL with its own stage', () => {
      const associations = run.checkout.resources().filter((r) => r.type === 'aws_wafv2_web_acl_association');
      expect(associations.map((a) => a.attributes.web_acl_arn)).toEqual([run.webAclArn, run.webAclArn]);
      expect(new Set(associations.map((a) => a.attributes.resource_arn)).size).toBe(2);
    });

    test('the plan after the apply is empty', () => {
      expect(run.secondPlan.status).toBe(0);
    });
  });

  describe.each(['minimal', 'complete'] as const)('examples/%s with the real AWS provider', (example) => {
    let run: Validation;
    beforeAll(async () => {
      run = (await validation)[example];
    }, SCENARIO_TIMEOUT_MS);

    test('validates', () => {
      expect(run.good.stdout).toContain('Success! The configuration is valid.');
    });

    test("fails to validate with a bad module input, with the variable's message", () => {
      expect(run.bad.status).toBe(1);
      expect(run.bad.stderr.replace(/\s*│\s*/g, ' ').replace(/\s+/g, ' ')).toContain(
        `workgroup must match ^[a-zA-Z0-9._-]{1,128}$ (1-128 letters, digits, '.', '_' or '-'), got "bad wg".`,
      );
    });
  });
});

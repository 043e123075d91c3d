/**
 * IAM policy documents as rendered by Terraform, and decisions on them by an IAM policy simulator
 * (@cloud-copilot/iam-simulate, AGPL-3.0: a devDependency used by tests only, never shipped). Test helper; not a suite.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';

/** One statement, in any of the shapes IAM accepts (a string or a list). */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: string | Readonly<Record<string, string | readonly string[]>>;
  readonly NotPrincipal?: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** A policy document. */
export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: readonly PolicyStatement[];
}

/** A value IAM accepts as a string or a list, as a list. */
export function asList<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** What the simulator decided, reduced to what a row expects. */
export type Decision = 'Allowed' | 'Denied';

/** One request to simulate. */
export interface SimulatedRequest {
  /** ARN of the calling principal (a role or session ARN), or a service principal such as `states.amazonaws.com`. */
  readonly principal: string;
  readonly action: string;
  /** ARN of the resource; it must be of a type the action applies to, or the simulation fails. */
  readonly resource: string;
  /** Account owning the resource. */
  readonly resourceAccount: string;
  /** The principal's identity policies. */
  readonly identityPolicies: readonly PolicyDocument[];
  /** The resource's policy: a role's trust policy, a key policy, a Glue catalog policy. */
  readonly resourcePolicy?: PolicyDocument;
  /** Request context, such as `aws:SourceAccount`. */
  readonly context?: Readonly<Record<string, string>>;
}

/** Thrown when the simulator cannot evaluate a request: a misspelt action or a resource of the wrong type. */
export class SimulationError extends Error {
  constructor(request: SimulatedRequest, detail: string) {
    super(`Cannot simulate ${request.action} on ${request.resource}: ${detail}. Fix the row, not the expectation.`);
    this.name = 'SimulationError';
  }
}

/**
 * Simulates one request the way IAM evaluates it (identity policies, the resource policy, same- or cross-account) and
 * returns Allowed or Denied. An unevaluable request throws, so a wrong row fails instead of passing as a deny.
 */
export async function decide(request: SimulatedRequest): Promise<Decision> {
  const result = await runSimulation(
    {
      identityPolicies: request.identityPolicies.map((policy, i) => ({ name: `policy-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy,
      request: {
        action: request.action,
        principal: request.principal,
        resource: { accountId: request.resourceAccount, resource: request.resource },
        contextVariables: { ...(request.context ?? {}) },
      },
    },
    {},
  );
  if (result.resultType === 'error') throw new SimulationError(request, JSON.stringify(result.errors));
  if (result.resultType === 'single' && (result.result.ignoredContextKeys ?? []).length > 0) {
    throw new SimulationError(request, `context keys ignored: ${(result.result.ignoredContextKeys ?? []).join(', ')}`);
  }
  if (result.overallResult === 'Allowed') return 'Allowed';
  if (result.overallResult === 'ImplicitlyDenied' || result.overallResult === 'ExplicitlyDenied') return 'Denied';
  throw new SimulationError(request, `unexpected result ${String(result.overallResult)}`);
}

/** A resource policy that lets a whole account use a resource, so that only that account's identity policies decide. */
export function delegatesToAccount(accountId: string, action: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'DelegateToIam', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: action, Resource: '*' }],
  };
}

/** A trust policy letting a whole account assume a role, so that only the caller's identity policies decide. */
export function trustsAccount(accountId: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'TrustAccount', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'sts:AssumeRole' }],
  };
}

/** An identity policy allowing one action everywhere, for a neighbour principal that only a trust policy can stop. */
export function allowsEverywhere(action: string): PolicyDocument {
  return { Version: '2012-10-17', Statement: [{ Sid: 'Everywhere', Effect: 'Allow', Action: action, Resource: '*' }] };
}

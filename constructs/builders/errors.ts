/**
 * Errors raised at synth time. Each names the construct, the prop, the rule and the value received.
 */

/** One problem found in a construct's props. */
export interface PropProblem {
  /** The prop, as the user spells it (`outputLocation`, `callbackRetry.maxAttempts`). */
  readonly prop: string;
  /** The rule the value breaks, phrased to follow "must" (`"be an s3:// URI ending in '/'"`). */
  readonly rule: string;
  /** The value received. */
  readonly value: unknown;
  /** How to fix it, when that is not obvious from the rule. */
  readonly hint?: string;
}

/** Renders one problem as `<prop> must <rule>, got <value>. <hint>`. */
export function describeProblem(problem: PropProblem): string {
  const got = problem.value === undefined ? 'undefined' : JSON.stringify(problem.value);
  return `${problem.prop} must ${problem.rule}, got ${got}.${problem.hint ? ` ${problem.hint}` : ''}`;
}

/**
 * Thrown when a construct's props break one or more rules. The message lists every problem, one per line, so a user
 * fixes them all in one go.
 */
export class InvalidPropsError extends Error {
  /** Every problem found, in prop order. */
  public readonly problems: readonly PropProblem[];

  constructor(construct: string, id: string, problems: readonly PropProblem[]) {
    super(
      `${construct} '${id}' has ${problems.length} invalid prop${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  - ${describeProblem(p)}`).join('\n'),
    );
    this.name = 'InvalidPropsError';
    this.problems = problems;
  }
}

/** Thrown when two instances in one stack would create resources with the same physical names. */
export class NamePrefixCollisionError extends Error {
  constructor(namePrefix: string, firstPath: string, secondPath: string) {
    super(
      `namePrefix '${namePrefix}' is used by both '${firstPath}' and '${secondPath}'; physical names (IAM roles, ` +
        'Lambda function, state machine, API) would collide. Give each instance its own namePrefix, or leave it unset ' +
        'to derive a unique one from the construct path.',
    );
    this.name = 'NamePrefixCollisionError';
  }
}

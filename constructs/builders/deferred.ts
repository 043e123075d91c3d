/**
 * Parts of a JSON document (a state-machine definition, an IAM policy) that Terraform decides at plan time.
 *
 * The builders are pure: they never import a CDK framework, so they cannot tell a Terraform token from a literal by
 * themselves. They are handed an `isUnresolved` predicate instead (as validation.ts is). When an optional input is a
 * literal, a builder decides in TypeScript (a KMS statement is there or not); when it is a token (a Terraform variable
 * of the module), the builder emits one of the nodes below, and the construct renders the document as a Terraform
 * `jsonencode(...)` expression (constructs/terraform-json.ts) so that Terraform takes the decision with the variable's
 * real value. A document without such nodes renders as plain JSON text, exactly as `JSON.stringify` would.
 */

/** Tells whether a value is an unresolved Terraform token. */
export type IsUnresolved = (value: unknown) => boolean;

/** Never unresolved: for callers that only have literals (the twin, the bench, tests of the builders). */
export const ONLY_LITERALS: IsUnresolved = () => false;

/** What a {@link Conditional} tests. The value is a token; its Terraform value is tested. */
export type DeferredTest =
  /** The value is null (an optional variable left unset). */
  | { readonly isNull: unknown }
  /** The value, a bool, is true. */
  | { readonly isTrue: unknown }
  /** The value, a list, has no element. */
  | { readonly isEmpty: unknown };

/** `test ? then : otherwise`, decided by Terraform. */
export interface Conditional {
  readonly $deferred: 'conditional';
  readonly test: DeferredTest;
  readonly then: JsonTree;
  readonly otherwise: JsonTree;
}

/** Inside an array: stands for the elements of a list (itself a node or a token list), spliced in place. */
export interface Spread {
  readonly $deferred: 'spread';
  readonly list: JsonTree;
}

/** An object whose keys are the union of these objects' keys (later ones win), as Terraform's `merge`. */
export interface Merge {
  readonly $deferred: 'merge';
  readonly objects: readonly JsonTree[];
}

/**
 * A list made by Terraform from a list value: `[for item in list : item-template]` (`distinct(...)` when asked).
 * Inside `item`, strings refer to the element through {@link LOOP_ITEM} markers.
 */
export interface ForEach {
  readonly $deferred: 'for';
  readonly list: JsonTree;
  readonly item: JsonTree;
  readonly distinct: boolean;
}

/** The sum of numbers, one of them a token: Terraform adds them. */
export interface Sum {
  readonly $deferred: 'sum';
  readonly terms: readonly JsonTree[];
}

/** A node decided at plan time. */
export type Deferred = Conditional | Spread | Merge | ForEach | Sum;

/**
 * Marks, inside a {@link ForEach} item, the element (`LOOP_ITEM`) or one of its attributes (`loopItemAttribute`).
 * NUL characters cannot occur in any value the builders are given, so the markers cannot be mistaken for text.
 */
export const LOOP_ITEM = '\u0000item\u0000';

/** The marker of an attribute of the loop element (an element of a list of objects). */
export function loopItemAttribute(name: string): string {
  return `\u0000item.${name}\u0000`;
}

/** A JSON value that may hold deferred nodes and Terraform tokens. */
export type JsonTree = string | number | boolean | null | Deferred | readonly JsonTree[] | { readonly [key: string]: JsonTree };

/** Whether a value is a deferred node. */
export function isDeferred(value: unknown): value is Deferred {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as { $deferred?: unknown }).$deferred === 'string';
}

/** `test ? then : otherwise`. */
export function conditional(test: DeferredTest, then: JsonTree, otherwise: JsonTree): Conditional {
  return { $deferred: 'conditional', test, then, otherwise };
}

/** The elements of `list`, spliced into the array that holds this node. */
export function spread(list: JsonTree): Spread {
  return { $deferred: 'spread', list };
}

/** The keys of every object, merged. */
export function merge(...objects: JsonTree[]): Merge {
  return { $deferred: 'merge', objects };
}

/**
 * The elements `make(value)` returns when an optional value is set: none when it is undefined, decided now when it is
 * a literal, decided by Terraform (null or not) when it is a token. For optional statements of a policy.
 */
export function whenSet<T extends string>(value: T | undefined, isUnresolved: IsUnresolved, make: (value: T) => JsonTree): JsonTree[] {
  if (value === undefined) return [];
  if (!isUnresolved(value)) return [make(value)];
  return [spread(conditional({ isNull: value }, [], [make(value)]))];
}

/**
 * The keys `make(value)` returns when an optional value is set, for spreading into an object with {@link objectWith}:
 * none when it is undefined, the object itself for a literal, a node for a token.
 */
export function keysWhenSet<T extends string>(value: T | undefined, isUnresolved: IsUnresolved, make: (value: T) => { readonly [key: string]: JsonTree }): OptionalKeys {
  if (value === undefined) return { literal: {} };
  if (!isUnresolved(value)) return { literal: make(value) };
  return { deferred: conditional({ isNull: value }, {}, make(value)) };
}

/** Keys that are known now (`literal`) or decided by Terraform (`deferred`). */
export type OptionalKeys = { readonly literal: { readonly [key: string]: JsonTree } } | { readonly deferred: Deferred };

/** An object of fixed keys plus optional ones: a plain object when every part is known now, else a merge node. */
export function objectWith(fixed: { readonly [key: string]: JsonTree }, ...optional: readonly OptionalKeys[]): { readonly [key: string]: JsonTree } | Merge {
  if (optional.every((part) => 'literal' in part)) {
    return Object.assign({}, fixed, ...optional.map((part) => ('literal' in part ? part.literal : {})));
  }
  return merge(fixed, ...optional.map((part) => ('literal' in part ? part.literal : part.deferred)));
}

/**
 * The elements of a list that may be a token list: the elements themselves for a literal list, a spread node for a
 * token (Terraform splices the list in).
 */
export function elementsOf(list: readonly string[], isUnresolved: IsUnresolved): JsonTree[] {
  return isUnresolved(list) ? [spread(list as unknown as JsonTree)] : [...list];
}

/**
 * `make` applied to every element of a list of strings that may be a token list: the mapped elements for a literal
 * list, a spread of a Terraform `for` expression for a token (`make` then receives {@link LOOP_ITEM}).
 */
export function mapStrings(list: readonly string[], isUnresolved: IsUnresolved, make: (item: string) => JsonTree, options: { readonly distinct?: boolean } = {}): JsonTree[] {
  if (!isUnresolved(list)) {
    const mapped = list.map(make);
    return options.distinct ? mapped.filter((value, index) => mapped.findIndex((other) => JSON.stringify(other) === JSON.stringify(value)) === index) : mapped;
  }
  return [spread({ $deferred: 'for', list: list as unknown as JsonTree, item: make(LOOP_ITEM), distinct: options.distinct ?? false })];
}

/**
 * `make` applied to every element of a list of records that may be a token list (a Terraform list of objects with the
 * same attributes): for a token, `make` receives a record of {@link loopItemAttribute} markers.
 */
export function mapRecords<K extends string>(
  list: readonly Readonly<Record<K, string>>[],
  keys: readonly K[],
  isUnresolved: IsUnresolved,
  make: (item: Readonly<Record<K, string>>) => JsonTree,
  options: { readonly distinct?: boolean } = {},
): JsonTree[] {
  if (!isUnresolved(list)) {
    const mapped = list.map(make);
    return options.distinct ? mapped.filter((value, index) => mapped.findIndex((other) => JSON.stringify(other) === JSON.stringify(value)) === index) : mapped;
  }
  const item = Object.fromEntries(keys.map((key) => [key, loopItemAttribute(key)])) as Record<K, string>;
  return [spread({ $deferred: 'for', list: list as unknown as JsonTree, item: make(item), distinct: options.distinct ?? false })];
}

/**
 * The elements `make()` returns when a list is not empty: decided now for a literal list, by Terraform for a token.
 */
export function whenNotEmpty(list: readonly unknown[], isUnresolved: IsUnresolved, make: () => readonly JsonTree[]): JsonTree[] {
  if (!isUnresolved(list)) return list.length > 0 ? [...make()] : [];
  return [spread(conditional({ isEmpty: list as unknown as JsonTree }, [], [...make()]))];
}

/** The elements `make()` returns unless a flag is true: decided now for a literal, by Terraform for a token. */
export function unlessTrue(flag: boolean | undefined, isUnresolved: IsUnresolved, make: () => readonly JsonTree[]): JsonTree[] {
  if (flag === undefined || !isUnresolved(flag)) return flag === true ? [] : [...make()];
  return [spread(conditional({ isTrue: flag as unknown as JsonTree }, [], [...make()]))];
}

/**
 * `a + b` for numbers that may be tokens: arithmetic on a token's encoded placeholder would give a wrong literal, so a
 * token sum is left to Terraform.
 */
export function sum(a: number, b: number, isUnresolved: IsUnresolved): number | Sum {
  return isUnresolved(a) || isUnresolved(b) ? { $deferred: 'sum', terms: [a, b] } : a + b;
}

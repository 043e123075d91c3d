/**
 * Reading resources of a synthesized stack: by type, by reference, and whether the AWS provider lets a type carry tags.
 * Test helper; not a suite.
 */
import { findResources, type SynthesizedStack } from '../../../twin/wiring/synthesized-stack';

/** One synthesized resource. */
export interface Resource {
  readonly type: string;
  readonly name: string;
  readonly config: Record<string, unknown>;
}

/** Every resource of the stack, or of one type. */
export function resources(stack: SynthesizedStack, type?: string): Resource[] {
  const types = type ? [type] : Object.keys(stack.json.resource ?? {});
  return types.flatMap((t) => Object.entries(findResources(stack, t)).map(([name, config]) => ({ type: t, name, config })));
}

/** The one resource of a type; throws when there is not exactly one. */
export function only(stack: SynthesizedStack, type: string): Resource {
  const found = resources(stack, type);
  if (found.length !== 1) throw new Error(`Expected one ${type}, found ${found.length}`);
  return found[0];
}

/** `${<type>.<name>.<attribute>}`, the way cdktf writes a reference to a resource attribute. */
export function reference(resource: Resource, attribute: string): string {
  return `\${${resource.type}.${resource.name}.${attribute}}`;
}

/** A nested block, which cdktf writes as an object (or, for some blocks, a one-element list). */
export function block(config: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = config[key];
  const first = Array.isArray(value) ? value[0] : value;
  if (!first || typeof first !== 'object') throw new Error(`No ${key} block`);
  return first as Record<string, unknown>;
}

const taggable = new Map<string, boolean>();

/**
 * Whether the AWS provider's schema gives a resource type a `tags` argument, read from the generated provider class
 * (`@cdktf/provider-aws/lib/<type>`), so the list of taggable types comes from the provider, not from the tests.
 */
export function isTaggable(type: string): boolean {
  const known = taggable.get(type);
  if (known !== undefined) return known;
  const modulePath = `@cdktf/provider-aws/lib/${type.replace(/^aws_/, '').replace(/_/g, '-')}`;
  const exported = require(modulePath) as Record<string, unknown>;
  const resourceClass = Object.values(exported).find(
    (value): value is { prototype: object; tfResourceType: string } => typeof value === 'function' && (value as { tfResourceType?: string }).tfResourceType === type,
  );
  if (!resourceClass) throw new Error(`No provider class for ${type} in ${modulePath}`);
  const result = Object.getOwnPropertyDescriptor(resourceClass.prototype, 'tags') !== undefined;
  taggable.set(type, result);
  return result;
}

/**
 * Issue 9 §2.6: resource addresses are the module's API. This pins the addresses of the default module; an address that
 * disappears must come with a `moved` block (MODULE_MOVES), and a new one is added to the pin deliberately. A resource
 * the module no longer needs at all is unpinned deliberately and listed under "Removed" in CHANGELOG.md (issue 11
 * removed the API Gateway role and the method and integration responses of the StartExecution integration).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MODULE_MOVES } from '../../constructs/builders/module-interface';
import { MODULE_DIRECTORY } from '../../scripts/module-artifact';

const ROOT = path.resolve(__dirname, '..', '..');
const PINNED = JSON.parse(fs.readFileSync(path.join(__dirname, 'resource-addresses.json'), 'utf8')) as string[];
const main = JSON.parse(fs.readFileSync(path.join(ROOT, MODULE_DIRECTORY, 'main.tf.json'), 'utf8')) as {
  resource: Record<string, Record<string, unknown>>;
  moved?: { from: string; to: string }[];
};
const actual = Object.entries(main.resource).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`)).sort();

describe('resource addresses of the module', () => {
  test('every pinned address still exists, or has a moved block to an address that does', () => {
    // WHEN
    const lost = PINNED.filter((address) => !actual.includes(address) && !MODULE_MOVES.some((m) => m.from === address && actual.includes(m.to)));
    // THEN
    expect(lost).toEqual([]);
  });

  test('every address of the module is pinned (a new resource is added to resource-addresses.json on purpose)', () => {
    expect(actual.filter((address) => !PINNED.includes(address) && !MODULE_MOVES.some((m) => m.to === address))).toEqual([]);
  });

  test('the module carries a moved block for every move', () => {
    expect(main.moved ?? []).toEqual(MODULE_MOVES.map((m) => ({ from: m.from, to: m.to })));
  });
});

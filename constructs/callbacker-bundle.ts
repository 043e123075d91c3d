/**
 * Where the prebuilt functions live: the callbacker and the query API function. `npm run build` (also run by `prepare`
 * and `prepack`) bundles each entry of handler/ with esbuild and zips it deterministically (scripts/build-callbacker.ts);
 * the package ships the files, and the constructs only point Terraform at them. Nothing here bundles or zips: a
 * consumer's synth needs no esbuild.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Flavour, FLAVOURS, flavourOfPackage } from './flavours';

/** The shipped callbacker's folder, relative to the package root. */
export const CALLBACKER_DIRECTORY = path.join('dist', 'callbacker');
/** The bundle's file name: one minified CommonJS file exporting `handler` (the Lambda handler `index.handler`). */
export const CALLBACKER_BUNDLE_FILE = 'index.js';
/** The deployment package's file name: a zip holding the bundle alone, as `index.js`. */
export const CALLBACKER_ZIP_FILE = 'callbacker.zip';

/** The query API function's folder, relative to the package root. */
export const QUERY_API_DIRECTORY = path.join('dist', 'query-api');
/** Its deployment package's file name. */
export const QUERY_API_ZIP_FILE = 'query-api.zip';

/** The functions the package ships prebuilt: where each is, and the handler source it is bundled from. */
export const SHIPPED_FUNCTIONS = {
  callbacker: { directory: CALLBACKER_DIRECTORY, bundleFile: CALLBACKER_BUNDLE_FILE, zipFile: CALLBACKER_ZIP_FILE, entry: path.join('handler', 'index.ts') },
  queryApi: { directory: QUERY_API_DIRECTORY, bundleFile: CALLBACKER_BUNDLE_FILE, zipFile: QUERY_API_ZIP_FILE, entry: path.join('handler', 'api', 'index.ts') },
} as const;

/** One of the shipped functions. */
export type ShippedFunctionName = keyof typeof SHIPPED_FUNCTIONS;

/** The prebuilt files of one function of an installed copy of this package. */
export interface ShippedCallbacker {
  /** Absolute path of the folder holding both files. */
  readonly directory: string;
  /** Absolute path of the esbuild bundle, `index.js`. */
  readonly bundleFile: string;
  /** Absolute path of the deterministic zip of the bundle, the Lambda deployment package. */
  readonly zipFile: string;
}

/**
 * A prebuilt function (the callbacker or the query API function) is missing: the package was used from a checkout that
 * was never built, or its build failed. Run `npm run build` in the package folder.
 */
export class MissingCallbackerBundleError extends Error {
  constructor(missing: string) {
    super(
      `The prebuilt function file ${missing} is missing. It is made by \`npm run build\` (which \`npm test\`, \`prepare\` and ` +
        '`prepack` run) and shipped in the published package; run `npm run build` in the package folder, or install a ' +
        'published version.',
    );
    this.name = 'MissingCallbackerBundleError';
  }
}

/**
 * `@cdktf/provider-archive` is needed (packaging `archive-provider`) but not installed. It is an optional peer
 * dependency: install it next to this package.
 */
export class MissingPeerDependencyError extends Error {
  /**
   * @param id the construct id
   * @param peer the missing package
   * @param range the range the package's peerDependencies give for it
   */
  constructor(id: string, peer: string, range: string, cause: unknown) {
    // A range with spaces (`>=1 <2`) must be quoted for the shell.
    const spec = /\s/.test(range) ? `'${peer}@${range}'` : `${peer}@${range}`;
    super(
      `CallbackerFunction '${id}': packaging 'archive-provider' needs the optional peer dependency ${peer} (${range}), ` +
        `which is not installed. Run \`npm install --save-dev ${spec}\`, or use packaging 'prebuilt-zip' (the default), ` +
        'which needs no archive provider.',
      { cause },
    );
    this.name = 'MissingPeerDependencyError';
  }
}

/** This package as installed: where, which flavour, and the peer ranges its package.json declares. */
export interface InstalledPackage {
  /** Absolute path of the package root (the folder of its package.json). */
  readonly root: string;
  readonly flavour: Flavour;
  /** `peerDependencies` of the package.json. */
  readonly peerDependencies: Readonly<Record<string, string>>;
}

let installed: InstalledPackage | undefined;

/**
 * Finds this package's root folder, from the sources (`constructs/`) or the compiled output (`dist/constructs/`), in
 * a checkout or under `node_modules/`: the nearest package.json above this file that names one of the flavours
 * (the CDKTF package, or the CDK Terrain package that the build writes to `dist/cdktn/`).
 */
export function installedPackage(): InstalledPackage {
  if (installed !== undefined) return installed;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const manifest = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string; peerDependencies?: Record<string, string> };
      const flavour = flavourOfPackage(manifest.name);
      if (flavour !== undefined) {
        installed = { root: dir, flavour, peerDependencies: manifest.peerDependencies ?? {} };
        return installed;
      }
    }
    if (path.dirname(dir) === dir) {
      const names = Object.values(FLAVOURS).map((f) => f.packageName).join(' or ');
      throw new Error(`Cannot find the package root (a package.json named ${names}) above ${__dirname}`);
    }
  }
}

/** See {@link installedPackage}. */
export function packageRoot(): string {
  return installedPackage().root;
}

/**
 * The shipped files of one function of this package.
 *
 * @throws MissingCallbackerBundleError when either file is missing (an unbuilt checkout)
 */
export function shippedFunction(name: ShippedFunctionName): ShippedCallbacker {
  const spec = SHIPPED_FUNCTIONS[name];
  const directory = path.join(packageRoot(), spec.directory);
  const shipped = { directory, bundleFile: path.join(directory, spec.bundleFile), zipFile: path.join(directory, spec.zipFile) };
  for (const file of [shipped.bundleFile, shipped.zipFile]) if (!fs.existsSync(file)) throw new MissingCallbackerBundleError(file);
  return shipped;
}

/**
 * The shipped callbacker files of this package.
 *
 * @throws MissingCallbackerBundleError when either file is missing (an unbuilt checkout)
 */
export function shippedCallbacker(): ShippedCallbacker {
  return shippedFunction('callbacker');
}

/**
 * The shipped query API function files of this package.
 *
 * @throws MissingCallbackerBundleError when either file is missing (an unbuilt checkout)
 */
export function shippedQueryApi(): ShippedCallbacker {
  return shippedFunction('queryApi');
}

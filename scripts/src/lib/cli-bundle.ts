// The `reflex` CLI as one ES module, dist/cli/reflex.mjs, so that a command starts without compiling
// TypeScript first. scripts/bin/reflex.mjs (`pnpm reflex`) runs it, and rebuilds it when a file it was
// built from has changed since: the build lists them in dist/cli/reflex.inputs.json.
import { existsSync, mkdirSync, readdirSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { buildInputs, NODE_BUNDLE, zodEnglishOnly } from './bundle';

/** The CLI bundle, relative to the workspace root; its source map is `reflex.mjs.map` beside it. */
const CLI_BUNDLE = join('dist', 'cli', 'reflex.mjs');

/** What the bundle was built from (read by scripts/bin/reflex.mjs), relative to the workspace root. */
const CLI_INPUTS = join('dist', 'cli', 'reflex.inputs.json');

/** The contents of CLI_INPUTS. */
interface CliInputs {
  /** The workspace the bundle was built in (its imports of node_modules are absolute paths there). */
  readonly root: string;
  /** When the build started, in ms since the epoch: an input modified later makes the bundle stale. */
  readonly startedAt: number;
  /** Files and folders, relative to the root; one that is gone makes the bundle stale too. */
  readonly inputs: readonly string[];
}

/**
 * Packages left in node_modules and imported from there, by absolute path: the AWS SDK (large, and only
 * the commands that call AWS load it), PGlite (it reads its WebAssembly beside its module), esbuild (it
 * finds its binary from its own path) and tsx (for manifests outside the bundle).
 */
const EXTERNAL = /^(@aws-sdk\/|@smithy\/|@aws-crypto\/|@electric-sql\/pglite(\/|$)|esbuild$|tsx\/)/;

const DEFERRED = 'reflex-deferred';
const RESOLVING = Symbol('resolving');

/**
 * In an ES module every static import is evaluated before the importer runs: `reflex match` would load the
 * AWS SDK, cdktf and PGlite because other commands import them. This plugin turns such imports into
 * CommonJS modules whose exports load the real module on first use (esbuild reads a CommonJS module's
 * exports property by property, at each use). It applies to every import a command module
 * (scripts/src/cli/*.ts) makes of something outside that folder, and to every static import of an
 * external package anywhere in the bundle. Only named imports are deferred correctly: a default or
 * namespace import of a deferred module gets a proxy, not the module's own default export.
 */
function deferredImports(cliDir: string, externals: Set<string>): Plugin {
  const inCliDir = (path: string) => path.startsWith(cliDir + sep);
  return {
    name: 'deferred-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === RESOLVING || isBuiltin(args.path)) return undefined;
        // A deferred module's require() of an external package, by the path resolved below.
        if (externals.has(args.path)) return { path: args.path, external: true };
        const external = EXTERNAL.test(args.path);
        if (!external && !(args.kind === 'import-statement' && inCliDir(args.importer))) return undefined;
        // A deferred external package is required, so it is resolved as require() would (CommonJS where it ships both).
        const kind = external && args.kind === 'import-statement' ? 'require-call' : args.kind;
        const found = await b.resolve(args.path, { kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: RESOLVING });
        if (found.errors.length > 0) return { errors: found.errors };
        if (external) externals.add(found.path);
        if (args.kind !== 'import-statement' || (!external && inCliDir(found.path))) {
          return external ? { path: found.path, external: true } : undefined;
        }
        return { path: found.path, namespace: DEFERRED };
      });
      b.onLoad({ filter: /.*/, namespace: DEFERRED }, (args) => ({
        contents: [
          `let loaded;`,
          `const load = () => (loaded ??= require(${JSON.stringify(args.path)}));`,
          `module.exports = Object.create(new Proxy({}, { get: (_, key) => load()[key] }));`,
        ].join('\n'),
        loader: 'js',
        resolveDir: dirname(args.path),
      }));
    },
  };
}

/** The reflexes whose manifests loadManifests would import: folders of functions/ with src/manifest.ts. */
function manifestFiles(root: string): string[] {
  const dir = join(root, 'functions');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(dir, entry.name, 'src', 'manifest.ts'))
    .filter((file) => existsSync(file))
    .sort();
}

/**
 * loadManifests imports functions/<name>/src/manifest.ts by a computed path, which a bundle cannot follow.
 * In the bundle, packages/manifest/src/import-manifest.ts becomes a table of literal imports, one per
 * reflex, each loaded when asked for. A manifest the bundle was not built with (a test's own checkout) is
 * compiled on the fly by tsx, as when the CLI runs from source.
 */
function bundledManifests(root: string): Plugin {
  return {
    name: 'bundled-manifests',
    setup(b) {
      b.onLoad({ filter: /[\\/]packages[\\/]manifest[\\/]src[\\/]import-manifest\.ts$/ }, () => {
        const entries = manifestFiles(root).map((file) => `  [${JSON.stringify(realpathSync(file))}, () => import(${JSON.stringify(file)})],`);
        return {
          contents: [
            `import { realpathSync } from 'node:fs';`,
            `import { pathToFileURL } from 'node:url';`,
            `const BUNDLED = new Map([\n${entries.join('\n')}\n]);`,
            `export async function importManifest(file) {`,
            `  const load = BUNDLED.get(realpathSync(file));`,
            `  if (load) return load();`,
            `  const { tsImport } = await import('tsx/esm/api');`,
            `  return tsImport(pathToFileURL(file).href, pathToFileURL(file).href);`,
            `}`,
          ].join('\n'),
          loader: 'js',
          resolveDir: root,
        };
      });
    },
  };
}

const SOURCE_URL = '__reflexSourceUrl';

/**
 * `import.meta.url` keeps naming the module's own file, as under tsx, instead of the bundle's (the moto
 * launcher script is found from it): each module that reads it gets a constant with its URL, on its first
 * line so that its lines stay where the source map says.
 */
function sourceFileUrls(): Plugin {
  return {
    name: 'source-file-urls',
    setup(b) {
      b.initialOptions.define = { ...b.initialOptions.define, 'import.meta.url': SOURCE_URL };
      b.onLoad({ filter: /\.(ts|js|mjs)$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        return {
          contents: `const ${SOURCE_URL} = ${JSON.stringify(pathToFileURL(args.path).href)};${source}`,
          loader: args.path.endsWith('.ts') ? 'ts' : 'js',
        };
      });
    },
  };
}

/** Writes a file under a temporary name first: a CLI started during a build never reads half of one. */
function writeAtomically(file: string, contents: Uint8Array | string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

/** What a CLI build wrote. */
export interface CliBundleResult {
  readonly file: string;
  readonly bytes: number;
  /** How many files it was built from. */
  readonly inputs: number;
}

/**
 * Bundles the CLI (scripts/src/reflex.ts) into `dist/cli/reflex.mjs`: minified, with a linked source map
 * that scripts/src/lib/source-mapped-stacks.ts reads when a stack trace is printed. Concurrent builds are
 * safe: each file is replaced whole, the inputs list last.
 */
export async function bundleCli(root: string): Promise<CliBundleResult> {
  const startedAt = Date.now();
  const file = join(root, CLI_BUNDLE);
  const externals = new Set<string>();
  const result = await build({
    ...NODE_BUNDLE,
    absWorkingDir: root,
    entryPoints: [join(root, 'scripts', 'src', 'reflex.ts')],
    outfile: file,
    write: false,
    metafile: true,
    // pg's optional native binding, not installed.
    external: ['pg-native'],
    plugins: [bundledManifests(root), deferredImports(join(root, 'scripts', 'src', 'cli'), externals), sourceFileUrls(), zodEnglishOnly],
    logLevel: 'error',
  });
  mkdirSync(dirname(file), { recursive: true });
  // The map before the bundle that links it.
  const outputs = [...result.outputFiles].sort((a, b) => Number(b.path.endsWith('.map')) - Number(a.path.endsWith('.map')));
  for (const output of outputs) writeAtomically(output.path, output.contents);

  const files = [
    ...Object.keys(result.metafile.inputs).filter((input) => !/^[\w-]+:/.test(input)), // not a plugin's `namespace:path`
    ...[...externals].map((path) => relative(root, path)),
  ];
  const functionsDir = join(root, 'functions');
  const inputs = new Set([
    ...buildInputs(files),
    // A reflex added (a new folder, or a manifest in it) changes what the bundle must list.
    'functions',
    ...readdirSync(functionsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap((entry) => [join('functions', entry.name), join('functions', entry.name, 'src')]),
    // How it is built.
    join('scripts', 'src', 'lib', 'cli-bundle.ts'),
    join('scripts', 'src', 'lib', 'bundle.ts'),
  ]);
  const list: CliInputs = { root, startedAt, inputs: [...inputs].sort() };
  writeAtomically(join(root, CLI_INPUTS), `${JSON.stringify(list, null, 1)}\n`);
  const bundle = result.outputFiles.find((o) => o.path === file);
  return { file, bytes: bundle?.contents.byteLength ?? 0, inputs: inputs.size };
}

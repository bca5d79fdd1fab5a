import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { functionDir } from '@reflex/manifest';

/** Where the bundle of a reflex is written: `dist/functions/<name>/index.mjs` (handler `index.handler`). */
export function bundlePath(root: string, name: string): string {
  return join(root, 'dist', 'functions', name, 'index.mjs');
}

/**
 * zod registers every locale it ships (~200 KiB minified); reflexes speak English only.
 * Resolve zod's locale barrel to just `en`, so `z.locales.en()` still works.
 */
export const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[/\\]zod[/\\]/.test(args.importer) ? { path: join(dirname(args.importer), '../locales/en.js'), namespace: 'zod-en' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
    }));
  },
};

export interface BundleResult {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
}

/** Some dependencies still `require()` Node built-ins; this gives an ES module bundle a require. */
const ESM_REQUIRE_BANNER = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);";

/**
 * How Reflex bundles for Node 22 (a function, the CLI): one minified ES module with a require, and a linked
 * source map without the sources.
 */
export const NODE_BUNDLE = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  legalComments: 'none',
  sourcemap: 'linked',
  sourcesContent: false,
  banner: { js: ESM_REQUIRE_BANNER },
} as const satisfies BuildOptions;

/**
 * Bundles one reflex's `src/handler.ts` for the Lambda Node.js 22 runtime: one minified ES module,
 * AWS SDK v3 left to the runtime, the embedded PostgreSQL left out. Its source map, `index.mjs.map`
 * beside it, names TypeScript files and lines in stack traces under `--enable-source-maps`; it is read
 * only with that flag, and holds no sources (the Lambda zip does not need them).
 */
export async function bundleFunction(
  root: string,
  name: string,
  options: {
    /** Keep the bundle when no file it was built from changed since (`dist/functions/<name>.inputs.json`). */
    ifChanged?: boolean;
  } = {},
): Promise<BundleResult> {
  const file = bundlePath(root, name);
  // Beside the bundle's folder, not in it: the folder is the Lambda zip, whose hash must change only with the code.
  const inputsFile = join(dirname(dirname(file)), `${name}.inputs.json`);
  if (options.ifChanged && existsSync(file) && buildIsCurrent(root, inputsFile)) return { name, file, bytes: statSync(file).size };
  const startedAt = Date.now();
  mkdirSync(dirname(file), { recursive: true });
  const result = await build({
    absWorkingDir: root,
    metafile: true,
    ...NODE_BUNDLE,
    entryPoints: [join(functionDir(root, name), 'src', 'handler.ts')],
    outfile: file,
    // PGlite (WebAssembly, loaded only without a database URL) and pg's optional native binding never
    // run in Lambda: a function reaches the IPAM's PostgreSQL server with the pure-JS client.
    external: ['@aws-sdk/*', '@electric-sql/pglite', 'pg-native'],
    plugins: [zodEnglishOnly],
    logLevel: 'error',
  });
  const inputs = buildInputs(Object.keys(result.metafile.inputs).filter((input) => !/^[\w-]+:/.test(input)));
  writeFileSync(inputsFile, `${JSON.stringify({ startedAt, inputs: [...inputs, join('scripts', 'src', 'lib', 'bundle.ts')] }, null, 1)}\n`);
  return { name, file, bytes: statSync(file).size };
}

/**
 * The files a build read, relative to the root, for {@link buildIsCurrent}: a dependency's files change only
 * with its version, which changes its path under node_modules/.pnpm, so its package.json stands for them all.
 */
export function buildInputs(files: readonly string[]): string[] {
  return [...new Set(files.map((file) => /^(.*\/node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1]?.concat('/package.json') ?? file))];
}

/** Whether the build an inputs file records (`{ startedAt, inputs }`) is current: no input changed or went. */
function buildIsCurrent(root: string, inputsFile: string): boolean {
  try {
    const { startedAt, inputs } = JSON.parse(readFileSync(inputsFile, 'utf8')) as { startedAt: number; inputs: string[] };
    return inputs.every((input) => (statSync(join(root, input), { throwIfNoEntry: false })?.mtimeMs ?? Infinity) <= startedAt);
  } catch {
    return false;
  }
}

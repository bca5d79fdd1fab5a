// The one shape of a reflex package (functions/<name>/), checked: the README's "Add a reflex" says it in
// prose, scripts/test/function-shape.test.ts holds every function to it, and `reflex new` scaffolds it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';

/** Files every reflex package has, relative to its folder, and why. */
const REQUIRED_FILES: readonly (readonly [file: string, why: string])[] = [
  ['package.json', 'the workspace package'],
  ['README.md', 'trigger, events in and out, permissions, config'],
  ['jest.config.js', 'how its tests run'],
  ['src/manifest.ts', 'what the stacks build from'],
  ['src/manifest.test.ts', 'its patterns against real sample events, its permissions for a config, its config defaults and errors'],
  ['src/handler.ts', 'the Lambda entry point, thin wiring'],
  ['src/index.ts', 'its public API'],
];

/** What `src/` holds at its top: these files (each with its `.test.ts`), test helpers (`test-*.ts`), and two folders. */
const SRC_FILES = new Set(['manifest', 'handler', 'index', 'core', 'ports'].flatMap((f) => [`${f}.ts`, `${f}.test.ts`]));
const SRC_FOLDERS = new Set(['core', 'adapters']);

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const TEST = /\.test\.ts$|(^|\/)test-[^/]+\.ts$/;
/** A static or dynamic import (or re-export) of the AWS SDK. */
const AWS_SDK_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]@aws-sdk\//;

/** Files under `dir`, relative to it with `/` separators, without node_modules. */
function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules') return [];
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? filesUnder(join(dir, entry.name), path) : [path];
  });
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Whether a reflex calls AWS (beyond what the kit does for it: its queue, Reflex Action events): its
 * package.json depends on an AWS SDK client (`@aws-sdk/*`), or a file of its `src/` imports one. Such a
 * reflex reaches AWS only through adapters (`src/adapters/`) behind the ports its core takes (`src/ports.ts`).
 */
export function callsAws(dir: string): boolean {
  const pkg = readJson(join(dir, 'package.json'));
  const dependencies = Object.keys((pkg?.dependencies as Record<string, string> | undefined) ?? {});
  if (dependencies.some((name) => name.startsWith('@aws-sdk/'))) return true;
  return filesUnder(join(dir, 'src')).some((f) => SOURCE.test(f) && AWS_SDK_IMPORT.test(readFileSync(join(dir, 'src', f), 'utf8')));
}

/**
 * What keeps the reflex package in `dir` (a `functions/<name>/` folder) from the one function shape, one
 * readable line per problem, each starting with the folder's name; none when it has the shape:
 *
 * - `package.json` named `@reflex/<name>`, exporting `.` → `./src/index.ts` and `./manifest` →
 *   `./src/manifest.ts`, with a `test` script;
 * - `README.md` at the package root (not in `src/`), `jest.config.js`;
 * - `src/manifest.ts`, `src/manifest.test.ts`, `src/handler.ts`, `src/index.ts`;
 * - the core: `src/core.ts`, or `src/core/` with an `index.ts` (not both), reading no `process.env`;
 * - nothing else at the top of `src/` but those files' tests, test helpers (`test-*.ts`), `src/ports.ts` and
 *   `src/adapters/`: a decision spread over more files goes in `src/core/`;
 * - a reflex that calls AWS ({@link callsAws}): `src/ports.ts` and adapters in `src/adapters/`, and no AWS
 *   SDK import outside them (tests aside);
 * - the manifest test checks `permissionsOf(manifest, config)`, and — when the manifest declares event
 *   triggers — matches them against real sample events from `@reflex/events/fixtures`.
 *
 * @example
 * functionShapeProblems('functions/instance-guard'); // [] — or ['instance-guard: no src/manifest.test.ts (…)']
 */
export function functionShapeProblems(dir: string): string[] {
  const name = basename(resolve(dir));
  const problems: string[] = [];
  const problem = (line: string) => problems.push(`${name}: ${line}`);
  const has = (file: string) => existsSync(join(dir, file));
  const isDir = (path: string) => has(path) && statSync(join(dir, path)).isDirectory();

  for (const [file, why] of REQUIRED_FILES) if (!has(file)) problem(`no ${file} (${why})`);
  if (has('src/README.md')) problem('README.md is in src/: it belongs at the package root (git mv src/README.md README.md)');

  const pkg = has('package.json') ? readJson(join(dir, 'package.json')) : undefined;
  if (has('package.json') && !pkg) problem('package.json is not JSON');
  if (pkg) {
    if (pkg.name !== `@reflex/${name}`) problem(`package.json names it ${JSON.stringify(pkg.name)}, not "@reflex/${name}"`);
    const exports = (pkg.exports ?? {}) as Record<string, unknown>;
    for (const [entry, target] of [['.', './src/index.ts'], ['./manifest', './src/manifest.ts']] as const) {
      if (exports[entry] !== target) {
        problem(`package.json exports "${entry}" as ${JSON.stringify(exports[entry]) ?? 'nothing'}, not "${target}"`);
      }
    }
    if (typeof (pkg.scripts as Record<string, unknown> | undefined)?.test !== 'string') problem('package.json has no "test" script');
  }

  const coreFile = has('src/core.ts');
  const coreDir = isDir('src/core');
  if (coreFile && coreDir) problem('has both src/core.ts and src/core/: keep one');
  else if (coreDir && !has('src/core/index.ts')) problem('src/core/ has no index.ts');
  else if (!coreFile && !coreDir) problem('no core: src/core.ts, or src/core/ with an index.ts (pure decisions over ports)');

  if (isDir('src')) {
    for (const entry of readdirSync(join(dir, 'src'), { withFileTypes: true })) {
      if (entry.isDirectory() ? SRC_FOLDERS.has(entry.name) : SRC_FILES.has(entry.name) || /^test-[^/]+\.ts$/.test(entry.name)) continue;
      if (entry.name === 'README.md') continue; // reported above
      problem(
        `src/${entry.name}${entry.isDirectory() ? '/' : ''} is outside the shape: decisions go in src/core/, AWS calls in src/adapters/`,
      );
    }
  }

  const sources = filesUnder(join(dir, 'src')).filter((f) => SOURCE.test(f));
  const published = sources.filter((f) => !TEST.test(f));
  const text = (file: string) => readFileSync(join(dir, 'src', file), 'utf8');
  for (const file of published.filter((f) => f === 'core.ts' || f.startsWith('core/'))) {
    if (/\bprocess\.env\b/.test(text(file))) problem(`src/${file} reads process.env: the core takes its config as an argument`);
  }

  if (callsAws(dir)) {
    if (!has('src/ports.ts')) problem('calls AWS but has no src/ports.ts (the interfaces its core takes)');
    if (!published.some((f) => f.startsWith('adapters/'))) problem('calls AWS but has no adapters in src/adapters/');
  }
  for (const file of published.filter((f) => !f.startsWith('adapters/'))) {
    if (AWS_SDK_IMPORT.test(text(file))) problem(`src/${file} imports the AWS SDK: only src/adapters/ may`);
  }

  if (has('src/manifest.test.ts')) {
    const test = text('manifest.test.ts');
    if (!/\bpermissionsOf\s*\(/.test(test)) problem('src/manifest.test.ts does not check permissionsOf(manifest, config)');
    const eventTriggers = has('src/manifest.ts') && /kind:\s*['"]event['"]/.test(text('manifest.ts'));
    if (eventTriggers && !test.includes("'@reflex/events/fixtures'")) {
      problem('src/manifest.test.ts matches no sample event from @reflex/events/fixtures, though the manifest has event triggers');
    }
  }
  return problems;
}

/** The folders the workspace's own code lives in: each package of packages/ and functions/, stacks, scripts. */
function codeRoots(root: string): string[] {
  const groups = ['packages', 'functions'].flatMap((group) =>
    existsSync(join(root, group))
      ? readdirSync(join(root, group), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(root, group, e.name))
      : [],
  );
  return [...groups, join(root, 'stacks'), join(root, 'scripts')].filter((dir) => existsSync(join(dir, 'package.json')));
}

/** Build output and generated files: not the workspace's code. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'cdktf.out', '.gen', '.reflex', 'coverage']);

function codeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : codeFiles(path);
    return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * `new URL('<relative>', import.meta.url)` with a string literal, or a template literal's text before its
 * first `${…}` (`` new URL(`../fixtures/${name}`, import.meta.url) `` resolves `../fixtures/`).
 */
const RELATIVE_URL = /new\s+URL\(\s*(?:'([^'\\\n]*)'|"([^"\\\n]*)"|`([^`\\$]*)(?:\$\{[^`]*)?`)\s*,\s*import\.meta\.url\s*\)/g;

/**
 * Files that reach into another workspace package by a relative URL, one line per URL: each
 * `new URL('<relative>', import.meta.url)` in the code of packages/*, functions/*, stacks and scripts is
 * resolved against its file, and must stay inside the file's own package. One target outside is allowed: the
 * workspace root itself (a launcher or a test locating the workspace, not reading a package's files).
 * Another package's files are reached through its exports (`@reflex/events/fixtures`); imports are the
 * dependency rules' business (.dependency-cruiser.cjs), file reads this check's.
 *
 * @example
 * crossPackageUrls(repoRoot());
 * // ['packages/event-patterns/src/rule-set.test.ts:18: new URL(`../../events/fixtures/…`) reads packages/events/fixtures, outside packages/event-patterns']
 */
export function crossPackageUrls(root: string): string[] {
  const problems: string[] = [];
  const top = resolve(root);
  for (const pkg of codeRoots(top)) {
    for (const file of codeFiles(pkg)) {
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(RELATIVE_URL)) {
        const template = match[3] !== undefined;
        const literal = match[1] ?? match[2] ?? match[3] ?? '';
        // A template that starts with an expression, or an absolute URL: nothing relative to resolve.
        if ((template && literal === '') || /^[a-z][a-z0-9+.-]*:/i.test(literal)) continue;
        const target = resolve(dirname(file), literal);
        if (target === pkg || target.startsWith(pkg + sep) || target === top) continue;
        const line = source.slice(0, match.index).split('\n').length;
        const shown = template && !match[0].includes(`\`${literal}\``) ? `\`${literal}…\`` : `'${literal}'`;
        const where = relative(top, target) || '.';
        problems.push(
          `${relative(top, file)}:${line}: new URL(${shown}) reads ${where.startsWith('..') ? target : where}, outside ${relative(top, pkg)}`,
        );
      }
    }
  }
  return problems.sort();
}

// The CLI runs from one bundle (scripts/src/lib/cli-bundle.ts) in which a command loads only what it uses:
// the AWS SDK, PGlite and esbuild stay in node_modules until a command calls them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@reflex/manifest';
import { reflexCli, type Run } from './reflex-cli';

const root = repoRoot();
let dir: string;
let hook: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reflex-cli-bundle-'));
  // Records every module the process resolves, by URL (node:module registerHooks runs in the process).
  hook = join(dir, 'record-modules.mjs');
  writeFileSync(
    hook,
    `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    appendFileSync(process.env.MODULES_LOG, resolved.url + '\\n');
    return resolved;
  },
});
`,
  );
  // Built (when stale) before any run is recorded: the build loads esbuild.
  expect((await reflexCli(['--help'])).code).toBe(0);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `reflex <args>` and resolves with the run and the modules it loaded from node_modules. */
async function modulesOf(...args: string[]): Promise<{ run: Run; modules: string[] }> {
  const log = join(dir, `modules-${args[0]}.log`);
  const run = await reflexCli(args, { NODE_OPTIONS: `--import=${hook}`, MODULES_LOG: log }, 30_000);
  const modules = readFileSync(log, 'utf8').split('\n').filter((url) => url.includes('/node_modules/'));
  return { run, modules };
}

const heavy = (modules: readonly string[]) => modules.filter((url) => /\/(@aws-sdk|@smithy|@electric-sql\/pglite|esbuild)\//.test(url));

describe('the CLI bundle', () => {
  it.each([
    ['--help'],
    ['match', join(root, 'packages', 'events', 'fixtures', 'ec2', 'instance-state-change.json')],
    ['graph'],
  ])('reflex %s loads neither the AWS SDK, PGlite nor esbuild', async (...args) => {
    const { run, modules } = await modulesOf(...args);

    expect(run.code).toBe(0);
    expect(heavy(modules)).toEqual([]);
  });

  it('loads the AWS SDK when a command calls AWS', async () => {
    // Nothing listens on port 1: the call fails at once, after the SDK has loaded.
    const { modules } = await modulesOf('schedule', 'preview', '--endpoint', 'http://127.0.0.1:1');

    expect(modules.some((url) => url.includes('/@aws-sdk/client-ec2/'))).toBe(true);
  });
});

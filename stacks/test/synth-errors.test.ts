// `pnpm synth`'s own errors: one line with the causes, the stack only with REFLEX_DEBUG=1, exit code 2 for
// an invalid environment config or manifest and 1 for anything else. Each run works in a checkout of its own
// (a temp dir with pnpm-workspace.yaml, the real functions/ or a broken one), so nothing lands in this one.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INVALID_PATTERN_MANIFEST } from '@reflex/manifest/testing';
import { afterAll, describe, expect, it } from '@jest/globals';
import { root } from './support';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A checkout to synthesize in: this one's reflexes, or one reflex whose manifest is `manifest`. */
function checkout(manifest?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'reflex-synth-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'pnpm-workspace.yaml'), '');
  if (manifest === undefined) {
    symlinkSync(join(root, 'functions'), join(dir, 'functions'));
  } else {
    mkdirSync(join(dir, 'functions', 'bad', 'src'), { recursive: true });
    writeFileSync(join(dir, 'functions', 'bad', 'src', 'manifest.ts'), manifest);
  }
  return dir;
}

/** Runs `tsx stacks/src/main.ts` (what `pnpm synth` runs after building) in `cwd`. */
const synth = (cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'stacks', 'src', 'main.ts')], { cwd, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });


describe('pnpm synth errors', () => {
  it('prints one line naming the environment and the field for an invalid config, and exits 2', async () => {
    const run = await synth(checkout(), { REFLEX_AWS_ENDPOINT: 'not a url', REFLEX_DEBUG: '' });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^synth failed: environment "local": endpoint: .+\n$/);
  }, 60_000);

  it('prints one line naming the reflex and the pattern path for an invalid manifest, and exits 2', async () => {
    const run = await synth(checkout(INVALID_PATTERN_MANIFEST), { REFLEX_DEBUG: '' });

    expect(run.code).toBe(2);
    expect(run.stderr).toBe('synth failed: reflex "bad": triggers.0.pattern.detail.state: match values must be in an array, e.g. ["stopped"]\n');
  }, 60_000);

  it('adds the stack and the causes with REFLEX_DEBUG=1', async () => {
    const run = await synth(checkout(INVALID_PATTERN_MANIFEST), { REFLEX_DEBUG: '1' });

    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toMatch(/^synth failed: reflex "bad"/);
    expect(run.stderr).toMatch(/\n\s+at .*manifest\.ts/);
    expect(run.stderr).toContain('[cause]: InvalidPatternError');
  }, 60_000);

  it('prints one line and exits 1 for a failure that is not the config (no bundles)', async () => {
    const run = await synth(checkout(), { REFLEX_AWS_ENDPOINT: '', REFLEX_DEBUG: '' });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^synth failed: no bundle for reflex "[a-z-]+" in dist\/functions\/[a-z-]+: run `pnpm build`[^\n]*\n$/);
  }, 60_000);
});

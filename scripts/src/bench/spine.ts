// `pnpm bench`: wall time to synthesize every environment, and each bundle's size and cold load time
// against a bare `node -e 0`. Targets: synth < 5 s; bundle < 400 KiB; load < 2× bare Node.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifests, repoRoot } from '@reflex/manifest';
import { bundleFunction } from '../lib/bundle';

const RUNS = 15;
const root = repoRoot();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeCommand(args: string[], env: Record<string, string> = {}): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed (exit ${result.status})`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const manifests = await loadManifests(root);
const bundles = await Promise.all(manifests.map((m) => bundleFunction(root, m.name)));

// Synth: the same command `pnpm synth` runs after the build, in a fresh process, as a user sees it.
const outdir = mkdtempSync(join(tmpdir(), 'reflex-bench-'));
const synthRuns: number[] = [];
for (let i = 0; i < 3; i++) {
  const started = process.hrtime.bigint();
  execFileSync('pnpm', ['exec', 'tsx', '-e', `import('@reflex/stacks').then((s) => s.synthAll({ root: ${JSON.stringify(root)}, outdir: ${JSON.stringify(outdir)} }))`], {
    cwd: join(root, 'stacks'),
    stdio: 'ignore',
  });
  synthRuns.push(Number(process.hrtime.bigint() - started) / 1e6);
}
rmSync(outdir, { recursive: true, force: true });

const bare = median(Array.from({ length: RUNS }, () => timeCommand(['-e', '0'])));
const functionEnv = { REFLEX_ENV: 'bench', REFLEX_BUS_NAME: 'bench', REFLEX_DRY_RUN: 'true', AWS_REGION: 'us-east-1' };
console.log(`node ${process.version}; bare \`node -e 0\`: ${bare.toFixed(1)} ms (median of ${RUNS})`);
const synth = median(synthRuns);
console.log(`synth, all environments (fresh process): ${(synth / 1000).toFixed(2)} s (median of 3) — target < 5 s: ${synth < 5000 ? 'met' : 'MISSED'}`);
for (const b of bundles) {
  const load = median(Array.from({ length: RUNS }, () => timeCommand([b.file], functionEnv)));
  const kib = b.bytes / 1024;
  console.log(
    `${b.name}: ${kib.toFixed(1)} KiB (target < 400: ${kib < 400 ? 'met' : 'MISSED'}); cold load ${load.toFixed(1)} ms = ${(load / bare).toFixed(2)}× bare (target < 2×: ${load < 2 * bare ? 'met' : 'MISSED'})`,
  );
}

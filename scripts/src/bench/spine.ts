// `pnpm bench`: the start-up costs a user and Lambda see, each against a bare `node -e 0`: synthesizing
// every environment; each function bundle's size and cold load; the `reflex` CLI's start per command; with
// `--start`, `pnpm start --exit` end to end. Targets: synth < 5 s; bundle < 400 KiB; cold load < 2× bare
// Node; a CLI command < 1 s; `pnpm start --exit` < 60 s. A missed target sets exit code 1.
// `--smoke` runs each measurement with a target once, in under 20 s, and enforces none: the test command
// runs it so that the benchmark cannot break unnoticed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { IpamInstanceMessageSchema } from '@reflex/events';
import { applyMessage, openStore } from '@reflex/ipam';
import { awsName, loadManifests, type ReflexManifest, repoRoot } from '@reflex/manifest';
import { ENVIRONMENTS, resolveEnvironment } from '@reflex/stacks';
import { bundleFunction } from '../lib/bundle';
import { bundleCli } from '../lib/cli-bundle';

const { values: flags } = parseArgs({ options: { smoke: { type: 'boolean', default: false }, start: { type: 'boolean', default: false } } });
const smoke = flags.smoke;
const RUNS = smoke ? 1 : 15;
const SYNTH_RUNS = smoke ? 1 : 3;
const root = repoRoot();
const launcher = join(root, 'scripts', 'bin', 'reflex.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'reflex-bench-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t: number) => `${t.toFixed(0)} ms`;
const missed: string[] = [];

/** `met`, or `MISSED` (remembered for the exit code unless this is a smoke run). */
function verdict(what: string, ok: boolean): string {
  if (ok) return 'met';
  if (!smoke) missed.push(what);
  return smoke ? 'missed (not enforced in --smoke)' : 'MISSED';
}

/** A failed run, with what it printed on stderr; lines of a minified bundle are cut to their start. */
class RunFailed extends Error {
  override readonly name = 'RunFailed';
}

function stderrExcerpt(stderr: string): string {
  const lines = stderr.trimEnd().split('\n').slice(0, 30);
  return lines.map((l) => (l.length > 300 ? `${l.slice(0, 300)}… (${l.length} characters)` : l)).join('\n');
}

/** Runs a command to its end; its wall time in ms. */
function timeRun(command: string, args: readonly string[], env: Record<string, string> = {}, cwd = root): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    const why = result.error?.message ?? `exit ${result.status ?? result.signal}`;
    throw new RunFailed(`${[command, ...args].join(' ')} failed (${why}):\n${stderrExcerpt(result.stderr ?? '')}`);
  }
  return elapsed;
}

/** The median wall time of `runs` runs (after one unmeasured run that fills caches, unless a smoke run). */
function medianRun(command: string, args: readonly string[], env: Record<string, string> = {}, runs = RUNS): number {
  if (!smoke) timeRun(command, args, env);
  return median(Array.from({ length: runs }, () => timeRun(command, args, env)));
}

/**
 * The median wall times of a command and of bare `node -e 0`, run in turns (after one unmeasured run of each,
 * unless a smoke run): what else the machine does slows both alike, so their ratio holds.
 */
function medianBesideBare(command: string, args: readonly string[], env: Record<string, string>, runs = RUNS): { run: number; bare: number } {
  if (!smoke) {
    timeRun(process.execPath, ['-e', '0']);
    timeRun(command, args, env);
  }
  const bare: number[] = [];
  const run: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(timeRun(process.execPath, ['-e', '0']));
    run.push(timeRun(command, args, env));
  }
  return { run: median(run), bare: median(bare) };
}

/**
 * The environment the stacks give each reflex's function, from its manifest and the first environment
 * that deploys it as a function (its config; `{}` where none enables it): the queue URL of each reflex it
 * `sendsTo`, its state table if it declares one, and so on. Undefined for a reflex every environment leaves to a worker: no Lambda loads it.
 */
function functionEnvironments(manifests: readonly ReflexManifest[]): Map<string, Record<string, string> | undefined> {
  const resolved = ENVIRONMENTS.map((input) => resolveEnvironment(input, manifests));
  return new Map(
    manifests.map((m) => {
      const deployments = resolved.flatMap(({ env, reflexes }) => reflexes.filter((r) => r.manifest.name === m.name).map((reflex) => ({ env, reflex })));
      const asFunction = deployments.find((d) => d.reflex.consumer === 'function');
      if (!asFunction && deployments.length > 0) return [m.name, undefined];
      const env = asFunction?.env ?? resolved[0]!.env;
      const environment = {
        REFLEX_ENV: env.name,
        REFLEX_BUS_NAME: awsName(env.name, 'bus'),
        REFLEX_DRY_RUN: 'true',
        REFLEX_CONFIG: JSON.stringify(asFunction?.reflex.config ?? {}),
        REFLEX_SEND_QUEUES: JSON.stringify(
          Object.fromEntries(m.sendsTo.map((to) => [to, `https://sqs.${env.region}.amazonaws.com/${env.account}/${awsName(env.name, to)}`])),
        ),
        ...(m.state ? { REFLEX_STATE_TABLE: awsName(env.name, m.name) } : {}),
        POWERTOOLS_SERVICE_NAME: `reflex-${m.name}`,
        AWS_REGION: env.region,
      };
      return [m.name, environment];
    }),
  );
}

/** Synth in a fresh process, as `pnpm synth` runs it after the build; resolves to its wall time in ms. */
function synthOnce(outdir: string): Promise<number> {
  const started = process.hrtime.bigint();
  const script = `import('@reflex/stacks').then((s) => s.synthAll({ root: ${JSON.stringify(root)}, outdir: ${JSON.stringify(outdir)} }))`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: join(root, 'stacks'), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new RunFailed(`synth failed (exit ${code}):\n${stderrExcerpt(stderr)}`)),
    );
  });
}

async function synthRuns(): Promise<number[]> {
  const outdir = join(scratch, 'cdktf.out');
  const runs: number[] = [];
  for (let i = 0; i < SYNTH_RUNS; i++) runs.push(await synthOnce(outdir));
  return runs;
}

/** A PGlite store in the scratch folder with one instance (the enricher's fixture); the address to ask for. */
async function seededStore(): Promise<{ dataDir: string; address: string }> {
  const dataDir = join(scratch, 'ipam');
  const message = IpamInstanceMessageSchema.parse(JSON.parse(readFileSync(join(root, 'packages', 'ipam', 'fixtures', 'enricher', 'running.json'), 'utf8')));
  const db = await openStore({ dataDir });
  try {
    await applyMessage(db, message);
  } finally {
    await db.close();
  }
  return { dataDir, address: message.interfaces[0]!.privateIps[0]! };
}

/** PGlite alone in a fresh process: import, open of the seeded data directory, close. */
function pgliteAlone(dataDir: string): { import: number; open: number; close: number } {
  const script = `const t0 = performance.now();
const { PGlite } = await import('@electric-sql/pglite');
const t1 = performance.now();
const pg = await PGlite.create(${JSON.stringify(dataDir)});
const t2 = performance.now();
await pg.close();
console.log(JSON.stringify({ import: t1 - t0, open: t2 - t1, close: performance.now() - t2 }));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(root, 'packages', 'ipam'), encoding: 'utf8' });
  if (result.status !== 0) throw new RunFailed(`PGlite alone failed:\n${stderrExcerpt(result.stderr)}`);
  return JSON.parse(result.stdout) as { import: number; open: number; close: number };
}

/** `pnpm start --exit` in a fresh process with its own IPAM store; its wall time and each line it printed, with when. */
async function startOnce(): Promise<{ wall: number; lines: { at: number; text: string }[] }> {
  const started = process.hrtime.bigint();
  const at = () => Number(process.hrtime.bigint() - started) / 1e6;
  const lines: { at: number; text: string }[] = [];
  const child = spawn('pnpm', ['start', '--exit'], {
    cwd: root,
    env: { ...process.env, IPAM_DATA_DIR: join(scratch, 'start-ipam') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (text) => lines.push({ at: at(), text }));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new RunFailed(`pnpm start --exit failed (exit ${code}):\n${stderrExcerpt(lines.map((l) => l.text).join('\n'))}`);
  return { wall: at(), lines };
}

async function main(): Promise<void> {
  const manifests = await loadManifests(root);
  // A smoke run, which times nothing precisely, synthesizes beside the other measurements and reports it last.
  const synth = smoke ? synthRuns() : undefined;
  synth?.catch(() => {}); // awaited (and so thrown) below, after the other measurements
  const reportSynth = async (runs: Promise<number[]>) => {
    const time = median(await runs);
    console.log(`synth, all environments (fresh process): ${(time / 1000).toFixed(2)} s (median of ${SYNTH_RUNS}) — target < 5 s: ${verdict('synth', time < 5000)}`);
  };
  const [cli, ...bundles] = await Promise.all([bundleCli(root), ...manifests.map((m) => bundleFunction(root, m.name))]);

  const bare = medianRun(process.execPath, ['-e', '0']);
  console.log(`node ${process.version}; bare \`node -e 0\`: ${ms(bare)} (median of ${RUNS})${smoke ? ' — smoke run: one of each, targets not enforced' : ''}`);
  if (!synth) await reportSynth(synthRuns());

  // Cold loads as Lambda runs them: with the environment the stacks give, and source-mapped stacks.
  console.log('function bundles (cold load: `node --enable-source-maps index.mjs` with the function environment):');
  const environments = functionEnvironments(manifests);
  const failures: string[] = [];
  for (const b of bundles) {
    const kib = b.bytes / 1024;
    const environment = environments.get(b.name);
    if (!environment) {
      console.log(`  ${b.name}: ${kib.toFixed(1)} KiB (target < 400: ${verdict(`${b.name} size`, kib < 400)}); every environment leaves it to a worker: no cold load`);
      continue;
    }
    let load: number;
    let alongside: number;
    try {
      ({ run: load, bare: alongside } = medianBesideBare(process.execPath, ['--enable-source-maps', b.file], environment));
    } catch (error) {
      failures.push(`${b.name}: ${(error as Error).message}`);
      console.log(`  ${b.name}: ${kib.toFixed(1)} KiB; FAILS AT LOAD (below)`);
      continue;
    }
    const size = `${kib.toFixed(1)} KiB (target < 400: ${verdict(`${b.name} size`, kib < 400)})`;
    const cold = `${ms(load)} = ${(load / alongside).toFixed(2)}× bare (${ms(alongside)}, run in turns; target < 2×: ${verdict(`${b.name} load`, load < 2 * alongside)})`;
    console.log(`  ${b.name}: ${size}; cold load ${cold}`);
  }

  // The CLI as `pnpm reflex` runs it, without pnpm's own start (the launcher finds the bundle just built).
  const store = await seededStore();
  const fixture = join(root, 'packages', 'events', 'fixtures', 'ec2', 'instance-state-change.json');
  const commands: { label: string; args: string[]; env?: Record<string, string> }[] = [
    { label: 'reflex --help', args: ['--help'] },
    { label: 'reflex match <EC2 state change>', args: ['match', fixture] },
    { label: 'reflex graph', args: ['graph'] },
    { label: `reflex ipam show ${store.address} (PGlite, one instance)`, args: ['ipam', 'show', store.address], env: { IPAM_DATA_DIR: store.dataDir } },
  ];
  console.log(`CLI start (\`node scripts/bin/reflex.mjs\`; bundle ${(cli.bytes / 1024).toFixed(0)} KiB from ${cli.inputs} files):`);
  for (const c of commands) {
    const time = medianRun(process.execPath, [launcher, ...c.args], { DATABASE_URL: '', ...c.env });
    console.log(`  ${c.label.padEnd(48)} ${ms(time).padStart(7)} = ${(time / bare).toFixed(1)}× bare (target < 1 s: ${verdict(c.label, time < 1000)})`);
  }
  // What the CLI cannot cut, reported beside it (no target, so not in a smoke run): PGlite's own start, pnpm's.
  if (!smoke) {
    const pglite = pgliteAlone(store.dataDir);
    console.log(`    of which PGlite itself (fresh process): import ${ms(pglite.import)}, open ${ms(pglite.open)}, close ${ms(pglite.close)}`);
    const viaPnpm = medianRun('pnpm', ['-s', 'reflex', '--help'], {}, 5);
    console.log(`  ${'pnpm reflex --help (pnpm itself included)'.padEnd(48)} ${ms(viaPnpm).padStart(7)} (median of 5; not a target)`);
  }

  if (synth) await reportSynth(synth);

  if (flags.start) {
    const start = await startOnce();
    const target = verdict('pnpm start --exit', start.wall < 60_000);
    console.log(`pnpm start --exit (fresh process, own IPAM store): ${(start.wall / 1000).toFixed(1)} s — target < 60 s: ${target}`);
    for (const line of start.lines.filter((l) => l.text.startsWith('[reflex]'))) console.log(`  +${(line.at / 1000).toFixed(1).padStart(5)} s  ${line.text}`);
  }

  if (failures.length > 0) throw new RunFailed(`a bundle fails at load:\n\n${failures.join('\n\n')}`);
  if (missed.length > 0) {
    console.log(`\n${missed.length} target(s) missed: ${missed.join('; ')}`);
    process.exitCode = 1;
  }
}

try {
  await main();
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

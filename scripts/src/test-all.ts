// `pnpm test` after the build: the type check, the dependency rules (.dependency-cruiser.cjs), the benchmark's smoke run and every package's tests, as
// independent tasks on as many lanes as the machine has cores (REFLEX_TEST_CONCURRENCY to choose), longest
// first, so that the end-to-end suites (moto, Terraform, PostgreSQL: mostly waiting on them) overlap with
// the rest. Each task's output is printed whole when it ends, never interleaved; the exit code is 1 when
// any task failed. The durations of the last run (.reflex/test-times.json) order the next one.
//
// The lanes are CPU-bound, so each task costs no more CPU than it must:
// - a task runs its package.json script as `pnpm run` would (`sh -c`, the package's and the workspace's
//   node_modules/.bin first on PATH), without pnpm itself, whose start costs ~0.65 s of CPU per task;
// - the packages whose tests are plain jest, but for the end-to-end suites (OWN_TASK), are the projects of one
//   jest run, each with its own config as before: one jest start instead of one per package (~1.3 s of CPU
//   each);
// - the type check is incremental, the dependency rules cached (see their tasks).
// Each task's CPU time (its processes and every child they waited for) is printed with its duration, and the
// whole run's against what the cores had, and how busy the machine was (others' work included).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startMotoZygote } from '@reflex/local-aws';
import { repoRoot } from '@reflex/manifest';

interface Task {
  readonly name: string;
  readonly cwd: string;
  /** The command line, run with `sh -c` as a package.json script is. */
  readonly command: string;
  /** The tasks it runs the work of (a shared jest run's packages): their durations order its first run. */
  readonly members?: readonly string[];
}

const root = repoRoot();
const timesFile = join(root, '.reflex', 'test-times.json');
const lanes = Math.max(1, Number(process.env.REFLEX_TEST_CONCURRENCY) || availableParallelism());

/** The end-to-end suites: each its own task (and jest run, with its own workers), started first. */
const OWN_TASK = new Set(['scripts', 'stacks', 'packages/ipam', 'packages/local-aws']);
/** The test script of a package whose tests can be a project of the shared jest run. */
const PLAIN_JEST = 'NODE_OPTIONS=--experimental-vm-modules jest';

const scriptsOf = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};

/** The workspace packages with a `test` script, as pnpm-workspace.yaml lists them (`dir/*` or `dir`). */
async function packageTasks(): Promise<Task[]> {
  const globs = [...readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8').matchAll(/^\s+-\s+(\S+)\s*$/gm)].map((m) => m[1]!);
  const dirs = globs.flatMap((glob) =>
    glob.endsWith('/*')
      ? readdirSync(join(root, glob.slice(0, -2)), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => join(root, glob.slice(0, -2), d.name))
      : [join(root, glob)],
  );
  const tested = dirs
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, name: relative(root, dir), test: scriptsOf(dir).test }))
    .filter((p): p is { dir: string; name: string; test: string } => !!p.test);
  const shared = tested.filter((p) => !OWN_TASK.has(p.name) && p.test.trim() === PLAIN_JEST);
  const own: Task[] = tested.filter((p) => !shared.includes(p)).map((p) => ({ name: p.name, cwd: p.dir, command: p.test }));
  if (shared.length === 0) return own;
  // testTimeout is a global option: jest takes it from the command line here, not from the projects' configs.
  const { base } = (await import(pathToFileURL(join(root, 'jest.config.base.js')).href)) as { base: { testTimeout: number } };
  const projects = shared.map((p) => p.name);
  return [
    ...own,
    {
      name: 'other packages',
      cwd: root,
      // As many workers as lanes: alone at the end of a run, it still keeps every core busy.
      command: `${PLAIN_JEST} --testTimeout=${base.testTimeout} --maxWorkers=${lanes} --projects ${projects.join(' ')}`,
      members: projects,
    },
  ];
}

/** A root package.json script, with `extra` arguments. */
const rootTask = (name: string, script: string, extra = ''): Task => ({ name, cwd: root, command: `${scriptsOf(root)[script]} ${extra}`.trim() });

const tasks: Task[] = [
  // Incremental: tsc keeps what it learned of the unchanged files (their diagnostics included) in .reflex/, and
  // checks again what changed and what depends on it: the same errors, ~8 s of CPU less once it has run.
  rootTask('typecheck', 'typecheck', '--incremental --tsBuildInfoFile .reflex/typecheck.tsbuildinfo'),
  // Cached: dependency-cruiser cruises again the files whose contents changed (2 s of CPU less of 3.5).
  rootTask('dependency rules', 'deps', '--cache .reflex/dependency-cruiser --cache-strategy content'),
  rootTask('bench:smoke', 'bench:smoke'),
  ...(await packageTasks()),
];

/** The environment `pnpm --silent run` gives a script in `cwd`: node_modules/.bin of `cwd` and each folder up to the root first on PATH. */
function scriptEnv(cwd: string): NodeJS.ProcessEnv {
  const bins: string[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    bins.push(join(dir, 'node_modules', '.bin'));
    if (dir === root || dir === dirname(dir)) break;
  }
  return { ...process.env, PATH: [...bins, process.env.PATH].filter(Boolean).join(delimiter), npm_config_loglevel: 'silent' };
}

/**
 * CPU seconds of this process's children that have ended and been waited for (Linux: /proc/self/stat's
 * cutime and cstime, in clock ticks of 1/100 s); each of them counts its own waited-for children. Undefined
 * where there is no /proc.
 */
function childrenCpuSeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

/** The machine's CPU ticks since boot, busy and in all (/proc/stat); undefined where there is none. */
function machineTicks(): { busy: number; total: number } | undefined {
  try {
    // cpu user nice system idle iowait irq softirq steal …
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = ticks.reduce((sum, n) => sum + n, 0);
    return { busy: total - ticks[3]! - (ticks[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

let lastTimes: Record<string, number> = {};
try {
  lastTimes = JSON.parse(readFileSync(timesFile, 'utf8')) as Record<string, number>;
} catch {
  // First run: the end-to-end suites first, as they are known to be the longest.
  lastTimes = { scripts: 240, 'packages/ipam': 130, 'other packages': 90, stacks: 50, 'packages/local-aws': 30 };
}
const expected = (task: Task) => lastTimes[task.name] ?? (task.members ? task.members.reduce((sum, m) => sum + (lastTimes[m] ?? 10), 0) : 10);
tasks.sort((a, b) => expected(b) - expected(a));

// One moto factory for the run: each test's moto server is forked from it with moto, its services and the
// patches imported, instead of paying those imports (~3 s of CPU) once per server (packages/local-aws).
mkdirSync(join(root, '.reflex'), { recursive: true });
const zygote = process.env.REFLEX_MOTO_PLAIN === '1' ? undefined : await startMotoZygote(join(root, '.reflex'));
if (zygote) process.env.REFLEX_MOTO_ZYGOTE = zygote.socket;
console.log(zygote ? `moto servers fork from the zygote (pid ${zygote.pid})` : 'moto servers start on their own (no zygote)');

const started = Date.now();
const times: Record<string, number> = {};
const cpuTimes: Record<string, number> = {};
const failed: string[] = [];
const cpuAtStart = childrenCpuSeconds();
const machineAtStart = machineTicks();
let cpuSeen = cpuAtStart;

function run(task: Task): Promise<void> {
  const begun = Date.now();
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', task.command], { cwd: task.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: scriptEnv(task.cwd) });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    child.on('close', (code, signal) => {
      const seconds = (Date.now() - begun) / 1000;
      times[task.name] = Math.round(seconds);
      // What the children waited for since the last task ended: this task's, unless two ended at once.
      const cpuNow = childrenCpuSeconds();
      const cpu = cpuNow !== undefined && cpuSeen !== undefined ? cpuNow - cpuSeen : undefined;
      cpuSeen = cpuNow;
      if (cpu !== undefined) cpuTimes[task.name] = Math.round(cpu);
      const ok = code === 0;
      if (!ok) failed.push(task.name);
      const summary = /^Tests:.*$/m.exec(Buffer.concat(chunks).toString())?.[0].replace(/\s+/g, ' ');
      const cpuNote = cpu !== undefined ? ` (CPU ${cpu.toFixed(1)} s)` : '';
      const members = task.members ? ` [${task.members.join(', ')}]` : '';
      process.stdout.write(
        `\n━━ ${task.name}${members}: ${ok ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`} in ${seconds.toFixed(1)} s${cpuNote}${summary ? ` — ${summary}` : ''}\n`,
      );
      process.stdout.write(Buffer.concat(chunks));
      resolve();
    });
  });
}

const queue = [...tasks];
await Promise.all(
  Array.from({ length: lanes }, async () => {
    for (let task = queue.shift(); task; task = queue.shift()) await run(task);
  }),
);

mkdirSync(dirname(timesFile), { recursive: true });
writeFileSync(timesFile, `${JSON.stringify({ ...lastTimes, ...times }, null, 2)}\n`);
const elapsed = (Date.now() - started) / 1000;
const slowest = Object.entries(times)
  .sort((a, b) => b[1] - a[1])
  .slice(0, 5)
  .map(([name, s]) => `${name} ${s} s${cpuTimes[name] !== undefined ? ` (CPU ${cpuTimes[name]} s)` : ''}`)
  .join(', ');
const cpuEnd = childrenCpuSeconds();
const machineAtEnd = machineTicks();
const cores = availableParallelism();
const cpuTotal =
  cpuEnd !== undefined && cpuAtStart !== undefined
    ? `; CPU ${(cpuEnd - cpuAtStart).toFixed(0)} s of the ${(elapsed * cores).toFixed(0)} s ${cores} cores had (${(((cpuEnd - cpuAtStart) / (elapsed * cores)) * 100).toFixed(0)}%)`
    : '';
const machineBusy =
  machineAtStart && machineAtEnd && machineAtEnd.total > machineAtStart.total
    ? `, the machine ${(((machineAtEnd.busy - machineAtStart.busy) / (machineAtEnd.total - machineAtStart.total)) * 100).toFixed(0)}% busy`
    : '';
process.stdout.write(
  `\n${failed.length ? `FAILED: ${failed.join(', ')}` : `all ${tasks.length} tasks passed`} in ${elapsed.toFixed(1)} s on ${lanes} lanes${cpuTotal}${machineBusy} (slowest: ${slowest})\n`,
);
process.exit(failed.length ? 1 : 0);

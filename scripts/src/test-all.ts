// `pnpm test` after the build: the type check, the dependency rules (.dependency-cruiser.cjs), the benchmark's smoke run and every package's tests, as
// independent tasks on as many lanes as the machine has cores (REFLEX_TEST_CONCURRENCY to choose), longest
// first, so that the end-to-end suites (moto, Terraform, PostgreSQL: mostly waiting on them) overlap with
// the rest. Each task's output is printed whole when it ends, never interleaved; the exit code is 1 when
// any task failed. The durations of the last run (.reflex/test-times.json) order the next one.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { repoRoot } from '@reflex/manifest';

interface Task {
  readonly name: string;
  readonly cwd: string;
  readonly args: readonly string[];
}

const root = repoRoot();
const timesFile = join(root, '.reflex', 'test-times.json');

/** The workspace packages with a `test` script, as pnpm-workspace.yaml lists them (`dir/*` or `dir`). */
function packageTasks(): Task[] {
  const globs = [...readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8').matchAll(/^\s+-\s+(\S+)\s*$/gm)].map((m) => m[1]!);
  const dirs = globs.flatMap((glob) =>
    glob.endsWith('/*')
      ? readdirSync(join(root, glob.slice(0, -2)), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => join(root, glob.slice(0, -2), d.name))
      : [join(root, glob)],
  );
  return dirs
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .filter((dir) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts?.test)
    .map((dir) => ({ name: relative(root, dir), cwd: dir, args: ['run', 'test'] }));
}

const tasks: Task[] = [
  { name: 'typecheck', cwd: root, args: ['run', 'typecheck'] },
  { name: 'dependency rules', cwd: root, args: ['run', 'deps'] },
  { name: 'bench:smoke', cwd: root, args: ['run', 'bench:smoke'] },
  ...packageTasks(),
];

let lastTimes: Record<string, number> = {};
try {
  lastTimes = JSON.parse(readFileSync(timesFile, 'utf8')) as Record<string, number>;
} catch {
  // First run: the end-to-end suites first, as they are known to be the longest.
  lastTimes = { scripts: 240, 'packages/ipam': 130, stacks: 50, 'packages/local-aws': 30 };
}
tasks.sort((a, b) => (lastTimes[b.name] ?? 10) - (lastTimes[a.name] ?? 10));

const lanes = Math.max(1, Number(process.env.REFLEX_TEST_CONCURRENCY) || availableParallelism());
const started = Date.now();
const times: Record<string, number> = {};
const failed: string[] = [];

function run(task: Task): Promise<void> {
  const begun = Date.now();
  return new Promise((resolve) => {
    const child = spawn('pnpm', ['--silent', ...task.args], { cwd: task.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    child.on('close', (code, signal) => {
      const seconds = (Date.now() - begun) / 1000;
      times[task.name] = Math.round(seconds);
      const ok = code === 0;
      if (!ok) failed.push(task.name);
      const summary = /^Tests:.*$/m.exec(Buffer.concat(chunks).toString())?.[0].replace(/\s+/g, ' ');
      process.stdout.write(`\n━━ ${task.name}: ${ok ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`} in ${seconds.toFixed(1)} s${summary ? ` — ${summary}` : ''}\n`);
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
const total = ((Date.now() - started) / 1000).toFixed(1);
const slowest = Object.entries(times)
  .sort((a, b) => b[1] - a[1])
  .slice(0, 5)
  .map(([name, s]) => `${name} ${s} s`)
  .join(', ');
process.stdout.write(
  `\n${failed.length ? `FAILED: ${failed.join(', ')}` : `all ${tasks.length} tasks passed`} in ${total} s on ${lanes} lanes (slowest: ${slowest})\n`,
);
process.exit(failed.length ? 1 : 0);

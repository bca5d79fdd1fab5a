// IPAM worker throughput: fills moto SQS with N distinct enricher messages and runs IpamWorkers into one
// PGlite (in memory), end to end from queue to store. Target ≥ 500 messages/s; exits 1 when missed.
// moto scans a whole queue for every message it receives (O(depth) per message, even with the local-aws
// launcher's faster clock), and one worker with the default concurrency of 50 waits on its receives' round
// trips; the messages are spread over BENCH_QUEUES queues, one worker each, all writing through the store's
// one group commit (BENCH_QUEUES=1 BENCH_CONCURRENCY=250 is the single on-prem worker). Too many queues
// cost more than they save: every worker's long polls hold sockets (the SDK's 50 per client) and moto
// threads. For where the time goes it also measures the queue alone (the workers into a database that does
// nothing) and the worker without a queue server (an in-memory queue into PGlite, group commit included).
//   pnpm bench:ipam     # BENCH_N=5000 BENCH_QUEUES=25 BENCH_CONCURRENCY=50 BENCH_POSTGRES=1 (also into a server)
import { SQSClient } from '@aws-sdk/client-sqs';
import { localClientConfig, startMoto } from '@reflex/local-aws';
import { type Db, IpamWorker, SqsQueueSource, migrate, openPglite, openPostgres } from '../src/index';
import { startPostgres } from '@reflex/local-aws';
import { instanceMessage } from '../src/test-messages';
import { createQueues, memorySource, sendAll } from '../src/worker/test-helpers';

const N = Number(process.env.BENCH_N ?? 5000);
const QUEUES = Number(process.env.BENCH_QUEUES ?? 25);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const TARGET = 500;
/** Also end to end into a PostgreSQL 15 server started from the installed binaries: BENCH_POSTGRES=1. */
const POSTGRES = process.env.BENCH_POSTGRES === '1';

const aws = await startMoto();
const sqs = new SQSClient(localClientConfig(aws.endpoint));
const bodies = Array.from({ length: N }, (_, n) => instanceMessage(n));
const rate = (count: number, ms: number) => (count / ms) * 1000;

/** New queues holding the N messages between them (SendMessageBatch, one sender per queue). */
async function filledQueues(): Promise<string[]> {
  const chunk = Math.ceil(N / QUEUES);
  return Promise.all(
    Array.from({ length: QUEUES }, async (_, i) => {
      const { url } = await createQueues(sqs, 5);
      await sendAll(sqs, url, bodies.slice(i * chunk, (i + 1) * chunk));
      return url;
    }),
  );
}

/** Runs one worker per queue until all N messages are finished; messages/s from start to the last. */
async function drain(db: Db, urls: string[]): Promise<{ perSecond: number; ms: number; cpuMs: number; applied: number; failed: number }> {
  const workers = urls.map((url) => new IpamWorker({ db, source: new SqsQueueSource(sqs, url), concurrency: CONCURRENCY, waitSeconds: 1 }));
  const total = (key: 'deleted' | 'failed' | 'applied') => workers.reduce((sum, w) => sum + w.stats[key], 0);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const running = workers.map((w) => w.start());
  while (total(db === nullDb ? 'deleted' : 'applied') + total('failed') < N) await new Promise((r) => setTimeout(r, 20));
  const ms = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  const cpuMs = (user + system) / 1000;
  await Promise.all(workers.map((w) => w.stop()));
  await Promise.all(running);
  return { perSecond: rate(N, ms), ms, cpuMs, applied: total('applied'), failed: total('failed') };
}

function report(path: string, run: Awaited<ReturnType<typeof drain>>, stored: number, verdict: string): void {
  console.log(
    `end to end (${path}): ${N} msgs in ${(run.ms / 1000).toFixed(2)} s = ${run.perSecond.toFixed(0)} msgs/s; ` +
      `${stored} devices stored; applied ${run.applied}, failed ${run.failed}; ` +
      `this process busy ${((run.cpuMs / run.ms) * 100).toFixed(0)}% of the time — ${verdict}`,
  );
}

/** A database that answers every query with no rows: `applyMessage` runs its statements and "applies". */
const nullDb: Db = {
  kind: 'pglite',
  query: async () => [],
  exec: async () => {},
  transaction: (fn) => fn(nullDb),
  close: async () => {},
};

try {
  console.log(`node ${process.version}; ${N} messages over ${QUEUES} queues, one worker each with concurrency ${CONCURRENCY}`);

  const fillStarted = performance.now();
  const urls = await filledQueues();
  console.log(`fill (SendMessageBatch): ${rate(N, performance.now() - fillStarted).toFixed(0)} msgs/s`);

  // Queue alone: receive, parse, delete, with a database that does nothing.
  const queueOnly = await drain(nullDb, await filledQueues());
  console.log(
    `queue alone (workers into a no-op Db): ${queueOnly.perSecond.toFixed(0)} msgs/s; ` +
      `this process busy ${((queueOnly.cpuMs / queueOnly.ms) * 100).toFixed(0)}% of the time (the rest is moto)`,
  );

  // End to end.
  const db = await openPglite();
  await migrate(db);
  const e2e = await drain(db, urls);
  const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM devices');
  await db.close();
  const met = e2e.perSecond >= TARGET && row!.n === N;
  report('moto SQS → IpamWorker → PGlite', e2e, row!.n, `target ≥ ${TARGET}: ${met ? 'met' : 'MISSED'}`);

  if (POSTGRES) {
    const server = await startPostgres();
    const pgDb = await openPostgres(server.url);
    try {
      await migrate(pgDb);
      const run = await drain(pgDb, await filledQueues());
      const [stored] = await pgDb.query<{ n: number }>('SELECT count(*)::int AS n FROM devices');
      report('moto SQS → IpamWorker → PostgreSQL 15 server', run, stored!.n, 'for comparison');
    } finally {
      await pgDb.close();
      await server.stop();
    }
  }

  // The worker without a queue server: an in-memory queue into PGlite.
  const memoryDb = await openPglite();
  await migrate(memoryDb);
  const queue = memorySource(bodies);
  const worker = new IpamWorker({ db: memoryDb, source: queue, concurrency: CONCURRENCY, waitSeconds: 0 });
  const memoryStarted = performance.now();
  const memoryRun = worker.start();
  while (queue.deleted < N) await new Promise((r) => setTimeout(r, 5));
  const memoryRate = rate(N, performance.now() - memoryStarted);
  await worker.stop();
  await memoryRun;
  await memoryDb.close();
  console.log(`worker without a queue server (in-memory queue → IpamWorker → PGlite): ${memoryRate.toFixed(0)} msgs/s`);

  process.exitCode = met ? 0 : 1;
} finally {
  sqs.destroy();
  await aws.stop();
}

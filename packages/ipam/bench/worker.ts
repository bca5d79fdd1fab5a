// IPAM worker throughput: fills a moto SQS queue with N distinct enricher messages and runs the IpamWorker
// into PGlite (in memory), end to end from queue to store. Target ≥ 500 messages/s; exits 1 when missed.
// For where the time goes it also measures the store alone (applyRecords, no queue) and the queue alone
// (the worker into a database that does nothing).
//   cd packages/ipam && pnpm exec tsx bench/worker.ts    # BENCH_N=5000 BENCH_CONCURRENCY=50
import { SQSClient } from '@aws-sdk/client-sqs';
import { localClientConfig, startMoto } from '@reflex/local-aws';
import { type Db, IpamWorker, SqsQueueSource, applyRecords, migrate, openPglite } from '../src/index';
import { createQueues, instanceMessage, sendAll } from '../src/worker/test-helpers';

const N = Number(process.env.BENCH_N ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const TARGET = 500;

const aws = await startMoto();
const sqs = new SQSClient(localClientConfig(aws.endpoint));
const bodies = Array.from({ length: N }, (_, n) => instanceMessage(n));
const rate = (count: number, ms: number) => (count / ms) * 1000;

/** Fills a new queue with the messages, 8 SendMessageBatch calls at a time. */
async function filledQueue(): Promise<string> {
  const { url } = await createQueues(sqs, 5);
  const chunk = Math.ceil(N / 8);
  await Promise.all(Array.from({ length: 8 }, (_, i) => sendAll(sqs, url, bodies.slice(i * chunk, (i + 1) * chunk))));
  return url;
}

/** Runs a worker until all N messages are deleted; messages/s from start to last delete. */
async function drain(db: Db, url: string, concurrency: number): Promise<{ perSecond: number; ms: number; stats: IpamWorker['stats'] }> {
  const worker = new IpamWorker({ db, source: new SqsQueueSource(sqs, url), concurrency, waitSeconds: 1 });
  const started = performance.now();
  const running = worker.start();
  while (worker.stats.deleted + worker.stats.failed < N) await new Promise((r) => setTimeout(r, 20));
  const ms = performance.now() - started;
  await worker.stop();
  await running;
  return { perSecond: rate(N, ms), ms, stats: worker.stats };
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
  console.log(`node ${process.version}; ${N} messages; worker concurrency ${CONCURRENCY}`);

  const fillStarted = performance.now();
  const url = await filledQueue();
  console.log(`fill (SendMessageBatch): ${rate(N, performance.now() - fillStarted).toFixed(0)} msgs/s`);

  // Store alone: batches of 10 straight into PGlite, no queue.
  const storeOnly = await openPglite();
  await migrate(storeOnly);
  const sample = Math.min(N, 1000);
  const storeStarted = performance.now();
  for (let i = 0; i < sample; i += 10) {
    await applyRecords(storeOnly, bodies.slice(i, i + 10).map((b, j) => ({ id: String(i + j), body: JSON.stringify(b) })));
  }
  const storeRate = rate(sample, performance.now() - storeStarted);
  await storeOnly.close();
  console.log(`store alone (applyRecords into PGlite, ${sample} msgs): ${storeRate.toFixed(0)} msgs/s`);

  // Queue alone: receive, parse, delete, with a database that does nothing.
  const queueOnly = await drain(nullDb, await filledQueue(), CONCURRENCY);
  console.log(`queue alone (worker into a no-op Db): ${queueOnly.perSecond.toFixed(0)} msgs/s`);

  // End to end.
  const db = await openPglite();
  await migrate(db);
  const e2e = await drain(db, url, CONCURRENCY);
  const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM devices');
  await db.close();
  const met = e2e.perSecond >= TARGET && row!.n === N;
  console.log(
    `end to end (moto SQS → IpamWorker → PGlite): ${N} msgs in ${(e2e.ms / 1000).toFixed(2)} s = ${e2e.perSecond.toFixed(0)} msgs/s; ` +
      `${row!.n} devices stored; applied ${e2e.stats.applied}, failed ${e2e.stats.failed} — target ≥ ${TARGET}: ${met ? 'met' : 'MISSED'}`,
  );
  process.exitCode = met ? 0 : 1;
} finally {
  sqs.destroy();
  await aws.stop();
}

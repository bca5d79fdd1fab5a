import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { idleClosingStore, openStore, SHORT_OPEN_SHARED_BUFFERS, type StoreLocation } from '../adapters/store';
import type { Db } from '../db';
import { Ec2Inventory } from '../ec2/inventory';
import { lineLog } from './log';
import { SqsQueueSource } from './queue-source';
import { ReconcileLoop } from './reconcile-loop';
import { IpamWorker, type WorkerStopReport } from './worker';

/** Options of `startWorker` and `runWorker`. */
export interface WorkerOptions {
  /** The store: a PostgreSQL server (kept connected), or an embedded one (let go while idle, see `openWorkerStore`). */
  readonly store: StoreLocation;
  /** The client for the IPAM queue and, with `reconcile`, its queue. The caller destroys it after `stop`. */
  readonly sqs: SQSClient;
  /** The IPAM queue (`reflex-<env>-ipam-sync`). */
  readonly queueUrl: string;
  /**
   * The scheduled reconciliation, when the environment leaves it to this worker: the queue its Scheduled
   * Events arrive on (`reflex-<env>-ipam-reconciler`), and the EC2 client that lists the account.
   * @default none: the worker only applies the IPAM queue's messages
   */
  readonly reconcile?: { readonly queueUrl: string; readonly ec2: EC2Client };
  /** Messages in flight at once. @default 50 */
  readonly concurrency?: number;
  /** Long-poll wait per receive, on both queues. @default 20 */
  readonly waitSeconds?: number;
  /** How long a message of the IPAM queue stays hidden (extended while in flight). @default 60 */
  readonly visibilityTimeoutSeconds?: number;
  /** How long `stop` lets in-flight messages finish before it makes them visible again. @default 10000 */
  readonly graceMs?: number;
  /** Warnings, errors and reconciliation runs, one line each (`ipam worker warn: …`). @default none */
  readonly log?: (line: string) => void;
}

/** A worker `startWorker` started. */
export interface RunningWorker {
  /** The store it writes; others in this process may read it (the embedded store is open once per process). */
  readonly db: Db;
  readonly worker: IpamWorker;
  /** The scheduled reconciliation, with `reconcile`. */
  readonly reconciler?: ReconcileLoop;
  /**
   * Settles when the worker's receive loop ends without being stopped: rejects with what broke it. The store
   * is closed by then; `stop()` still stops the reconciliation, and rejects with the same error.
   */
  readonly failed: Promise<never>;
  /**
   * Stops receiving on both queues, lets in-flight messages finish for `graceMs` (the rest become visible
   * again), closes the store and resolves to the final counts. Calling it again returns the same promise.
   */
  stop(): Promise<WorkerStopReport>;
}

/**
 * Opens a store for a long-running worker: a server stays connected; the embedded store is let go after
 * an idle second, so that `reflex ipam show` in another process can open it meanwhile.
 *
 * @example
 * const db = await openWorkerStore({ dataDir: '.reflex/ipam' });
 */
export async function openWorkerStore(location: StoreLocation): Promise<Db> {
  if ('url' in location) return openStore(location);
  // Opened again after each idle second: small shared buffers open in a fraction of the default's time.
  return idleClosingStore(() => openStore(location, { sharedBuffers: SHORT_OPEN_SHARED_BUFFERS }), { idleMs: 1000 });
}

/**
 * Starts the IPAM worker: opens the store, long-polls the IPAM queue and applies its messages, and, with
 * `reconcile`, runs the scheduled reconciliation from its queue. The reference for an updater next to an
 * on-prem IPAM; the CLI (`reflex ipam worker`) and the local mode run it.
 *
 * @example
 * const running = await startWorker({ store: { url: process.env.DATABASE_URL! }, sqs: new SQSClient({}), queueUrl });
 * // …
 * const { applied, failed } = await running.stop();
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const db = await openWorkerStore(options.store);
  const log = options.log ?? (() => {});
  let worker: IpamWorker;
  try {
    worker = new IpamWorker({
      db,
      source: new SqsQueueSource(options.sqs, options.queueUrl),
      log: lineLog(log),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.waitSeconds !== undefined ? { waitSeconds: options.waitSeconds } : {}),
      ...(options.visibilityTimeoutSeconds !== undefined ? { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds } : {}),
    });
  } catch (error) {
    await db.close();
    throw error;
  }
  const running = worker.start();
  const reconciler =
    options.reconcile &&
    new ReconcileLoop({
      source: new SqsQueueSource(options.sqs, options.reconcile.queueUrl),
      db,
      inventory: new Ec2Inventory(options.reconcile.ec2),
      log,
      ...(options.waitSeconds !== undefined ? { waitSeconds: options.waitSeconds } : {}),
    });
  reconciler?.start();
  let stopped: Promise<WorkerStopReport> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await Promise.all([worker.stop({ graceMs: options.graceMs ?? 10_000 }), reconciler?.stop()]);
      try {
        await running;
      } finally {
        await db.close();
      }
      return worker.stats;
    })());
  // A receive loop that ends on its own broke: stop the rest and close the store rather than leave them.
  const failed = running.then(
    () => {
      if (stopped) return new Promise<never>(() => {});
      throw new Error('the IPAM worker stopped receiving without being stopped');
    },
    (error: unknown) => {
      throw error;
    },
  );
  failed.catch(() => (stopped ? undefined : stop().catch(() => {})));
  return { db, worker, ...(reconciler ? { reconciler } : {}), failed, stop };
}

/**
 * Runs the IPAM worker until one of `signals` arrives (or `abortSignal` aborts), then stops it as
 * `RunningWorker.stop` does and resolves to the final counts. `onStart` is told once it runs.
 *
 * @example
 * const stats = await runWorker({ store, sqs, queueUrl, log: (line) => console.error(line) }); // until Ctrl-C
 */
export async function runWorker(
  options: WorkerOptions & {
    /** @default ['SIGINT', 'SIGTERM'] */
    readonly signals?: readonly NodeJS.Signals[];
    readonly abortSignal?: AbortSignal;
    readonly onStart?: (running: RunningWorker) => void;
  },
): Promise<WorkerStopReport> {
  const running = await startWorker(options);
  options.onStart?.(running);
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  return new Promise<WorkerStopReport>((resolve, reject) => {
    const stop = () => {
      for (const s of signals) process.off(s, stop);
      options.abortSignal?.removeEventListener('abort', stop);
      running.stop().then(resolve, reject);
    };
    // A worker that breaks on its own ends the run with its error, not a wait for a signal.
    running.failed.catch((error: unknown) => {
      for (const s of signals) process.off(s, stop);
      options.abortSignal?.removeEventListener('abort', stop);
      reject(error);
    });
    for (const s of signals) process.once(s, stop);
    if (options.abortSignal?.aborted) stop();
    else options.abortSignal?.addEventListener('abort', stop, { once: true });
  });
}

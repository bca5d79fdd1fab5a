import { describeError } from '@reflex/manifest';
import type { Db } from '../db';
import { GroupCommit } from './group-commit';
import { silentLog, type WorkerLog } from './log';
import { QueueDeleteError, type QueueMessage, type QueueSource } from './queue-source';

/** Counts since the worker started. */
export interface WorkerStats {
  received: number;
  /** Changed the store. */
  applied: number;
  /** Already applied (a redelivery). */
  duplicate: number;
  /** Older than what the store holds: recorded as ignored. */
  stale: number;
  /** Malformed or not written: left on the queue for redelivery (and, in the end, the DLQ). */
  failed: number;
  deleted: number;
  /** Made visible again at stop because they were not finished within the grace period. */
  released: number;
  receiveErrors: number;
  inFlight: number;
}

/** What one batch did, for `onBatch`. */
export interface BatchStats {
  readonly size: number;
  readonly applied: number;
  readonly duplicate: number;
  readonly stale: number;
  readonly failed: number;
  readonly deleted: number;
  readonly ms: number;
}

/** The counts when `stop` returned. */
export type WorkerStopReport = Readonly<WorkerStats>;

/** Options of `IpamWorker`. */
export interface IpamWorkerOptions {
  readonly db: Db;
  readonly source: QueueSource;
  /** Most messages received and not yet finished; above 10, several receives run at once. @default 50 */
  readonly concurrency?: number;
  /**
   * Most messages written in one transaction. Batches that arrive while a write runs wait for it and then
   * go to the store together (group commit), with those of every other worker on the same `db`: a set-wise
   * write of 100 costs far less than ten of 10.
   * @default 100
   */
  readonly maxApplyBatch?: number;
  /**
   * Longest a received batch waits for others before its write starts, when no write is running. The write
   * starts sooner once `maxApplyBatch` messages wait, or all of `concurrency` (no more can come) — with
   * several workers on one `db`, the smallest `maxApplyBatch` among the waiting batches, and every waiting
   * worker's whole `concurrency`. A few milliseconds of latency buy far larger writes under load: each
   * message then costs the store a fraction of what it costs in a write of 10. 0 writes each batch as soon
   * as the store is free.
   * @default 20
   */
  readonly maxApplyDelayMs?: number;
  /** Long-poll wait per receive. @default 20 */
  readonly waitSeconds?: number;
  /** How long a received message stays hidden; extended every half of it while the message is in flight. @default 60 */
  readonly visibilityTimeoutSeconds?: number;
  readonly log?: WorkerLog;
  /** Called after each batch is applied and deleted. */
  readonly onBatch?: (batch: BatchStats) => void;
}

interface Batch {
  readonly messages: QueueMessage[];
  state: 'applying' | 'deleting' | 'done' | 'released';
  /** The visibility extension under way, if any. */
  extending?: Promise<void>;
}

const MAX_PER_RECEIVE = 10;
const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 20_000;

/**
 * Long-polls a queue of `IpamInstanceMessage`s and applies them to the store: bounded concurrency, deletes
 * a message only once applied (or a duplicate or stale), leaves failures for redelivery and the DLQ, keeps
 * in-flight messages hidden while they are written, backs off on receive errors, and stops gracefully.
 *
 * @example
 * const worker = new IpamWorker({ db, source: new SqsQueueSource(new SQSClient({}), queueUrl), log });
 * const running = worker.start();
 * process.once('SIGTERM', () => void worker.stop({ graceMs: 10_000 }));
 * await running;
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
 */
export class IpamWorker {
  private readonly counts: WorkerStats = {
    received: 0,
    applied: 0,
    duplicate: 0,
    stale: 0,
    failed: 0,
    deleted: 0,
    released: 0,
    receiveErrors: 0,
    inFlight: 0,
  };
  private readonly abort = new AbortController();
  /** Each batch in flight, and the promise that settles when it is finished. */
  private readonly batches = new Map<Batch, Promise<void>>();
  private readonly log: WorkerLog;
  private readonly concurrency: number;
  private readonly waitSeconds: number;
  private readonly visibility: number;
  private readonly maxApplyBatch: number;
  private readonly maxApplyDelayMs: number;
  /** Messages in flight plus those a pending receive may return. */
  private reserved = 0;
  private waiting: (() => void)[] = [];
  private polling: Promise<unknown> | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: IpamWorkerOptions) {
    this.log = options.log ?? silentLog;
    this.concurrency = options.concurrency ?? 50;
    this.waitSeconds = options.waitSeconds ?? 20;
    this.visibility = options.visibilityTimeoutSeconds ?? 60;
    const whole = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
    if (!whole(this.concurrency, 1, 10_000)) throw new RangeError(`concurrency must be a whole number ≥ 1, not ${this.concurrency}`);
    if (!whole(this.waitSeconds, 0, 20)) throw new RangeError(`waitSeconds must be 0–20 (the SQS long-poll limit), not ${this.waitSeconds}`);
    if (!whole(this.visibility, 1, 43_200)) {
      throw new RangeError(`visibilityTimeoutSeconds must be 1–43200 (the SQS limits), not ${this.visibility}`);
    }
    this.maxApplyBatch = options.maxApplyBatch ?? 100;
    if (!whole(this.maxApplyBatch, 1, 10_000)) throw new RangeError(`maxApplyBatch must be a whole number ≥ 1, not ${this.maxApplyBatch}`);
    this.maxApplyDelayMs = options.maxApplyDelayMs ?? 20;
    if (!whole(this.maxApplyDelayMs, 0, 60_000)) {
      throw new RangeError(`maxApplyDelayMs must be a whole number of milliseconds, 0–60000, not ${this.maxApplyDelayMs}`);
    }
  }

  /** A snapshot of the counts. */
  get stats(): Readonly<WorkerStats> {
    return { ...this.counts };
  }

  /**
   * Polls until `stop` is called; resolves once every batch has settled (released ones included).
   *
   * @example
   * const running = worker.start();
   */
  start(): Promise<void> {
    if (this.running) throw new Error('this IpamWorker has already been started');
    // Enough pollers to keep `concurrency` messages in flight at 10 per receive.
    const pollers = Math.ceil(this.concurrency / MAX_PER_RECEIVE);
    this.polling = Promise.all(Array.from({ length: pollers }, () => this.poll()));
    this.running = (async () => {
      await this.polling;
      while (this.batches.size > 0) await Promise.all(this.batches.values());
    })();
    return this.running;
  }

  /**
   * Stops receiving, lets in-flight messages finish for up to `graceMs`, then makes the rest visible again.
   *
   * @example
   * const { applied, failed, released } = await worker.stop({ graceMs: 5000 });
   */
  async stop(options: { graceMs?: number } = {}): Promise<WorkerStopReport> {
    this.abort.abort();
    this.wakeAll();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.graceMs ?? 30_000)));
    // Pollers end at once (receive and backoff are aborted); a batch they got meanwhile is already released.
    await Promise.race([this.polling, graceOver]);
    await Promise.race([Promise.all(this.batches.values()), graceOver]);
    clearTimeout(timer);
    const unfinished = [...this.batches.keys()].filter((b) => b.state === 'applying');
    await Promise.all(unfinished.map((b) => this.release(b)));
    if (unfinished.length > 0) {
      this.log.warn('IPAM worker stopped before some messages were applied; released them', { released: this.counts.released });
    }
    this.log.info('IPAM worker stopped', { ...this.counts });
    return this.stats;
  }

  private async poll(): Promise<void> {
    const { signal } = this.abort;
    let failures = 0;
    while (!signal.aborted) {
      const room = Math.min(MAX_PER_RECEIVE, this.concurrency - this.reserved);
      if (room <= 0) {
        await new Promise<void>((resolve) => this.waiting.push(resolve));
        continue;
      }
      this.reserved += room;
      let messages: QueueMessage[] = [];
      try {
        messages = await this.options.source.receive(room, this.waitSeconds, this.visibility, signal);
        failures = 0;
      } catch (error) {
        this.counts.receiveErrors++;
        const delay = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** failures++) * (0.5 + Math.random() / 2);
        this.log.warn('receive failed; backing off', {
          error: describeError(error, { names: false }),
          errorName: nameOf(error),
          attempt: failures,
          delayMs: Math.round(delay),
        });
        await sleep(delay, signal);
      } finally {
        this.reserved -= room - messages.length;
      }
      if (messages.length === 0) continue;
      this.counts.received += messages.length;
      const batch: Batch = { messages, state: 'applying' };
      if (signal.aborted) {
        // Received while stopping: hand them straight back rather than start work stop() will not wait for.
        await this.release(batch);
        this.reserved -= messages.length;
      } else {
        this.track(batch);
      }
    }
  }

  private track(batch: Batch): void {
    const { messages } = batch;
    this.counts.inFlight += messages.length;
    const done = this.process(batch)
      .catch((error) => this.log.error('IPAM batch failed', { error: describeError(error, { names: false }), messageIds: messages.map((m) => m.id) }))
      .finally(() => {
        this.batches.delete(batch);
        this.counts.inFlight -= messages.length;
        this.reserved -= messages.length;
        this.wakeAll();
      });
    this.batches.set(batch, done);
  }

  private wakeAll(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  private async process(batch: Batch): Promise<void> {
    const started = performance.now();
    const heartbeat = setInterval(() => {
      if (batch.state !== 'applying' || batch.extending) return;
      batch.extending = this.extend(batch).finally(() => (batch.extending = undefined));
    }, (this.visibility * 1000) / 2);
    let outcome;
    try {
      outcome = await GroupCommit.of(this.options.db).apply(this, batch.messages, {
        max: this.maxApplyBatch,
        delayMs: this.maxApplyDelayMs,
        capacity: this.concurrency,
        log: this.log,
      });
    } finally {
      clearInterval(heartbeat);
    }
    if (batch.state === 'released') return; // stop() gave them back; another worker will see them as duplicates
    batch.state = 'deleting';
    const ok = new Set(outcome.results.map((r) => r.id));
    const done = batch.messages.filter((m) => ok.has(m.id));
    let deleted = 0;
    try {
      await this.options.source.delete(done);
      deleted = done.length;
    } catch (error) {
      deleted = error instanceof QueueDeleteError ? done.length - error.failed.length : 0;
      this.log.warn('applied messages not deleted; they will be redelivered as duplicates', { error: describeError(error, { names: false }) });
    }
    batch.state = 'done';
    const count = (o: string) => outcome.results.filter((r) => r.outcome === o).length;
    const stats: BatchStats = {
      size: batch.messages.length,
      applied: count('applied'),
      duplicate: count('duplicate'),
      stale: count('stale'),
      failed: outcome.failures.length,
      deleted,
      ms: performance.now() - started,
    };
    this.counts.applied += stats.applied;
    this.counts.duplicate += stats.duplicate;
    this.counts.stale += stats.stale;
    this.counts.failed += stats.failed;
    this.counts.deleted += deleted;
    this.options.onBatch?.(stats);
  }

  /** Keeps a batch hidden while it is written, so no other worker receives it meanwhile. */
  private async extend(batch: Batch): Promise<void> {
    await Promise.all(
      batch.messages.map((m) =>
        this.options.source.changeVisibility(m, this.visibility).catch((error) => {
          if (batch.state !== 'applying') return;
          this.log.warn('could not extend visibility; the message may be redelivered meanwhile', {
            messageId: m.id,
            receiveCount: m.receiveCount,
            error: describeError(error, { names: false }),
          });
        }),
      ),
    );
  }

  private async release(batch: Batch): Promise<void> {
    if (batch.state !== 'applying') return;
    batch.state = 'released';
    this.counts.released += batch.messages.length;
    // Not written at all if it is still waiting for its write (else written anyway: a duplicate later).
    GroupCommit.of(this.options.db).withdraw(batch.messages);
    await batch.extending; // so that a late extension does not hide them again
    await Promise.all(
      batch.messages.map((m) =>
        this.options.source.changeVisibility(m, 0).catch((error) => {
          this.log.warn('could not release message; it reappears after its visibility timeout', { messageId: m.id, error: describeError(error, { names: false }) });
        }),
      ),
    );
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

function nameOf(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

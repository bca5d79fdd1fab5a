import type { Db } from '../db';
import { type BatchOutcome, type QueueRecord, type RecordResult, applyRecords, logFailures } from './apply-records';
import type { WorkerLog } from './log';
import type { QueueMessage } from './queue-source';

interface Waiting {
  /** Whose messages these are (one worker): a message id is unique within one queue, not across queues. */
  readonly owner: object;
  readonly messages: readonly QueueMessage[];
  /** The owner's largest write. */
  readonly max: number;
  /** How long the owner lets its batch wait for others when no write is running. */
  readonly delayMs: number;
  /** The most messages the owner has received and not finished: it sends no more while that many wait. */
  readonly capacity: number;
  readonly log: WorkerLog;
  resolve(outcome: BatchOutcome): void;
  reject(error: unknown): void;
}

/**
 * Writes the messages of concurrent batches together — of every worker on the same store. A batch that
 * finds no write running waits a little for others (see `apply`); those that arrive during a write wait for
 * it and then go as one `applyRecords` call of up to `max` messages (whole batches). The store runs one
 * write after another anyway (PGlite is one connection), and several small ones cost far more than one
 * large one: however many workers and receives run at once, the store sees few large transactions, and
 * the slower it is the larger they get.
 */
export class GroupCommit {
  private static readonly byDb = new WeakMap<Db, GroupCommit>();
  private waiting: Waiting[] = [];
  private writing = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (`performance.now()` time); Infinity when none is armed. */
  private due = Infinity;

  private constructor(private readonly db: Db) {}

  /** The one group commit of `db`, shared by every worker that writes to it. */
  static of(db: Db): GroupCommit {
    let group = GroupCommit.byDb.get(db);
    if (!group) GroupCommit.byDb.set(db, (group = new GroupCommit(db)));
    return group;
  }

  /**
   * Applies `messages` of `owner` in the next write, with at most `max` messages in it (a batch larger than
   * that goes alone); failures are logged to `log`. When no write is running the batch waits up to `delayMs`
   * for others. The write starts sooner once the waiting batches hold the smallest `max` among them, or
   * once every owner with a batch waiting has its whole `capacity` waiting (no more can come from them
   * before this write), or at once when one of them has `delayMs` 0.
   */
  apply(owner: object, messages: readonly QueueMessage[], options: Omit<Waiting, 'owner' | 'messages' | 'resolve' | 'reject'>): Promise<BatchOutcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ owner, messages, ...options, resolve, reject });
      this.schedule(options.delayMs);
    });
  }

  /**
   * Takes a batch (the `messages` array given to `apply`) out of the group while it still waits, e.g. when
   * its worker has released the messages at stop: it is not written, and its `apply` resolves with no
   * outcomes. False when it is being written already (or was).
   */
  withdraw(messages: readonly QueueMessage[]): boolean {
    const at = this.waiting.findIndex((w) => w.messages === messages);
    if (at < 0) return false;
    this.waiting.splice(at, 1)[0]!.resolve({ results: [], failures: [] });
    if (this.waiting.length === 0) this.disarm();
    return true;
  }

  /** Starts a write now, or by `delayMs` from now at the latest (an earlier deadline stands). */
  private schedule(delayMs: number): void {
    if (this.writing) return; // the running drain takes the batch next
    if (this.ready()) return void this.drain();
    const due = performance.now() + delayMs;
    if (due >= this.due) return;
    clearTimeout(this.timer);
    this.due = due;
    this.timer = setTimeout(() => void this.drain(), delayMs);
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = Infinity;
  }

  /** Whether the waiting batches should be written without waiting for more. */
  private ready(): boolean {
    let total = 0;
    const byOwner = new Map<object, { waiting: number; capacity: number }>();
    for (const w of this.waiting) {
      if (w.delayMs <= 0) return true;
      total += w.messages.length;
      const owner = byOwner.get(w.owner) ?? { waiting: 0, capacity: w.capacity };
      owner.waiting += w.messages.length;
      byOwner.set(w.owner, owner);
    }
    if (total >= Math.min(...this.waiting.map((w) => w.max))) return true;
    return [...byOwner.values()].every((o) => o.waiting >= o.capacity);
  }

  /** Writes until no batch waits. Never rejects: `write` settles every batch of its group. */
  private async drain(): Promise<void> {
    this.disarm();
    this.writing = true;
    try {
      while (this.waiting.length > 0) await this.write(this.waiting.splice(0, this.groupSize()));
    } finally {
      this.writing = false;
    }
  }

  /** Writes the group's messages in one `applyRecords` call and settles each batch with its own outcomes. */
  private async write(group: readonly Waiting[]): Promise<void> {
    // Each distinct message once, as a record named by its position. A message redelivered while its first
    // delivery is in flight is in two batches of one owner: written once.
    const records: QueueRecord[] = [];
    const seenBy = new Map<object, Map<string, number>>();
    const positions = group.map(({ owner, messages }) => {
      let seen = seenBy.get(owner);
      if (!seen) seenBy.set(owner, (seen = new Map()));
      return messages.map((m) => {
        let at = seen.get(m.id);
        if (at === undefined) {
          seen.set(m.id, (at = records.length));
          records.push({ id: String(at), body: m.body, receiveCount: m.receiveCount });
        }
        return at;
      });
    });
    let outcome: BatchOutcome;
    try {
      outcome = await applyRecords(this.db, records);
    } catch (error) {
      for (const { reject } of group) reject(error);
      return;
    }
    const result = new Map(outcome.results.map((r) => [Number(r.id), r]));
    const failure = new Map(outcome.failures.map((f) => [Number(f.id), f.reason]));
    // The second delivery of a message written once here is a duplicate, as it would be in a later write.
    const reported = new Set<number>();
    for (const [g, { messages, log, resolve, reject }] of group.entries()) {
      const results: RecordResult[] = [];
      const failures: BatchOutcome['failures'] = [];
      for (const [i, m] of messages.entries()) {
        const at = positions[g]![i]!;
        const r = result.get(at);
        if (r) results.push({ ...r, id: m.id, outcome: reported.has(at) ? 'duplicate' : r.outcome });
        else failures.push({ id: m.id, reason: failure.get(at)! });
        reported.add(at);
      }
      // A worker's log that throws fails that worker's batch alone.
      try {
        logFailures(log, messages, failures);
        resolve({ results, failures });
      } catch (error) {
        reject(error);
      }
    }
  }

  /** How many waiting batches the next write takes: whole batches within the smallest `max` among them. */
  private groupSize(): number {
    let size = 0;
    let max = Infinity;
    let take = 0;
    for (const next of this.waiting) {
      const limit = Math.min(max, next.max);
      if (take > 0 && size + next.messages.length > limit) break;
      size += next.messages.length;
      max = limit;
      take++;
    }
    return take;
  }
}

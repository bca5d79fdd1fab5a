import { ScheduledEventSchema } from '@reflex/events';
import { describeError } from '@reflex/manifest';
import type { Db } from '../db';
import type { Ec2Inventory } from '../ec2/inventory';
import { reconcile } from '../ec2/reconcile';
import type { QueueSource } from './queue-source';

/** Options of `ReconcileLoop`. */
export interface ReconcileLoopOptions {
  /** The queue of Scheduled Events (`reflex-<env>-ipam-reconciler`). */
  readonly source: QueueSource;
  readonly db: Db;
  /** Lists the account and region each event names, with the worker's own credentials. */
  readonly inventory: Pick<Ec2Inventory, 'snapshot'>;
  /** Lines on what each run did or why it failed. @default none */
  readonly log?: (line: string) => void;
  /** Long-poll wait per receive. @default 20 */
  readonly waitSeconds?: number;
  /** The reconciler's timeout: a run stays hidden from other workers this long. @default 600 */
  readonly visibilityTimeoutSeconds?: number;
}

/**
 * The worker side of the scheduled reconciliation: long-polls the `ipam-reconciler` queue and, for each
 * Scheduled Event on it, lists EC2 in the event's account and region and corrects the store (`reconcile`).
 * A run that fails stays on the queue for a retry (and, after its receives, the DLQ).
 *
 * @example
 * const loop = new ReconcileLoop({ source: new SqsQueueSource(sqs, reconcilerQueueUrl), db, inventory: new Ec2Inventory(ec2) });
 * loop.start();
 * await loop.stop();
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 */
export class ReconcileLoop {
  private readonly abort = new AbortController();
  private running?: Promise<void>;

  constructor(private readonly options: ReconcileLoopOptions) {}

  /** Starts polling; a second call does nothing. */
  start(): void {
    this.running ??= this.loop();
  }

  /** Stops polling (a receive under way is cut short) and waits for a run under way to end. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { source, db, inventory } = this.options;
    const log = this.options.log ?? (() => {});
    const { signal } = this.abort;
    while (!signal.aborted) {
      let messages;
      try {
        messages = await source.receive(1, this.options.waitSeconds ?? 20, this.options.visibilityTimeoutSeconds ?? 600, signal);
      } catch (error) {
        log(`ipam reconcile: receive failed: ${describeError(error, { names: false })}; retrying`);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      for (const message of messages) {
        try {
          const event = ScheduledEventSchema.parse(JSON.parse(message.body));
          const report = await reconcile(db, await inventory.snapshot({ account: event.account, region: event.region }));
          log(`ipam reconcile: reconciled the IPAM with EC2 ${JSON.stringify(report.counts)}`);
          await source.delete([message]);
        } catch (error) {
          log(`ipam reconcile: run ${message.id} failed (receive ${message.receiveCount ?? '?'}): ${describeError(error, { names: false })}`);
        }
      }
    }
  }
}

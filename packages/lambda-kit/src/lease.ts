/** Where write leases are kept: a conditional write takes one, another gives it back. */
export interface LeasePort {
  /** Takes (or renews) `key`'s lease for `holder` until `until`; false while another holder's runs past `now`. */
  lease(key: string, holder: string, until: Date, now: Date): Promise<boolean>;
  /** Gives `holder`'s lease of `key` back (a no-op if another holder took it over). */
  release(key: string, holder: string): Promise<void>;
}

/** Another writer kept the lease past the wait; the record is retried. */
export class LeaseBusyError extends Error {
  override readonly name: string = 'LeaseBusyError';
}

export interface LeaseOptions {
  /** A unique id for this writer's leases. */
  readonly holder: string;
  /** The clock the lease's `until` is reckoned by. */
  readonly now: () => Date;
  /** How long a lease outlives a writer that dies mid-write. @default 30000 */
  readonly leaseMs?: number;
  /** How long to wait for another holder's lease. @default 20000 */
  readonly waitMs?: number;
  /** The error thrown when the wait runs out. @default LeaseBusyError */
  readonly busy?: new (message: string) => Error;
}

/**
 * Runs `work` holding `key`'s write lease, so that two concurrent writers never change one resource at once.
 * Waits for another holder up to `waitMs`, backing off with jitter, then throws "<key>: another writer holds
 * its lease; retrying later". The lease is released when `work` ends, however it ends.
 *
 * @example
 * await withLease(table, naclId, { holder: context.awsRequestId, now: () => new Date() }, () => write(naclId));
 */
export async function withLease<T>(port: LeasePort, key: string, options: LeaseOptions, work: () => Promise<T>): Promise<T> {
  const { holder, now: clock, leaseMs = 30_000, waitMs = 20_000, busy = LeaseBusyError } = options;
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    const now = clock();
    if (await port.lease(key, holder, new Date(now.getTime() + leaseMs), now)) break;
    if (Date.now() > deadline) throw new busy(`${key}: another writer holds its lease; retrying later`);
    await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random())));
  }
  try {
    return await work();
  } finally {
    await port.release(key, holder);
  }
}

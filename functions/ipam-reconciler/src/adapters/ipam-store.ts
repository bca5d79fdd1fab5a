import { type Db, type DriftReport, type Ec2Snapshot, openStore, reconcile, type StoreLocation } from '@reflex/ipam';

/**
 * The IPAM store (`@reflex/ipam`), corrected to match EC2: connected and migrated on the first run, once per
 * cold start; a failed connect is retried on the next run. In dry-run it reports the drift and writes nothing.
 */
export class IpamStore {
  private db: Promise<Db> | undefined;

  constructor(
    private readonly location: StoreLocation,
    private readonly dryRun: boolean,
    private readonly open: (location: StoreLocation) => Promise<Db> = openStore,
  ) {}

  async reconcile(snapshot: Ec2Snapshot): Promise<DriftReport> {
    this.db ??= this.open(this.location).catch((error: unknown) => {
      this.db = undefined;
      throw error;
    });
    return reconcile(await this.db, snapshot, { dryRun: this.dryRun });
  }
}

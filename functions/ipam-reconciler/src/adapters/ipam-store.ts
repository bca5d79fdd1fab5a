import { type Db, type DriftReport, type Ec2Snapshot, openStore, reconcile, type StoreLocation, storeOnFirstUse } from '@reflex/ipam';

/**
 * The IPAM store (`@reflex/ipam`), corrected to match EC2: connected and migrated on the first run, once per
 * cold start; a failed connect is retried on the next run. In dry-run it reports the drift and writes nothing.
 */
export class IpamStore {
  private readonly store: () => Promise<Db>;

  constructor(
    location: StoreLocation,
    private readonly dryRun: boolean,
    open: (location: StoreLocation) => Promise<Db> = openStore,
  ) {
    this.store = storeOnFirstUse(location, open);
  }

  async reconcile(snapshot: Ec2Snapshot): Promise<DriftReport> {
    return reconcile(await this.store(), snapshot, { dryRun: this.dryRun });
  }
}

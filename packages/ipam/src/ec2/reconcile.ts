import type { Db } from '../db';
import { instanceDrift } from './instance-drift';
import type { Ec2Snapshot } from './inventory';
import { networkDrift } from './network-drift';
import { type DriftReport, driftReport } from './report';

/**
 * Compares the store with an EC2 snapshot of one account and region and corrects the drift: instances
 * missing from the store or different in state, interfaces, addresses or metadata (written as the
 * snapshot's message); instances the store holds as live but EC2 no longer lists (decommissioned);
 * networks missing (recorded, even without instances) or gone from EC2 (marked deleted). Corrections go
 * through `applyMessages`, so a stored event newer than the snapshot wins and the item is `skipped`.
 * Reconciling again right after finds no drift.
 *
 * @example
 * const report = await reconcile(db, await new Ec2Inventory(ec2).snapshot({ account, region }), { dryRun: true });
 * console.log(formatDriftReport(report));
 */
export async function reconcile(
  db: Db,
  snapshot: Ec2Snapshot,
  options: {
    /** Report without writing. @default false */
    dryRun?: boolean;
    onProgress?: (progress: { done: number; total: number }) => void;
  } = {},
): Promise<DriftReport> {
  const dryRun = options.dryRun ?? false;
  const networks = await networkDrift(db, snapshot, dryRun);
  const instances = await instanceDrift(db, snapshot, { dryRun, onProgress: options.onProgress });
  return driftReport(snapshot, {
    dryRun,
    checked: { instances: instances.checked, networks: networks.checked },
    items: [...networks.items, ...instances.items],
  });
}

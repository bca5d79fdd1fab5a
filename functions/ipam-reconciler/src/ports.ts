import type { DriftReport, Ec2Snapshot } from '@reflex/ipam';
import type { DecisionLog } from '@reflex/lambda-kit';

/** Where a reconciliation runs: the account and region the schedule fired in. */
export interface Where {
  readonly account: string;
  readonly region: string;
}

/** Port: EC2's VPCs, subnets and instances of one account and region, listed whole. */
export type SnapshotPort = (where: Where) => Promise<Ec2Snapshot>;

/** Port: the IPAM store, corrected to match a snapshot. The adapter knows dry-run (it then reports and writes nothing). */
export type ReconcilePort = (snapshot: Ec2Snapshot) => Promise<DriftReport>;

/** What a reconciliation needs: the account's inventory, the store to correct, and the decision log. */
export interface ReconcilerDeps {
  readonly snapshot: SnapshotPort;
  readonly reconcile: ReconcilePort;
  readonly log: DecisionLog;
}

export type { DecisionLog };

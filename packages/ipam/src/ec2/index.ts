// The EC2 side of the IPAM: messages from DescribeInstances/Subnets/Vpcs, snapshots, and reconciliation.
export { buildInstanceMessage, type Ec2Facts } from './message';
export { Ec2Inventory, type InstanceChange, type Ec2Snapshot, type SnapshotProgress } from './inventory';
export { reconcile } from './reconcile';
export { formatDriftReport, type DriftReport, type DriftItem, type DriftKind } from './report';

import type { LeasePort } from '@reflex/lambda-kit';
import type { ReaperScope } from './manifest';

/** What the reaper looks at: the kinds in its scope, and a lab VPC's dependents. */
export type ResourceKind =
  | 'instance'
  | 'volume'
  | 'snapshot'
  | 'address'
  | 'nat-gateway'
  | 'load-balancer'
  | 'vpc'
  | 'subnet'
  | 'route-table'
  | 'internet-gateway'
  | 'security-group'
  | 'vpc-endpoint';

/** One resource as read now. */
export interface Resource {
  readonly kind: ResourceKind;
  /** `i-…`, `vol-…`, `snap-…`, `eipalloc-…`, `nat-…`, `vpc-…`…; a load balancer's ARN. */
  readonly id: string;
  readonly tags: Readonly<Record<string, string>>;
  /** AWS's state: `running`/`stopped`…, `available`/`in-use`, `pending`/`completed`, `deleting`… (`associated`/`unassociated` for an address; `active` for others that have none). */
  readonly state: string;
  /** When it was created (launch, create or start time), where AWS says. */
  readonly createdAt?: Date;
  readonly vpcId?: string;
  /** A default VPC (IsDefault) or a default subnet (DefaultForAz). */
  readonly isDefault?: boolean;
  /** A VPC's default security group or main route table: DeleteVpc takes them with it. */
  readonly goesWithVpc?: boolean;
  /** What holds it now: the instance a volume is attached to, the association of an address. */
  readonly attachedTo?: string;
  /** A snapshot: its volume, and whether this account owns it. */
  readonly volumeId?: string;
}

/** Result of one write. */
export type WriteResult =
  /** Done (or, for deletes that take time, started). */
  | { readonly status: 'done' }
  /** Dry-run: checked with EC2's `DryRun` where it has it; nothing changed. */
  | { readonly status: 'dry-run' }
  /** The resource no longer exists. */
  | { readonly status: 'gone' }
  /** AWS refused because of the resource's state or dependents (`DependencyViolation`, in use, deletion protection). */
  | { readonly status: 'refused'; readonly error: string }
  | { readonly status: 'failed'; readonly error: string };

/** What a lab VPC holds, by teardown stage, and what would stop the teardown. */
export interface VpcContents {
  readonly instances: readonly Resource[];
  readonly natGateways: readonly Resource[];
  /** Elastic IPs associated with the VPC's instances or NAT gateways, or carrying its id in their tags. */
  readonly addresses: readonly Resource[];
  readonly endpoints: readonly Resource[];
  readonly subnets: readonly Resource[];
  readonly routeTables: readonly Resource[];
  readonly internetGateways: readonly Resource[];
  readonly securityGroups: readonly Resource[];
  /** Network interfaces that belong to none of the above (a Lambda's, a load balancer's, a database's, someone's own). */
  readonly otherInterfaces: readonly { readonly id: string; readonly type: string; readonly description: string }[];
}

/** Port: finding resources. */
export interface InventoryPort {
  /**
   * The resources of the kinds in scope that concern the reaper: those that carry `reflex:expires-at`, and
   * with `allInstances` every instance that is not terminated, with `allSnapshots` every own snapshot.
   */
  list(scope: ReaperScope, options: { readonly allInstances: boolean; readonly allSnapshots: boolean }): Promise<Resource[]>;
  /** What a VPC holds. */
  vpcContents(vpcId: string): Promise<VpcContents>;
  /** One resource by id (a load balancer by ARN), whatever its tags; undefined if AWS does not know it. */
  find(id: string): Promise<Resource | undefined>;
}

/** Port: changing resources. The adapter knows dry-run. */
export interface ActionsPort {
  /** Writes tags on resources of one kind (EC2 takes many ids in one call). */
  tag(resources: readonly Resource[], tags: Readonly<Record<string, string>>): Promise<WriteResult>;
  stop(instance: Resource): Promise<WriteResult>;
  /** Starts a snapshot of a volume with these tags; its id, when one was started. */
  createSnapshot(volume: Resource, tags: Readonly<Record<string, string>>): Promise<WriteResult & { readonly snapshotId?: string }>;
  /** A snapshot's state now; `missing` when AWS no longer has it. */
  snapshotState(snapshotId: string): Promise<'pending' | 'completed' | 'error' | 'missing'>;
  /** Deletes a resource by its kind: terminates an instance, releases an address, detaches an internet gateway first. */
  remove(resource: Resource): Promise<WriteResult>;
}

/** One hourly datapoint: the hour's start and its value. */
export interface HourlyPoint {
  readonly at: Date;
  readonly value: number;
}

/** An instance's hourly metrics over a window. */
export interface InstanceMetrics {
  /** `CPUUtilization` Average per hour, percent. */
  readonly cpuAverage: readonly HourlyPoint[];
  /** `NetworkIn` Sum per hour, bytes. */
  readonly networkIn: readonly HourlyPoint[];
  /** `NetworkOut` Sum per hour, bytes. */
  readonly networkOut: readonly HourlyPoint[];
}

/** Port: CloudWatch metrics. */
export interface MetricsPort {
  /** The instance's hourly datapoints in [from, to). */
  hourly(instanceId: string, from: Date, to: Date): Promise<InstanceMetrics>;
}

/** A snapshot the reaper started of a volume it is to delete. */
export interface PendingSnapshot {
  readonly volumeId: string;
  readonly snapshotId: string;
  readonly startedAt: string;
}

/** What one run did, in numbers: kept in the state table. */
export interface RunSummary {
  readonly at: string;
  /** The account the run was in (each account's turn of the timer has its own). */
  readonly account?: string;
  readonly dryRun: boolean;
  /** Resources looked at. */
  readonly resources: number;
  /** Per outcome (`warned`, `marked`, `stopped`, `terminated`, `snapshot-started`, `snapshot-pending`, `deleted`, `blocked`, `protected`, `invalid`, `failed`…), how many. */
  readonly counts: Readonly<Record<string, number>>;
}

/** Port: the reaper's table. */
export interface ReaperStatePort extends LeasePort {
  pendingSnapshot(volumeId: string): Promise<PendingSnapshot | undefined>;
  putPendingSnapshot(pending: PendingSnapshot): Promise<void>;
  clearPendingSnapshot(volumeId: string): Promise<void>;
  /** Dry-run: the tags the reaper would have written, by resource id (what a dry run decides from next time). */
  dryRunTags(): Promise<Map<string, Record<string, string>>>;
  putDryRunTags(resourceId: string, tags: Readonly<Record<string, string>>): Promise<void>;
  /** The Elastic IPs a lab VPC's teardown found associated with it (they lose the association on the way). */
  labAddresses(vpcId: string): Promise<string[]>;
  putLabAddresses(vpcId: string, allocationIds: readonly string[]): Promise<void>;
  putRun(summary: RunSummary): Promise<void>;
  /** The newest run's summary (in `account`: its turns of the timer; without one, the summaries recorded without an account). */
  lastRun(account?: string): Promise<RunSummary | undefined>;
}

/** Port: the decision log (the kit hands one to `init`). */
export type { DecisionLog } from '@reflex/lambda-kit';

import { REFLEX_TAGS } from '@reflex/events';
import type { ReaperScope } from '../manifest';
import type {
  ActionsPort,
  InstanceMetrics,
  InventoryPort,
  MetricsPort,
  PendingSnapshot,
  ReaperStatePort,
  Resource,
  ResourceKind,
  RunSummary,
  VpcContents,
  WriteResult,
} from '../ports';

const SCOPE_OF: Partial<Record<ResourceKind, keyof ReaperScope>> = {
  instance: 'instances',
  volume: 'volumes',
  snapshot: 'snapshots',
  address: 'addresses',
  'nat-gateway': 'natGateways',
  'load-balancer': 'loadBalancers',
  vpc: 'labVpcs',
};

/** What a removal leaves: instances and NAT gateways stay visible in a final state; the rest is gone. */
const REMOVED_STATE: Partial<Record<ResourceKind, string>> = { instance: 'terminated', 'nat-gateway': 'deleted', 'vpc-endpoint': 'deleted' };

/**
 * AWS in memory, for tests of the core: resources by id, every write recorded in order (`calls`), writes
 * refused by id (`refuse`), snapshots created `pending` unless `snapshotsComplete`, metrics by instance id.
 */
export class MemoryAws implements InventoryPort, ActionsPort, MetricsPort {
  readonly resources = new Map<string, Resource>();
  readonly calls: string[] = [];
  /** Deletes and stops of these ids are refused with the error given (tag writes are not). */
  readonly refuse = new Map<string, string>();
  readonly metrics = new Map<string, InstanceMetrics>();
  /** Interfaces of a VPC that belong to no teardown stage. */
  readonly otherInterfaces = new Map<string, VpcContents['otherInterfaces']>();
  snapshotsComplete = false;
  private snapshots = 0;

  constructor(
    resources: readonly Resource[] = [],
    private readonly dryRun = false,
  ) {
    for (const r of resources) this.resources.set(r.id, r);
  }

  get(id: string): Resource | undefined {
    return this.resources.get(id);
  }

  set(id: string, change: Partial<Resource>): void {
    this.resources.set(id, { ...this.resources.get(id)!, ...change });
  }

  async list(scope: ReaperScope, options: { readonly allInstances: boolean; readonly allSnapshots: boolean }): Promise<Resource[]> {
    return [...this.resources.values()].filter((r) => {
      const kind = SCOPE_OF[r.kind];
      if (!kind || !scope[kind] || r.state === 'terminated') return false;
      if (r.tags[REFLEX_TAGS.expiresAt] !== undefined) return true;
      return (r.kind === 'instance' && options.allInstances) || (r.kind === 'snapshot' && options.allSnapshots);
    });
  }

  async vpcContents(vpcId: string): Promise<VpcContents> {
    const of = (kind: ResourceKind) => [...this.resources.values()].filter((r) => r.kind === kind && r.vpcId === vpcId && r.state !== 'terminated');
    return {
      instances: of('instance'),
      natGateways: of('nat-gateway'),
      addresses: of('address'),
      endpoints: of('vpc-endpoint'),
      subnets: of('subnet'),
      routeTables: of('route-table'),
      internetGateways: of('internet-gateway'),
      securityGroups: of('security-group'),
      otherInterfaces: this.otherInterfaces.get(vpcId) ?? [],
    };
  }

  async find(id: string): Promise<Resource | undefined> {
    return this.resources.get(id);
  }

  private write(call: string, ids: readonly string[], change: () => void): WriteResult {
    this.calls.push(`${call} ${ids.join(',')}`);
    if (this.dryRun) return { status: 'dry-run' };
    const refusal = call.startsWith('tag') ? undefined : ids.map((id) => this.refuse.get(id)).find(Boolean);
    if (refusal) return { status: 'refused', error: refusal };
    if (ids.some((id) => !this.resources.has(id))) return { status: 'gone' };
    change();
    return { status: 'done' };
  }

  async tag(resources: readonly Resource[], tags: Readonly<Record<string, string>>): Promise<WriteResult> {
    const ids = resources.map((r) => r.id);
    return this.write(`tag ${Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(' ')}`, ids, () => {
      for (const id of ids) this.set(id, { tags: { ...this.get(id)!.tags, ...tags } });
    });
  }

  async stop(instance: Resource): Promise<WriteResult> {
    return this.write('stop', [instance.id], () => this.set(instance.id, { state: 'stopped' }));
  }

  async createSnapshot(volume: Resource, tags: Readonly<Record<string, string>>): Promise<WriteResult & { snapshotId?: string }> {
    const snapshotId = `snap-${String(++this.snapshots).padStart(8, '0')}`;
    const result = this.write('snapshot', [volume.id], () =>
      this.resources.set(snapshotId, { kind: 'snapshot', id: snapshotId, tags: { ...tags }, state: this.snapshotsComplete ? 'completed' : 'pending', volumeId: volume.id }),
    );
    return result.status === 'done' ? { ...result, snapshotId } : result;
  }

  async snapshotState(snapshotId: string): Promise<'pending' | 'completed' | 'error' | 'missing'> {
    return (this.resources.get(snapshotId)?.state as 'pending' | 'completed' | 'error' | undefined) ?? 'missing';
  }

  async remove(resource: Resource): Promise<WriteResult> {
    return this.write(`remove ${resource.kind}`, [resource.id], () => {
      const final = REMOVED_STATE[resource.kind];
      if (final) this.set(resource.id, { state: final });
      else this.resources.delete(resource.id);
      // What held an address lets it go (a terminated instance, a deleted NAT gateway).
      for (const r of this.resources.values()) if (r.attachedTo === resource.id) this.set(r.id, { attachedTo: undefined, state: 'unassociated' });
    });
  }

  async hourly(instanceId: string): Promise<InstanceMetrics> {
    this.calls.push(`metrics ${instanceId}`);
    return this.metrics.get(instanceId) ?? { cpuAverage: [], networkIn: [], networkOut: [] };
  }
}

/** The reaper's table in memory; `busy` makes the run lease taken by another run. */
export class MemoryReaperState implements ReaperStatePort {
  readonly pending = new Map<string, PendingSnapshot>();
  readonly overlay = new Map<string, Record<string, string>>();
  readonly labs = new Map<string, string[]>();
  readonly runs: RunSummary[] = [];
  busy = false;

  async pendingSnapshot(volumeId: string) {
    return this.pending.get(volumeId);
  }
  async putPendingSnapshot(pending: PendingSnapshot) {
    this.pending.set(pending.volumeId, pending);
  }
  async clearPendingSnapshot(volumeId: string) {
    this.pending.delete(volumeId);
  }
  async dryRunTags() {
    return new Map([...this.overlay].map(([id, tags]) => [id, { ...tags }]));
  }
  async putDryRunTags(resourceId: string, tags: Readonly<Record<string, string>>) {
    this.overlay.set(resourceId, { ...tags });
  }
  async labAddresses(vpcId: string) {
    return this.labs.get(vpcId) ?? [];
  }
  async putLabAddresses(vpcId: string, ids: readonly string[]) {
    this.labs.set(vpcId, [...ids]);
  }
  async putRun(summary: RunSummary) {
    this.runs.push(summary);
  }
  async lastRun(account?: string) {
    return this.runs.filter((r) => r.account === account).at(-1);
  }
  async lease() {
    return !this.busy;
  }
  async release() {}
}

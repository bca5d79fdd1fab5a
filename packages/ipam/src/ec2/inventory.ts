import type { _InstanceType, EC2Client, Instance, Subnet, Vpc } from '@aws-sdk/client-ec2';
import {
  type Ec2InstanceState,
  Ec2InstanceStateSchema,
  type IpamInstanceMessage,
  type IpamSubnet,
  type IpamVpc,
} from '@reflex/events';
import { IpamError } from '../db';
import { buildInstanceMessage, networksOf, toIpamSubnet, toIpamVpc } from './message';

/** The state change to describe: which instance, which state, when (ISO), where. */
export interface InstanceChange {
  readonly instanceId: string;
  readonly state: Ec2InstanceState;
  readonly eventTime: string;
  readonly account: string;
  readonly region: string;
}

/** Everything EC2 lists in one account and region at one time, as IPAM shapes. */
export interface Ec2Snapshot {
  readonly account: string;
  readonly region: string;
  /** ISO time the listing started; the time (and version) of every message. */
  readonly observedAt: string;
  readonly vpcs: IpamVpc[];
  readonly subnets: IpamSubnet[];
  /** One message per instance EC2 lists, terminated ones included. */
  readonly messages: IpamInstanceMessage[];
}

/** Progress of `Ec2Inventory.snapshot`: items listed so far in the current phase. */
export interface SnapshotProgress {
  readonly phase: 'vpcs' | 'subnets' | 'instances';
  readonly done: number;
}

const PAGE_SIZE = 1000;

/**
 * The EC2 side of the IPAM: describes one instance into an `IpamInstanceMessage` (subnets and VPCs cached
 * for `cacheTtlMs`, so the records of one Lambda invocation describe each once), or lists a whole account
 * and region into an `Ec2Snapshot` for reconciliation. The SDK's retries handle throttling; other failures
 * are `IpamError`s with the SDK error as `cause`.
 *
 * @example
 * const inventory = new Ec2Inventory(new EC2Client({}));
 * const message = await inventory.instanceMessage({ instanceId, state: 'running', eventTime: event.time, account, region });
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
 */
export class Ec2Inventory {
  private readonly ttlMs: number;
  private readonly subnets = new Map<string, { value: Subnet; expires: number }>();
  private readonly vpcs = new Map<string, { value: Vpc; expires: number }>();
  // Instance types do not change: their core counts are kept for the life of the inventory.
  private readonly cores = new Map<string, number | undefined>();

  /** @param options.cacheTtlMs how long a described subnet or VPC is reused. @default 5000 */
  constructor(
    private readonly client: EC2Client,
    options: { cacheTtlMs?: number } = {},
  ) {
    this.ttlMs = options.cacheTtlMs ?? 5000;
  }

  /**
   * The IPAM message of one state change: DescribeInstances for the instance, DescribeSubnets and
   * DescribeVpcs for the networks not cached. An instance EC2 no longer knows yields a `terminated` message.
   *
   * @example
   * await inventory.instanceMessage({ instanceId: 'i-0abc…', state: 'running', eventTime: '2026-03-01T10:00:00Z', account, region });
   */
  async instanceMessage(change: InstanceChange): Promise<IpamInstanceMessage> {
    const instance = await this.describeInstance(change.instanceId);
    const live = instance && instance.State?.Name !== 'terminated';
    const ids = live ? networksOf(instance) : { subnetIds: [], vpcIds: [] };
    const [subnets, vpcs, defaultCores] = await Promise.all([
      this.cached(this.subnets, ids.subnetIds, (missing) => this.describeSubnets(missing), (s) => s.SubnetId),
      this.cached(this.vpcs, ids.vpcIds, (missing) => this.describeVpcs(missing), (v) => v.VpcId),
      instance ? this.coresOf(instance) : undefined,
    ]);
    return build(change.instanceId, () => buildInstanceMessage({ ...change, instance, subnets, vpcs, defaultCores }));
  }

  /**
   * Lists every VPC, subnet and instance of the account and region (paginated), with one message per
   * instance at `observedAt`.
   *
   * @example
   * const snapshot = await inventory.snapshot({ account: '111111111111', region: 'eu-west-1' });
   * const report = await reconcile(db, snapshot);
   */
  async snapshot(options: {
    account: string;
    region: string;
    /** @default now */
    observedAt?: Date;
    onProgress?: (progress: SnapshotProgress) => void;
  }): Promise<Ec2Snapshot> {
    const { account, region, onProgress } = options;
    const observedAt = (options.observedAt ?? new Date()).toISOString();
    const sdk = await import('@aws-sdk/client-ec2');
    const config = { client: this.client, pageSize: PAGE_SIZE };
    const vpcs = await this.list('vpcs', sdk.paginateDescribeVpcs(config, {}), (p) => p.Vpcs, onProgress);
    const subnets = await this.list('subnets', sdk.paginateDescribeSubnets(config, {}), (p) => p.Subnets, onProgress);
    const instances = await this.list(
      'instances',
      sdk.paginateDescribeInstances(config, {}),
      (p) => (p.Reservations ?? []).flatMap((r) => r.Instances ?? []),
      onProgress,
    );
    const cores = await this.typeCores([...new Set(instances.flatMap((i) => (i.CpuOptions?.CoreCount ? [] : (i.InstanceType ?? []))))]);
    const messages = instances.flatMap((instance) => {
      const state = Ec2InstanceStateSchema.safeParse(instance.State?.Name);
      if (!instance.InstanceId || !state.success) return [];
      const facts = { account, region, eventTime: observedAt, instanceId: instance.InstanceId, state: state.data, instance };
      const defaultCores = instance.InstanceType ? cores.get(instance.InstanceType) : undefined;
      return [build(instance.InstanceId, () => buildInstanceMessage({ ...facts, subnets, vpcs, defaultCores }))];
    });
    return {
      account,
      region,
      observedAt,
      vpcs: vpcs.flatMap((v) => toIpamVpc(v) ?? []),
      subnets: subnets.flatMap((s) => toIpamSubnet(s) ?? []),
      messages,
    };
  }

  private async describeInstance(instanceId: string): Promise<Instance | undefined> {
    const { DescribeInstancesCommand } = await import('@aws-sdk/client-ec2');
    try {
      const out = await this.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
    } catch (cause) {
      // Gone for good (terminated long ago): the message says terminated.
      if ((cause as { name?: string }).name === 'InvalidInstanceID.NotFound') return undefined;
      throw new IpamError(`DescribeInstances failed for ${instanceId}`, { cause });
    }
  }

  private async describeSubnets(ids: string[]): Promise<Subnet[]> {
    const { DescribeSubnetsCommand } = await import('@aws-sdk/client-ec2');
    try {
      return (await this.client.send(new DescribeSubnetsCommand({ SubnetIds: ids }))).Subnets ?? [];
    } catch (cause) {
      throw new IpamError(`DescribeSubnets failed for ${ids.join(', ')}`, { cause });
    }
  }

  private async describeVpcs(ids: string[]): Promise<Vpc[]> {
    const { DescribeVpcsCommand } = await import('@aws-sdk/client-ec2');
    try {
      return (await this.client.send(new DescribeVpcsCommand({ VpcIds: ids }))).Vpcs ?? [];
    } catch (cause) {
      throw new IpamError(`DescribeVpcs failed for ${ids.join(', ')}`, { cause });
    }
  }

  /** The cached entries for `ids`, describing the missing or expired ones in one call. */
  private async cached<T>(
    cache: Map<string, { value: T; expires: number }>,
    ids: readonly string[],
    describe: (missing: string[]) => Promise<T[]>,
    idOf: (value: T) => string | undefined,
  ): Promise<T[]> {
    const now = Date.now();
    const missing = ids.filter((id) => (cache.get(id)?.expires ?? 0) <= now);
    if (missing.length > 0) {
      for (const value of await describe(missing)) {
        const id = idOf(value);
        if (id) cache.set(id, { value, expires: now + this.ttlMs });
      }
    }
    return ids.flatMap((id) => cache.get(id)?.value ?? []);
  }

  private async coresOf(instance: Instance): Promise<number | undefined> {
    if (instance.CpuOptions?.CoreCount || !instance.InstanceType) return undefined;
    return (await this.typeCores([instance.InstanceType])).get(instance.InstanceType);
  }

  /**
   * Default cores per instance type, for instances without `CpuOptions` (moto omits them): DescribeInstanceTypes'
   * `DefaultCores`, else vCPUs over threads per core.
   */
  private async typeCores(types: readonly string[]): Promise<Map<string, number | undefined>> {
    const missing = types.filter((t) => !this.cores.has(t));
    if (missing.length > 0) {
      const { DescribeInstanceTypesCommand } = await import('@aws-sdk/client-ec2');
      for (let i = 0; i < missing.length; i += 100) {
        const chunk = missing.slice(i, i + 100);
        try {
          const out = await this.client.send(new DescribeInstanceTypesCommand({ InstanceTypes: chunk as _InstanceType[] }));
          for (const t of out.InstanceTypes ?? []) {
            const v = t.VCpuInfo;
            const cores = v?.DefaultCores ?? (v?.DefaultVCpus ? Math.ceil(v.DefaultVCpus / (v.DefaultThreadsPerCore ?? 1)) : undefined);
            if (t.InstanceType) this.cores.set(t.InstanceType, cores);
          }
        } catch (cause) {
          throw new IpamError(`DescribeInstanceTypes failed for ${chunk.join(', ')}`, { cause });
        }
        for (const t of chunk) if (!this.cores.has(t)) this.cores.set(t, undefined);
      }
    }
    return new Map(types.map((t) => [t, this.cores.get(t)]));
  }

  private async list<P, T>(
    phase: SnapshotProgress['phase'],
    pages: AsyncIterable<P>,
    items: (page: P) => T[] | undefined,
    onProgress: ((p: SnapshotProgress) => void) | undefined,
  ): Promise<T[]> {
    const out: T[] = [];
    try {
      for await (const page of pages) {
        out.push(...(items(page) ?? []));
        onProgress?.({ phase, done: out.length });
      }
    } catch (cause) {
      throw new IpamError(`listing ${phase} failed after ${out.length}`, { cause });
    }
    return out;
  }
}

function build(instanceId: string, fn: () => IpamInstanceMessage): IpamInstanceMessage {
  try {
    return fn();
  } catch (cause) {
    throw new IpamError(`EC2's description of ${instanceId} does not fit an IPAM message`, { cause });
  }
}

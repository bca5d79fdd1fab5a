import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateSubnetCommand, CreateVpcCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EC2_STATE_CHANGE, ScheduledEventSchema } from '@reflex/events';
import {
  type Db,
  DEFAULT_DATA_DIR,
  type DriftReport,
  Ec2Inventory,
  describeLocation,
  idleClosingStore,
  IpamWorker,
  openStore,
  SHORT_OPEN_SHARED_BUFFERS,
  type Overlap,
  overlaps,
  type QueueSource,
  reconcile,
  show,
  type StoreLocation,
  storeLocation,
  SqsQueueSource,
  type WorkerLog,
} from '@reflex/ipam';
import { tagList } from '@reflex/lambda-kit';
import { launchInstances, localClientConfig } from '@reflex/local-aws';
import { reconcileOnSchedule } from '@reflex/ipam-reconciler';
import type { LocalDeployment } from './deploy';
import { isAlive } from './lock';

/**
 * The worker side of the scheduled reconciliation: long-polls the `ipam-reconciler` queue and, for each
 * Scheduled Event on it, lists EC2 with the worker's own credentials and corrects the store. A failed run
 * stays on the queue for a retry (and, after its receives, the DLQ).
 */
export class ReconcileLoop {
  private readonly abort = new AbortController();
  private running?: Promise<void>;

  constructor(
    private readonly options: {
      source: QueueSource;
      db: Db;
      inventory: Ec2Inventory;
      log: (line: string) => void;
      waitSeconds?: number;
      /** The reconciler's timeout: a run stays hidden from other workers this long. @default 600 */
      visibilityTimeoutSeconds?: number;
    },
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { source, db, inventory, log } = this.options;
    const { signal } = this.abort;
    while (!signal.aborted) {
      let messages;
      try {
        messages = await source.receive(1, this.options.waitSeconds ?? 20, this.options.visibilityTimeoutSeconds ?? 600, signal);
      } catch (error) {
        log(`ipam reconcile: receive failed: ${(error as Error).message}; retrying`);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      for (const message of messages) {
        try {
          const event = ScheduledEventSchema.parse(JSON.parse(message.body));
          await reconcileOnSchedule(event, {
            snapshot: (where) => inventory.snapshot(where),
            reconcile: (snapshot) => reconcile(db, snapshot),
            log: { info: (text, extra) => log(`ipam reconcile: ${text} ${JSON.stringify(extra?.['counts'] ?? {})}`) },
          });
          await source.delete([message]);
        } catch (error) {
          log(`ipam reconcile: run ${message.id} failed (receive ${message.receiveCount ?? '?'}): ${(error as Error).message}`);
        }
      }
    }
  }
}

/** The IPAM worker of the local mode, running in this process. */
export interface LocalIpam {
  readonly location: StoreLocation;
  /** The store the worker writes; shared, so that the demo reads what the worker wrote. */
  readonly db: Db;
  readonly worker: IpamWorker;
  /** The scheduled reconciliation, when the environment leaves `ipam-reconciler` to the worker. */
  readonly reconciler?: ReconcileLoop;
  /** Stops the worker (in-flight messages finish or go back to the queue) and closes the store. */
  stop(): Promise<void>;
}

/** The store of the local mode: DATABASE_URL, else IPAM_DATA_DIR, else `.reflex/ipam` of the repository. */
export const localStoreLocation = (root: string) => storeLocation(process.env, join(root, DEFAULT_DATA_DIR));

/**
 * Opens a store for a long-running worker: a server stays connected; the embedded store is let go while
 * idle, so that `reflex ipam show` in another terminal can read it meanwhile.
 */
export async function workerStore(location: StoreLocation): Promise<Db> {
  // Opened again after each idle second: small shared buffers open in a fraction of the default's time.
  return 'url' in location ? openStore(location) : idleClosingStore(() => openStore(location, { sharedBuffers: SHORT_OPEN_SHARED_BUFFERS }), { idleMs: 1000 });
}

/** Structured log lines of the worker, through `log`. */
export function workerLog(log: (line: string) => void): WorkerLog {
  const line = (level: string) => (message: string, extra?: Record<string, unknown>) =>
    log(`ipam worker ${level}: ${message}${extra ? ` ${JSON.stringify(extra)}` : ''}`);
  return { info: () => {}, warn: line('warn'), error: line('error') };
}

/**
 * The process that has the embedded store at `dataDir` open (`pid N (command)`), if one does: its lock file
 * names it. The store is never emptied under it.
 */
export function storeHolder(dataDir: string): string | undefined {
  let holder: { pid?: number; command?: string };
  try {
    holder = JSON.parse(readFileSync(`${dataDir}.lock`, 'utf8')) as typeof holder;
  } catch {
    return undefined; // no lock file (or one being written: the store's own lock decides then)
  }
  return holder.pid && holder.pid !== process.pid && isAlive(holder.pid) ? `process ${holder.pid} (${holder.command ?? 'unknown'})` : undefined;
}

/**
 * Opens the store once (a new embedded store runs initdb and the migrations now, not during the demo) and,
 * with `reconcileWith`, corrects it from that local AWS's EC2: records of an earlier moto server's instances
 * become decommissioned, their VPCs and subnets deleted, history kept. Resolves to the drift counts.
 */
export async function warmStore(
  location: StoreLocation,
  reconcileWith?: { endpoint: string; account: string; region: string },
): Promise<DriftReport['counts'] | undefined> {
  const db = await openStore(location);
  try {
    if (!reconcileWith) return undefined;
    const ec2 = new EC2Client(localClientConfig(reconcileWith.endpoint, reconcileWith.region));
    try {
      const snapshot = await new Ec2Inventory(ec2).snapshot({ account: reconcileWith.account, region: reconcileWith.region });
      return (await reconcile(db, snapshot)).counts;
    } finally {
      ec2.destroy();
    }
  } finally {
    await db.close();
  }
}

/**
 * Starts the IPAM worker on the `ipam-sync` queue when the local environment leaves that queue to a worker,
 * as the on-prem design does.
 */
export async function startLocalIpam(
  deployment: LocalDeployment,
  options: {
    root: string;
    log?: (line: string) => void;
    /** Where the store is. @default {@link localStoreLocation} */
    location?: StoreLocation;
    /** How long a received message stays invisible (extended while in flight). @default the worker's */
    visibilityTimeoutSeconds?: number;
  },
): Promise<LocalIpam | undefined> {
  const log = options.log ?? (() => {});
  const sync = deployment.reflexes.find((r) => r.manifest.name === 'ipam-sync' && r.consumer === 'worker');
  if (!sync) return undefined;
  const location = options.location ?? localStoreLocation(options.root);
  const db = await workerStore(location);
  const sqs = new SQSClient(localClientConfig(deployment.endpoint, deployment.region));
  const worker = new IpamWorker({
    db,
    source: new SqsQueueSource(sqs, sync.queueUrl),
    waitSeconds: 2,
    log: workerLog(log),
    ...(options.visibilityTimeoutSeconds ? { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds } : {}),
  });
  const running = worker.start();
  log(`ipam worker: ${sync.queueUrl} → ${describeLocation(location)}`);
  const scheduled = deployment.reflexes.find((r) => r.manifest.name === 'ipam-reconciler' && r.consumer === 'worker');
  const ec2 = new EC2Client(localClientConfig(deployment.endpoint, deployment.region));
  const reconciler = scheduled
    ? new ReconcileLoop({ source: new SqsQueueSource(sqs, scheduled.queueUrl), db, inventory: new Ec2Inventory(ec2), log, waitSeconds: 2 })
    : undefined;
  reconciler?.start();
  if (scheduled) log(`ipam reconcile: ${scheduled.queueUrl} (scheduled runs) → ${describeLocation(location)}`);
  return {
    location,
    db,
    worker,
    ...(reconciler ? { reconciler } : {}),
    async stop() {
      await Promise.all([worker.stop({ graceMs: 5000 }), reconciler?.stop()]);
      await running;
      sqs.destroy();
      ec2.destroy();
      await db.close();
    },
  };
}

/** What the IPAM demo ends with. */
export interface IpamDemoResult {
  /** The instances it launched, each with the private address the IPAM holds for it (if it got there). */
  readonly instances: readonly { id: string; privateIp?: string; subnetId?: string; vpcId?: string }[];
  readonly overlaps: readonly Overlap[];
}

/**
 * The IPAM scenario: two VPCs whose blocks overlap (10.42.0.0/16 and 10.42.128.0/17), a subnet and an
 * instance in each; the `running` state changes AWS would emit go to the reflex bus; the enricher
 * describes them, the worker applies them, and the golden records show both instances with their
 * addresses, subnets and VPCs — and the overlap.
 */
export async function runIpamDemo(
  deployment: LocalDeployment,
  ipam: LocalIpam,
  options: { log?: (line: string) => void; timeoutMs?: number } = {},
): Promise<IpamDemoResult> {
  const log = options.log ?? (() => {});
  const config = localClientConfig(deployment.endpoint, deployment.region);
  const ec2 = new EC2Client(config);
  const events = new EventBridgeClient(config);
  try {
    const ids: string[] = [];
    for (const [name, vpcCidr, subnetCidr] of [
      ['reflex-demo-a', '10.42.0.0/16', '10.42.1.0/24'],
      ['reflex-demo-b', '10.42.128.0/17', '10.42.130.0/24'],
    ] as const) {
      const tags = (type: 'vpc' | 'subnet') => [{ ResourceType: type, Tags: tagList({ Name: name }) }];
      const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: vpcCidr, TagSpecifications: tags('vpc') }));
      const subnet = await ec2.send(
        new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: subnetCidr, TagSpecifications: tags('subnet') }),
      );
      ids.push(...(await launchInstances(ec2, [{ Name: `${name}-web` }], { subnetId: subnet.Subnet!.SubnetId! })));
    }
    log(`ipam demo: two VPCs with overlapping blocks (10.42.0.0/16, 10.42.128.0/17), an instance in each: ${ids.join(', ')}`);

    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    const launchedAt = (described.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.LaunchTime);
    const put = await events.send(
      new PutEventsCommand({
        Entries: ids.map((id, i) => ({
          EventBusName: deployment.busName,
          Source: EC2_STATE_CHANGE.source,
          DetailType: EC2_STATE_CHANGE.detailType,
          ...(launchedAt[i] ? { Time: launchedAt[i] } : {}),
          Detail: JSON.stringify({ 'instance-id': id, state: 'running' }),
        })),
      }),
    );
    if (put.FailedEntryCount) throw new Error(`PutEvents failed: ${JSON.stringify(put.Entries)}`);

    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    let instances: IpamDemoResult['instances'] = ids.map((id) => ({ id }));
    for (;;) {
      instances = await Promise.all(
        ids.map(async (id) => {
          const held = (await show(ipam.db, id)).addresses.find((a) => a.kind === 'private' && !a.releasedAt);
          return { id, ...(held ? { privateIp: held.address, subnetId: held.subnetId, vpcId: held.vpcId } : {}) };
        }),
      );
      if (instances.every((i) => i.privateIp) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const found = await overlaps(ipam.db);
    for (const i of instances) {
      log(i.privateIp ? `ipam demo: ${i.id} holds ${i.privateIp} in ${i.subnetId}, ${i.vpcId}` : `ipam demo: ${i.id} did not reach the IPAM`);
    }
    log(`ipam demo: ${found.length} overlapping VPC block pair(s) in the IPAM`);
    return { instances, overlaps: found };
  } finally {
    ec2.destroy();
    events.destroy();
  }
}

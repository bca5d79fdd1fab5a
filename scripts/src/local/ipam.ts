import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateSubnetCommand, CreateVpcCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EC2_STATE_CHANGE } from '@reflex/events';
import {
  DEFAULT_DATA_DIR,
  type DriftReport,
  Ec2Inventory,
  describeLocation,
  openStore,
  type Overlap,
  overlaps,
  reconcile,
  type RunningWorker,
  show,
  startWorker,
  type StoreLocation,
  storeLocation,
} from '@reflex/ipam';
import { tagList } from '@reflex/lambda-kit';
import { assumedClientConfig, launchInstances, localClientConfig } from '@reflex/local-aws';
import type { LocalDeployment } from './deploy';
import { isAlive } from './lock';

/** The IPAM worker of the local mode, running in this process. */
export interface LocalIpam extends RunningWorker {
  readonly location: StoreLocation;
}

/** The store of the local mode: DATABASE_URL, else IPAM_DATA_DIR, else `.reflex/ipam` of the repository. */
export const localStoreLocation = (root: string) => storeLocation(process.env, join(root, DEFAULT_DATA_DIR));

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
  reconcileWith?: {
    endpoint: string;
    account: string;
    region: string;
    /** The member accounts, each reconciled through its deployment role (as `ipam reconcile --accounts all` does). */
    members?: readonly { readonly account: string; readonly roleArn: string }[];
  },
): Promise<DriftReport['counts'] | undefined> {
  const db = await openStore(location);
  try {
    if (!reconcileWith) return undefined;
    const { endpoint, region } = reconcileWith;
    const accounts = [
      { account: reconcileWith.account, config: async () => localClientConfig(endpoint, region) },
      ...(reconcileWith.members ?? []).map((m) => ({ account: m.account, config: () => assumedClientConfig(endpoint, region, m.roleArn, { sessionName: 'reflex-ipam' }) })),
    ];
    let total: DriftReport['counts'] | undefined;
    for (const { account, config } of accounts) {
      const ec2 = new EC2Client(await config());
      try {
        const { counts } = await reconcile(db, await new Ec2Inventory(ec2).snapshot({ account, region }));
        total = total ? (Object.fromEntries(Object.entries(total).map(([k, v]) => [k, v + (counts[k as keyof typeof counts] ?? 0)])) as DriftReport['counts']) : counts;
      } finally {
        ec2.destroy();
      }
    }
    return total;
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
  const scheduled = deployment.reflexes.find((r) => r.manifest.name === 'ipam-reconciler' && r.consumer === 'worker');
  const location = options.location ?? localStoreLocation(options.root);
  const config = localClientConfig(deployment.endpoint, deployment.region);
  const sqs = new SQSClient(config);
  const ec2 = new EC2Client(config);
  const running = await startWorker({
    store: location,
    sqs,
    queueUrl: sync.queueUrl,
    ...(scheduled ? { reconcile: { queueUrl: scheduled.queueUrl, ec2 } } : {}),
    waitSeconds: 2,
    graceMs: 5000,
    log,
    ...(options.visibilityTimeoutSeconds ? { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds } : {}),
  });
  log(`ipam worker: ${sync.queueUrl} → ${describeLocation(location)}`);
  if (scheduled) log(`ipam reconcile: ${scheduled.queueUrl} (scheduled runs) → ${describeLocation(location)}`);
  return {
    ...running,
    location,
    async stop() {
      const stats = await running.stop();
      sqs.destroy();
      ec2.destroy();
      return stats;
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

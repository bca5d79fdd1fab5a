import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  AttachNetworkInterfaceCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateNetworkInterfaceCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  EC2Client,
  ReplaceNetworkAclAssociationCommand,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GUARDDUTY_FINDING } from '@reflex/events';
import { launchInstances, localClientConfig } from '@reflex/local-aws';
import { readActions } from './demo';
import type { LocalDeployment } from './deploy';

/** What the IP blocker demo ends with. */
export interface BlockerDemoResult {
  readonly instanceId: string;
  /** The NACLs of the instance's two subnets, each with the inbound denies it held once the block was made. */
  readonly nacls: readonly { id: string; denies: string[] }[];
  /** From publishing the finding to the deny being in every NACL; undefined if it never was. */
  readonly blockedInMs?: number;
  /** The allow-listed source's finding was refused (a Reflex Action says so) and it is in no NACL. */
  readonly refused: boolean;
  /** After the sweep at the block's expiry, no NACL holds the deny. */
  readonly swept: boolean;
}

/** The attacker of the GuardDuty sample finding, and a source in the local environment's allow-list ("the office"). */
export const DEMO_ATTACKER = '198.51.100.0';
export const DEMO_OFFICE = '203.0.113.10';

/**
 * The IP blocker scenario: an instance with an interface in each of two subnets, each subnet with its own
 * NACL; GuardDuty's sample SSH brute-force finding against it (packages/events/fixtures/SOURCES.md; its
 * instance, interface, subnet and VPC replaced with the demo's, its times with now) goes to the reflex bus,
 * with a copy whose attacker is in the allow-list. The attacker is denied in both NACLs, the allow-listed
 * source is refused, and the sweep at the block's expiry removes the denies.
 */
export async function runBlockerDemo(
  deployment: LocalDeployment,
  runner: { tick(name: string, at?: Date): Promise<void> },
  options: { root: string; log?: (line: string) => void; timeoutMs?: number },
): Promise<BlockerDemoResult> {
  const log = options.log ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 30_000;
  const config = localClientConfig(deployment.endpoint, deployment.region);
  const ec2 = new EC2Client(config);
  const events = new EventBridgeClient(config);
  try {
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.77.0.0/16' }))).Vpc!.VpcId!;
    const subnet = async (cidr: string) => (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr }))).Subnet!.SubnetId!;
    const [front, back] = [await subnet('10.77.1.0/24'), await subnet('10.77.2.0/24')];
    // The back subnet gets a NACL of its own (allowing all, as the default one does).
    const backNacl = (await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId }))).NetworkAcl!.NetworkAclId!;
    for (const egress of [false, true]) {
      await ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: backNacl, RuleNumber: 100, Protocol: '-1', RuleAction: 'allow', Egress: egress, CidrBlock: '0.0.0.0/0' }));
    }
    const association = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [back] }] })))
      .NetworkAcls![0]!.Associations!.find((a) => a.SubnetId === back)!.NetworkAclAssociationId!;
    await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: association, NetworkAclId: backNacl }));
    const [instanceId] = (await launchInstances(ec2, [{ Name: 'demo-attacked' }], { subnetId: front })) as [string];
    const eni = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: back }))).NetworkInterface!.NetworkInterfaceId!;
    await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eni, InstanceId: instanceId, DeviceIndex: 1 }));
    const naclIds = await naclsOf(ec2, [front, back]);
    log(`ip-blocker demo: ${instanceId} with interfaces in ${front} and ${back} (NACLs ${naclIds.join(', ')})`);

    const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0]!.Instances![0]!;
    const now = new Date().toISOString();
    const finding = (attacker: string) => {
      const detail = JSON.parse(readFileSync(join(options.root, 'packages/events/fixtures/guardduty/finding.json'), 'utf8')).detail;
      detail.id = `demo-${randomUUID()}`;
      Object.assign(detail, { accountId: deployment.reflexes[0]?.queueUrl.split('/').at(-2), region: deployment.region, createdAt: now, updatedAt: now });
      const details = detail.resource.instanceDetails;
      details.instanceId = instanceId;
      details.networkInterfaces[0] = { ...details.networkInterfaces[0], networkInterfaceId: instance.NetworkInterfaces?.[0]?.NetworkInterfaceId, subnetId: front, vpcId, privateIpAddress: instance.PrivateIpAddress };
      Object.assign(detail.service, { eventFirstSeen: now, eventLastSeen: now });
      detail.service.action.networkConnectionAction.remoteIpDetails.ipAddressV4 = attacker;
      detail.title = `${attacker} is performing SSH brute force attacks against ${instanceId}.`;
      return { EventBusName: deployment.busName, Source: GUARDDUTY_FINDING.source, DetailType: GUARDDUTY_FINDING.detailType, Detail: JSON.stringify(detail) };
    };
    const published = Date.now();
    const put = await events.send(new PutEventsCommand({ Entries: [finding(DEMO_ATTACKER), finding(DEMO_OFFICE)] }));
    if (put.FailedEntryCount) throw new Error(`PutEvents failed: ${JSON.stringify(put.Entries)}`);
    log(`ip-blocker demo: published GuardDuty's sample SSH brute-force finding from ${DEMO_ATTACKER}, and one from ${DEMO_OFFICE} (allow-listed)`);

    const denies = async () => {
      const out = await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: naclIds }));
      return (out.NetworkAcls ?? []).map((n) => ({
        id: n.NetworkAclId!,
        denies: (n.Entries ?? []).filter((e) => !e.Egress && e.RuleAction === 'deny' && e.RuleNumber! < 32767).map((e) => `#${e.RuleNumber} deny ${e.CidrBlock ?? e.Ipv6CidrBlock}`),
      }));
    };
    const blockedEverywhere = (nacls: { denies: string[] }[]) => nacls.length === naclIds.length && nacls.every((n) => n.denies.some((d) => d.endsWith(` ${DEMO_ATTACKER}/32`)));
    let nacls = await denies();
    let deadline = Date.now() + timeoutMs;
    while (!blockedEverywhere(nacls) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      nacls = await denies();
    }
    const blockedInMs = blockedEverywhere(nacls) ? Date.now() - published : undefined;
    for (const n of nacls) log(`ip-blocker demo: ${n.id}: ${n.denies.join(', ') || 'no deny'}`);
    log(blockedInMs !== undefined ? `ip-blocker demo: ${DEMO_ATTACKER} denied in both NACLs ${blockedInMs} ms after the finding was published` : `ip-blocker demo: ${DEMO_ATTACKER} was not denied in both NACLs`);

    let refusal: string | undefined;
    deadline = Date.now() + timeoutMs;
    while (!refusal && Date.now() < deadline) {
      const actions = await readActions(deployment, 1);
      refusal = actions.find((a) => a.reflex === 'ip-blocker' && a.outcome === 'alert' && a.reason.includes(`${DEMO_OFFICE}/32`))?.reason;
    }
    const officeBlocked = (await denies()).some((n) => n.denies.some((d) => d.includes(DEMO_OFFICE)));
    log(refusal ? `ip-blocker demo: refused: ${refusal}` : `ip-blocker demo: no refusal of ${DEMO_OFFICE} was reported`);

    // The sweep as EventBridge's schedule would run it once the block has expired.
    const ttlMinutes = (JSON.parse(deployment.reflexes.find((r) => r.manifest.name === 'ip-blocker')?.environment.REFLEX_CONFIG ?? '{}') as { ttlMinutes?: number }).ttlMinutes ?? 720;
    const sweepAt = new Date(Date.now() + (ttlMinutes + 1) * 60_000);
    await runner.tick('ip-blocker', sweepAt);
    log(`ip-blocker demo: the sweep runs as it would at ${sweepAt.toISOString()}, after the ${ttlMinutes}-minute expiry`);
    deadline = Date.now() + timeoutMs;
    let after = await denies();
    while (after.some((n) => n.denies.length) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      after = await denies();
    }
    const swept = after.every((n) => n.denies.length === 0);
    log(swept ? 'ip-blocker demo: the sweep removed the expired denies' : 'ip-blocker demo: denies were still there after the sweep');
    return { instanceId, nacls, ...(blockedInMs !== undefined ? { blockedInMs } : {}), refused: !!refusal && !officeBlocked, swept };
  } finally {
    ec2.destroy();
    events.destroy();
  }
}

async function naclsOf(ec2: EC2Client, subnetIds: string[]): Promise<string[]> {
  const out = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: subnetIds }] }));
  return (out.NetworkAcls ?? []).map((n) => n.NetworkAclId!).sort();
}

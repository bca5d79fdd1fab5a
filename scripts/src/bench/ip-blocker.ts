// `pnpm bench:ip-blocker`: the IP blocker against the local AWS, the whole path — PutEvents to the reflex bus,
// EventBridge's rule to the reflex's queue, the local runner invoking the built bundle, the NACL entry written
// in moto. Reports (1) the time from a GuardDuty finding published to its deny present in the NACL (target
// < 2 s locally), median and worst of sequential findings; (2) findings → entries written per second for a
// burst of findings spread over several NACLs. The local environment's write budget (30 per minute) is raised
// for the burst: it measures the reflex, not its brake. A missed target sets exit code 1.
import { readFileSync, rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { CreateNetworkAclCommand, CreateNetworkAclEntryCommand, CreateSubnetCommand, CreateVpcCommand, DescribeNetworkAclsCommand, type DescribeNetworkAclsCommandOutput, DescribeInstancesCommand, EC2Client, ReplaceNetworkAclAssociationCommand } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GUARDDUTY_FINDING } from '@reflex/events';
import { launchInstances, localClientConfig, startMoto } from '@reflex/local-aws';
import { repoRoot } from '@reflex/manifest';
import { deployLocal } from '../local/deploy';
import { LocalRunner } from '../local/runner';

const root = repoRoot();
const SEQUENTIAL = 15;
const NACLS = 8;
const PER_NACL = 15; // within the quota of 20 inbound IPv4 entries: the allow at 100 and the default deny take two
const TARGET_MS = 2000;
const scratch = mkdtempSync(join(tmpdir(), 'reflex-bench-blocker-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sample = JSON.parse(readFileSync(join(root, 'packages/events/fixtures/guardduty/finding.json'), 'utf8')).detail;

const aws = await startMoto();
const config = localClientConfig(aws.endpoint);
const ec2 = new EC2Client(config);
const events = new EventBridgeClient(config);
let runner: LocalRunner | undefined;
try {
  const deployment = await deployLocal({ root, endpoint: aws.endpoint, outdir: join(scratch, 'cdktf.out') });
  const reflexes = deployment.reflexes.map((r) => {
    if (r.manifest.name !== 'ip-blocker') return r;
    const settings = { ...JSON.parse(r.environment.REFLEX_CONFIG ?? '{}'), maxEntriesPerMinute: 1000 };
    return { ...r, environment: { ...r.environment, REFLEX_CONFIG: JSON.stringify(settings) } };
  });
  runner = new LocalRunner({ ...deployment, reflexes }, { root, waitSeconds: 1 });
  await runner.start();

  // NACLS subnets, each with a NACL of its own and an instance.
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.88.0.0/16' }))).Vpc!.VpcId!;
  const targets: { instanceId: string; naclId: string }[] = [];
  for (let i = 0; i < NACLS; i++) {
    const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.88.${i}.0/24` }))).Subnet!.SubnetId!;
    const naclId = (await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId }))).NetworkAcl!.NetworkAclId!;
    await ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: naclId, RuleNumber: 100, Protocol: '-1', RuleAction: 'allow', Egress: false, CidrBlock: '0.0.0.0/0' }));
    const out = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }));
    const association = out.NetworkAcls![0]!.Associations!.find((a) => a.SubnetId === subnetId)!.NetworkAclAssociationId!;
    await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: association, NetworkAclId: naclId }));
    const [instanceId] = (await launchInstances(ec2, [{ Name: `bench-${i}` }], { subnetId })) as [string];
    targets.push({ instanceId, naclId });
  }
  await ec2.send(new DescribeInstancesCommand({ InstanceIds: targets.map((t) => t.instanceId) }));

  const finding = (instanceId: string, attacker: string) => {
    const detail = structuredClone(sample);
    const now = new Date().toISOString();
    detail.id = `bench-${randomUUID()}`;
    detail.resource.instanceDetails.instanceId = instanceId;
    Object.assign(detail.service, { eventFirstSeen: now, eventLastSeen: now });
    detail.service.action.networkConnectionAction.remoteIpDetails.ipAddressV4 = attacker;
    return { EventBusName: deployment.busName, Source: GUARDDUTY_FINDING.source, DetailType: GUARDDUTY_FINDING.detailType, Detail: JSON.stringify(detail) };
  };
  const denies = async (naclIds: string[]) => {
    const out: DescribeNetworkAclsCommandOutput = await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: naclIds }));
    return new Set((out.NetworkAcls ?? []).flatMap((n) => (n.Entries ?? []).filter((e) => e.RuleAction === 'deny' && e.RuleNumber! < 32767).map((e) => `${n.NetworkAclId} ${e.CidrBlock}`)));
  };

  // (1) One finding at a time: published → deny present.
  const latencies: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const { instanceId, naclId } = targets[0]!;
    const attacker = `198.51.100.${i + 1}`;
    const started = performance.now();
    await events.send(new PutEventsCommand({ Entries: [finding(instanceId, attacker)] }));
    while (!(await denies([naclId])).has(`${naclId} ${attacker}/32`)) {
      if (performance.now() - started > 30_000) throw new Error(`no deny of ${attacker} after 30 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    latencies.push(performance.now() - started);
  }
  const worst = Math.max(...latencies);
  console.log(`finding published → deny present, ${SEQUENTIAL} sequential findings: median ${median(latencies).toFixed(0)} ms, worst ${worst.toFixed(0)} ms (target < ${TARGET_MS} ms: ${median(latencies) < TARGET_MS ? 'met' : 'MISSED'})`);

  // (2) A burst: PER_NACL findings against each of the other NACLs' instances, published at once.
  const burst = targets.slice(1).flatMap(({ instanceId }, n) => Array.from({ length: PER_NACL }, (_, i) => finding(instanceId, `198.18.${n}.${i + 1}`)));
  const burstNacls = targets.slice(1).map((t) => t.naclId);
  const started = performance.now();
  for (let i = 0; i < burst.length; i += 10) await events.send(new PutEventsCommand({ Entries: burst.slice(i, i + 10) }));
  let written = 0;
  while ((written = (await denies(burstNacls)).size) < burst.length) {
    if (performance.now() - started > 120_000) throw new Error(`only ${written} of ${burst.length} denies after 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`burst: ${burst.length} findings over ${burstNacls.length} NACLs → ${written} entries in ${seconds.toFixed(1)} s = ${(written / seconds).toFixed(1)} entries/s (one local runner: one invocation at a time per queue, batches of 10)`);
  process.exitCode = median(latencies) < TARGET_MS ? 0 : 1;
} finally {
  await runner?.stop();
  ec2.destroy();
  events.destroy();
  await aws.stop();
  rmSync(scratch, { recursive: true, force: true });
}

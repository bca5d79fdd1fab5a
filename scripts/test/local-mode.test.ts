// End to end in local mode: moto server, the `local` environment applied with Terraform, the local
// runner driving the built bundles — the same path `pnpm start` takes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, ListRulesCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { assumedClientConfig, instanceStates, launchInstances, type LocalAws, localClientConfig, startMoto } from '@reflex/local-aws';
import { repoRoot } from '@reflex/manifest';
import { fixture } from '@reflex/events/fixtures';
import { DEMO_ATTACKER, runBlockerDemo } from '../src/local/blocker-demo';
import { runDemo } from '../src/local/demo';
import { DEMO_PREFIX, FOREIGN_ROUTE, prepareRouteDemo, type RouteDemoNetwork, runRouteDemo } from '../src/local/route-demo';
import { localRouteApi, routeApiDemoPassed, runRouteApiDemo } from '../src/local/route-api-demo';
import { routeApiContract } from './contract/route-api';
import { type DeployedReflex, deployLocal, type LocalDeployment, reattach, saveDeployment, savedDeployment } from '../src/local/deploy';
import { type LocalIpam, runIpamDemo, startLocalIpam } from '../src/local/ipam';
import { LocalRunner } from '../src/local/runner';
import { reflexCli } from './reflex-cli';
import { type PostgresServer, startPostgres } from '@reflex/local-aws';

const root = repoRoot();
let aws: LocalAws;
let deployment: LocalDeployment;
let runner: LocalRunner;
let guard: DeployedReflex;
let ipam: LocalIpam;
let postgres: PostgresServer;
let routeNetwork: RouteDemoNetwork;
// The IPAM stores of this run: a PGlite data directory of its own (what `pnpm start` keeps in .reflex/ipam),
// and a PostgreSQL server started from the installed binaries.
const ipamDir = join(mkdtempSync(join(tmpdir(), 'reflex-e2e-ipam-')), 'data');
const logs: string[] = [];
const streams = [process.stdout, process.stderr] as const;
const writes = streams.map((s) => s.write);

beforeAll(async () => {
  // Keep what the handlers log (JSON lines; errors go to stderr) to assert on it.
  streams.forEach((stream, i) => {
    stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      logs.push(chunk.toString());
      return writes[i]!.call(stream, chunk, ...rest);
    }) as typeof stream.write;
  });
  aws = await startMoto();
  routeNetwork = await prepareRouteDemo(aws.endpoint, 'us-east-1');
  deployment = await deployLocal({
    root,
    endpoint: aws.endpoint,
    outdir: join(ipamDir, '..', 'cdktf.out'),
    reflexConfigs: { 'route-failover': { paths: [routeNetwork.path] }, 'route-api': routeNetwork.routeApi },
  });
  guard = deployment.reflexes.find((r) => r.manifest.name === 'instance-guard')!;
  // Failed messages come back after 0 s instead of the queue's 180 s, so that retries happen within the test.
  runner = new LocalRunner(deployment, { root, waitSeconds: 1, failureVisibilitySeconds: 0 });
  await runner.start();
  postgres = await startPostgres();
}, 300_000);

afterAll(async () => {
  streams.forEach((stream, i) => (stream.write = writes[i]!));
  await runner?.stop();
  await aws?.stop();
  await postgres?.stop();
  rmSync(join(ipamDir, '..'), { recursive: true, force: true });
});

describe('local mode', () => {
  it("names in each queue's policy the ARNs of the rules that feed it, as EventBridge gives them", async () => {
    const config = localClientConfig(aws.endpoint);
    const events = new EventBridgeClient(config);
    const sqs = new SQSClient(config);
    try {
      const rules = (await events.send(new ListRulesCommand({ EventBusName: deployment.busName }))).Rules ?? [];
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: guard.queueUrl, AttributeNames: ['Policy'] }));
      const policy = JSON.parse(Attributes!.Policy!) as { Statement: { Condition?: { ArnEquals?: Record<string, string | string[]> } }[] };
      const sources = policy.Statement.flatMap((s) => [s.Condition?.ArnEquals?.['aws:SourceArn'] ?? []].flat());
      const guardRules = rules.filter((r) => r.Name!.startsWith('reflex-local-instance-guard-')).map((r) => r.Arn);
      expect(guardRules).toHaveLength(2);
      expect(sources.sort()).toEqual(guardRules.sort());
    } finally {
      events.destroy();
      sqs.destroy();
    }
  });

  it('records the deployment and reattaches to it (pnpm start --resume), and refuses a local AWS without its queues', async () => {
    const file = join(ipamDir, '..', 'deployment.json');
    saveDeployment(root, deployment, file);
    const saved = savedDeployment(root, file)!;

    const again = await reattach(root, saved, aws.endpoint);

    expect(again.reflexes.map((r) => [r.manifest.name, r.queueUrl, r.consumer])).toEqual(
      deployment.reflexes.map((r) => [r.manifest.name, r.queueUrl, r.consumer]),
    );
    expect(again.actionsQueueUrl).toBe(deployment.actionsQueueUrl);
    const other = await startMoto();
    try {
      const moved = { ...saved, reflexes: saved.reflexes.map((r) => ({ ...r, queueUrl: r.queueUrl.replace(aws.endpoint, other.endpoint) })) };
      await expect(reattach(root, moved, other.endpoint)).rejects.toThrow(/^the local AWS at http:\/\/127\.0\.0\.1:\d+ has no queue .*: start without --resume to apply again$/);
    } finally {
      await other.stop();
    }
  }, 60_000);

  it("applies the member account's spoke stack: its guard role trusts the hub's guard role with the external id", async () => {
    const [member] = deployment.members;
    expect(member?.account).toBe('210987654321');
    expect(member!.spokeRoles['instance-guard']).toBe('arn:aws:iam::210987654321:role/reflex-local-instance-guard');
    expect(Object.keys(member!.spokeRoles).sort()).toEqual(['auto-heal', 'instance-guard', 'instance-scheduler', 'ipam-enricher', 'reaper', 'resource-tagger']);
    const state = readFileSync(join(member!.stackDir, '.terraform', 'terraform.tfstate'), 'utf8');
    expect(JSON.parse(state).backend.config.key).toBe('reflex/local/spoke-210987654321.tfstate');
  });

  it("restarts the protected instance in the member account through the guard's spoke role, leaves the hub's other one stopped (the demo)", async () => {
    const result = await runDemo(deployment, { timeoutMs: 30_000 });
    expect(result.protectedInstance).toEqual(expect.objectContaining({ state: 'running', account: '210987654321' }));
    expect(result.otherInstance).toEqual(expect.objectContaining({ state: 'stopped', account: '123456789012' }));
    // The event came from the member's default bus (forwarded), and the action names where and as whom it acted.
    expect(result.action).toEqual(
      expect.objectContaining({
        reflex: 'instance-guard',
        action: 'ec2:StartInstances',
        outcome: 'succeeded',
        account: '210987654321',
        region: 'us-east-1',
        roleSession: 'arn:aws:sts::210987654321:assumed-role/reflex-local-instance-guard/reflex-local-instance-guard',
      }),
    );
  }, 60_000);

  it('denies a GuardDuty finding\'s attacker in every NACL of the instance\'s subnets, refuses an allow-listed source, sweeps the expired block (the ip-blocker demo)', async () => {
    const result = await runBlockerDemo(deployment, runner, { root, timeoutMs: 30_000 });

    expect(result.nacls).toHaveLength(2);
    for (const nacl of result.nacls) expect(nacl.denies).toEqual([`#1 deny ${DEMO_ATTACKER}/32`]);
    expect(result.blockedInMs).toBeDefined();
    expect(result.refused).toBe(true);
    expect(result.swept).toBe(true);
  }, 90_000);

  it('dead-letters a malformed GuardDuty finding with the reason logged, and blocks the attacker of the valid finding beside it', async () => {
    const blocker = deployment.reflexes.find((r) => r.manifest.name === 'ip-blocker')!;
    const config = localClientConfig(aws.endpoint);
    const sqs = new SQSClient(config);
    const ec2 = new EC2Client(config);
    try {
      const [id] = (await launchInstances(ec2, [{ Name: 'dlq-batch-mate' }])) as [string];
      const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
      const valid = JSON.parse(readFileSync(join(root, 'packages', 'events', 'fixtures', 'guardduty', 'finding.json'), 'utf8'));
      valid.detail.resource.instanceDetails.instanceId = id;
      valid.detail.service.eventLastSeen = new Date().toISOString();
      valid.detail.service.action.networkConnectionAction.remoteIpDetails.ipAddressV4 = '198.51.100.99';
      const malformed = structuredClone(valid);
      malformed.detail.severity = 'high';
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: blocker.queueUrl,
          Entries: [
            { Id: 'malformed', MessageBody: JSON.stringify(malformed) },
            { Id: 'valid', MessageBody: JSON.stringify(valid) },
          ],
        }),
      );
      const malformedId = sent.Successful!.find((s) => s.Id === 'malformed')!.MessageId!;

      const deadline = Date.now() + 45_000;
      let dead: { Body?: string } | undefined;
      while (!dead && Date.now() < deadline) {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: blocker.dlqUrl, WaitTimeSeconds: 1 }));
        dead = out.Messages?.[0];
      }

      expect(JSON.parse(dead!.Body!).detail.severity).toBe('high');
      const failures = logs.filter((l) => l.includes(malformedId) && l.includes('MalformedEventError'));
      expect(failures.length).toBe(blocker.manifest.maxReceiveCount);
      expect(failures[0]).toContain('detail.severity');
      const nacl = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [instance.SubnetId!] }] }))).NetworkAcls![0]!;
      expect(nacl.Entries!.some((e) => e.RuleAction === 'deny' && e.CidrBlock === '198.51.100.99/32')).toBe(true);
    } finally {
      sqs.destroy();
      ec2.destroy();
    }
  }, 90_000);

  it('moves the on-prem prefix to the VPN after the down dwell and back after the up dwell, verifying the route table each time (the route demo)', async () => {
    const result = await runRouteDemo(deployment, runner, routeNetwork, { timeoutMs: 30_000 });

    expect(result.before).toBe(`propagated via ${routeNetwork.primaryAttachmentId}`);
    expect(result.afterFailover).toBe(`static via ${routeNetwork.backupAttachmentId}`);
    expect(result.afterFailback).toBe(`propagated via ${routeNetwork.primaryAttachmentId}`);
    // The reflex logs a change once every table of the path is verified: a moment after the route itself shows.
    const journalLines = () => logs.filter((l) => l.includes('"reflex":"route-failover"') && /dc1: (failover|failback) /.test(l));
    const deadline = Date.now() + 10_000;
    while (journalLines().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const journal = journalLines();
    expect(journal.map((l) => JSON.parse(l).message.split(':').slice(0, 2).join(':'))).toEqual([
      'dc1: failover primary → vpn-a',
      'dc1: failback vpn-a → primary',
    ]);
    expect(journal[0]).toContain(`${DEMO_PREFIX}: installed, verified static via ${routeNetwork.backupAttachmentId}`);
  }, 90_000);

  it('takes two prefixes over signed HTTP, answers their replay from the idempotency record, refuses an overlapping prefix, changes nothing on a dry-run deletion (the route API demo)', async () => {
    const result = await runRouteApiDemo(runner.apiUrl, deployment, routeNetwork);

    expect(result).toMatchObject({ pushed: { status: 200, added: 2 }, replay: { status: 200, replayed: true, sameAnswer: true, unchanged: true } });
    expect(result.conflict).toEqual({ status: 400, problem: expect.stringContaining(`overlaps ${DEMO_PREFIX}`) });
    expect(routeApiDemoPassed(result)).toBe(true);
  });

  it('emits a Reflex Action per route the API changed, naming the caller and the Idempotency-Key', () => {
    const actions = logs
      .filter((l) => l.includes('"reflex":"route-api"') && l.includes('"message":"action"'))
      .map((l) => JSON.parse(l).action as { action: string; caller: { principal: string; idempotencyKey: string }; change: { key: string } });

    expect(actions.map((a) => `${a.action} ${a.change.key}`)).toEqual(
      expect.arrayContaining(['ec2:CreateTransitGatewayRoute 192.168.10.0/24', 'ec2:CreateTransitGatewayRoute 192.168.20.0/24']),
    );
    expect(actions[0]?.caller).toEqual({ principal: 'arn:aws:iam::123456789012:user/local-operator', idempotencyKey: expect.any(String) });
  });

  it('sets, lists and deletes routes with `reflex routes put|get|delete`, signed, and exits 2 for a refused request', async () => {
    const table = routeNetwork.apiRouteTableId;
    const cli = (...args: string[]) => reflexCli(['routes', ...args, '--url', runner.apiUrl]);

    const put = await cli('put', table, '198.18.200.0/24', routeNetwork.backupAttachmentId);
    const listed = await cli('get', table);
    const overlapping = await cli('put', table, '10.200.7.0/24', routeNetwork.backupAttachmentId);
    const deleted = await cli('delete', table, '198.18.200.0/24', '--json');

    expect(put).toMatchObject({ code: 0, stdout: expect.stringContaining(`+ 198.18.200.0/24 → ${routeNetwork.backupAttachmentId}`) });
    expect(listed.stdout).toMatch(/198\.18\.200\.0\/24\s+tgw-attach-\S+\s+active\s+arn:aws:iam::123456789012:user\/local-operator/);
    expect(listed.stdout).toMatch(/172\.16\.0\.0\/12\s+static/);
    expect(overlapping).toMatchObject({ code: 2, stderr: expect.stringContaining(`path.cidr: 10.200.7.0/24 overlaps ${DEMO_PREFIX}`) });
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout).body.plan.remove).toEqual([{ cidr: '198.18.200.0/24', attachmentId: routeNetwork.backupAttachmentId }]);
  });

  describe('route API contract (the local runner)', () =>
    routeApiContract(() => ({
      api: localRouteApi(runner.apiUrl, deployment),
      tableId: routeNetwork.apiRouteTableId,
      attachments: [routeNetwork.backupAttachmentId, routeNetwork.primaryAttachmentId],
      attachedVpcCidr: DEMO_PREFIX,
      foreignCidr: FOREIGN_ROUTE.cidr,
    })));

  it('dead-letters a malformed event after maxReceiveCount receives and still handles the valid one of its batch', async () => {
    const config = localClientConfig(aws.endpoint);
    const sqs = new SQSClient(config);
    const ec2 = new EC2Client(config);
    try {
      const [id] = (await launchInstances(ec2, [{ 'reflex:protect': 'true' }])) as [string];
      await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
      const valid = {
        version: '0',
        id: 'e2e-valid-1',
        'detail-type': 'EC2 Instance State-change Notification',
        source: 'aws.ec2',
        account: '123456789012',
        time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        region: 'us-east-1',
        resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${id}`],
        detail: { 'instance-id': id, state: 'stopped' },
      };
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: guard.queueUrl,
          Entries: [
            { Id: 'malformed', MessageBody: '{"detail-type": "EC2 Instance State-change Notification", "detail": ' },
            { Id: 'valid', MessageBody: JSON.stringify(valid) },
          ],
        }),
      );
      const malformedId = sent.Successful!.find((s) => s.Id === 'malformed')!.MessageId!;

      const deadline = Date.now() + 45_000;
      let dead: { Body?: string; Attributes?: Record<string, string> } | undefined;
      while (!dead && Date.now() < deadline) {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: guard.dlqUrl, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
        );
        dead = out.Messages?.[0];
      }

      expect(dead?.Body).toContain('"detail": ');
      const maxReceiveCount = guard.manifest.maxReceiveCount;
      expect(Number(dead?.Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(maxReceiveCount);
      const failures = logs.filter((l) => l.includes(malformedId) && l.includes('MalformedEventError'));
      expect(failures.length).toBe(maxReceiveCount);
      expect((await instanceStates(ec2, [id])).get(id)).toBe('running');
      const attributes = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: guard.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe('0');
    } finally {
      sqs.destroy();
      ec2.destroy();
    }
  }, 90_000);

  it('replays the reference fight: a scheduled stop is not undone by the guard, and the scheduled start runs both', async () => {
    const config = localClientConfig(aws.endpoint);
    const ec2 = new EC2Client(config);
    const events = new EventBridgeClient(config);
    const until = async (check: () => Promise<boolean>, what: string) => {
      const deadline = Date.now() + 30_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    try {
      const [protectedId, otherId] = (await launchInstances(ec2, [
        { 'reflex:schedule': 'reference', 'reflex:protect': 'true' },
        { 'reflex:schedule': 'reference' },
      ])) as [string, string];
      const states = async () => instanceStates(ec2, [protectedId, otherId]);

      // 08:52 UTC: two minutes after the reference schedule's stop at 08:50.
      await runner.tick('instance-scheduler', new Date('2026-11-23T08:52:00Z'));
      await until(async () => [...(await states()).values()].every((s) => s === 'stopped'), 'the scheduler stopped both');
      // The state changes AWS would emit for the stops (moto emits none).
      await events.send(
        new PutEventsCommand({
          Entries: [protectedId, otherId].map((id) => ({
            EventBusName: deployment.busName,
            Source: 'aws.ec2',
            DetailType: 'EC2 Instance State-change Notification',
            Resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${id}`],
            Detail: JSON.stringify({ 'instance-id': id, state: 'stopped' }),
          })),
        }),
      );
      await until(
        async () => logs.some((l) => l.includes(`not restarting ${protectedId}: the stop was intended: instance-scheduler recorded its intent`)),
        "the guard's log says why it did not restart the protected instance",
      );
      expect(Object.fromEntries(await states())).toEqual({ [protectedId]: 'stopped', [otherId]: 'stopped' });

      // 07:02 UTC the next day: two minutes after the schedule's start.
      await runner.tick('instance-scheduler', new Date('2026-11-24T07:02:00Z'));
      await until(async () => [...(await states()).values()].every((s) => s === 'running'), 'the scheduler started both');
    } finally {
      ec2.destroy();
      events.destroy();
    }
  }, 90_000);

  it('tags a new subnet with the CostCenter of its VPC and its creator, from the CloudTrail events AWS would emit', async () => {
    const config = localClientConfig(aws.endpoint);
    const ec2 = new EC2Client(config);
    const events = new EventBridgeClient(config);
    const record = (file: string) =>
      JSON.parse(readFileSync(join(root, 'packages', 'events', 'fixtures', 'cloudtrail', file), 'utf8')).detail as Record<string, any>;
    const tagsOf = async (id: string) =>
      Object.fromEntries(
        ((await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }))).Tags ?? []).map((t) => [t.Key!, t.Value!]),
      );
    try {
      const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }))).Vpc!.VpcId!;
      await ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'CostCenter', Value: 'R&D' }] }));
      const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.40.1.0/24' }))).Subnet!.SubnetId!;

      // The CloudTrail records of the two calls (documented shapes, packages/events/fixtures/SOURCES.md) with
      // moto's ids and region: IAM user Alice created the VPC, the role RoleToBeAssumed (session MySessionName)
      // the subnet. moto emits no CloudTrail events; AWS would deliver these through the default bus.
      const createVpc = record('create-vpc.json');
      Object.assign(createVpc, { awsRegion: 'us-east-1', requestParameters: { cidrBlock: '10.40.0.0/16' } });
      createVpc.responseElements.vpc = { ...createVpc.responseElements.vpc, vpcId, cidrBlock: '10.40.0.0/16', ownerId: '123456789012' };
      const createSubnet = record('create-subnet.json');
      Object.assign(createSubnet, { awsRegion: 'us-east-1', requestParameters: { vpcId, cidrBlock: '10.40.1.0/24' } });
      createSubnet.responseElements.subnet = { ...createSubnet.responseElements.subnet, subnetId, vpcId, cidrBlock: '10.40.1.0/24' };
      await events.send(
        new PutEventsCommand({
          Entries: [createVpc, createSubnet].map((detail) => ({
            EventBusName: deployment.busName,
            Source: 'aws.ec2',
            DetailType: 'AWS API Call via CloudTrail',
            Detail: JSON.stringify(detail),
          })),
        }),
      );

      const deadline = Date.now() + 30_000;
      let tags = await tagsOf(subnetId);
      while (!tags['reflex:created-at'] && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        tags = await tagsOf(subnetId);
      }
      expect(tags).toEqual({
        CostCenter: 'R&D',
        Owner: 'network-team',
        'reflex:created-by': 'role/RoleToBeAssumed/MySessionName',
        'reflex:created-at': '2024-05-20T08:29:03.000Z',
      });
      const vpcDeadline = Date.now() + 10_000;
      while (!(await tagsOf(vpcId))['reflex:created-by'] && Date.now() < vpcDeadline) await new Promise((r) => setTimeout(r, 250));
      expect(await tagsOf(vpcId)).toMatchObject({ CostCenter: 'R&D', 'reflex:created-by': 'user/Alice' });
    } finally {
      ec2.destroy();
      events.destroy();
    }
  }, 60_000);

  describe('fleet operations', () => {
    /** Polls `check` every 250 ms for up to 30 s. */
    const until = async (check: () => Promise<boolean> | boolean, what: string | (() => string)) => {
      const deadline = Date.now() + 30_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting until ${typeof what === 'string' ? what : what()}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    /** The Reflex Actions a reflex logged, as `<action> <resource id>`. */
    const actionsOf = (reflex: string) =>
      logs
        .flatMap((chunk) => chunk.split('\n'))
        .filter((line) => line.includes('"message":"action"') && line.includes(`"reflex":"${reflex}"`))
        .map((line) => (JSON.parse(line) as { action: { action: string; targets: { id: string }[] } }).action)
        .flatMap((a) => a.targets.map((t) => `${a.action} ${t.id}`));

    it("keeps a status-check alarm for an opted-in instance and reboots it when the alarm's ALARM transition is forwarded (auto-heal)", async () => {
      const config = localClientConfig(aws.endpoint);
      const ec2 = new EC2Client(config);
      const cloudwatch = new CloudWatchClient(config);
      const events = new EventBridgeClient(config);
      try {
        const [id] = (await launchInstances(ec2, [{ 'reflex:heal': 'true' }])) as [string];
        const alarm = `reflex-heal-${id}`;
        await runner.tick('auto-heal');
        await until(async () => ((await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarm] }))).MetricAlarms ?? []).length === 1, `the timer created ${alarm}`);

        // CloudWatch's state change, as the CloudWatch documentation's sample, for this alarm and instance (moto
        // emits none): on the default bus, whose forwarding rule takes aws.cloudwatch to the reflex bus.
        const change = structuredClone(fixture('cloudwatch/alarm-state-change.json'));
        change.detail.alarmName = alarm;
        change.detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId = id;
        change.detail.state.timestamp = new Date().toISOString().replace(/Z$/, '+0000');
        await events.send(
          new PutEventsCommand({
            Entries: [{ Source: change.source, DetailType: change['detail-type'], Resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarm}`], Detail: JSON.stringify(change.detail) }],
          }),
        );
        await until(() => actionsOf('auto-heal').includes(`ec2:RebootInstances ${id}`), 'auto-heal rebooted the instance');
        expect(actionsOf('auto-heal').filter((a) => a.endsWith(id))).toEqual([`cloudwatch:PutMetricAlarm ${id}`, `ec2:RebootInstances ${id}`]);
      } finally {
        ec2.destroy();
        cloudwatch.destroy();
        events.destroy();
      }
    }, 60_000);

    it('warns once per lead time, stops an expired instance, snapshots a volume before deleting it, and leaves what is kept, in the hub and the member account (reaper)', async () => {
      const ec2 = new EC2Client(localClientConfig(aws.endpoint));
      // An operator of the member account (its deployment role): the reaper's turn there goes through its spoke role.
      const memberEc2 = new EC2Client(await assumedClientConfig(aws.endpoint, 'us-east-1', deployment.members[0]!.deploymentRoleArn));
      const expiry = '2027-03-10T12:00:00Z';
      const hoursFromExpiry = (h: number) => new Date(Date.parse(expiry) + h * 3_600_000);
      const tagsOf = async (id: string) =>
        Object.fromEntries(((await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }))).Tags ?? []).map((t) => [t.Key!, t.Value!]));
      try {
        const [expiring, kept] = (await launchInstances(ec2, [
          { 'reflex:expires-at': expiry, owner: 'lab-team' },
          { 'reflex:expires-at': expiry, 'reflex:keep': 'true' },
        ])) as [string, string];
        const volume = await ec2.send(
          new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1, TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'reflex:expires-at', Value: expiry }] }] }),
        );
        const vol = volume.VolumeId!;
        const [inMember] = (await launchInstances(memberEc2, [{ 'reflex:expires-at': expiry, owner: 'member-team' }])) as [string];
        const ours = () => actionsOf('reaper').filter((a) => [expiring, kept, vol].some((id) => a.endsWith(id)));
        const member = () => actionsOf('reaper').filter((a) => a.endsWith(inMember));
        const run = async (hours: number, expected: number) => {
          await runner.tick('reaper', hoursFromExpiry(hours));
          await until(() => ours().length >= expected, () => `the reaper's run at ${hours} h had acted (so far: ${ours().join(', ')})`);
        };

        await run(-71, 2);
        await until(() => member().length >= 1, 'the member turn of the run at -71 h warned');
        await run(-70, 2); // the 72 h warnings are not repeated
        expect((await tagsOf(expiring))['reflex:expiry-warned']).toBe(`72h@${expiry}`);
        // The first run past the expiry acts (no late 24 h warning for what is overdue): the instance is
        // stopped first, the volume snapshotted; the next run deletes the volume, its snapshot completed.
        await run(1, 4);
        await until(async () => (await instanceStates(ec2, [expiring])).get(expiring) === 'stopped', 'the expired instance is stopped');
        await run(2, 5);
        expect(ours()).toEqual([
          `reaper:Warn ${expiring}`,
          `reaper:Warn ${vol}`,
          `ec2:StopInstances ${expiring}`,
          `ec2:CreateSnapshot ${vol}`,
          `ec2:DeleteVolume ${vol}`,
        ]);
        // Stamped when the stop happened, for the guard to compare with the state change it will see.
        const intent = /^reaper@(.+)$/.exec((await tagsOf(expiring))['reflex:stop-intent'] ?? '');
        expect(Date.now() - Date.parse(intent![1]!)).toBeLessThan(60_000);
        expect((await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [vol] }] }))).Volumes ?? []).toEqual([]);
        expect((await instanceStates(ec2, [kept])).get(kept)).toBe('running');
        // The member account's turns: warned once, then stopped there, each action naming the member account.
        await until(async () => (await instanceStates(memberEc2, [inMember])).get(inMember) === 'stopped', "the member's expired instance is stopped");
        expect(member()).toEqual([`reaper:Warn ${inMember}`, `ec2:StopInstances ${inMember}`]);
        const stopLine = logs.flatMap((c) => c.split('\n')).find((l) => l.includes('"message":"action"') && l.includes('"ec2:StopInstances"') && l.includes(inMember))!;
        expect((JSON.parse(stopLine) as { action: { account: string; roleSession: string } }).action).toEqual(
          expect.objectContaining({ account: '210987654321', roleSession: 'arn:aws:sts::210987654321:assumed-role/reflex-local-reaper/reflex-local-reaper' }),
        );
      } finally {
        ec2.destroy();
        memberEc2.destroy();
      }
    }, 90_000);
  });
});

describe.each([
  ['PGlite', () => ({ dataDir: ipamDir }), () => ({ IPAM_DATA_DIR: ipamDir })],
  ['a PostgreSQL server', () => ({ url: postgres.url }), () => ({ DATABASE_URL: postgres.url })],
] as const)('local mode: IPAM on %s', (_store, location, cliEnv) => {
  beforeAll(async () => {
    // Failed IPAM messages come back after 1 s instead of 60 s, so that a poison message dead-letters within the test.
    ipam = (await startLocalIpam(deployment, { root, location: location(), visibilityTimeoutSeconds: 1 }))!;
  }, 60_000);
  afterAll(() => ipam?.stop());

  /** Polls `check` until it returns something, or fails after `ms`. */
  async function eventually<T>(check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  let demo: Awaited<ReturnType<typeof runIpamDemo>>;

  it('records launched instances with the addresses, subnets and VPCs EC2 reports (the IPAM demo)', async () => {
    demo = await runIpamDemo(deployment, ipam, { timeoutMs: 30_000 });

    const ec2 = new EC2Client(localClientConfig(aws.endpoint));
    try {
      for (const recorded of demo.instances) {
        const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [recorded.id] }))).Reservations![0]!.Instances![0]!;
        expect(recorded).toEqual({
          id: instance.InstanceId,
          privateIp: instance.PrivateIpAddress,
          subnetId: instance.SubnetId,
          vpcId: instance.VpcId,
        });
        const [subnet] = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [instance.SubnetId!] }))).Subnets!;
        const [vpc] = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [instance.VpcId!] }))).Vpcs!;
        const { show } = await import('@reflex/ipam');
        const found = await show(ipam.db, instance.PrivateIpAddress!);
        expect(found.devices).toEqual([expect.objectContaining({ instanceId: instance.InstanceId, state: 'running', instanceType: 't3.micro' })]);
        expect(found.networks.map((n) => [n.kind, n.resourceId, n.cidr])).toEqual(
          expect.arrayContaining([
            ['subnet', subnet!.SubnetId, subnet!.CidrBlock],
            ['vpc', vpc!.VpcId, vpc!.CidrBlock],
          ]),
        );
      }
    } finally {
      ec2.destroy();
    }
  }, 60_000);

  it('answers `reflex ipam show <ip>` and finds the overlapping VPCs with `reflex ipam overlaps`, while the worker runs', async () => {
    const recorded = demo.instances[0]!;

    const shown = await reflexCli(['ipam', 'show', recorded.privateIp!], cliEnv());
    const overlapping = await reflexCli(['ipam', 'overlaps', '--json'], cliEnv());

    // The worker lets the embedded store go within a second of its queue going idle; a query that comes
    // sooner waits for it, and says so.
    expect(shown.stderr).toMatch(/^(waiting for process \d+ \(.*\) to release PGlite at .*…\n)?$/);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(recorded.id);
    expect(shown.stdout).toContain(recorded.subnetId);
    expect(overlapping.code).toBe(0);
    const pairs = (JSON.parse(overlapping.stdout) as { a: { cidr: string }; b: { cidr: string } }[]).map((o) => [o.a.cidr, o.b.cidr].sort());
    expect(pairs).toContainEqual(['10.42.0.0/16', '10.42.128.0/17']);
  }, 60_000);

  it('releases the addresses of a terminated instance and keeps it as a decommissioned device', async () => {
    const { id, privateIp } = demo.instances[1]!;
    const ec2 = new EC2Client(localClientConfig(aws.endpoint));
    const events = new EventBridgeClient(localClientConfig(aws.endpoint));
    const { show } = await import('@reflex/ipam');
    try {
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      await events.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: deployment.busName,
              Source: 'aws.ec2',
              DetailType: 'EC2 Instance State-change Notification',
              Detail: JSON.stringify({ 'instance-id': id, state: 'terminated' }),
            },
          ],
        }),
      );

      const device = await eventually(async () => {
        const [d] = (await show(ipam.db, id)).devices;
        return d?.state === 'terminated' ? d : undefined;
      });
      expect(device.decommissionedAt).not.toBeNull();
      const held = (await show(ipam.db, privateIp!)).addresses.filter((a) => a.instanceId === id);
      expect(held).toEqual([expect.objectContaining({ address: privateIp, releasedAt: expect.any(String) })]);
    } finally {
      ec2.destroy();
      events.destroy();
    }
  }, 60_000);

  it('corrects lost events on the scheduled reconciliation: an instance nobody announced appears, a silently terminated one is decommissioned', async () => {
    const ec2 = new EC2Client(localClientConfig(aws.endpoint));
    const { show } = await import('@reflex/ipam');
    try {
      // No state-change event for either: as if EventBridge had lost them.
      const [unannounced] = (await launchInstances(ec2, [{ Name: 'never-announced' }])) as [string];
      const gone = demo.instances[0]!.id;
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [gone] }));

      await runner.tick('ipam-reconciler');

      const found = await eventually(async () => {
        const [d] = (await show(ipam.db, unannounced)).devices;
        return d?.state === 'running' ? d : undefined;
      });
      expect(found.name).toBe('never-announced');
      const decommissioned = await eventually(async () => {
        const [d] = (await show(ipam.db, gone)).devices;
        return d?.decommissionedAt ? d : undefined;
      });
      expect(decommissioned.state).toBe('terminated');
    } finally {
      ec2.destroy();
    }
  }, 60_000);

  it('dead-letters a poison message on the IPAM queue after its receives, and applies the good one beside it', async () => {
    const sync = deployment.reflexes.find((r) => r.manifest.name === 'ipam-sync')!;
    const sqs = new SQSClient(localClientConfig(aws.endpoint));
    const good = JSON.parse(readFileSync(join(root, 'packages', 'ipam', 'fixtures', 'enricher', 'running.json'), 'utf8'));
    const { show } = await import('@reflex/ipam');
    try {
      const poison = `{"schemaVersion":1,"instanceId":"i-nope","store":"${_store}"`;
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: sync.queueUrl,
          Entries: [
            { Id: 'poison', MessageBody: poison },
            { Id: 'good', MessageBody: JSON.stringify(good) },
          ],
        }),
      );

      const dead = await eventually(async () => {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: sync.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        const mine = (out.Messages ?? []).filter((m) => m.Body === poison);
        for (const m of mine) await sqs.send(new DeleteMessageCommand({ QueueUrl: sync.dlqUrl, ReceiptHandle: m.ReceiptHandle }));
        return mine.length ? mine : undefined;
      }, 60_000);
      expect(dead).toHaveLength(1);
      expect((await show(ipam.db, good.instanceId)).devices).toHaveLength(1);
    } finally {
      sqs.destroy();
    }
  }, 90_000);
});

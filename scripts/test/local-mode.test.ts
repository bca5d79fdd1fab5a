// End to end in local mode: moto server, the `local` environment applied with Terraform, the local
// runner driving the built bundles — the same path `pnpm start` takes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DescribeTagsCommand,
  EC2Client,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { instanceStates, launchInstances, type LocalAws, localClientConfig, startMoto } from '@reflex/local-aws';
import { repoRoot } from '@reflex/manifest';
import { runDemo } from '../src/local/demo';
import { type DeployedReflex, deployLocal, type LocalDeployment } from '../src/local/deploy';
import { LocalRunner } from '../src/local/runner';

const root = repoRoot();
let aws: LocalAws;
let deployment: LocalDeployment;
let runner: LocalRunner;
let guard: DeployedReflex;
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
  deployment = await deployLocal({ root, endpoint: aws.endpoint });
  guard = deployment.reflexes.find((r) => r.manifest.name === 'instance-guard')!;
  // Failed messages come back after 0 s instead of the queue's 180 s, so that retries happen within the test.
  runner = new LocalRunner(deployment, { root, waitSeconds: 1, failureVisibilitySeconds: 0 });
  await runner.start();
}, 300_000);

afterAll(async () => {
  streams.forEach((stream, i) => (stream.write = writes[i]!));
  await runner?.stop();
  await aws?.stop();
});

describe('local mode', () => {
  it('restarts the protected instance and leaves the other stopped (the demo)', async () => {
    const result = await runDemo(deployment, { timeoutMs: 30_000 });
    expect(result.protectedInstance.state).toBe('running');
    expect(result.otherInstance.state).toBe('stopped');
  }, 60_000);

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
});

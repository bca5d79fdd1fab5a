// The adapters against moto server, each alone, then wired into the core with a clock the test moves: instances
// tagged reflex:heal=true (one in an Auto Scaling group), their status-check alarms, and a DynamoDB table shaped as
// the stacks build it. moto reports every running instance's status checks as ok and has no scheduled events or
// automatic recovery: impaired instances come from a stand-in for DescribeInstanceStatus (answering as EC2 does),
// in this test only.
import { describe, expect, it } from '@jest/globals';
import { CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand, DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTagsCommand, DescribeInstancesCommand, type EC2Client, StopInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import * as z from '@reflex/events/zod';
import { firstAmazonImage, launchInstances } from '@reflex/local-aws';
import { createStateTable, localLoader, useMoto } from '@reflex/local-aws/testing';
import { autoHeal, type HealDeps } from '../core';
import { acted, newLadder } from '../core/ladder';
import { AutoHealConfigSchema } from '../manifest';
import { alarmEvent, timerEvent } from '../test-events';
import { AutoScalingGroups, type LoadAutoScaling } from './autoscaling';
import { CloudWatchAlarms, type LoadCloudWatch } from './cloudwatch';
import { DynamoHealState, type LoadDynamo } from './dynamodb';
import { Ec2Instances, type LoadEc2 } from './ec2';

let ec2: EC2Client;
let loadEc2: LoadEc2;
let loadCloudWatch: LoadCloudWatch;
let loadAutoScaling: LoadAutoScaling;
let loadDynamo: LoadDynamo;
let tables = 0;

useMoto(async (aws) => {
  const loaders = await Promise.all([
    localLoader(aws.endpoint, () => import('@aws-sdk/client-ec2'), (sdk, config) => new sdk.EC2Client(config)),
    localLoader(aws.endpoint, () => import('@aws-sdk/client-cloudwatch'), (sdk, config) => new sdk.CloudWatchClient(config)),
    localLoader(aws.endpoint, () => import('@aws-sdk/client-auto-scaling'), (sdk, config) => new sdk.AutoScalingClient(config)),
    localLoader(aws.endpoint, () => import('@aws-sdk/client-dynamodb'), (sdk, config) => new sdk.DynamoDBClient(config)),
  ]);
  const [ec2s, cloudwatch, autoscaling, dynamo] = loaders;
  [ec2, loadEc2, loadCloudWatch, loadAutoScaling, loadDynamo] = [ec2s.client, ec2s.loader, cloudwatch.loader, autoscaling.loader, dynamo.loader];
  return { destroy: () => loaders.forEach((l) => l.destroy()) };
});

const optedIn = async (count = 1, tags: Record<string, string> = {}) => launchInstances(ec2, Array.from({ length: count }, () => ({ 'reflex:heal': 'true', ...tags })));
const stateOf = async (id: string) => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!.State!.Name;
const stateTable = async () => createStateTable((await loadDynamo()).client, `reflex-test-auto-heal-${++tables}`);
const alarmNamed = async (name: string) => (await (await loadCloudWatch()).client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0];
const setAlarm = async (name: string, state: 'OK' | 'ALARM') =>
  (await loadCloudWatch()).client.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: 'test' }));

/** An Auto Scaling group of one instance, tagged reflex:heal=true at launch; answers the instance's id. */
async function groupInstance(name: string): Promise<string> {
  const { client } = await loadAutoScaling();
  const image = await firstAmazonImage(ec2);
  await client.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: name, ImageId: image, InstanceType: 't3.micro' }));
  await client.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchConfigurationName: name,
      MinSize: 1,
      MaxSize: 1,
      DesiredCapacity: 1,
      AvailabilityZones: ['us-east-1a'],
      Tags: [{ Key: 'reflex:heal', Value: 'true', PropagateAtLaunch: true }],
    }),
  );
  const out = await client.send(new DescribeAutoScalingInstancesCommand({}));
  return out.AutoScalingInstances!.find((i) => i.AutoScalingGroupName === name)!.InstanceId!;
}

describe('Ec2Instances (against moto)', () => {
  it('describes an instance with its state and tags, and its status checks', async () => {
    const [id] = (await optedIn()) as [string];
    const instances = new Ec2Instances(false, loadEc2);

    expect(await instances.describe(id)).toEqual({ id, state: 'running', tags: { 'reflex:heal': 'true' } });
    expect(await instances.status(id)).toEqual({ instance: 'ok', system: 'ok', events: [] });
    expect(await instances.describe('i-0123456789abcdef0')).toBeUndefined();
  }, 30_000);

  it('lists the opted-in instances that are not terminated', async () => {
    const [running, stopped, terminated] = (await optedIn(3)) as [string, string, string];
    const [other] = (await launchInstances(ec2, [{ 'reflex:heal': 'false' }])) as [string];
    await ec2.send(new StopInstancesCommand({ InstanceIds: [stopped] }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [terminated] }));

    const listed = new Map((await new Ec2Instances(false, loadEc2).optedIn()).map((i) => [i.id, i.state]));

    expect([listed.get(running), listed.get(stopped), listed.has(terminated), listed.has(other)]).toEqual(['running', 'stopped', false, false]);
  }, 30_000);

  it('reboots, stops and starts; an instance that does not exist is not-found', async () => {
    const [id] = (await optedIn()) as [string];
    const instances = new Ec2Instances(false, loadEc2);

    expect(await instances.reboot(id)).toBe('done');
    expect(await instances.stop(id, false)).toBe('done');
    expect(await stateOf(id)).toBe('stopped');
    expect(await instances.start(id)).toBe('done');
    expect(await stateOf(id)).toBe('running');
    expect(await instances.reboot('i-0123456789abcdef0')).toBe('not-found');
  }, 30_000);

  it('in dry-run, asks EC2 with DryRun, writes no tag and changes nothing', async () => {
    const [id] = (await optedIn()) as [string];
    const dry = new Ec2Instances(true, loadEc2);

    expect([await dry.reboot(id), await dry.stop(id, true), await dry.start(id)]).toEqual(['dry-run', 'dry-run', 'dry-run']);
    await dry.tag(id, { 'reflex:stop-intent': 'auto-heal@2026-03-03T03:00:00.000Z' });
    expect(await stateOf(id)).toBe('running');
    expect((await dry.describe(id))?.tags).toEqual({ 'reflex:heal': 'true' });
  }, 30_000);
});

describe('CloudWatchAlarms (against moto)', () => {
  it('creates the status-check alarm as documented, lists it by prefix, reads its state and deletes it', async () => {
    const [id] = (await optedIn()) as [string];
    const alarms = new CloudWatchAlarms(false, loadCloudWatch);
    const name = `reflex-cw-${id}`;

    expect(await alarms.putStatusCheckAlarm(name, id)).toBe('done');
    expect(await alarmNamed(name)).toMatchObject({
      Namespace: 'AWS/EC2',
      MetricName: 'StatusCheckFailed',
      Dimensions: [{ Name: 'InstanceId', Value: id }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    // CloudWatch starts a new alarm in INSUFFICIENT_DATA; moto starts it OK.
    expect(await alarms.withPrefix('reflex-cw-')).toEqual([{ name, state: expect.stringMatching(/^(INSUFFICIENT_DATA|OK)$/), namespace: 'AWS/EC2', metricName: 'StatusCheckFailed', instanceId: id }]);

    await setAlarm(name, 'ALARM');
    expect(await alarms.stateOf(name)).toBe('ALARM');
    expect(await alarms.deleteAlarms([name])).toBe('done');
    expect(await alarms.stateOf(name)).toBeUndefined();
  }, 30_000);

  it('in dry-run, sends neither PutMetricAlarm nor DeleteAlarms', async () => {
    const [id] = (await optedIn()) as [string];
    const name = `reflex-cw-dry-${id}`;
    await new CloudWatchAlarms(false, loadCloudWatch).putStatusCheckAlarm(name, id);
    const dry = new CloudWatchAlarms(true, loadCloudWatch);

    expect(await dry.putStatusCheckAlarm(`reflex-cw-dry-other`, id)).toBe('dry-run');
    expect(await dry.deleteAlarms([name])).toBe('dry-run');
    expect((await dry.withPrefix('reflex-cw-dry-')).map((a) => a.name)).toEqual([name]);
  }, 30_000);
});

describe('AutoScalingGroups (against moto)', () => {
  it('marks an instance of a group Unhealthy; in dry-run sends nothing', async () => {
    const id = await groupInstance('asg-unhealthy');
    // Auto Scaling answers HEALTHY / UNHEALTHY; moto keeps the case it was given.
    const health = async () => (await (await loadAutoScaling()).client.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [id] }))).AutoScalingInstances![0]!.HealthStatus?.toUpperCase();

    expect(await new AutoScalingGroups(true, loadAutoScaling).markUnhealthy(id)).toBe('dry-run');
    expect(await health()).toBe('HEALTHY');
    expect(await new AutoScalingGroups(false, loadAutoScaling).markUnhealthy(id)).toBe('done');
    expect(await health()).toBe('UNHEALTHY');
  }, 30_000);
});

describe('DynamoHealState (against moto)', () => {
  const now = new Date('2026-03-03T03:00:00.000Z');
  const later = (s: number) => new Date(now.getTime() + s * 1000);

  it('claims an event id once: busy while claimed, claimed again once given back, done once handled', async () => {
    const state = new DynamoHealState(await stateTable(), false, loadDynamo);

    expect(await state.claimEvent('e1', 'a', later(60), now)).toBe('claimed');
    expect(await state.claimEvent('e1', 'b', later(60), later(1))).toBe('busy');
    await state.releaseEvent('e1', 'a');
    expect(await state.claimEvent('e1', 'b', later(60), later(2))).toBe('claimed');
    await state.finishEvent('e1', later(3));
    expect(await state.claimEvent('e1', 'c', later(60), later(4))).toBe('done');
    expect(await state.claimEvent('e2', 'c', later(60), later(120))).toBe('claimed');
    // A claim whose holder died is taken over once it runs out.
    expect(await state.claimEvent('e2', 'd', later(300), later(121))).toBe('claimed');
  }, 30_000);

  it('saves a ladder only at the version it read, and lists every ladder', async () => {
    const state = new DynamoHealState(await stateTable(), false, loadDynamo);
    const ladder = acted(newLadder('i-0aaaaaaaaaaaaaaa1'), 'reboot', 'reflex-heal-i-0aaaaaaaaaaaaaaa1', now, 'acted', 'healed');

    expect(await state.saveLadder(ladder, 0)).toBe(true);
    expect(await state.saveLadder(ladder, 0)).toBe(false);
    expect(await state.saveLadder(newLadder('i-0aaaaaaaaaaaaaaa2'), 0)).toBe(true);
    expect(await state.ladder('i-0aaaaaaaaaaaaaaa1')).toEqual({ ladder, version: 1 });
    expect((await state.ladders()).map((l) => l.ladder.instanceId)).toEqual(['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2']);
  }, 30_000);

  it('keeps the newest update of a Health event; in dry-run saves no ladder', async () => {
    const table = await stateTable();
    const state = new DynamoHealState(table, false, loadDynamo);
    const record = { instanceId: 'i-0aaaaaaaaaaaaaaa1', eventArn: 'arn:aws:health:us-east-1::event/EC2/X/X_1', eventTypeCode: 'X', status: 'open', updatedAt: '2026-03-03T02:00:00.000Z' };

    expect(await state.recordHealth(record)).toBe(true);
    expect(await state.recordHealth({ ...record, status: 'closed', updatedAt: '2026-03-03T02:30:00.000Z' })).toBe(true);
    expect(await state.recordHealth({ ...record, status: 'open', updatedAt: '2026-03-03T02:10:00.000Z' })).toBe(false);
    expect((await state.health('i-0aaaaaaaaaaaaaaa1')).map((h) => h.status)).toEqual(['closed']);

    const dry = new DynamoHealState(table, true, loadDynamo);
    expect(await dry.saveLadder(newLadder('i-0aaaaaaaaaaaaaaa9'), 0)).toBe(true);
    expect(await dry.ladder('i-0aaaaaaaaaaaaaaa9')).toBeUndefined();
  }, 30_000);
});

describe('auto-heal against moto', () => {
  /** The core with the real adapters, a clock the test moves and (optionally) status checks that say impaired. */
  async function heal(config: Record<string, unknown> = {}, impairedIds: Set<string> = new Set()) {
    let clock = new Date('2026-03-03T03:00:00.000Z');
    const instances = new Ec2Instances(false, loadEc2);
    const status = instances.status.bind(instances);
    // moto reports ok for every running instance: the ones in `impairedIds` fail their instance check instead.
    instances.status = async (id) => {
      const real = await status(id);
      return real && impairedIds.has(id) && real.instance === 'ok' ? { ...real, instance: 'impaired' } : real;
    };
    const deps: HealDeps = {
      instances,
      alarms: new CloudWatchAlarms(false, loadCloudWatch),
      groups: new AutoScalingGroups(false, loadAutoScaling),
      state: new DynamoHealState(await stateTable(), false, loadDynamo),
      config: z.parse(AutoHealConfigSchema, { alarmPrefix: `reflex-e2e-${tables}-`, ...config }),
      log: { info: () => {} },
      now: () => clock,
      sleep: async (ms) => {
        clock = new Date(clock.getTime() + ms);
      },
      holder: 'moto-test',
      instanceArn: (id) => `arn:aws:ec2:us-east-1:123456789012:instance/${id}`,
    };
    const advance = (minutes: number) => (clock = new Date(clock.getTime() + minutes * 60_000)).toISOString();
    return { deps, advance, now: () => clock.toISOString(), prefix: deps.config.alarmPrefix };
  }

  it('keeps status-check alarms: creates one per opted-in running instance, deletes those of instances gone or opted out', async () => {
    const { deps, advance, prefix } = await heal();
    const [kept, gone, optedOut] = (await optedIn(3)) as [string, string, string];

    // moto holds the other tests' instances too: only these three are looked at.
    const ours = (reports: { action: string; targets: { id: string }[] }[]) => reports.map((r) => [r.action, r.targets[0]!.id]).filter(([, id]) => [kept, gone, optedOut].includes(id!));
    const created = await autoHeal(timerEvent(advance(0)), deps);
    expect(ours(created)).toEqual([kept, gone, optedOut].map((id) => ['cloudwatch:PutMetricAlarm', id]));

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [gone] }));
    await ec2.send(new CreateTagsCommand({ Resources: [optedOut], Tags: [{ Key: 'reflex:heal', Value: 'false' }] }));
    const deleted = await autoHeal(timerEvent(advance(5)), deps);

    expect(ours(deleted)).toEqual([gone, optedOut].map((id) => ['cloudwatch:DeleteAlarms', id]));
    const left = (await new CloudWatchAlarms(false, loadCloudWatch).withPrefix(prefix)).map((a) => a.name);
    expect([kept, gone, optedOut].map((id) => left.includes(`${prefix}${id}`))).toEqual([true, false, false]);
  }, 60_000);

  it('escalates reboot → stop/start → replacement by its group while the alarm stays in ALARM', async () => {
    const id = await groupInstance('asg-heal');
    const { deps, advance, prefix } = await heal({ replace: true }, new Set([id]));
    await autoHeal(timerEvent(advance(0)), deps);
    const alarm = `${prefix}${id}`;
    await setAlarm(alarm, 'ALARM');

    const reboot = await autoHeal(alarmEvent({ instanceId: id, name: alarm, at: advance(1) }), deps);
    expect(reboot.map((r) => r.action)).toEqual(['ec2:RebootInstances']);
    expect(reboot[0]!.reason).toContain('after the reboot: still impaired (instance impaired, system ok)');

    const stopStart = await autoHeal(timerEvent(advance(11)), deps);
    expect(stopStart.map((r) => r.action)).toEqual(['ec2:StopInstances', 'ec2:StartInstances']);
    expect(await stateOf(id)).toBe('running');
    expect((await new Ec2Instances(false, loadEc2).describe(id))?.tags['reflex:stop-intent']).toMatch(/^auto-heal@2026-03-03T03:12:00/);

    const replace = await autoHeal(timerEvent(advance(11)), deps);
    expect(replace.map((r) => r.action)).toEqual(['autoscaling:SetInstanceHealth']);
    const groups = await (await loadAutoScaling()).client.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [id] }));
    expect(groups.AutoScalingInstances?.[0]?.HealthStatus?.toUpperCase()).toBe('UNHEALTHY');
  }, 60_000);

  it('spends its budget, alerts once, and then leaves the instance alone', async () => {
    const [id] = (await optedIn()) as [string];
    const { deps, advance, prefix } = await heal({ maxActionsPerWindow: 2 });
    await autoHeal(timerEvent(advance(0)), deps);
    const alarm = `${prefix}${id}`;
    const incident = async () => {
      await setAlarm(alarm, 'ALARM');
      const reports = await autoHeal(alarmEvent({ instanceId: id, name: alarm, at: advance(1) }), deps);
      await setAlarm(alarm, 'OK');
      await autoHeal(timerEvent(advance(11)), deps);
      return reports;
    };

    const results = [await incident(), await incident(), await incident(), await incident()];

    expect(results.map((r) => r.map((x) => `${x.action} ${x.outcome}`))).toEqual([
      ['ec2:RebootInstances succeeded'],
      ['ec2:RebootInstances succeeded'],
      ['ec2:RebootInstances alert'],
      [],
    ]);
    expect(results[2]![0]!.severity).toBe('critical');
  }, 60_000);
});

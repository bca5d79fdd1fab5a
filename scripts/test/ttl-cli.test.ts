// `reflex ttl` against moto: instances, a volume and a load balancer with expiries as people and the reaper
// leave them, the reaper's table with a run's summary, and the reflex bus with a rule that sends Reflex Actions
// to a queue — where the audit events of `set` and `extend` arrive.
import { describe, expect, it } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSubnetCommand, CreateTagsCommand, CreateVolumeCommand, CreateVpcCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoReaperState } from '@reflex/reaper';
import { launchInstances, type LocalAws, localClientConfig } from '@reflex/local-aws';
import { createStateTable, nextMessage, ruleToQueue, useMoto } from '@reflex/local-aws/testing';
import { type Run, reflexInProcess } from './reflex-cli';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** An expiry as the tag holds it, `ms` from now. */
const fromNow = (ms: number) => `${new Date(Date.now() + ms).toISOString().slice(0, 19)}Z`;

let aws: LocalAws;
let ec2: EC2Client;
let sqs: SQSClient;
let queueUrl: string;
let soon: string; // expires in 30 h, warned at 72 h
let untagged: string;
let stack: string; // a CloudFormation stack's, with an expiry
let invalidVolume: string;
let soonExpiry: string;
let elbArn: string;

useMoto(async (started) => {
  aws = started;
  const config = localClientConfig(aws.endpoint);
  ec2 = new EC2Client(config);
  sqs = new SQSClient(config);
  const dynamo = new DynamoDBClient(config);
  const events = new EventBridgeClient(config);

  soonExpiry = fromNow(30 * HOUR);
  [soon, untagged, stack] = (await launchInstances(ec2, [
    { 'reflex:expires-at': soonExpiry, 'reflex:expiry-warned': `72h@${soonExpiry}`, owner: 'alice' },
    { owner: 'bob' },
    { 'reflex:expires-at': fromNow(2 * DAY), 'aws:cloudformation:stack-name': 'db' },
  ])) as [string, string, string];
  invalidVolume = (
    await ec2.send(
      new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1, TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'reflex:expires-at', Value: 'next friday' }] }] }),
    )
  ).VolumeId!;
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.90.0.0/16' }))).Vpc!.VpcId!;
  const subnets = await Promise.all(
    ['a', 'b'].map(async (az, i) => (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.90.${i}.0/24`, AvailabilityZone: `us-east-1${az}` }))).Subnet!.SubnetId!),
  );
  const { ElasticLoadBalancingV2Client, CreateLoadBalancerCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2');
  const elb = new ElasticLoadBalancingV2Client(config);
  elbArn = (await elb.send(new CreateLoadBalancerCommand({ Name: 'lab', Subnets: subnets, Tags: [{ Key: 'reflex:expires-at', Value: fromNow(5 * DAY) }] }))).LoadBalancers![0]!.LoadBalancerArn!;

  // The reaper's table for environment local, with the summary of a dry run, and the bus with a rule for Reflex Actions.
  const table = await createStateTable(dynamo, 'reflex-local-reaper');
  const state = new DynamoReaperState(table, async () => ({ sdk: await import('@aws-sdk/client-dynamodb'), client: dynamo }));
  await state.putRun({ at: new Date(Date.now() - HOUR).toISOString(), dryRun: true, resources: 4, counts: { warned: 1, invalid: 1, protected: 1 } });
  queueUrl = await ruleToQueue(events, sqs, { bus: 'reflex-local-bus', name: 'reflex-actions', detailType: 'Reflex Action' });

  return { destroy: () => [ec2, sqs, dynamo, events, elb].forEach((c) => c.destroy()) };
});

const ttl = (...args: string[]) => reflexInProcess(['ttl', ...args, '--endpoint', aws.endpoint], { USER: 'tester' });

const tagsOf = async (id: string) =>
  Object.fromEntries(((await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0]?.Tags ?? []).map((t) => [t.Key!, t.Value!]));

/** The next Reflex Action the bus delivered, taken off the queue. */
async function nextAction(): Promise<{ source: string; 'detail-type': string; detail: Record<string, unknown> }> {
  const body = await nextMessage(sqs, queueUrl, 10_000);
  if (body === undefined) throw new Error('no Reflex Action arrived on the queue');
  return JSON.parse(body);
}

/** The run failed with exit code 2 and one line on stderr that matches. */
function expectUsage(run: Run, line: RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(line)]);
}

describe('reflex ttl list', () => {
  it('lists every resource with an expiry as JSON: when, warnings sent, owner, what the next run does, and the last run', async () => {
    const run = await ttl('list', '--json');

    expect(run.code).toBe(0);
    const listed = JSON.parse(run.stdout);
    const row = (id: string) => listed.resources.find((r: { id: string }) => r.id === id);
    expect(listed).toMatchObject({ env: 'local', zone: 'UTC', fromEnvironment: true, lastRun: { dryRun: true, resources: 4, counts: { warned: 1, invalid: 1, protected: 1 } } });
    expect(row(soon)).toMatchObject({ kind: 'instance', owner: 'alice', expiresAtUtc: soonExpiry, expired: false, warned: ['72h'], next: { decision: 'wait', step: null } });
    expect(row(soon).next.why).toMatch(/^expires in 1d 6h, at .*; next warning at /);
    expect(row(invalidVolume)).toMatchObject({ kind: 'volume', expiresAt: 'next friday', expiresAtUtc: null, next: { decision: 'invalid' } });
    expect(row(stack)).toMatchObject({ next: { decision: 'protected', why: 'it belongs to CloudFormation stack db (aws:cloudformation:stack-name)' } });
    expect(row(elbArn)).toMatchObject({ kind: 'load-balancer', warned: [] });
    expect(row(untagged)).toBeUndefined();
    expect(listed.resources.map((r: { id: string }) => r.id).slice(0, 2)).toEqual([soon, stack]); // soonest first
  }, 30_000);

  it('prints a table in the zone asked for, next to UTC, with notes for what the reaper will not do', async () => {
    const run = await ttl('list', '--zone', 'Europe/Berlin');

    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    // The local environment enables the reaper: its config is the one the list judges by.
    expect(lines[0]).toMatch(/^\d+ resources with an expiry, times in Europe\/Berlin \(environment local\)$/);
    expect(lines[1]).toMatch(/^id\s+kind\s+owner\s+expires\s+UTC\s+when\s+warned\s+set by\s+next run$/);
    expect(lines.find((l) => l.startsWith(soon))).toMatch(
      new RegExp(`^${soon}\\s+instance\\s+alice\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d Europe/Berlin \\(UTC\\+01:00\\)\\s+${soonExpiry}\\s+in 1d 6h\\s+72h\\s+—$`),
    );
    expect(run.stdout).toContain(`${invalidVolume}: "next friday" is no ISO 8601 UTC time: the reaper ignores it`);
    expect(run.stdout).toContain(`${stack}: it belongs to CloudFormation stack db`);
    expect(lines).toContainEqual(expect.stringMatching(/^last run: \S+ \(dry-run\): 4 resources; warned 1, invalid 1, protected 1$/));
  }, 30_000);
});

describe('reflex ttl set and extend', () => {
  it('sets an expiry from a TTL, records who, and publishes the audit as a Reflex Action', async () => {
    const running = ttl('set', untagged, '3d', '--reason', 'lab for the workshop');
    const event = await nextAction();
    const run = await running;

    expect(run.code).toBe(0);
    const tags = await tagsOf(untagged);
    expect(Date.parse(tags['reflex:expires-at']!) - Date.now()).toBeGreaterThan(3 * DAY - 60_000);
    expect(tags['reflex:expires-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(tags['reflex:expiry-set-by']).toMatch(/^tester@\d{4}-/);
    expect(event).toMatchObject({ source: 'reflex', 'detail-type': 'Reflex Action' });
    expect(event.detail).toMatchObject({
      reflex: 'reaper',
      env: 'local',
      action: 'reaper:SetExpiry',
      targets: [{ id: untagged }],
      outcome: 'succeeded',
      caller: { principal: 'tester' },
      change: { key: 'reflex:expires-at', to: tags['reflex:expires-at'] },
      reason: expect.stringContaining('tester set: reflex:expires-at none → '),
    });
    expect(event.detail.reason).toContain('lab for the workshop');
    expect(run.stdout).toMatch(new RegExp(`^${untagged}: expires in 3d, at \\S+ \\(was none\\); the reaper's warnings are re-armed\\naudit: Reflex Action reaper:SetExpiry \\S+ on reflex-local-bus\\n$`));
  }, 30_000);

  it('extends from the current expiry, and the audit says from and to', async () => {
    const running = ttl('extend', soon, '2d', '--json');
    const event = await nextAction();
    const run = await running;

    expect(run.code).toBe(0);
    const to = `${new Date(Date.parse(soonExpiry) + 2 * DAY).toISOString().slice(0, 19)}Z`;
    expect(JSON.parse(run.stdout)).toMatchObject({ id: soon, from: soonExpiry, to, capped: null, audit: { bus: 'reflex-local-bus' } });
    expect((await tagsOf(soon))['reflex:expires-at']).toBe(to);
    expect(event.detail).toMatchObject({ action: 'reaper:ExtendExpiry', change: { key: 'reflex:expires-at', from: soonExpiry, to } });
    soonExpiry = to;
  }, 30_000);

  it('caps an extension at maxExtensionHours from now, and says so', async () => {
    const running = ttl('extend', soon, '4w');
    await nextAction();
    const run = await running;

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/; capped at \S+ \(maxExtensionHours 336 from now\); the reaper's warnings are re-armed/);
    expect(Date.parse((await tagsOf(soon))['reflex:expires-at']!) - Date.now()).toBeLessThanOrEqual(14 * DAY);
  }, 30_000);

  it('sets an ISO time with an offset as UTC, on a load balancer by its ARN', async () => {
    const running = ttl('set', elbArn, '2031-01-01T13:00:00+01:00', '--dry-run', '--json');
    const run = await running;

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ id: elbArn, kind: 'load-balancer', to: expect.any(String), dryRun: true });
  }, 30_000);

  it('writes nothing with --dry-run', async () => {
    const before = (await tagsOf(untagged))['reflex:expires-at'];

    const run = await ttl('set', untagged, '90m', '--dry-run');

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^would set ${untagged}: expires in 1h 30m, at .*; nothing written\\n$`));
    expect((await tagsOf(untagged))['reflex:expires-at']).toBe(before);
  }, 30_000);

  it.each([
    ['a time without a zone', ['set', 'i-0123456789abcdef0', '2026-12-10T12:00:00'], /names no zone .*give a Z or an offset/],
    ['a day the calendar does not have', ['set', 'i-0123456789abcdef0', '2026-02-30T12:00:00Z'], /names no zone \(or no valid time\)/],
    ['a malformed TTL', ['extend', 'i-0123456789abcdef0', '2 days'], /extend takes a TTL \(90m, 12h, 3d, 2w\), got "2 days"/],
    ['an id of no kind the reaper knows', ['set', 'sg-0123456789abcdef0', '3d'], /"sg-0123456789abcdef0" is no id the reaper knows/],
  ])('refuses %s with exit code 2 before calling AWS', async (_, args, line) => {
    expectUsage(await ttl(...args), line);
  }, 30_000);

  it('refuses an instance that does not exist, one the reaper never touches, and an extension of no expiry', async () => {
    expectUsage(await ttl('extend', 'i-0123456789abcdef0', '2d'), /i-0123456789abcdef0 does not exist at the AWS API at/);
    expectUsage(await ttl('extend', stack, '2d'), /is never touched by the reaper \(it belongs to CloudFormation stack db/);
    const [fresh] = (await launchInstances(ec2, [{}])) as [string];
    expectUsage(await ttl('extend', fresh, '2d'), /refused: it has no valid expiry to extend: set one with `reflex ttl set <id> <ttl>`/);
    await ec2.send(new CreateTagsCommand({ Resources: [fresh], Tags: [{ Key: 'reflex:keep', Value: 'true' }] }));
    expectUsage(await ttl('set', fresh, '2d'), /never touched by the reaper \(it is tagged reflex:keep=true\)/);
  }, 60_000);
});

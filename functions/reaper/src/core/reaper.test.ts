import { describe, expect, it } from '@jest/globals';
import { type ScheduledEvent, ScheduledEventSchema } from '@reflex/events';
import { fixture } from '@reflex/events/fixtures';
import type { ActionReport } from '@reflex/lambda-kit';
import { MemoryAws, MemoryReaperState } from '../adapters/memory';
import { ReaperConfigSchema } from '../manifest';
import type { HourlyPoint, Resource } from '../ports';
import { HOUR } from './expiry';
import { reaper } from './reaper';

// The Lambda guide's sample Scheduled Event (packages/events/fixtures/SOURCES.md), moved to the run's time.
const sample = fixture('scheduled/scheduled-event.json');
const event = (time: Date): ScheduledEvent => ScheduledEventSchema.parse({ ...structuredClone(sample), time: time.toISOString() });

const EXPIRY = new Date('2026-12-10T12:00:00Z');
const before = (hours: number) => new Date(EXPIRY.getTime() - hours * HOUR);
const after = (hours: number) => new Date(EXPIRY.getTime() + hours * HOUR);
const expiring = (tags: Record<string, string> = {}) => ({ 'reflex:expires-at': '2026-12-10T12:00:00Z', owner: 'alice', ...tags });

const instance = (id: string, tags: Record<string, string>, state = 'running', extra: Partial<Resource> = {}): Resource => ({
  kind: 'instance',
  id,
  tags,
  state,
  createdAt: new Date('2026-11-01T00:00:00Z'),
  ...extra,
});
const of = (kind: Resource['kind'], id: string, tags: Record<string, string>, extra: Partial<Resource> = {}): Resource => ({ kind, id, tags, state: 'available', ...extra });

/** A reaper over in-memory AWS and table; `at(time)` runs it at that time (the schedule's and the wall clock's). */
function reaperWith(resources: Resource[], config: Record<string, unknown> = {}, options: { dryRun?: boolean } = {}) {
  const dryRun = options.dryRun ?? false;
  const aws = new MemoryAws(resources, dryRun);
  const state = new MemoryReaperState();
  const messages: string[] = [];
  const parsed = ReaperConfigSchema.parse({ dryRun, ...config });
  const at = (time: Date): Promise<ActionReport[]> =>
    reaper(event(time), {
      inventory: aws,
      actions: aws,
      metrics: aws,
      state,
      config: parsed,
      log: { info: (m) => void messages.push(m) },
      dryRun,
      holder: 'test',
      leaseMs: 300_000,
      clock: () => time,
    });
  return { aws, state, messages, at };
}

const actions = (reports: readonly ActionReport[]) => reports.map((r) => `${r.action} ${r.targets.map((t) => t.id).join(',')} ${r.outcome}`);

describe('warnings', () => {
  it('warns at the 72 h lead time, once: the next run says nothing', async () => {
    const { aws, at } = reaperWith([instance('i-1', expiring())]);

    const first = await at(before(71.5));
    const second = await at(before(70.5));

    expect(actions(first)).toEqual(['reaper:Warn i-1 succeeded']);
    expect(first[0]).toMatchObject({ severity: 'warning', reason: expect.stringContaining('the warning 72 h before') });
    expect(first[0]!.reason).toContain('[owner alice]');
    expect(second).toEqual([]);
    expect(aws.get('i-1')!.tags['reflex:expiry-warned']).toBe('72h@2026-12-10T12:00:00Z');
  });

  it('never warns before the lead time, not even a minute', async () => {
    const { aws, at } = reaperWith([instance('i-1', expiring())]);

    expect(await at(new Date(before(72).getTime() - 60_000))).toEqual([]);
    expect(actions(await at(before(72)))).toEqual(['reaper:Warn i-1 succeeded']);
    expect(aws.calls).toEqual(['tag reflex:expiry-warned=72h@2026-12-10T12:00:00Z i-1']);
  });

  it('warns again at the 24 h lead time, and then not until the expiry', async () => {
    const { at } = reaperWith([instance('i-1', expiring())]);
    const warnings: string[] = [];

    for (const hours of [73, 71, 48, 24.5, 23.9, 12, 1]) warnings.push(...actions(await at(before(hours))));

    expect(warnings).toEqual(['reaper:Warn i-1 succeeded', 'reaper:Warn i-1 succeeded']);
  });

  it('sends one warning for every lead time due when it first sees an expiry late', async () => {
    const { aws, at } = reaperWith([instance('i-1', expiring())]);

    const reports = await at(before(10));

    expect(actions(reports)).toEqual(['reaper:Warn i-1 succeeded']);
    expect(reports[0]!.reason).toContain('the warning 72 h and 24 h before');
    expect(aws.get('i-1')!.tags['reflex:expiry-warned']).toBe('72h+24h@2026-12-10T12:00:00Z');
    expect(await at(before(9))).toEqual([]);
  });

  it('is re-armed by an extension: the new expiry gets its own warnings', async () => {
    const { aws, at } = reaperWith([instance('i-1', expiring())]);
    await at(before(71));
    await at(before(23));

    aws.set('i-1', { tags: expiring({ 'reflex:expires-at': '2026-12-14T12:00:00Z', 'reflex:expiry-warned': aws.get('i-1')!.tags['reflex:expiry-warned']! }) });

    expect(await at(before(1))).toEqual([]); // the new expiry is 97 h away: no lead time due
    expect(actions(await at(new Date('2026-12-11T12:00:00Z')))).toEqual(['reaper:Warn i-1 succeeded']); // 72 h before the new one
    expect(aws.get('i-1')!.tags['reflex:expiry-warned']).toBe('72h@2026-12-14T12:00:00Z');
  });

  it('shows the expiry in the display zone and in UTC', async () => {
    const { at } = reaperWith([instance('i-1', expiring({ 'reflex:expires-at': '2026-10-25T01:30:00Z' }))], { displayTimeZone: 'Europe/Berlin' });

    const [warning] = await at(new Date('2026-10-24T02:00:00Z'));

    expect(warning!.reason).toContain('at 2026-10-25 02:30 Europe/Berlin (UTC+01:00) = 2026-10-25T01:30:00Z');
  });

  it('reports an expiry that is no ISO 8601 UTC time once per value, and never acts on it', async () => {
    const { aws, at } = reaperWith([instance('i-1', expiring({ 'reflex:expires-at': '2026-12-10 12:00' }))]);

    const first = await at(after(100));
    const second = await at(after(101));
    aws.set('i-1', { tags: { ...aws.get('i-1')!.tags, 'reflex:expires-at': 'friday' } });
    const third = await at(after(102));

    expect(actions(first)).toEqual(['reaper:InvalidExpiry i-1 alert']);
    expect(first[0]!.reason).toContain('never guessed');
    expect(second).toEqual([]);
    expect(actions(third)).toEqual(['reaper:InvalidExpiry i-1 alert']);
    expect(aws.calls.filter((c) => !c.startsWith('tag'))).toEqual([]);
    expect(aws.get('i-1')!.state).toBe('running');
  });
});

describe('never touches', () => {
  it.each([
    ['a CloudFormation stack', { 'aws:cloudformation:stack-name': 'lab-stack' }],
    ['an Auto Scaling group', { 'aws:autoscaling:groupName': 'web' }],
    ['Terraform (managed-by)', { 'managed-by': 'terraform' }],
    ['Terraform (ManagedBy, any case)', { ManagedBy: 'Terraform' }],
    ['Reflex itself (managed-by)', { 'managed-by': 'reflex' }],
    ['reflex:keep=true', { 'reflex:keep': 'true' }],
    ['reflex:keep with a typo', { 'reflex:keep': 'yes' }],
    ['the instance guard (reflex:protect=true)', { 'reflex:protect': 'true' }],
  ])('an expired instance managed by %s: no stop, no terminate, no tag', async (_, tags) => {
    const { aws, at, state } = reaperWith([instance('i-1', expiring(tags))]);

    expect(await at(before(10))).toEqual([]);
    expect(await at(after(100))).toEqual([]);
    expect(aws.calls).toEqual([]);
    expect(state.runs.at(-1)!.counts).toEqual({ protected: 1 });
  });

  it('a default VPC, even tagged as an expired lab', async () => {
    const { aws, at } = reaperWith([of('vpc', 'vpc-default', expiring({ 'reflex:lab': 'true' }), { isDefault: true }), of('subnet', 'subnet-1', {}, { vpcId: 'vpc-default', isDefault: true })]);

    expect(await at(after(1))).toEqual([]);
    expect(aws.calls).toEqual([]);
  });

  it('a custom rule: a tag key the config names', async () => {
    const { aws, at } = reaperWith([of('volume', 'vol-1', expiring({ 'eks:cluster-name': 'prod' }))], { neverTouchTagKeys: ['eks:cluster-name'] });

    expect(await at(after(1))).toEqual([]);
    expect(aws.calls).toEqual([]);
  });
});

describe('instances: stop before terminate', () => {
  it('records its stop intent, then stops, at the first run past the expiry', async () => {
    const { aws, at } = reaperWith([instance('i-1', expiring())]);

    const reports = await at(after(0.5));

    expect(actions(reports)).toEqual(['ec2:StopInstances i-1 succeeded']);
    expect(aws.calls).toEqual(['tag reflex:stop-intent=reaper@2026-12-10T12:30:00.000Z i-1', 'stop i-1']);
    expect(reports[0]!.reason).toContain('terminated after 24 h unless extended');
  });

  it('acts on an overdue instance at the next run, whatever the hour', async () => {
    const { at } = reaperWith([instance('i-1', expiring())]);

    expect(actions(await at(after(37.25)))).toEqual(['ec2:StopInstances i-1 succeeded']);
  });

  it('terminates only at a run past the grace after its stop', async () => {
    const { aws, at } = reaperWith([instance('i-1', expiring())]);
    await at(after(2));

    expect(await at(after(25))).toEqual([]); // 23 h after the stop
    expect(actions(await at(after(26)))).toEqual(['ec2:TerminateInstances i-1 succeeded']);
    expect(aws.get('i-1')!.state).toBe('terminated');
  });

  it('terminates an instance someone started again, once the grace after the reaper\'s stop ends', async () => {
    const { aws, at } = reaperWith([instance('i-1', expiring())]);
    await at(after(1));
    aws.set('i-1', { state: 'running' });

    expect(await at(after(10))).toEqual([]);
    expect(actions(await at(after(25)))).toEqual(['ec2:TerminateInstances i-1 succeeded']);
  });

  it('terminates an instance that was stopped already at the expiry plus the grace', async () => {
    const { at } = reaperWith([instance('i-1', expiring(), 'stopped')]);

    expect(await at(after(23))).toEqual([]);
    expect(actions(await at(after(24)))).toEqual(['ec2:TerminateInstances i-1 succeeded']);
  });

  it('terminates at the expiry with stopFirst off', async () => {
    const { at } = reaperWith([instance('i-1', expiring())], { stopFirst: false });

    expect(actions(await at(after(0.1)))).toEqual(['ec2:TerminateInstances i-1 succeeded']);
  });

  it('waits for an instance in transition', async () => {
    const { aws, at } = reaperWith([instance('i-1', expiring(), 'stopping')]);

    expect(await at(after(1))).toEqual([]);
    expect(aws.calls).toEqual([]);
  });
});

describe('volumes: snapshot before delete', () => {
  it('snapshots an expired volume, records the snapshot as pending, and leaves the volume', async () => {
    const { aws, at, state } = reaperWith([of('volume', 'vol-1', expiring({ Name: 'scratch' }))]);

    const reports = await at(after(1));

    expect(actions(reports)).toEqual(['ec2:CreateSnapshot vol-1 succeeded']);
    const snapshot = [...aws.resources.values()].find((r) => r.kind === 'snapshot')!;
    expect(snapshot.tags).toEqual({ Name: 'scratch', owner: 'alice', 'reflex:snapshot-of': 'vol-1' });
    expect(state.pending.get('vol-1')).toEqual({ volumeId: 'vol-1', snapshotId: snapshot.id, startedAt: after(1).toISOString() });
    expect(aws.get('vol-1')).toBeDefined();
  });

  it('waits while the snapshot is pending, and deletes the volume once it is completed', async () => {
    const { aws, at, state } = reaperWith([of('volume', 'vol-1', expiring())]);
    await at(after(1));
    const { snapshotId } = state.pending.get('vol-1')!;

    expect(await at(after(2))).toEqual([]);
    expect(state.runs.at(-1)!.counts).toEqual({ 'snapshot-pending': 1 });
    aws.set(snapshotId, { state: 'completed' });
    const reports = await at(after(3));

    expect(actions(reports)).toEqual(['ec2:DeleteVolume vol-1 succeeded']);
    expect(reports[0]!.reason).toContain(`its snapshot ${snapshotId} is completed`);
    expect(aws.get('vol-1')).toBeUndefined();
    expect(state.pending.has('vol-1')).toBe(false);
  });

  it('reports a failed snapshot, keeps the volume, and takes a new snapshot at the next run', async () => {
    const { aws, at, state } = reaperWith([of('volume', 'vol-1', expiring())]);
    await at(after(1));
    aws.set(state.pending.get('vol-1')!.snapshotId, { state: 'error' });

    const failed = await at(after(2));
    const retried = await at(after(3));

    expect(actions(failed)).toEqual(['ec2:CreateSnapshot vol-1 failed']);
    expect(actions(retried)).toEqual(['ec2:CreateSnapshot vol-1 succeeded']);
    expect(aws.get('vol-1')).toBeDefined();
  });

  it('deletes without a snapshot when snapshotVolumes is off', async () => {
    const { at } = reaperWith([of('volume', 'vol-1', expiring())], { snapshotVolumes: false });

    expect(actions(await at(after(1)))).toEqual(['ec2:DeleteVolume vol-1 succeeded']);
  });

  it('reports an attached volume once, and does nothing to it', async () => {
    const { aws, at } = reaperWith([of('volume', 'vol-1', expiring(), { state: 'in-use', attachedTo: 'i-9' })]);

    const first = await at(after(1));
    const second = await at(after(2));

    expect(actions(first)).toEqual(['reaper:Blocked vol-1 alert']);
    expect(first[0]!.reason).toContain('attached to i-9');
    expect(second).toEqual([]);
    expect(aws.calls).toEqual(['tag reflex:expiry-warned=blocked@2026-12-10T12:00:00Z vol-1']);
  });
});

describe('addresses, NAT gateways, load balancers, snapshots, VPCs', () => {
  it('releases an address that is not associated, and reports one that is', async () => {
    const { at } = reaperWith([
      of('address', 'eipalloc-free', expiring(), { state: 'unassociated' }),
      of('address', 'eipalloc-held', expiring(), { state: 'associated', attachedTo: 'i-9' }),
    ]);

    expect(actions(await at(after(1))).sort()).toEqual(['ec2:ReleaseAddress eipalloc-free succeeded', 'reaper:Blocked eipalloc-held alert']);
  });

  it('deletes an expired NAT gateway and load balancer', async () => {
    const lb = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/lab/0123456789abcdef';
    const { at } = reaperWith([of('nat-gateway', 'nat-1', expiring()), of('load-balancer', lb, expiring())]);

    expect(actions(await at(after(1))).sort()).toEqual(['ec2:DeleteNatGateway nat-1 succeeded', `elasticloadbalancing:DeleteLoadBalancer ${lb} succeeded`]);
  });

  it('reports a delete AWS refuses (deletion protection) once, and tries again at every run', async () => {
    const lb = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/lab/0123456789abcdef';
    const { aws, at } = reaperWith([of('load-balancer', lb, expiring())]);
    aws.refuse.set(lb, 'OperationNotPermitted: Load balancer is protected from deletion');

    const first = await at(after(1));
    const second = await at(after(2));

    expect(first).toEqual([expect.objectContaining({ action: 'elasticloadbalancing:DeleteLoadBalancer', outcome: 'failed', error: expect.stringContaining('protected') })]);
    expect(second).toEqual([]);
    expect(aws.calls.filter((c) => c.startsWith('remove'))).toHaveLength(2);
  });

  it('leaves snapshots younger than snapshotMinAgeDays alone, expired or not', async () => {
    const { aws, at } = reaperWith([
      of('snapshot', 'snap-young', expiring(), { state: 'completed', createdAt: new Date('2026-12-08T00:00:00Z') }),
      of('snapshot', 'snap-old', expiring(), { state: 'completed', createdAt: new Date('2026-11-01T00:00:00Z') }),
    ]);

    expect(actions(await at(after(1)))).toEqual(['ec2:DeleteSnapshot snap-old succeeded']);
    expect(aws.get('snap-young')).toBeDefined();
  });

  it('deletes a VPC only when it is a lab: another VPC with an expiry is reported once', async () => {
    const { aws, at } = reaperWith([of('vpc', 'vpc-1', expiring())]);

    expect(actions(await at(after(1)))).toEqual(['reaper:Blocked vpc-1 alert']);
    expect(await at(after(2))).toEqual([]);
    expect(aws.get('vpc-1')).toBeDefined();
  });
});

describe('idle instances', () => {
  const now = new Date('2026-12-10T12:20:00Z');
  const window = (hours: number, value: number, skip: (hour: number) => boolean = () => false): HourlyPoint[] =>
    Array.from({ length: hours }, (_, i) => ({ at: new Date(Date.UTC(2026, 11, 7, 12 + i)), value })).filter((_, i) => !skip(i));
  const idleConfig = { idle: { instances: {} } };
  const quiet = { cpuAverage: window(72, 0.4), networkIn: window(72, 1_000_000), networkOut: window(72, 2_000_000) };

  it('marks an idle instance with an expiry grace hours away and warns in the same notice', async () => {
    const { aws, at } = reaperWith([instance('i-idle', { owner: 'bob' })], idleConfig);
    aws.metrics.set('i-idle', quiet);

    const reports = await at(now);

    expect(actions(reports)).toEqual(['reaper:MarkExpiry i-idle succeeded']);
    expect(reports[0]!.reason).toMatch(/idle over the last 72 h: CPU at most 0.4 %.*network at most 3 MB\/h.*72 of 72 hours with data/);
    expect(aws.get('i-idle')!.tags).toEqual({
      owner: 'bob',
      'reflex:expires-at': '2026-12-13T12:20:00Z',
      'reflex:idle-marked': 'reaper@2026-12-10T12:20:00.000Z',
      'reflex:expiry-warned': '72h@2026-12-13T12:20:00Z',
    });
    expect(aws.get('i-idle')!.state).toBe('running');
  });

  it('never counts missing datapoints as idle: 64 of 72 hours is below 90 % coverage', async () => {
    const { aws, at } = reaperWith([instance('i-1', {})], idleConfig);
    aws.metrics.set('i-1', { ...quiet, cpuAverage: window(72, 0.4, (h) => h % 9 === 0) });

    expect(await at(now)).toEqual([]);
    expect(aws.calls).toEqual(['metrics i-1']);
  });

  it('takes 65 of 72 hours as enough data (90 %)', async () => {
    const { aws, at } = reaperWith([instance('i-1', {})], idleConfig);
    aws.metrics.set('i-1', { ...quiet, networkOut: window(72, 2_000_000, (h) => h < 7) });

    expect(actions(await at(now))).toEqual(['reaper:MarkExpiry i-1 succeeded']);
  });

  it('does not mark an instance with no metrics at all', async () => {
    const { aws, at } = reaperWith([instance('i-1', {})], idleConfig);

    expect(await at(now)).toEqual([]);
    expect(aws.get('i-1')!.tags).toEqual({});
  });

  it('does not mark an instance that was busy for one hour', async () => {
    const { aws, at } = reaperWith([instance('i-1', {})], idleConfig);
    aws.metrics.set('i-1', { ...quiet, cpuAverage: quiet.cpuAverage.map((p, i) => (i === 40 ? { ...p, value: 35 } : p)) });

    expect(await at(now)).toEqual([]);
  });

  it('does not look at instances running for less than the window, nor at protected ones', async () => {
    const { aws, at } = reaperWith(
      [instance('i-new', {}, 'running', { createdAt: new Date('2026-12-09T00:00:00Z') }), instance('i-kept', { 'reflex:keep': 'true' })],
      idleConfig,
    );

    expect(await at(now)).toEqual([]);
    expect(aws.calls).toEqual([]);
  });

  it('is off unless configured: no metrics are read', async () => {
    const { aws, at } = reaperWith([instance('i-1', {})]);

    expect(await at(now)).toEqual([]);
    expect(aws.calls).toEqual([]);
  });

  it('gives old snapshots an expiry when markSnapshots is configured, never the reaper\'s final snapshots', async () => {
    const old = new Date('2026-10-01T00:00:00Z');
    const { aws, at } = reaperWith(
      [of('snapshot', 'snap-old', {}, { state: 'completed', createdAt: old }), of('snapshot', 'snap-final', { 'reflex:snapshot-of': 'vol-1' }, { state: 'completed', createdAt: old })],
      { markSnapshots: { olderThanDays: 30 } },
    );

    expect(actions(await at(now))).toEqual(['reaper:MarkExpiry snap-old succeeded']);
    expect(aws.get('snap-final')!.tags['reflex:expires-at']).toBeUndefined();
  });
});

describe('lab VPCs', () => {
  const lab = () => [
    of('vpc', 'vpc-lab', expiring({ 'reflex:lab': 'true' })),
    instance('i-lab', { owner: 'alice' }, 'running', { vpcId: 'vpc-lab' }),
    of('nat-gateway', 'nat-lab', {}, { vpcId: 'vpc-lab' }),
    of('address', 'eipalloc-lab', {}, { vpcId: 'vpc-lab', state: 'associated', attachedTo: 'nat-lab' }),
    of('vpc-endpoint', 'vpce-lab', {}, { vpcId: 'vpc-lab' }),
    of('subnet', 'subnet-lab', {}, { vpcId: 'vpc-lab' }),
    of('route-table', 'rtb-main', {}, { vpcId: 'vpc-lab', goesWithVpc: true }),
    of('route-table', 'rtb-lab', {}, { vpcId: 'vpc-lab' }),
    of('internet-gateway', 'igw-lab', {}, { vpcId: 'vpc-lab' }),
    of('security-group', 'sg-default', {}, { vpcId: 'vpc-lab', goesWithVpc: true }),
    of('security-group', 'sg-lab', {}, { vpcId: 'vpc-lab' }),
  ];

  it('deletes its dependents in order across runs, then the VPC', async () => {
    const { aws, at } = reaperWith(lab());
    const runs: string[][] = [];

    for (const hours of [1, 2, 3, 4]) runs.push(actions(await at(after(hours))));

    expect(runs).toEqual([
      ['ec2:CreateTags i-lab,nat-lab,eipalloc-lab,vpce-lab,subnet-lab,rtb-lab,igw-lab,sg-lab succeeded', 'ec2:TerminateInstances i-lab succeeded'],
      ['ec2:DeleteNatGateway nat-lab succeeded'],
      ['ec2:ReleaseAddress eipalloc-lab succeeded', 'ec2:DeleteVpcEndpoints vpce-lab succeeded'],
      [
        'ec2:DeleteSubnet subnet-lab succeeded',
        'ec2:DeleteRouteTable rtb-lab succeeded',
        'ec2:DeleteInternetGateway igw-lab succeeded',
        'ec2:DeleteSecurityGroup sg-lab succeeded',
        'ec2:DeleteVpc vpc-lab succeeded',
      ],
    ]);
    expect(aws.get('vpc-lab')).toBeUndefined();
    expect(aws.get('rtb-main')).toBeDefined(); // DeleteVpc takes the main route table and the default group with it (moto's memory does not)
  });

  it('gives its dependents the VPC\'s expiry before deleting them (the role deletes only what carries one)', async () => {
    const { aws, at } = reaperWith(lab());

    await at(after(1));

    expect(aws.calls[0]).toBe('tag reflex:expires-at=2026-12-10T12:00:00Z i-lab,nat-lab,eipalloc-lab,vpce-lab,subnet-lab,rtb-lab,igw-lab,sg-lab');
    expect(aws.get('subnet-lab')!.tags['reflex:expires-at']).toBe('2026-12-10T12:00:00Z');
  });

  it('warns for the VPC, not for each dependent, before the expiry', async () => {
    const { at } = reaperWith(lab());

    expect(actions(await at(before(70)))).toEqual(['reaper:Warn vpc-lab succeeded']);
  });

  it('deletes nothing while the VPC holds what the reaper may not touch, and says what, once', async () => {
    const resources = lab().map((r) => (r.id === 'i-lab' ? { ...r, tags: { 'aws:cloudformation:stack-name': 'db' } } : r));
    const { aws, at } = reaperWith(resources);
    aws.otherInterfaces.set('vpc-lab', [{ id: 'eni-1', type: 'lambda', description: 'AWS Lambda VPC ENI-fn' }]);

    const first = await at(after(1));
    const second = await at(after(2));

    expect(actions(first)).toEqual(['reaper:Blocked vpc-lab alert']);
    expect(first[0]!.reason).toContain('i-lab (it belongs to CloudFormation stack db (aws:cloudformation:stack-name)), eni-1 (lambda: AWS Lambda VPC ENI-fn)');
    expect(second).toEqual([]);
    expect(aws.calls).toEqual(['tag reflex:expiry-warned=blocked@2026-12-10T12:00:00Z vpc-lab']);
  });

  it('leaves the dependents of a VPC it cannot tear down to their own expiries', async () => {
    const { aws, at } = reaperWith([of('vpc', 'vpc-lab', expiring({ 'reflex:lab': 'true' })), instance('i-own', expiring(), 'running', { vpcId: 'vpc-lab' })]);
    aws.otherInterfaces.set('vpc-lab', [{ id: 'eni-1', type: 'lambda', description: '' }]);

    expect(actions(await at(after(1)))).toEqual(['reaper:Blocked vpc-lab alert', 'ec2:StopInstances i-own succeeded']);
  });

  it('reports a refused delete once and goes no further', async () => {
    const { aws, at } = reaperWith(lab().filter((r) => ['vpc', 'subnet', 'security-group'].includes(r.kind)));
    aws.refuse.set('subnet-lab', 'DependencyViolation: The subnet has dependencies and cannot be deleted.');

    const first = await at(after(1));

    expect(actions(first)).toEqual(['ec2:CreateTags subnet-lab,sg-lab succeeded', 'reaper:Blocked vpc-lab alert']);
    expect(first[1]!.reason).toContain('deleting its subnets failed: subnet-lab: DependencyViolation');
    expect(aws.get('sg-lab')).toBeDefined();
  });
});

describe('dry-run', () => {
  it('warns once: the warning is kept in the table, not written on the resource', async () => {
    const { aws, state, at } = reaperWith([instance('i-1', expiring())], {}, { dryRun: true });

    const first = await at(before(71));
    const second = await at(before(70));

    expect(actions(first)).toEqual(['reaper:Warn i-1 dry-run']);
    expect(second).toEqual([]);
    expect(aws.get('i-1')!.tags['reflex:expiry-warned']).toBeUndefined();
    expect(state.overlay.get('i-1')).toEqual({ 'reflex:expiry-warned': '72h@2026-12-10T12:00:00Z' });
  });

  it('reports the stop, then the terminate, once each, and changes nothing', async () => {
    const { aws, at } = reaperWith([instance('i-1', expiring({ 'reflex:expiry-warned': '72h+24h@2026-12-10T12:00:00Z' }))], {}, { dryRun: true });
    const runs: string[][] = [];

    for (const hours of [1, 2, 24, 25, 26]) runs.push(actions(await at(after(hours))));

    expect(runs).toEqual([['ec2:StopInstances i-1 dry-run'], [], [], ['ec2:TerminateInstances i-1 dry-run'], []]);
    expect(aws.get('i-1')!.state).toBe('running');
  });

  it('reports a lab teardown as a plan, once', async () => {
    const { aws, at } = reaperWith(
      [of('vpc', 'vpc-lab', expiring({ 'reflex:lab': 'true' })), of('subnet', 'subnet-1', {}, { vpcId: 'vpc-lab' }), instance('i-1', {}, 'running', { vpcId: 'vpc-lab' })],
      {},
      { dryRun: true },
    );

    const first = await at(after(1));

    expect(actions(first)).toEqual(['reaper:TearDownLabVpc vpc-lab dry-run']);
    expect(first[0]!.reason).toContain('would delete 1 instances, 1 subnets, then the VPC');
    expect(await at(after(2))).toEqual([]);
    expect(aws.calls).toEqual([]);
  });
});

describe('runs', () => {
  it('leaves the work to a run that holds the lease', async () => {
    const { aws, state, at } = reaperWith([instance('i-1', expiring())]);
    state.busy = true;

    expect(await at(after(1))).toEqual([]);
    expect(aws.calls).toEqual([]);
    expect(state.runs).toEqual([]);
  });

  it('records a summary of each run in the table', async () => {
    const { state, at } = reaperWith([instance('i-1', expiring()), of('volume', 'vol-1', expiring({ 'managed-by': 'terraform' })), of('address', 'eipalloc-1', expiring())]);

    await at(after(1));

    expect(state.runs).toEqual([{ at: after(1).toISOString(), account: '123456789012', dryRun: false, resources: 3, counts: { stopped: 1, protected: 1, deleted: 1 } }]);
  });
});

describe('failures', () => {
  it("fails one resource alone: the others' actions are still reported, and later runs carry on", async () => {
    const { aws, at } = reaperWith([instance('i-1', expiring()), instance('i-2', expiring())]);
    const stop = aws.stop.bind(aws);
    aws.stop = async (resource: Resource) => {
      if (resource.id === 'i-1') throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return stop(resource);
    };

    const first = await at(after(1));
    expect(actions(first)).toEqual(['reaper:Failed i-1 failed', 'ec2:StopInstances i-2 succeeded']);
    expect(first[0]!.error).toBe('ThrottlingException: Rate exceeded');

    // Its stop intent was written before the stop failed: the grace runs, then both are terminated.
    expect(actions(await at(after(25)))).toEqual(['ec2:TerminateInstances i-1 succeeded', 'ec2:TerminateInstances i-2 succeeded']);
  });
});

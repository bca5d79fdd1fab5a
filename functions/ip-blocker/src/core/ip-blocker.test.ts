import { describe, expect, it } from '@jest/globals';
import type { BlockRequest, GuardDutyFinding, ScheduledEvent } from '@reflex/events';
import { fixture } from '@reflex/events/fixtures';
import * as z from '@reflex/events/zod';
import { MemoryNetwork, MemoryState } from '../adapters/memory';
import { type BlockerConfig, BlockerConfigSchema } from '../manifest';
import { type BlockerDeps, ipBlocker } from './ip-blocker';

// The GuardDuty sample SSH brute-force finding (packages/events/fixtures/SOURCES.md): 198.51.100.0 against
// i-99999999, severity 2, resourceRole TARGET, INBOUND. Its times are moved to "now" (it dates from 2018).
const NOW = new Date('2026-12-06T10:00:00Z');
const INSTANCE = 'i-99999999';

function finding(mutate: (detail: any) => void = () => {}): GuardDutyFinding {
  const event = fixture('guardduty/finding.json');
  event.time = NOW.toISOString().replace('.000', '');
  event.detail.id = `finding-${Math.random().toString(36).slice(2, 8)}`;
  event.detail.service.eventLastSeen = new Date(NOW.getTime() - 60_000).toISOString();
  mutate(event.detail);
  return event;
}

const portProbe = (...ips: string[]) =>
  finding((d) => {
    d.type = 'Recon:EC2/PortProbeUnprotectedPort';
    d.service.action = {
      actionType: 'PORT_PROBE',
      portProbeAction: { portProbeDetails: ips.map((ip) => ({ remoteIpDetails: ip.includes(':') ? { ipAddressV6: ip } : { ipAddressV4: ip } })) },
    };
  });

function request(detail: Record<string, unknown>, id = 'req-1'): BlockRequest {
  return {
    version: '0',
    id,
    'detail-type': 'Reflex Block Request',
    source: 'reflex',
    account: '123456789012',
    time: NOW.toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: { action: 'block', severity: 5, requestedBy: 'alice', reason: 'test', ...detail },
  } as unknown as BlockRequest;
}

const sweepAt = (at: Date): ScheduledEvent =>
  ({ ...fixture('scheduled/scheduled-event.json'), time: at.toISOString().replace('.000', '') }) as ScheduledEvent;

/** Two subnets of the instance (one NACL each) and a third subnet of its VPC with its own NACL. */
function world(config: Partial<z.input<typeof BlockerConfigSchema>> = {}, holder = 'writer-1') {
  const network = new MemoryNetwork();
  network.instances.set(INSTANCE, { vpcId: 'vpc-1', subnetIds: ['subnet-a', 'subnet-b'] });
  network.vpcs.set('vpc-1', ['172.31.0.0/16', '2600:1f18:4e2:c100::/56']);
  network.addNacl('acl-a', 'vpc-1', ['subnet-a']);
  network.addNacl('acl-b', 'vpc-1', ['subnet-b']);
  network.addNacl('acl-c', 'vpc-1', ['subnet-c']);
  const state = new MemoryState();
  const lines: string[] = [];
  let now = NOW;
  const deps = (overrides: Partial<BlockerDeps> = {}): BlockerDeps => ({
    network,
    state,
    config: z.parse(BlockerConfigSchema, config) as BlockerConfig,
    log: { info: (line) => lines.push(line) },
    now: () => now,
    holder,
    leaseWaitMs: 200,
    naclArn: (id) => `arn:aws:ec2:us-east-1:123456789012:network-acl/${id}`,
    ...overrides,
  });
  return { network, state, lines, deps, setNow: (at: Date) => (now = at) };
}

describe('ipBlocker: GuardDuty findings', () => {
  it('denies the attacker in the NACL of every subnet of the instance, not in other NACLs of its VPC', async () => {
    const { network, deps } = world();

    const reports = await ipBlocker(finding(), deps());

    expect(network.inbound('acl-a')).toEqual(['#1 deny 198.51.100.0/32', '#100 allow 0.0.0.0/0']);
    expect(network.inbound('acl-b')).toEqual(['#1 deny 198.51.100.0/32', '#100 allow 0.0.0.0/0']);
    expect(network.inbound('acl-c')).toEqual(['#100 allow 0.0.0.0/0']);
    expect(reports.map((r) => [r.action, r.targets[0]!.id, r.outcome])).toEqual([
      ['ec2:CreateNetworkAclEntry', 'acl-a', 'succeeded'],
      ['ec2:CreateNetworkAclEntry', 'acl-b', 'succeeded'],
    ]);
  });

  it('with scope "vpc", denies in every NACL of the VPC', async () => {
    const { network, deps } = world({ scope: 'vpc' });

    await ipBlocker(finding(), deps());

    expect(['acl-a', 'acl-b', 'acl-c'].map((id) => network.inbound(id)[0])).toEqual(Array(3).fill('#1 deny 198.51.100.0/32'));
  });

  it('blocks every address a port probe names, IPv4 and IPv6, once each', async () => {
    const { network, deps } = world();

    await ipBlocker(portProbe('198.51.100.7', '203.0.113.9', '198.51.100.7', '2001:db8::7'), deps());

    expect(network.inbound('acl-a')).toEqual(['#1 deny 198.51.100.7/32', '#2 deny 203.0.113.9/32', '#3 deny 2001:db8::7/128', '#100 allow 0.0.0.0/0']);
  });

  it('widens addresses to the configured prefix length per family', async () => {
    const { network, deps } = world({ prefixLength: { ipv4: 24, ipv6: 64 } });

    await ipBlocker(portProbe('198.51.100.7', '2001:db8::7'), deps());

    expect(network.inbound('acl-a').slice(0, 2)).toEqual(['#1 deny 198.51.100.0/24', '#2 deny 2001:db8::/64']);
  });

  it('does nothing when the instance is the actor (outbound brute force), and says why', async () => {
    const { network, state, deps } = world();
    const event = finding((d) => {
      d.service.resourceRole = 'ACTOR';
      d.service.action.networkConnectionAction.connectionDirection = 'OUTBOUND';
    });

    const reports = await ipBlocker(event, deps());

    expect(reports).toEqual([]);
    expect(network.writes).toEqual([]);
    expect(state.outcomes.get(event.id)?.lines).toEqual(['nothing to do: the instance is the actor of this UnauthorizedAccess:EC2/SSHBruteForce, not its target']);
  });

  it.each([
    ['a type the config does not block', (d: any) => (d.type = 'Backdoor:EC2/C&CActivity.B'), /finding type .* is not one/],
    ['a severity below the threshold', (d: any) => (d.severity = 0.5), /severity 0.5 is below 1/],
    ['a finding last seen longer ago than a block lasts', (d: any) => (d.service.eventLastSeen = '2026-12-05T21:59:00Z'), /a block would have expired already/],
  ])('ignores %s', async (_case, mutate, why) => {
    const { network, state, deps } = world();
    const event = finding(mutate);

    await ipBlocker(event, deps());

    expect(network.writes).toEqual([]);
    expect(state.outcomes.get(event.id)?.lines[0]).toMatch(why);
  });
});

describe('ipBlocker: never locks anyone out', () => {
  it.each([
    ['an address of the allow-list', { allowList: ['198.51.100.0/28'] }, '198.51.100.5', /198.51.100.0\/28, on the allow-list/],
    ['a /24 block containing an allow-listed office /32', { allowList: ['198.51.100.77/32'], prefixLength: { ipv4: 24, ipv6: 128 } }, '198.51.100.5', /touches 198.51.100.77\/32/],
    ['private space', {}, '10.1.2.3', /10.0.0.0\/8, private address space/],
    ['a CIDR of the VPC itself, with private space allowed to be blocked', { allowPrivate: false }, '172.31.9.9', /172.31.0.0\/16, a CIDR of vpc-1/],
    ['an IPv6 address of the VPC', {}, '2600:1f18:4e2:c100::5', /a CIDR of vpc-1/],
  ])('refuses %s, with a warning action, and blocks the others of the finding', async (_case, config, ip, why) => {
    const { network, deps } = world(config);

    const reports = await ipBlocker(portProbe(ip, '203.0.113.9'), deps());

    expect(network.inbound('acl-a')[0]).toMatch(/^#1 deny 203.0.113.(9\/32|0\/24)$/);
    const refusal = reports.find((r) => r.outcome === 'alert')!;
    expect(refusal.severity).toBe('warning');
    expect(refusal.reason).toMatch(why);
    expect(refusal.targets.map((t) => t.id)).toEqual(['acl-a', 'acl-b']);
  });

  it('past the write budget per minute, alerts (critical) instead of writing', async () => {
    const { network, deps } = world({ maxEntriesPerMinute: 3 });

    const reports = await ipBlocker(portProbe('203.0.113.1', '203.0.113.2'), deps());

    expect(network.writes).toHaveLength(3);
    const alert = reports.find((r) => r.outcome === 'alert')!;
    expect(alert).toMatchObject({ severity: 'critical', targets: [{ id: 'acl-b' }] });
    expect(alert.reason).toMatch(/write budget of 3 NACL entries per minute is spent/);
  });
});

describe('ipBlocker: slots', () => {
  it('takes the lowest free rule numbers of its range around entries others own', async () => {
    const { network, deps } = world({ ruleRange: { first: 10, last: 20 } });
    network.addNacl('acl-a', 'vpc-1', ['subnet-a'], [
      { ruleNumber: 10, action: 'deny', protocol: '6', cidr: '192.0.2.0/24' },
      { ruleNumber: 12, action: 'allow', cidr: '192.0.2.128/25' },
    ]);

    await ipBlocker(portProbe('203.0.113.1', '203.0.113.2'), deps());

    expect(network.inbound('acl-a')).toEqual([
      '#10 deny 192.0.2.0/24',
      '#11 deny 203.0.113.1/32',
      '#12 allow 192.0.2.128/25',
      '#13 deny 203.0.113.2/32',
      '#100 allow 0.0.0.0/0',
    ]);
  });

  it('reports an allow entry numbered before its range: its denies cannot stop that traffic', async () => {
    const { network, deps } = world({ ruleRange: { first: 50, last: 60 } });
    network.addNacl('acl-a', 'vpc-1', ['subnet-a'], [{ ruleNumber: 5, action: 'allow', cidr: '0.0.0.0/0' }]);

    const reports = await ipBlocker(finding(), deps());

    expect(reports.filter((r) => r.action === 'ip-blocker:CheckRuleOrder')).toEqual([
      expect.objectContaining({ targets: [expect.objectContaining({ id: 'acl-a' })], outcome: 'alert', severity: 'warning', reason: expect.stringMatching(/^inbound allow rule\(s\) 5 \(allow 0.0.0.0\/0\) come before/) }),
    ]);
    expect(network.inbound('acl-a')).toContain('#50 deny 198.51.100.0/32');
  });

  it('at the quota, evicts its least severe block, oldest first, and reuses its number', async () => {
    // Quota 5: the allow at 100, the default deny (the quota counts it) and three blocks of Reflex fill it.
    const { network, state, deps, setNow } = world({ entryQuota: 5 });
    await ipBlocker(portProbe('203.0.113.1'), deps()); // severity 2, 10:00
    setNow(new Date(NOW.getTime() + 1000));
    await ipBlocker(portProbe('203.0.113.2'), deps()); // severity 2, 10:00:01
    await ipBlocker(request({ source: '203.0.113.3', target: { naclIds: ['acl-a'] }, severity: 8 }), deps());

    const reports = await ipBlocker(request({ source: '203.0.113.4', target: { naclIds: ['acl-a'] }, severity: 5 }, 'req-2'), deps());

    expect(network.inbound('acl-a')).toEqual(['#1 deny 203.0.113.4/32', '#2 deny 203.0.113.2/32', '#3 deny 203.0.113.3/32', '#100 allow 0.0.0.0/0']);
    expect(reports[0]).toMatchObject({ action: 'ec2:DeleteNetworkAclEntry', severity: 'warning', outcome: 'succeeded' });
    expect(reports[0]!.reason).toMatch(/^evicted the block of 203.0.113.1\/32 \(severity 2, since 2026-12-06T10:00:00.000Z\) from rule 1/);
    expect([...state.blocks.values()].filter((r) => r.naclId === 'acl-a').map((r) => r.cidr).sort()).toEqual(['203.0.113.2/32', '203.0.113.3/32', '203.0.113.4/32']);
  });

  it('at the quota, refuses a block less severe than every block it could evict', async () => {
    const { network, deps } = world({ entryQuota: 3 });
    await ipBlocker(request({ source: '203.0.113.3', target: { naclIds: ['acl-a'] }, severity: 8 }), deps());

    const reports = await ipBlocker(portProbe('203.0.113.1'), deps());

    expect(network.inbound('acl-a')).toEqual(['#1 deny 203.0.113.3/32', '#100 allow 0.0.0.0/0']);
    const refusal = reports.find((r) => r.targets[0]!.id === 'acl-a')!;
    expect(refusal).toMatchObject({ outcome: 'alert', severity: 'warning' });
    expect(refusal.reason).toMatch(/holds 3 inbound IPv4 entries, its quota of 3, and Reflex's least severe block there \(203.0.113.3\/32, severity 8\) outranks this one/);
  });

  it('counts the quota per address family: a full IPv4 side leaves room for IPv6', async () => {
    const { network, deps } = world({ entryQuota: 3 });
    network.addNacl('acl-a', 'vpc-1', ['subnet-a'], [{ ruleNumber: 101, action: 'allow', cidr: '::/0' }]);
    await ipBlocker(request({ source: '203.0.113.3', target: { naclIds: ['acl-a'] }, severity: 8 }), deps());

    await ipBlocker(portProbe('2001:db8::7'), deps());

    expect(network.inbound('acl-a')).toEqual(['#1 deny 203.0.113.3/32', '#2 deny 2001:db8::7/128', '#100 allow 0.0.0.0/0', '#101 allow ::/0']);
  });
});

describe('ipBlocker: repeats, redelivery and expiry', () => {
  it('a repeat finding for the same source extends the block instead of adding an entry', async () => {
    const { network, state, deps, setNow } = world();
    await ipBlocker(finding(), deps());
    const later = new Date(NOW.getTime() + 3600_000);
    setNow(later);

    await ipBlocker(finding((d) => (d.service.eventLastSeen = later.toISOString())), deps());

    expect(network.inbound('acl-a')).toEqual(['#1 deny 198.51.100.0/32', '#100 allow 0.0.0.0/0']);
    const record = [...state.blocks.values()].find((r) => r.naclId === 'acl-a')!;
    expect(record.expiresAt).toBe(new Date(later.getTime() + 12 * 3600_000).toISOString());
    expect(record.findingIds).toHaveLength(2);
  });

  it('the same finding delivered twice makes one entry, and an older one arriving late shortens nothing', async () => {
    const { network, state, deps } = world();
    const event = finding();
    await ipBlocker(event, deps());
    const expiry = [...state.blocks.values()][0]!.expiresAt;

    await ipBlocker(structuredClone(event), deps());
    await ipBlocker(finding((d) => (d.service.eventLastSeen = new Date(NOW.getTime() - 7200_000).toISOString())), deps());

    expect(network.writes).toEqual(['add acl-a #1 198.51.100.0/32', 'add acl-b #1 198.51.100.0/32']);
    expect([...state.blocks.values()].map((r) => r.expiresAt)).toEqual([expiry, expiry]);
    expect([...state.blocks.values()][0]!.findingIds).toHaveLength(2);
  });

  it('the sweep removes expired blocks and keeps the others', async () => {
    const { network, state, deps } = world();
    await ipBlocker(finding(), deps());
    await ipBlocker(request({ source: '203.0.113.3', target: { naclIds: ['acl-a'] }, ttlMinutes: 24 * 60 }), deps());

    const reports = await ipBlocker(sweepAt(new Date(NOW.getTime() + 13 * 3600_000)), deps());

    expect(network.inbound('acl-a')).toEqual(['#2 deny 203.0.113.3/32', '#100 allow 0.0.0.0/0']);
    expect(network.inbound('acl-b')).toEqual(['#100 allow 0.0.0.0/0']);
    expect([...state.blocks.values()].map((r) => r.cidr)).toEqual(['203.0.113.3/32']);
    expect(reports.map((r) => [r.action, r.targets[0]!.id])).toEqual([
      ['ec2:DeleteNetworkAclEntry', 'acl-a'],
      ['ec2:DeleteNetworkAclEntry', 'acl-b'],
    ]);
  });

  it('an unblock request removes the source from every NACL that has it', async () => {
    const { network, state, deps } = world();
    await ipBlocker(finding(), deps());

    await ipBlocker(request({ action: 'unblock', source: '198.51.100.0' }, 'req-9'), deps());

    expect(network.inbound('acl-a')).toEqual(['#100 allow 0.0.0.0/0']);
    expect(network.inbound('acl-b')).toEqual(['#100 allow 0.0.0.0/0']);
    expect(state.blocks.size).toBe(0);
    expect(state.outcomes.get('req-9')?.lines).toEqual([
      'removed the deny of 198.51.100.0/32 at rule 1 of acl-a: requested by alice: test',
      'removed the deny of 198.51.100.0/32 at rule 1 of acl-b: requested by alice: test',
    ]);
  });
});

describe('ipBlocker: drift between the state and the NACL', () => {
  it('adopts an unknown deny in its range, which then expires like a block', async () => {
    const { network, state, deps } = world();
    network.addNacl('acl-a', 'vpc-1', ['subnet-a'], [{ ruleNumber: 1, action: 'deny', cidr: '192.0.2.66/32' }]);

    await ipBlocker(finding(), deps());

    expect(network.inbound('acl-a')).toEqual(['#1 deny 192.0.2.66/32', '#2 deny 198.51.100.0/32', '#100 allow 0.0.0.0/0']);
    expect(state.blocks.get('acl-a 192.0.2.66/32')).toMatchObject({ origin: 'adopted', ruleNumber: 1, severity: 0 });
    await ipBlocker(sweepAt(new Date(NOW.getTime() + 13 * 3600_000)), deps());
    expect(network.inbound('acl-a')).toEqual(['#100 allow 0.0.0.0/0']);
  });

  it('writes again a block whose entry vanished (deleted by hand) before it expired', async () => {
    const { network, state, deps } = world();
    await ipBlocker(finding(), deps());
    await network.removeEntry('acl-a', 1);

    await ipBlocker(sweepAt(new Date(NOW.getTime() + 60_000)), deps());

    expect(network.inbound('acl-a')).toEqual(['#1 deny 198.51.100.0/32', '#100 allow 0.0.0.0/0']);
    expect(state.blocks.get('acl-a 198.51.100.0/32')).toMatchObject({ ruleNumber: 1, createdAt: NOW.toISOString() });
  });

  it('drops the record of a vanished entry that had expired, and never writes it again', async () => {
    const { network, state, deps, setNow } = world();
    await ipBlocker(finding(), deps());
    await network.removeEntry('acl-a', 1);
    setNow(new Date(NOW.getTime() + 13 * 3600_000));

    await ipBlocker(request({ source: '203.0.113.3', target: { naclIds: ['acl-a'] } }), deps());

    expect(network.inbound('acl-a')).toEqual(['#1 deny 203.0.113.3/32', '#100 allow 0.0.0.0/0']);
    expect(state.blocks.has('acl-a 198.51.100.0/32')).toBe(false);
  });

  it('treats a record whose number now holds another entry as vanished, and leaves that entry alone', async () => {
    const { network, state, deps } = world();
    await ipBlocker(finding(), deps());
    await network.removeEntry('acl-a', 1);
    network.nacls_.get('acl-a')!.entries.push({ ruleNumber: 1, egress: false, action: 'allow', protocol: '6', cidr: '192.0.2.0/24', family: 4 });

    await ipBlocker(sweepAt(new Date(NOW.getTime() + 60_000)), deps());

    expect(network.inbound('acl-a')).toEqual(['#1 allow 192.0.2.0/24', '#2 deny 198.51.100.0/32', '#100 allow 0.0.0.0/0']);
    expect(state.blocks.get('acl-a 198.51.100.0/32')?.ruleNumber).toBe(2);
  });
});

describe('ipBlocker: concurrency', () => {
  it('two concurrent findings for one NACL take different rule numbers (the lease serialises them)', async () => {
    const { network, state, deps } = world();
    const slowNetwork = Object.create(network) as MemoryNetwork;
    // Every read yields first, so that without the lease both writers would read the NACL before either writes.
    slowNetwork.nacls = async (ids) => {
      await new Promise((r) => setTimeout(r, 20));
      return network.nacls(ids);
    };

    await Promise.all([
      ipBlocker(portProbe('203.0.113.1'), deps({ network: slowNetwork, holder: 'writer-1' })),
      ipBlocker(portProbe('203.0.113.2'), deps({ network: slowNetwork, holder: 'writer-2' })),
    ]);

    expect(network.inbound('acl-a').slice(0, 2).map((e) => e.split(' ')[0])).toEqual(['#1', '#2']);
    expect(state.leases.size).toBe(0);
  });

  it('gives up waiting for a lease another writer keeps, so that the record is retried', async () => {
    const { state, deps } = world();
    await state.lease('acl-a', 'someone-else', new Date(NOW.getTime() + 30_000), NOW);

    await expect(ipBlocker(finding(), deps())).rejects.toThrow('acl-a: another writer holds its lease; retrying later');
  });

  it('takes over a lease whose holder died (it ran out)', async () => {
    const { network, state, deps } = world();
    await state.lease('acl-a', 'crashed', new Date(NOW.getTime() - 1), new Date(NOW.getTime() - 30_000));

    await ipBlocker(finding(), deps());

    expect(network.inbound('acl-a')[0]).toBe('#1 deny 198.51.100.0/32');
  });
});

describe('ipBlocker: block requests', () => {
  it('blocks a requested source in the NACLs of the target VPC, with its own expiry, and records the outcome', async () => {
    const { network, state, deps } = world();

    await ipBlocker(request({ source: '203.0.113.0/28', target: { vpcId: 'vpc-1' }, ttlMinutes: 30 }), deps());

    expect(['acl-a', 'acl-b', 'acl-c'].map((id) => network.inbound(id)[0])).toEqual(Array(3).fill('#1 deny 203.0.113.0/28'));
    expect(state.blocks.get('acl-a 203.0.113.0/28')).toMatchObject({ origin: 'request', requestedBy: 'alice', expiresAt: '2026-12-06T10:30:00.000Z' });
    expect(state.outcomes.get('req-1')).toMatchObject({ blocked: 3, refused: 0 });
  });

  it('refuses a source wider than /8', async () => {
    const { network, state, deps } = world({ allowPrivate: false });

    await ipBlocker(request({ source: '0.0.0.0/0', target: { vpcId: 'vpc-1' } }), deps());

    expect(network.writes).toEqual([]);
    expect(state.outcomes.get('req-1')?.lines[0]).toMatch(/0.0.0.0\/0 is wider than \/8/);
  });

  it('writes only to NACLs that carry the opt-in tag, when one is configured', async () => {
    const { network, deps } = world({ optInTag: { key: 'reflex:ip-blocker', value: 'managed' } });
    network.addNacl('acl-b', 'vpc-1', ['subnet-b'], [], { 'reflex:ip-blocker': 'managed' });

    await ipBlocker(finding(), deps());

    expect(network.writes).toEqual(['add acl-b #1 198.51.100.0/32']);
  });
});

import { describe, expect, it } from '@jest/globals';
import type { GuardDutyFinding } from '@reflex/events';
import { fixture } from '@reflex/events/fixtures';
import * as z from '@reflex/events/zod';
import { ipBlocker } from '../core';
import { BlockerConfigSchema } from '../manifest';
import type { Nacl, NaclRef } from '../ports';
import { MemoryNetwork, MemoryState } from './memory';
import { TopologyCache } from './topology-cache';

/** A memory network that counts what it is asked. */
class CountingNetwork extends MemoryNetwork {
  readonly asked: string[] = [];
  override async instanceSubnets(instanceId: string) {
    this.asked.push('instanceSubnets');
    return super.instanceSubnets(instanceId);
  }
  override async naclsOfSubnets(subnetIds: readonly string[]): Promise<NaclRef[]> {
    this.asked.push('naclsOfSubnets');
    return super.naclsOfSubnets(subnetIds);
  }
  override async naclsOfVpc(vpcId: string): Promise<NaclRef[]> {
    this.asked.push('naclsOfVpc');
    return super.naclsOfVpc(vpcId);
  }
  override async vpcCidrs(vpcId: string) {
    this.asked.push('vpcCidrs');
    return super.vpcCidrs(vpcId);
  }
  override async nacls(ids: readonly string[]): Promise<Nacl[]> {
    this.asked.push('nacls');
    return super.nacls(ids);
  }
}

function world() {
  const network = new CountingNetwork();
  network.instances.set('i-1', { vpcId: 'vpc-1', subnetIds: ['subnet-a'] });
  network.vpcs.set('vpc-1', ['172.31.0.0/16']);
  network.addNacl('acl-a', 'vpc-1', ['subnet-a']);
  let now = 0;
  const cache = new TopologyCache(network, 10_000, () => now);
  return { network, cache, advance: (ms: number) => (now += ms) };
}

const lookups = (cache: TopologyCache) =>
  Promise.all([cache.instanceSubnets('i-1'), cache.naclsOfSubnets(['subnet-a']), cache.naclsOfVpc('vpc-1'), cache.vpcCidrs('vpc-1')]);

describe('TopologyCache', () => {
  it('answers instance, subnet and VPC lookups from memory for its TTL, then asks again', async () => {
    const { network, cache, advance } = world();

    const first = await lookups(cache);
    advance(9_999);
    const second = await lookups(cache);
    const askedWithin = network.asked.length;
    advance(1);
    await lookups(cache);

    expect(second).toEqual(first);
    expect(first[1]).toEqual([{ id: 'acl-a', vpcId: 'vpc-1', tags: {} }]);
    expect(askedWithin).toBe(4);
    expect(network.asked).toEqual(['instanceSubnets', 'naclsOfSubnets', 'naclsOfVpc', 'vpcCidrs', 'instanceSubnets', 'naclsOfSubnets', 'naclsOfVpc', 'vpcCidrs']);
  });

  it("reads a NACL's entries live every time and writes straight through", async () => {
    const { network, cache } = world();
    await cache.nacls(['acl-a']);

    await cache.addDeny('acl-a', 1, '198.51.100.7/32');
    const [after] = await cache.nacls(['acl-a']);

    expect(after!.entries).toContainEqual(expect.objectContaining({ ruleNumber: 1, action: 'deny', cidr: '198.51.100.7/32' }));
    expect(network.asked).toEqual(['nacls', 'nacls']);
    expect(network.writes).toEqual(['add acl-a #1 198.51.100.7/32']);
  });

  it('does not remember an instance or VPC it did not find: one launched since is seen at once', async () => {
    const { network, cache } = world();
    expect(await cache.instanceSubnets('i-2')).toBeUndefined();
    expect(await cache.vpcCidrs('vpc-2')).toEqual([]);

    network.instances.set('i-2', { vpcId: 'vpc-2', subnetIds: ['subnet-x'] });
    network.vpcs.set('vpc-2', ['10.9.0.0/16']);

    expect(await cache.instanceSubnets('i-2')).toEqual({ vpcId: 'vpc-2', subnetIds: ['subnet-x'] });
    expect(await cache.vpcCidrs('vpc-2')).toEqual(['10.9.0.0/16']);
  });

  it('hands out copies: a caller changing an answer changes no later one', async () => {
    const { cache } = world();

    (await cache.instanceSubnets('i-1'))!.subnetIds.push('subnet-z');
    (await cache.vpcCidrs('vpc-1')).pop();

    expect(await cache.instanceSubnets('i-1')).toEqual({ vpcId: 'vpc-1', subnetIds: ['subnet-a'] });
    expect(await cache.vpcCidrs('vpc-1')).toEqual(['172.31.0.0/16']);
  });

  it('under the IP blocker, a finding within the TTL still picks its rule number from a live read of the NACL', async () => {
    const { network, cache } = world();
    const state = new MemoryState();
    const deps = {
      network: cache,
      state,
      config: z.parse(BlockerConfigSchema, {}),
      log: { info: () => {} },
      now: () => new Date(),
      holder: 'writer-1',
      naclArn: (id: string) => id,
    };
    const finding = (ip: string): GuardDutyFinding => {
      const event = fixture('guardduty/finding.json');
      event.detail.id = `finding-${ip}`;
      event.detail.resource.instanceDetails.instanceId = 'i-1';
      event.detail.service.eventLastSeen = new Date().toISOString();
      event.detail.service.action.networkConnectionAction.remoteIpDetails.ipAddressV4 = ip;
      return event;
    };
    await ipBlocker(finding('203.0.113.1'), deps);
    // Someone else takes rule 2 between the findings.
    network.nacls_.get('acl-a')!.entries.push({ ruleNumber: 2, egress: false, action: 'allow', protocol: '6', cidr: '192.0.2.0/24', family: 4 });

    await ipBlocker(finding('203.0.113.2'), deps);

    expect(network.inbound('acl-a')).toEqual(['#1 deny 203.0.113.1/32', '#2 allow 192.0.2.0/24', '#3 deny 203.0.113.2/32', '#100 allow 0.0.0.0/0']);
    expect(network.asked.filter((call) => call !== 'nacls')).toEqual(['instanceSubnets', 'naclsOfSubnets', 'vpcCidrs']);
    expect(network.asked.filter((call) => call === 'nacls')).toHaveLength(2);
  });
});

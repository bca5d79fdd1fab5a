import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { type Cidr, parseCidr } from '@reflex/ip';
import { type CidrCheckOptions, type CidrFinding, checkCidrs, type IpamLookup, plannedBlocks } from './cidrs';
import { toTerraformDocument } from './terraform-json';

type Json = Record<string, any>;

/** A fixture plan of fixtures/plans, as `terraform show -json` wrote it: the tests clone and change it. */
const plan = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/plans/${name}.json`, import.meta.url), 'utf8')) as Json;
const check = (json: Json, options: CidrCheckOptions = {}) => checkCidrs(toTerraformDocument(json), options);
const messages = (findings: readonly CidrFinding[]) => findings.map((f) => f.message);

/** A resource change of a plan, by address. */
const changeOf = (json: Json, address: string): Json => json.resource_changes.find((rc: Json) => rc.address === address);

/** Makes a cloned plan know `value` for an attribute before apply; returns the resource change. */
function know(json: Json, address: string, attribute: string, value: unknown) {
  const change = changeOf(json, address);
  change.change.after[attribute] = value;
  delete change.change.after_unknown[attribute];
  return change;
}

/** An in-memory IPAM of VPC blocks, answering as `vpcBlocksOverlapping` does. */
const ipamOf =
  (records: { vpcId: string; cidr: string; account: string; region: string }[]): IpamLookup =>
  async (cidrs) => {
    const overlap = (a: Cidr, b: Cidr) => a.version === b.version && ((a.network & b.mask) === b.network || (b.network & a.mask) === a.network);
    return cidrs.flatMap((cidr) => records.filter((r) => overlap(parseCidr(cidr)!, parseCidr(r.cidr)!)).map((block) => ({ cidr, block })));
  };

describe('checkCidrs on plans', () => {
  it('finds VPCs of one plan that overlap', async () => {
    const report = await check(plan('overlapping-vpcs'));

    expect(messages(report.findings)).toEqual(['aws_vpc.payments 10.0.128.0/17 overlaps aws_vpc.shared 10.0.0.0/16 (two VPCs)']);
    expect(report.findings[0]).toMatchObject({ kind: 'overlap', block: { address: 'aws_vpc.payments', kind: 'vpc' }, other: { address: 'aws_vpc.shared' } });
  });

  it('does not count a subnet as an overlap with its own VPC', async () => {
    const report = await check(plan('overlapping-vpcs'));

    expect(report.blocks).toContainEqual({ address: 'aws_subnet.payments_a', attribute: 'cidr_block', cidr: '10.0.128.0/24', kind: 'subnet', vpc: 'aws_vpc.payments' });
    expect(report.findings.some((f) => f.block.kind === 'subnet')).toBe(false);
  });

  it('checks secondary blocks: subnets in them are inside, a VPC over one overlaps', async () => {
    const report = await check(plan('secondary-cidrs'));

    expect(messages(report.findings)).toEqual([
      'aws_vpc.pods 100.64.128.0/17 overlaps aws_vpc_ipv4_cidr_block_association.extra 100.64.0.0/16 (two VPCs)',
    ]);
    expect(report.blocks.find((b) => b.address === 'aws_subnet.secondary')).toMatchObject({ vpc: 'aws_vpc.main' });
  });

  it('checks IPv6 blocks of VPCs and associations, and subnets against them', async () => {
    const report = await check(plan('ipv6'));

    expect(messages(report.findings)).toEqual([
      'aws_vpc.edge 2600:1f18:4e2:c180::/60 overlaps aws_vpc_ipv6_cidr_block_association.core 2600:1f18:4e2:c100::/56 (two VPCs)',
      'aws_subnet.core_stray 2600:1f18:4e2:d100::/64 is outside its VPC aws_vpc.core (2600:1f18:4e2:c100::/56)',
    ]);
    expect(report.unchecked).toEqual([]);
  });

  it('finds a subnet outside its VPC, and subnets of one VPC that overlap', async () => {
    const report = await check(plan('subnet-outside'));

    expect(messages(report.findings)).toEqual([
      'aws_subnet.inside 10.30.0.0/24 overlaps aws_subnet.overlapping 10.30.0.128/25 (subnets of aws_vpc.app)',
      'aws_subnet.outside 10.31.0.0/24 is outside its VPC aws_vpc.app (10.30.0.0/16)',
    ]);
    expect(report.findings[1]).toMatchObject({ kind: 'outside-vpc', vpc: 'aws_vpc.app', vpcCidrs: ['10.30.0.0/16'] });
  });

  it('follows module outputs and variables from a subnet to the VPC of another module instance', async () => {
    const report = await check(plan('module-count'));

    expect(report.blocks.filter((b) => b.address.startsWith('module.spoke')).map((b) => b.vpc)).toEqual(['module.network[0].aws_vpc.this', 'module.network[0].aws_vpc.this']);
    expect(messages(report.findings)).toEqual([
      'module.network[0].aws_vpc.this 10.40.0.0/16 overlaps module.network[1].aws_vpc.this 10.40.0.0/20 (two VPCs)',
      'module.network[0].aws_subnet.this[1] 10.40.16.0/20 overlaps module.spoke["a"].aws_subnet.this 10.40.16.0/24 (subnets of module.network[0].aws_vpc.this)',
      'module.network[0].aws_subnet.this[1] 10.40.16.0/20 overlaps module.spoke["b"].aws_subnet.this 10.40.17.0/24 (subnets of module.network[0].aws_vpc.this)',
    ]);
  });

  it('lists blocks known only after apply with the reason, and finds nothing in them', async () => {
    const report = await check(plan('computed'));

    expect(report.findings).toEqual([]);
    expect(report.blocks).toEqual([]);
    expect(report.unchecked).toEqual([
      { address: 'aws_default_subnet.default_a', attribute: 'cidr_block', reason: "the default subnet's block, read from AWS at apply" },
      { address: 'aws_default_vpc.default', attribute: 'cidr_block', reason: "the default VPC's block, read from AWS at apply" },
      { address: 'aws_subnet.pooled_a', attribute: 'cidr_block', reason: 'computed from aws_vpc.pooled.cidr_block: known after apply' },
      { address: 'aws_vpc.pooled', attribute: 'cidr_block', reason: 'allocated from IPAM pool ipam-pool-0fedcba9876543210 as a /20 at apply' },
      { address: 'aws_vpc.pooled', attribute: 'ipv6_cidr_block', reason: 'an Amazon-provided IPv6 block, assigned at apply' },
      { address: 'aws_vpc_ipv4_cidr_block_association.pooled_more', attribute: 'cidr_block', reason: 'allocated from IPAM pool ipam-pool-0fedcba9876543210 as a /24 at apply' },
    ]);
  });

  it('does not check a subnet against a VPC with a block of its family known only after apply', async () => {
    const json = structuredClone(plan('computed'));
    know(json, 'aws_subnet.pooled_a', 'cidr_block', '10.99.0.0/24');

    const report = await check(json);

    expect(report.findings).toEqual([]);
    expect(report.unchecked).toContainEqual({
      address: 'aws_subnet.pooled_a',
      attribute: 'cidr_block',
      reason: "10.99.0.0/24 not checked against its VPC's blocks: aws_vpc.pooled cidr_block, aws_vpc_ipv4_cidr_block_association.pooled_more cidr_block known only after apply",
    });
  });

  it('finds nothing in a clean plan', async () => {
    const report = await check(plan('clean'));

    expect(report).toMatchObject({ findings: [], unchecked: [] });
    expect(report.blocks).toHaveLength(8);
  });

  it('reports a block with host bits set, and checks it as its network', async () => {
    const json = structuredClone(plan('clean'));
    changeOf(json, 'aws_vpc.b').change.after.cidr_block = '10.60.0.1/16';

    const report = await check(json);

    expect(messages(report.findings)).toEqual([
      'aws_vpc.b cidr_block 10.60.0.1/16 has host bits set: the block is 10.60.0.0/16',
      'aws_vpc.a 10.60.0.0/16 overlaps aws_vpc.b 10.60.0.1/16 (two VPCs)',
      'aws_subnet.b_1 10.62.1.0/24 is outside its VPC aws_vpc.b (10.60.0.1/16)',
    ]);
  });

  it('reports a value that is no CIDR block', async () => {
    const json = structuredClone(plan('clean'));
    changeOf(json, 'aws_subnet.b_1').change.after.cidr_block = '10.62.1.0/33';

    const report = await check(json);

    expect(report.findings).toEqual([expect.objectContaining({ kind: 'invalid-cidr', message: 'aws_subnet.b_1 cidr_block "10.62.1.0/33" is no CIDR block' })]);
  });

  it('counts the block an existing VPC shows as its ipv6_cidr_block and its association once', async () => {
    const json = structuredClone(plan('clean'));
    know(json, 'aws_vpc.a', 'ipv6_cidr_block', '2600:1f18:4e2:d000::/56');

    expect((await check(json)).findings).toEqual([]);
  });
});

describe('checkCidrs with reserved ranges', () => {
  const reserved = [
    { cidr: '172.16.0.0/12', name: 'on-prem DC1' },
    { cidr: '192.168.10.0/24', name: 'Acme partner VPN' },
  ];

  it('finds VPC blocks that overlap a reserved range, whichever contains the other', async () => {
    const report = await check(plan('reserved'), { reserved });

    expect(messages(report.findings)).toEqual([
      'aws_vpc.branch 172.20.0.0/16 overlaps reserved 172.16.0.0/12 (on-prem DC1)',
      'aws_vpc.partner_link 192.168.0.0/16 overlaps reserved 192.168.10.0/24 (Acme partner VPN)',
    ]);
    expect(report.findings[0]).toMatchObject({ kind: 'reserved', reserved: reserved[0] });
  });

  it('checks a subnet on its own when its VPC is not in the plan', async () => {
    const json = structuredClone(plan('reserved'));
    know(json, 'aws_subnet.partner_link_a', 'vpc_id', 'vpc-0bbbbbbbbbbbbbbb2');
    json.configuration.root_module.resources.find((r: Json) => r.address === 'aws_subnet.partner_link_a').expressions.vpc_id = { constant_value: 'vpc-0bbbbbbbbbbbbbbb2' };

    const report = await check(json, { reserved });

    expect(messages(report.findings)).toContain('aws_subnet.partner_link_a 192.168.10.0/24 overlaps reserved 192.168.10.0/24 (Acme partner VPN)');
    expect(report.unchecked).toContainEqual({
      address: 'aws_subnet.partner_link_a',
      attribute: 'vpc_id',
      reason: "not checked against its VPC's blocks: vpc-0bbbbbbbbbbbbbbb2 is a VPC this plan does not manage",
    });
  });
});

describe('checkCidrs with the IPAM', () => {
  const records = [
    { vpcId: 'vpc-0aaaaaaaaaaaaaaa1', cidr: '10.60.0.0/16', account: '111111111111', region: 'eu-west-1' },
    { vpcId: 'vpc-0ccccccccccccccc3', cidr: '10.62.128.0/17', account: '222222222222', region: 'us-east-1' },
  ];

  it('names the VPC, account and Region a planned block collides with', async () => {
    const report = await check(plan('clean'), { ipam: ipamOf(records) });

    expect(messages(report.findings)).toEqual([
      'aws_vpc.a 10.60.0.0/16 overlaps vpc-0aaaaaaaaaaaaaaa1 10.60.0.0/16 in the IPAM (account 111111111111, eu-west-1)',
      'aws_vpc.b 10.62.0.0/16 overlaps vpc-0ccccccccccccccc3 10.62.128.0/17 in the IPAM (account 222222222222, us-east-1)',
    ]);
    expect(report.findings[1]).toMatchObject({ kind: 'ipam', ipam: records[1] });
  });

  it('skips the record of the very VPC the plan updates', async () => {
    const json = structuredClone(plan('clean'));
    know(json, 'aws_vpc.a', 'id', 'vpc-0aaaaaaaaaaaaaaa1').change.actions = ['update'];

    const report = await check(json, { ipam: ipamOf(records) });

    expect(report.findings.map((f) => f.block.address)).toEqual(['aws_vpc.b']);
  });

  it('asks the IPAM for canonical blocks only, once each', async () => {
    const asked: string[][] = [];
    const json = structuredClone(plan('clean'));
    changeOf(json, 'aws_vpc.b').change.after.cidr_block = '10.62.0.1/16';

    await check(json, { ipam: async (cidrs) => (asked.push(cidrs), []) });

    expect(asked).toEqual([['10.60.0.0/16', '10.62.0.0/16', '10.61.0.0/16', '2600:1f18:4e2:d000::/56']]);
  });
});

describe('checkCidrs on a configuration (cdk.tf.json)', () => {
  const stack = {
    '//': { metadata: { stackName: 'dev', backend: 's3' } },
    provider: { aws: [{ region: 'us-east-1' }] },
    resource: {
      aws_vpc: {
        core: { cidr_block: '10.70.0.0/16', '//': { metadata: { path: 'dev/core/Resource' } } },
        peer: { cidr_block: '10.70.64.0/18' },
        pooled: { ipv4_ipam_pool_id: '${aws_vpc_ipam_pool.main.id}', ipv4_netmask_length: 20 },
      },
      aws_subnet: {
        core_a: { vpc_id: '${aws_vpc.core.id}', cidr_block: '10.70.1.0/24' },
        core_b: { vpc_id: '${aws_vpc.core.id}', cidr_block: '10.71.1.0/24' },
        zones: { count: 2, vpc_id: '${aws_vpc.core.id}', cidr_block: '${cidrsubnet(aws_vpc.core.cidr_block, 8, count.index)}' },
        from_var: { vpc_id: '${var.vpc_id}', cidr_block: '10.72.0.0/24' },
        per_zone: { for_each: '${toset(var.zones)}', vpc_id: '${aws_vpc.core.id}', cidr_block: '10.70.9.0/24' },
      },
    },
    module: { legacy: { source: './legacy' } },
  };

  it('finds overlaps and subnets outside their VPC through ${…} references', async () => {
    const report = await check(stack);

    expect(messages(report.findings)).toEqual([
      'aws_vpc.core 10.70.0.0/16 overlaps aws_vpc.peer 10.70.64.0/18 (two VPCs)',
      'aws_subnet.core_b 10.71.1.0/24 is outside its VPC aws_vpc.core (10.70.0.0/16)',
    ]);
  });

  it('lists unresolved interpolations, unknown VPCs and module calls as not checked', async () => {
    const report = await check(stack);

    expect(report.unchecked).toEqual([
      { address: 'aws_vpc.pooled', attribute: 'cidr_block', reason: 'allocated from IPAM pool (known after apply) as a /20 at apply' },
      { address: 'aws_subnet.zones[0]', attribute: 'cidr_block', reason: 'an interpolation of aws_vpc.core.cidr_block, count.index: known once planned' },
      { address: 'aws_subnet.zones[1]', attribute: 'cidr_block', reason: 'an interpolation of aws_vpc.core.cidr_block, count.index: known once planned' },
      { address: 'aws_subnet.per_zone[*]', attribute: 'cidr_block', reason: 'its count or for_each is an expression: plan the configuration to check its instances' },
      { address: 'module.legacy', attribute: 'source', reason: 'a module call (./legacy): its resources are not in the configuration JSON; check a plan instead' },
      { address: 'aws_subnet.from_var', attribute: 'vpc_id', reason: "not checked against its VPC's blocks: it comes from var.vpc_id, a variable of the root module" },
    ]);
  });

  it('checks a subnet whose VPC it cannot tell against reserved ranges, not against the IPAM', async () => {
    const asked: string[][] = [];

    const report = await check(stack, { reserved: [{ cidr: '10.72.0.0/16', name: 'lab' }], ipam: async (cidrs) => (asked.push(cidrs), []) });

    expect(messages(report.findings)).toContain('aws_subnet.from_var 10.72.0.0/24 overlaps reserved 10.72.0.0/16 (lab)');
    expect(asked).toEqual([['10.70.0.0/16', '10.70.64.0/18']]);
  });

  it('plannedBlocks lists the blocks without checking them', () => {
    const { blocks } = plannedBlocks(toTerraformDocument(stack));

    expect(blocks.map((b) => `${b.address} ${b.cidr} ${b.vpc ?? '?'}`)).toEqual([
      'aws_vpc.core 10.70.0.0/16 aws_vpc.core',
      'aws_vpc.peer 10.70.64.0/18 aws_vpc.peer',
      'aws_subnet.core_a 10.70.1.0/24 aws_vpc.core',
      'aws_subnet.core_b 10.71.1.0/24 aws_vpc.core',
      'aws_subnet.from_var 10.72.0.0/24 ?',
    ]);
  });
});

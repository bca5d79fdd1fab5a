import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { addressSteps, interpolationReferences, readTerraformJson, TerraformJsonError, type TerraformPlan, toTerraformDocument } from './terraform-json';

const plan = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/plans/${name}.json`, import.meta.url), 'utf8')) as TerraformPlan;

describe('readTerraformJson on a plan', () => {
  it('reads each resource instance of resource_changes with its module, index and actions', () => {
    const doc = toTerraformDocument(plan('module-count'));

    expect(doc.format).toBe('plan');
    expect(doc.terraformVersion).toMatch(/^1\./);
    expect(doc.resources.map((r) => [r.address, r.module, r.index])).toContainEqual(['module.network[1].aws_subnet.this[0]', 'module.network[1]', 0]);
    expect(doc.resources.find((r) => r.address === 'module.spoke["a"].aws_subnet.this')).toMatchObject({ module: 'module.spoke["a"]', type: 'aws_subnet', name: 'this', actions: ['create'] });
  });

  it("takes each attribute's references from the configuration of its module", () => {
    const doc = toTerraformDocument(plan('module-count'));

    const spoke = doc.resources.find((r) => r.address === 'module.spoke["b"].aws_subnet.this')!;
    expect(spoke.references.vpc_id).toEqual(['var.vpc_id']);
    expect(doc.links.calls.spoke!.args.vpc_id).toEqual(['module.network[0].vpc_id', 'module.network[0]']);
    expect(doc.links.calls.network!.module.outputs.vpc_id).toEqual(['aws_vpc.this.id', 'aws_vpc.this']);
  });

  it('leaves values known only after apply out of values and lists them as unknown', () => {
    const doc = toTerraformDocument(plan('computed'));

    const vpc = doc.resources.find((r) => r.address === 'aws_vpc.pooled')!;
    expect(vpc.unknown.has('cidr_block')).toBe(true);
    expect(vpc.values).not.toHaveProperty('cidr_block');
    expect(vpc.values.ipv4_ipam_pool_id).toBe('ipam-pool-0fedcba9876543210');
    expect(vpc.configured.has('ipv4_netmask_length')).toBe(true);
  });

  it('leaves out what the plan only destroys, and deposed objects', () => {
    const json = structuredClone(plan('overlapping-vpcs')) as unknown as { resource_changes: { address: string; deposed?: string; change: { actions: string[] } }[] };
    json.resource_changes.find((rc) => rc.address === 'aws_vpc.shared')!.change.actions = ['delete'];
    json.resource_changes.find((rc) => rc.address === 'aws_vpc.analytics')!.deposed = '00000001';

    const doc = toTerraformDocument(json);

    expect(doc.resources.map((r) => r.address)).toEqual(['aws_subnet.payments_a', 'aws_vpc.payments']);
  });
});

describe('readTerraformJson on a configuration', () => {
  const config = {
    '//': { metadata: { backend: 'local' } },
    resource: {
      aws_vpc: { main: { cidr_block: '10.0.0.0/16', '//': { metadata: { path: 'stack/main' } } } },
      aws_subnet: {
        app: { count: 2, vpc_id: '${aws_vpc.main.id}', cidr_block: '${cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)}' },
        by_zone: { for_each: { a: '10.0.1.0/24', b: '10.0.2.0/24' }, vpc_id: '${aws_vpc.main.id}', cidr_block: '${each.value}' },
        dynamic: { for_each: '${toset(var.zones)}', vpc_id: '${aws_vpc.main.id}', cidr_block: '10.0.9.0/24' },
      },
    },
    module: { vpc: { source: 'terraform-aws-modules/vpc/aws', cidr: '10.9.0.0/16' } },
  };

  it('expands a literal count and for_each into instances, and stands one entry in for an expression', () => {
    const doc = toTerraformDocument(config);

    expect(doc.format).toBe('configuration');
    expect(doc.resources.map((r) => r.address)).toEqual([
      'aws_vpc.main',
      'aws_subnet.app[0]',
      'aws_subnet.app[1]',
      'aws_subnet.by_zone["a"]',
      'aws_subnet.by_zone["b"]',
      'aws_subnet.dynamic[*]',
    ]);
    expect(doc.resources.at(-1)).toMatchObject({ unknownInstances: true, values: {} });
  });

  it('reads literals as values, interpolations as unknown with their references', () => {
    const doc = toTerraformDocument(config);

    const [vpc, subnet] = doc.resources;
    expect(vpc!.values).toEqual({ cidr_block: '10.0.0.0/16' });
    expect(subnet!.unknown).toEqual(new Set(['vpc_id', 'cidr_block']));
    expect(subnet!.references).toEqual({ vpc_id: ['aws_vpc.main.id', 'aws_vpc.main'], cidr_block: ['aws_vpc.main.cidr_block', 'aws_vpc.main', 'count.index'] });
  });

  it('lists module calls, whose resources it does not contain', () => {
    expect(toTerraformDocument(config).unexpandedModules).toEqual([{ address: 'module.vpc', source: 'terraform-aws-modules/vpc/aws' }]);
  });
});

describe('errors', () => {
  it.each([
    ['{', /^not JSON: /],
    ['[]', /^not Terraform JSON: expected a JSON object/],
    ['{"name": "@reflex/guardrails", "version": "0.1.0"}', /^not Terraform JSON: expected a plan/],
    ['{"format_version": "1.0", "values": {"root_module": {}}}', /a Terraform state .* not a plan/],
  ])('rejects %s', (text, message) => {
    expect(() => readTerraformJson(text)).toThrow(TerraformJsonError);
    expect(() => readTerraformJson(text)).toThrow(message);
  });
});

describe('references', () => {
  it('splits an address into steps, keeping quoted keys with dots whole', () => {
    expect(addressSteps('module.a["x.y"].aws_vpc.main[0].id')).toEqual([
      { name: 'module' },
      { name: 'a', key: 'x.y' },
      { name: 'aws_vpc' },
      { name: 'main', key: 0 },
      { name: 'id' },
    ]);
    expect(addressSteps('aws_vpc.this[count.index]')).toEqual([{ name: 'aws_vpc' }, { name: 'this', dynamic: true }]);
  });

  it('finds the traversals of interpolations, not functions, strings or escaped ones', () => {
    expect(interpolationReferences('${cidrsubnet(module.net.cidr, 4, 1)}-"${data.aws_vpc.x.id}" $${aws_vpc.literal.id} ${"aws_vpc.quoted.id"}')).toEqual([
      'module.net.cidr',
      'module.net',
      'data.aws_vpc.x.id',
      'data.aws_vpc.x',
    ]);
  });
});

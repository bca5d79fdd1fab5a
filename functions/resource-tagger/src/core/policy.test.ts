import { describe, expect, it } from '@jest/globals';
import { describeIssues } from '@reflex/manifest';
import { TaggerConfigSchema } from '../manifest';
import { auditInventory, type NetworkResource, planTags, TagPolicySchema, writableKeys } from './policy';

const policy = TagPolicySchema.parse({ CostCenter: { inherit: true, default: 'Unassigned' }, Owner: { default: 'network-team' } });
const vpc = (tags: Record<string, string>) => ({ id: 'vpc-1', tags });

describe('planTags', () => {
  it('inherits from the parent when the rule says so and the parent carries the key', () => {
    const plan = planTags({}, vpc({ CostCenter: 'R&D' }), policy);
    expect(plan.write).toEqual({ CostCenter: 'R&D', Owner: 'network-team' });
    expect(plan.sources).toEqual({ CostCenter: { from: 'parent', parent: 'vpc-1' }, Owner: { from: 'default' } });
  });

  it("falls back to the rule's default when the parent lacks the key", () => {
    expect(planTags({}, vpc({ Name: 'core' }), policy).write).toEqual({ CostCenter: 'Unassigned', Owner: 'network-team' });
  });

  it('falls back to the default when there is no parent at all', () => {
    expect(planTags({}, undefined, policy).write.CostCenter).toBe('Unassigned');
  });

  it('never overwrites a value the resource carries, even an empty one', () => {
    const plan = planTags({ CostCenter: 'Finance', Owner: '' }, vpc({ CostCenter: 'R&D' }), policy);
    expect(plan.write).toEqual({});
    expect(plan.missing).toEqual([]);
  });

  it('does not inherit a key whose rule only has a default', () => {
    expect(planTags({}, vpc({ Owner: 'someone-else' }), policy).write.Owner).toBe('network-team');
  });

  it('leaves an inherit-only key unresolved when the parent has none', () => {
    const inheritOnly = TagPolicySchema.parse({ Project: { inherit: true } });
    const plan = planTags({}, vpc({}), inheritOnly);
    expect(plan).toMatchObject({ write: {}, missing: ['Project'], unresolved: ['Project'] });
  });
});

describe('TagPolicySchema', () => {
  const issues = (input: unknown) => {
    const result = TaggerConfigSchema.safeParse({ mandatoryTags: input });
    return result.success ? '' : describeIssues(result.error);
  };

  it('accepts defaults and inheritance', () => {
    expect(issues({ CostCenter: { inherit: true, default: 'Unassigned' }, Owner: { default: 'network-team' } })).toBe('');
  });

  it('rejects a rule with neither a default nor inheritance, naming the key', () => {
    expect(issues({ CostCenter: {} })).toContain('mandatoryTags.CostCenter: give a default, or inherit: true');
  });

  it('rejects an unknown field in a rule, naming the key', () => {
    expect(issues({ CostCenter: { default: 'x', inherits: true } })).toContain('mandatoryTags.CostCenter');
  });

  it('rejects keys reserved by AWS and the keys the tagger writes itself', () => {
    expect(issues({ 'aws:cloudformation:stack-name': { default: 'x' } })).toContain('reserved by AWS');
    expect(issues({ 'reflex:created-by': { default: 'x' } })).toContain('writes reflex:created-by and reflex:created-at itself');
  });

  it('rejects a default longer than EC2 allows', () => {
    expect(issues({ Owner: { default: 'x'.repeat(257) } })).toContain('mandatoryTags.Owner.default');
  });

  it('lists the writable keys: the policy keys and the two creator keys', () => {
    expect(writableKeys(policy)).toEqual(['CostCenter', 'Owner', 'reflex:created-by', 'reflex:created-at']);
  });
});

describe('auditInventory', () => {
  const inventory: NetworkResource[] = [
    { id: 'vpc-tagged', type: 'vpc', tags: { CostCenter: 'R&D', Owner: 'alice' } },
    { id: 'vpc-bare', type: 'vpc', tags: {} },
    { id: 'subnet-a', type: 'subnet', tags: {}, parent: 'vpc-tagged' },
    { id: 'subnet-b', type: 'subnet', tags: { Owner: 'bob' }, parent: 'vpc-bare' },
    { id: 'i-1', type: 'instance', tags: {}, parent: 'subnet-a' },
    { id: 'vol-1', type: 'volume', tags: { CostCenter: 'Ops', Owner: 'carol' }, parent: 'i-1' },
  ];

  it('lists only resources missing mandatory tags, in inventory order', () => {
    expect(auditInventory(inventory, policy).map((r) => r.id)).toEqual(['vpc-bare', 'subnet-a', 'subnet-b', 'i-1']);
  });

  it('passes inherited values down the chain: VPC → subnet → instance', () => {
    const rows = new Map(auditInventory(inventory, policy).map((r) => [r.id, r]));
    expect(rows.get('subnet-a')!.write).toEqual({ CostCenter: 'R&D', Owner: 'network-team' });
    expect(rows.get('i-1')!.write.CostCenter).toBe('R&D');
    expect(rows.get('i-1')!.sources.CostCenter).toEqual({ from: 'parent', parent: 'subnet-a' });
  });

  it("lets a child inherit the default its parent is about to get", () => {
    const row = auditInventory(inventory, policy).find((r) => r.id === 'subnet-b')!;
    expect(row.write).toEqual({ CostCenter: 'Unassigned' });
    expect(row.sources.CostCenter).toEqual({ from: 'parent', parent: 'vpc-bare' });
  });
});

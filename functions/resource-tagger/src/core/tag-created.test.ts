import { beforeEach, describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import { type AwsApiCall, AwsApiCallSchema } from '@reflex/events';
import { tagCreated } from './tag-created';
import { TaggerConfigSchema } from '../manifest';
import type { NetworkTagsPort, TagResult } from '../ports';
import type { Tags } from './resources';

// The CreateSubnet record (assumed role RoleToBeAssumed/MySessionName) creates subnet-0397b6c47c42e4dc0 in vpc-06b7830650EXAMPLE.
const SUBNET = 'subnet-0397b6c47c42e4dc0';
const VPC = 'vpc-06b7830650EXAMPLE';
const createSubnet = (): AwsApiCall => AwsApiCallSchema.parse(fixture('cloudtrail/create-subnet.json'));

/** In-memory EC2 tags: resources by id; `dryRun` writes nothing; ids in `gone` are NotFound. */
class MemoryNetwork implements NetworkTagsPort {
  readonly writes: { id: string; tags: Tags }[] = [];
  constructor(
    readonly tags: Map<string, Record<string, string>>,
    private readonly options: { dryRun?: boolean; volumes?: Map<string, string[]>; gone?: string[] } = {},
  ) {}
  async tagsOf(ids: readonly string[]) {
    return new Map(ids.map((id) => [id, { ...(this.tags.get(id) ?? {}) }]));
  }
  async volumesOf(instanceIds: readonly string[]) {
    return new Map(instanceIds.map((id) => [id, this.options.volumes?.get(id) ?? []]));
  }
  async tag(id: string, tags: Tags): Promise<TagResult> {
    if (this.options.gone?.includes(id)) return 'not-found';
    if (this.options.dryRun) return 'dry-run';
    this.writes.push({ id, tags });
    this.tags.set(id, { ...(this.tags.get(id) ?? {}), ...tags });
    return 'tagged';
  }
}

const config = TaggerConfigSchema.parse({
  mandatoryTags: { CostCenter: { inherit: true, default: 'Unassigned' }, Owner: { default: 'network-team' } },
});
const messages: string[] = [];
const log = { info: (message: string) => void messages.push(message) };

beforeEach(() => {
  messages.length = 0;
});

describe('tagCreated', () => {
  it('tags a new subnet with the CostCenter of its VPC, the default Owner, its creator and the creation time', async () => {
    const network = new MemoryNetwork(new Map([[VPC, { CostCenter: 'R&D' }]]));
    const reports = await tagCreated(createSubnet(), { network, config, log });
    expect(network.tags.get(SUBNET)).toEqual({
      CostCenter: 'R&D',
      Owner: 'network-team',
      'reflex:created-by': 'role/RoleToBeAssumed/MySessionName',
      'reflex:created-at': '2024-05-20T08:29:03.000Z',
    });
    expect(reports).toEqual([
      {
        action: 'ec2:CreateTags',
        targets: [{ id: SUBNET, arn: `arn:aws:ec2:us-east-2:123456789012:subnet/${SUBNET}` }],
        reason: expect.stringContaining(`CostCenter=R&D (from ${VPC}), Owner=network-team (default)`),
        outcome: 'succeeded',
        severity: 'info',
      },
    ]);
  });

  it('uses the default when the VPC has no CostCenter', async () => {
    const network = new MemoryNetwork(new Map([[VPC, { Name: 'core' }]]));
    await tagCreated(createSubnet(), { network, config, log });
    expect(network.tags.get(SUBNET)!.CostCenter).toBe('Unassigned');
  });

  it('never overwrites a value the creator set', async () => {
    const network = new MemoryNetwork(new Map([[VPC, { CostCenter: 'R&D' }], [SUBNET, { CostCenter: 'Finance' }]]));
    await tagCreated(createSubnet(), { network, config, log });
    expect(network.writes).toEqual([
      {
        id: SUBNET,
        tags: { Owner: 'network-team', 'reflex:created-by': 'role/RoleToBeAssumed/MySessionName', 'reflex:created-at': '2024-05-20T08:29:03.000Z' },
      },
    ]);
    expect(network.tags.get(SUBNET)!.CostCenter).toBe('Finance');
  });

  it('changes nothing when the same event is delivered again, and keeps the first created-at', async () => {
    const network = new MemoryNetwork(new Map([[VPC, { CostCenter: 'R&D' }]]));
    await tagCreated(createSubnet(), { network, config, log });
    const later = createSubnet();
    later.detail.eventTime = '2024-05-20T09:00:00Z';
    const second = await tagCreated(later, { network, config, log });
    expect(second).toEqual([]);
    expect(network.writes).toHaveLength(1);
    expect(network.tags.get(SUBNET)!['reflex:created-at']).toBe('2024-05-20T08:29:03.000Z');
    expect(messages.at(-1)).toBe(`${SUBNET} carries every tag already`);
  });

  it('gives a new resource the default TTL as reflex:expires-at, from its creation time, for the reaper', async () => {
    const network = new MemoryNetwork(new Map([[VPC, { CostCenter: 'R&D' }]]));
    const withTtl = TaggerConfigSchema.parse({ ...config, defaultTtl: { hours: 72 } });
    await tagCreated(createSubnet(), { network, config: withTtl, log });
    // CloudTrail's eventTime 2024-05-20T08:29:03Z + 72 h, in the form the reaper reads.
    expect(network.tags.get(SUBNET)!['reflex:expires-at']).toBe('2024-05-23T08:29:03Z');
  });

  it('keeps an expiry the creator set, leaves types out of the TTL, and never gives one to a CloudFormation stack', async () => {
    const withTtl = (types?: string[]) => TaggerConfigSchema.parse({ ...config, defaultTtl: { hours: 72, ...(types ? { types } : {}) } });
    const own = new MemoryNetwork(new Map([[SUBNET, { 'reflex:expires-at': '2024-06-01T00:00:00Z' }]]));
    await tagCreated(createSubnet(), { network: own, config: withTtl(), log });
    expect(own.tags.get(SUBNET)!['reflex:expires-at']).toBe('2024-06-01T00:00:00Z');

    const vpcsOnly = new MemoryNetwork(new Map());
    await tagCreated(createSubnet(), { network: vpcsOnly, config: withTtl(['vpc', 'instance']), log });
    expect(vpcsOnly.tags.get(SUBNET)).not.toHaveProperty('reflex:expires-at');

    const stack = new MemoryNetwork(new Map([[SUBNET, { 'aws:cloudformation:stack-name': 'network-core' }]]));
    await tagCreated(createSubnet(), { network: stack, config: withTtl(), log });
    expect(stack.tags.get(SUBNET)).not.toHaveProperty('reflex:expires-at');

    // The subnet of a stack's VPC: the parent says whose it is.
    const stackVpc = new MemoryNetwork(new Map([[VPC, { 'aws:cloudformation:stack-name': 'network-core' }]]));
    await tagCreated(createSubnet(), { network: stackVpc, config: withTtl(), log });
    expect(stackVpc.tags.get(SUBNET)).not.toHaveProperty('reflex:expires-at');
  });

  it('tags every resource of one RunInstances call: instances from their subnet, interfaces, and volumes from their instance', async () => {
    const event = createSubnet();
    event.detail.eventName = 'RunInstances';
    event.detail.responseElements = {
      instancesSet: {
        items: ['i-0aaa', 'i-0bbb'].map((instanceId, n) => ({
          instanceId,
          subnetId: SUBNET,
          networkInterfaceSet: { items: [{ networkInterfaceId: `eni-0${n}`, subnetId: SUBNET }] },
        })),
      },
    };
    const network = new MemoryNetwork(new Map([[SUBNET, { CostCenter: 'Ops' }], ['i-0bbb', { CostCenter: 'Batch' }]]), {
      volumes: new Map([['i-0aaa', ['vol-0a']], ['i-0bbb', ['vol-0b']]]),
    });
    const [report] = await tagCreated(event, { network, config, log });
    expect(report!.targets.map((t) => t.id).sort()).toEqual(['eni-00', 'eni-01', 'i-0aaa', 'i-0bbb', 'vol-0a', 'vol-0b']);
    expect(network.tags.get('i-0aaa')!.CostCenter).toBe('Ops');
    expect(network.tags.get('eni-01')!.CostCenter).toBe('Ops');
    // The volume inherits from its instance, which kept the value its creator set.
    expect(network.tags.get('vol-0b')!.CostCenter).toBe('Batch');
    expect(network.tags.get('vol-0a')!['reflex:created-by']).toBe('role/RoleToBeAssumed/MySessionName');
    expect(report!.targets.find((t) => t.id === 'vol-0a')!.arn).toBe('arn:aws:ec2:us-east-2:123456789012:volume/vol-0a');
  });

  it.each([
    ['iam-user', 'user/Alice'],
    ['identity-center-user', 'sso-user/alice@example.com'],
    ['aws-service-cloudformation', 'role/RoleToBeAssumed/MySessionName via cloudformation.amazonaws.com stack/network-core'],
    ['root', 'root'],
  ])('writes the creator of a %s call as "%s"', async (identity, createdBy) => {
    const event = createSubnet();
    const { userIdentity, ...context } = fixture(`cloudtrail/user-identity/${identity}.json`);
    Object.assign(event.detail, { userIdentity, ...context, requestParameters: { ...(event.detail.requestParameters as object), ...context.requestParameters } });
    const network = new MemoryNetwork(new Map());
    await tagCreated(AwsApiCallSchema.parse(event), { network, config, log });
    expect(network.tags.get(SUBNET)!['reflex:created-by']).toBe(createdBy);
  });

  it('in dry-run writes nothing and reports dry-run', async () => {
    const network = new MemoryNetwork(new Map([[VPC, { CostCenter: 'R&D' }]]), { dryRun: true });
    const reports = await tagCreated(createSubnet(), { network, config, log });
    expect(network.writes).toEqual([]);
    expect(reports.map((r) => r.outcome)).toEqual(['dry-run']);
    expect(messages).toContain(`would tag ${SUBNET}`);
  });

  it('skips a resource that no longer exists', async () => {
    const network = new MemoryNetwork(new Map(), { gone: [SUBNET] });
    expect(await tagCreated(createSubnet(), { network, config, log })).toEqual([]);
    expect(messages).toContain(`not tagging ${SUBNET}: it no longer exists`);
  });

  it('ignores a failed call and a tag-writing call, saying why', async () => {
    const network = new MemoryNetwork(new Map());
    const failed = createSubnet();
    failed.detail.errorCode = 'Client.UnauthorizedOperation';
    const createTags = createSubnet();
    createTags.detail.eventName = 'CreateTags';
    expect(await tagCreated(failed, { network, config, log })).toEqual([]);
    expect(await tagCreated(createTags, { network, config, log })).toEqual([]);
    expect(network.writes).toEqual([]);
    expect(messages).toEqual([
      'not tagging: the CreateSubnet call failed (Client.UnauthorizedOperation): it created nothing',
      'not tagging: CreateTags is not a create call the tagger handles',
    ]);
  });

  it('writes only the creator tags when the policy is empty', async () => {
    const network = new MemoryNetwork(new Map());
    await tagCreated(createSubnet(), { network, config: TaggerConfigSchema.parse({}), log });
    expect(Object.keys(network.tags.get(SUBNET)!)).toEqual(['reflex:created-by', 'reflex:created-at']);
  });
});

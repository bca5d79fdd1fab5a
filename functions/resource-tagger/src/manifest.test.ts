import { describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import { compilePattern } from '@reflex/event-patterns';
import * as z from '@reflex/events/zod';
import { describeIssues, eventPatterns, permissionsOf } from '@reflex/manifest';
import { CREATE_CALL_NAMES } from './core';
import { manifest, TaggerConfigSchema } from './manifest';

// Documented CloudTrail shapes (packages/events/fixtures/SOURCES.md), cloned and changed for near-misses.
const [pattern] = eventPatterns(manifest).map((p) => compilePattern(p));
const createSubnet = () => fixture('cloudtrail/create-subnet.json');
const withIdentity = (event: any, identityFixture: string) => {
  event.detail.userIdentity = fixture(`cloudtrail/user-identity/${identityFixture}`).userIdentity;
  return event;
};
/** The CreateSubnet sample as made by the assumed role `role`. */
const byRole = (role: string) => {
  const event = createSubnet();
  event.detail.userIdentity.arn = `arn:aws:sts::123456789012:assumed-role/${role}/session-1`;
  event.detail.userIdentity.sessionContext.sessionIssuer.arn = `arn:aws:iam::123456789012:role/${role}`;
  event.detail.userIdentity.sessionContext.sessionIssuer.userName = role;
  return event;
};

describe('resource tagger trigger', () => {
  it('matches the CreateSubnet call of an assumed role', () => {
    expect(pattern!.matches(createSubnet())).toBe(true);
  });

  it('matches the CreateVpc call of an IAM user, who has no session issuer', () => {
    expect(pattern!.matches(fixture('cloudtrail/create-vpc.json'))).toBe(true);
  });

  it.each(['iam-user.json', 'root.json', 'identity-center-user.json', 'aws-service.json', 'aws-service-cloudformation.json'])(
    'matches a create call whose userIdentity is %s',
    (identity) => {
      expect(pattern!.matches(withIdentity(createSubnet(), identity))).toBe(true);
    },
  );

  it('does not match a failed CreateSubnet call (errorCode), and says so', () => {
    const event = createSubnet();
    event.detail.errorCode = 'Client.UnauthorizedOperation';
    event.detail.errorMessage = 'You are not authorized to perform this operation.';
    delete event.detail.responseElements;
    expect(pattern!.matches(event)).toBe(false);
    expect(pattern!.explain(event).failures.map((f) => f.path)).toEqual(['detail.errorCode']);
  });

  it("does not match a CreateSubnet call made by Reflex's own role", () => {
    expect(pattern!.matches(byRole('reflex-local-resource-tagger'))).toBe(false);
    expect(pattern!.matches(byRole('reflex-prod-instance-guard'))).toBe(false);
  });

  it('matches a role whose name only contains "reflex-" further in', () => {
    expect(pattern!.matches(byRole('team-reflex-deployer'))).toBe(true);
  });

  it.each(['CreateTags', 'DeleteTags'])('does not match %s: writing tags never triggers the tagger', (eventName) => {
    const event = createSubnet();
    event.detail.eventName = eventName;
    event.detail.requestParameters = { resourcesSet: { items: [{ resourceId: 'subnet-0397b6c47c42e4dc0' }] } };
    event.detail.responseElements = { _return: true };
    expect(pattern!.matches(event)).toBe(false);
  });

  it('does not match the StopInstances call', () => {
    expect(pattern!.matches(fixture('cloudtrail/stop-instances.json'))).toBe(false);
  });

  it('lists every create call of the issue, and no tag-writing call', () => {
    expect([...CREATE_CALL_NAMES].sort()).toEqual(
      [
        'CreateVpc', 'CreateSubnet', 'CreateRouteTable', 'CreateSecurityGroup', 'CreateNetworkAcl', 'CreateInternetGateway',
        'CreateNatGateway', 'CreateVpcEndpoint', 'CreateTransitGateway', 'CreateTransitGatewayVpcAttachment',
        'CreateVpnConnection', 'CreateCustomerGateway', 'AllocateAddress', 'CreateNetworkInterface', 'RunInstances',
      ].sort(),
    );
  });
});

describe('resource tagger permissions', () => {
  const config = TaggerConfigSchema.parse({
    mandatoryTags: { CostCenter: { inherit: true, default: 'Unassigned' }, Owner: { default: 'network-team' } },
  });
  const statements = permissionsOf(manifest, config);

  it('reads with Describe actions only on "*"', () => {
    const star = statements.filter((s) => s.resources.includes('*'));
    expect(star.flatMap((s) => s.actions).every((a) => a.startsWith('ec2:Describe'))).toBe(true);
  });

  it('may write only the policy keys and its own two, and only on network resources of its account and region', () => {
    const write = statements.find((s) => s.actions.includes('ec2:CreateTags'))!;
    expect(write.conditions).toEqual([
      { test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: ['CostCenter', 'Owner', 'reflex:created-by', 'reflex:created-at'] },
    ]);
    expect(write.resources).toContain('arn:${partition}:ec2:${region}:${account}:subnet/*');
    expect(write.resources.every((r) => r.startsWith('arn:${partition}:ec2:${region}:${account}:'))).toBe(true);
  });

  it('may write only its own two keys when no tag is mandatory', () => {
    const write = permissionsOf(manifest, TaggerConfigSchema.parse({})).find((s) => s.actions.includes('ec2:CreateTags'))!;
    expect(write.conditions![0]!.values).toEqual(['reflex:created-by', 'reflex:created-at']);
  });

  it('may write reflex:expires-at too once a default TTL is configured', () => {
    const write = permissionsOf(manifest, TaggerConfigSchema.parse({ defaultTtl: { hours: 336 } })).find((s) => s.actions.includes('ec2:CreateTags'))!;
    expect(write.conditions![0]!.values).toEqual(['reflex:created-by', 'reflex:created-at', 'reflex:expires-at']);
  });
});

describe('resource tagger config', () => {
  const problem = (input: unknown) => {
    const parsed = z.safeParse(TaggerConfigSchema, input);
    return parsed.success ? 'valid' : describeIssues(parsed.error);
  };

  it('makes no tag mandatory by default', () => {
    expect(TaggerConfigSchema.parse({})).toEqual({ mandatoryTags: {} });
  });

  it('names the mandatory tag that has neither a default nor inherit', () => {
    expect(problem({ mandatoryTags: { CostCenter: {} } })).toBe('mandatoryTags.CostCenter: give a default, or inherit: true (with an optional default)');
  });

  it('refuses a TTL of no hours, an unknown resource type, and expiry tags as mandatory tags', () => {
    expect(problem({ defaultTtl: { hours: 0 } })).toMatch(/^defaultTtl\.hours: /);
    expect(problem({ defaultTtl: { hours: 24, types: ['bucket'] } })).toMatch(/^defaultTtl\.types\.0: /);
    expect(problem({ mandatoryTags: { 'reflex:expires-at': { default: '2030-01-01T00:00:00Z' } } })).toBe(
      'mandatoryTags.reflex:expires-at: expiry tags come from defaultTtl, people and `reflex ttl`, not from a mandatory default',
    );
  });

  it('names a key AWS reserves', () => {
    expect(problem({ mandatoryTags: { 'aws:owner': { default: 'x' } } })).toBe('mandatoryTags.aws:owner: keys starting with "aws:" are reserved by AWS');
  });
});

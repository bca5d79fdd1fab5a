import { describe, expect, it } from '@jest/globals';
import { compilePattern } from '@reflex/event-patterns';
import { fixture } from '@reflex/events/fixtures';
import * as z from '@reflex/events/zod';
import { describeIssues, eventPatterns, permissionsOf, triggersOf } from '@reflex/manifest';
import { BlockerConfigSchema, manifest } from './manifest';

// GuardDuty's samples (packages/events/fixtures/SOURCES.md): SSH brute force against an instance (severity 2),
// RDP brute force against one (severity 2), and an outbound finding of a type that is not documented.
const parse = (input: unknown) => z.parse(BlockerConfigSchema, input);
const patternsFor = (input: unknown) => eventPatterns({ triggers: triggersOf(manifest, parse(input)) }).map((p) => compilePattern(p));
const [findings, requests] = patternsFor({});

describe('ip-blocker triggers', () => {
  it.each(['guardduty/finding.json', 'guardduty/rdp-brute-force.json'])('match the GuardDuty sample %s (Low severity, against the instance)', (file) => {
    expect(findings!.matches(fixture(file))).toBe(true);
  });

  it('do not match a finding type the config does not name', () => {
    expect(findings!.explain(fixture('guardduty/outbound-actor.json')).failures.map((f) => f.path)).toEqual(['detail.type']);
  });

  it('follow the configured types and severity threshold', () => {
    const [strict] = patternsFor({ findingTypes: ['UnauthorizedAccess:EC2/RDPBruteForce'], minSeverity: 4 });
    expect(strict!.matches(fixture('guardduty/rdp-brute-force.json'))).toBe(false);
    const high = fixture('guardduty/rdp-brute-force.json');
    high.detail.severity = 5;
    expect(strict!.matches(high)).toBe(true);
    expect(strict!.matches(fixture('guardduty/finding.json'))).toBe(false);
  });

  it('match a Reflex Block Request and not a Reflex Action', () => {
    const request = { ...fixture('guardduty/finding.json'), source: 'reflex', 'detail-type': 'Reflex Block Request', detail: {} };
    expect(requests!.matches(request)).toBe(true);
    expect(requests!.matches({ ...request, 'detail-type': 'Reflex Action' })).toBe(false);
  });

  it('sweep on a rate schedule', () => {
    expect(manifest.triggers.filter((t) => t.kind === 'schedule')).toEqual([expect.objectContaining({ expression: 'rate(5 minutes)' })]);
  });

  it('declare the state table the stacks build: pk, sk and a TTL attribute', () => {
    expect(manifest.state).toEqual({ partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl' });
  });
});

describe('ip-blocker permissions', () => {
  const statements = permissionsOf(manifest, parse({}));

  it('reads on "*" only Describe calls, which have no resource-level permissions', () => {
    expect(statements.filter((s) => s.resources.includes('*')).flatMap((s) => s.actions)).toEqual([
      'ec2:DescribeInstances',
      'ec2:DescribeNetworkAcls',
      'ec2:DescribeVpcs',
    ]);
  });

  it('writes entries only of network ACLs of its own account and Region', () => {
    const write = statements.filter((s) => s.actions.some((a) => !a.startsWith('ec2:Describe')));
    expect(write).toEqual([
      {
        sid: 'WriteNetworkAclEntries',
        actions: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAclEntry'],
        resources: ['arn:${partition}:ec2:${region}:${account}:network-acl/*'],
      },
    ]);
  });

  it('with an opt-in tag, writes only to NACLs that carry it', () => {
    const write = permissionsOf(manifest, parse({ optInTag: { key: 'reflex:ip-blocker', value: 'managed' } })).find((s) => s.sid === 'WriteNetworkAclEntries');
    expect(write?.conditions).toEqual([{ test: 'StringEquals', variable: 'aws:ResourceTag/reflex:ip-blocker', values: ['managed'] }]);
  });
});

describe('ip-blocker config', () => {
  const problem = (input: unknown) => {
    const parsed = z.safeParse(BlockerConfigSchema, input);
    return parsed.success ? 'valid' : describeIssues(parsed.error);
  };

  it('defaults: the four brute-force and port-probe types, every severity, /32 and /128, 1–99, 12 hours', () => {
    expect(parse({})).toMatchObject({
      findingTypes: ['UnauthorizedAccess:EC2/SSHBruteForce', 'UnauthorizedAccess:EC2/RDPBruteForce', 'Recon:EC2/PortProbeUnprotectedPort', 'Recon:EC2/PortProbeEMRUnprotectedPort'],
      minSeverity: 1,
      prefixLength: { ipv4: 32, ipv6: 128 },
      ruleRange: { first: 1, last: 99 },
      entryQuota: 20,
      ttlMinutes: 720,
      allowPrivate: true,
    });
  });

  it.each([
    [{ ruleRange: { first: 50, last: 10 } }, 'ruleRange.last: first must not be greater than last'],
    [{ allowList: ['203.0.113.0/24', 'office'] }, 'allowList.1'],
    [{ prefixLength: { ipv4: 4 } }, 'prefixLength.ipv4'],
    [{ entryQuota: 41 }, 'entryQuota'],
  ])('names the field of a bad config %j', (input, field) => {
    expect(problem(input)).toMatch(new RegExp(`^${field.replace(/[.]/g, '\\.')}`));
  });
});

import { describe, expect, it } from '@jest/globals';
import * as z from '@reflex/events/zod';
import {
  defineReflex,
  eventPatterns,
  httpRouteKey,
  InvalidManifestError,
  type Permission,
  permissionsOf,
  type ReflexManifestInput,
  servesHttp,
  type Trigger,
  triggersOf,
} from './manifest';

const ConfigSchema = z.object({ tagKey: z._default(z.string(), 'reflex:protect') });

const input = (overrides: Partial<ReflexManifestInput<typeof ConfigSchema>> = {}): ReflexManifestInput<typeof ConfigSchema> => ({
  name: 'instance-guard',
  description: 'Starts protected instances again.',
  triggers: [{ kind: 'event', pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] } }],
  permissions: () => [{ sid: 'ReadInstances', actions: ['ec2:DescribeInstances'], resources: ['*'] }],
  config: ConfigSchema,
  ...overrides,
});

/** The message of the error `fn` throws (it must throw an InvalidManifestError). */
const invalidManifestMessage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidManifestError);
    return (error as Error).message;
  }
  throw new Error('expected an InvalidManifestError, but nothing was thrown');
};

describe('defineReflex', () => {
  it("keeps the kit's loop guard on by default, and takes cuts its code makes with their reasons", () => {
    expect(defineReflex(input()).loopGuard).toEqual({ skipOwnCalls: true, ignores: [] });
    const cut = { reflex: 'instance-scheduler', actions: ['ec2:StopInstances'], reason: 'a stop with reflex:stop-intent is intended' };
    expect(defineReflex(input({ loopGuard: { skipOwnCalls: true, ignores: [cut] } })).loopGuard.ignores).toEqual([cut]);
  });

  it('wants a reason to turn the loop guard off, and a reason for every cut', () => {
    expect(invalidManifestMessage(() => defineReflex(input({ loopGuard: { skipOwnCalls: false, ignores: [] } })))).toBe(
      'reflex "instance-guard": loopGuard.reason: say why the loop guard is off',
    );
    const noReason = { skipOwnCalls: true, ignores: [{ reflex: 'instance-scheduler', reason: '' }] };
    expect(invalidManifestMessage(() => defineReflex(input({ loopGuard: noReason })))).toMatch(/^reflex "instance-guard": loopGuard\.ignores\.0\.reason: /);
  });

  it('takes a queue trigger for messages producers send straight to the queue', () => {
    const manifest = defineReflex(input({ triggers: [{ kind: 'queue', description: 'IPAM messages' }], retentionSeconds: 86400 }));

    expect(manifest.triggers).toEqual([{ kind: 'queue', description: 'IPAM messages' }]);
    expect(manifest.retentionSeconds).toBe(86400);
    expect(eventPatterns(manifest)).toEqual([]);
  });

  it('rejects a queue trigger next to other triggers, naming the field', () => {
    const triggers = [...input().triggers, { kind: 'queue' as const }];

    const message = invalidManifestMessage(() => defineReflex(input({ triggers })));

    expect(message).toContain('triggers: a queue trigger is the only trigger');
  });

  it('takes http triggers with {parameter} segments, keyed as API Gateway keys routes', () => {
    const triggers = [
      { kind: 'http' as const, method: 'GET' as const, path: '/route-tables/{id}/routes' },
      { kind: 'http' as const, method: 'PUT' as const, path: '/route-tables/{id}/routes/{cidr}' },
    ];

    const manifest = defineReflex(input({ triggers }));

    expect(manifest.triggers.map((t) => (t.kind === 'http' ? httpRouteKey(t) : t.kind))).toEqual([
      'GET /route-tables/{id}/routes',
      'PUT /route-tables/{id}/routes/{cidr}',
    ]);
    expect(servesHttp(manifest)).toBe(true);
    expect(servesHttp(defineReflex(input()))).toBe(false);
  });

  it('rejects http triggers next to other triggers, naming the field', () => {
    const triggers = [...input().triggers, { kind: 'http' as const, method: 'GET' as const, path: '/routes' }];

    expect(invalidManifestMessage(() => defineReflex(input({ triggers })))).toContain('triggers: http triggers are the only triggers');
  });

  it('rejects two http triggers of one route and a path API Gateway cannot route', () => {
    const twice = [
      { kind: 'http' as const, method: 'GET' as const, path: '/routes' },
      { kind: 'http' as const, method: 'GET' as const, path: '/routes' },
    ];
    const badPath = [{ kind: 'http' as const, method: 'GET' as const, path: '/routes/{cidr+}' }];

    expect(invalidManifestMessage(() => defineReflex(input({ triggers: twice })))).toContain('triggers.1.path: another http trigger is GET /routes already');
    expect(invalidManifestMessage(() => defineReflex(input({ triggers: badPath })))).toContain('triggers.0.path: a path is /-separated segments');
  });

  it('defaults to 4 days of retention and no queues to send to', () => {
    expect(defineReflex(input())).toMatchObject({ retentionSeconds: 345600, sendsTo: [] });
  });

  it('rejects a retention SQS cannot keep and a send target that is no reflex name', () => {
    expect(invalidManifestMessage(() => defineReflex(input({ retentionSeconds: 15 * 24 * 3600 })))).toContain('retentionSeconds');
    expect(invalidManifestMessage(() => defineReflex(input({ sendsTo: ['Not A Name'] })))).toContain('sendsTo.0: a reflex name');
  });

  it('rejects a description longer than Lambda takes, naming the reflex and the field', () => {
    const message = invalidManifestMessage(() => defineReflex(input({ description: 'x'.repeat(257) })));

    expect(message).toContain('reflex "instance-guard"');
    expect(message).toContain('description');
  });

  it('fills in memory, timeout, batch size, concurrency and receive count defaults', () => {
    const manifest = defineReflex(input());

    expect(manifest).toMatchObject({ memoryMb: 256, timeoutSeconds: 30, batchSize: 10, maxConcurrency: 5, maxReceiveCount: 3 });
  });

  it('keeps the values a manifest sets instead of the defaults', () => {
    const manifest = defineReflex(input({ memoryMb: 512, timeoutSeconds: 60, batchSize: 5, maxConcurrency: 2, maxReceiveCount: 5 }));

    expect(manifest).toMatchObject({ memoryMb: 512, timeoutSeconds: 60, batchSize: 5, maxConcurrency: 2, maxReceiveCount: 5 });
  });

  it('keeps the config schema and the permissions function as given', () => {
    const permissions = () => [];

    const manifest = defineReflex(input({ permissions }));

    expect(manifest.config).toBe(ConfigSchema);
    expect(manifest.permissions).toBe(permissions);
  });

  it('rejects a name with upper-case letters, naming the reflex and the field', () => {
    const message = invalidManifestMessage(() => defineReflex(input({ name: 'Instance-Guard' })));

    expect(message).toContain('reflex "Instance-Guard"');
    expect(message).toContain('name: lower-case letters, digits and dashes');
  });

  it('rejects a name longer than 40 characters', () => {
    const message = invalidManifestMessage(() => defineReflex(input({ name: 'a'.repeat(41) })));

    expect(message).toContain('name: at most 40 characters');
  });

  it('rejects a manifest without triggers, naming the reflex and the field', () => {
    const message = invalidManifestMessage(() => defineReflex(input({ triggers: [] })));

    expect(message).toMatch(/^reflex "instance-guard": triggers: /);
  });

  it('rejects a schedule expression that is neither rate() nor cron(), naming the trigger', () => {
    const message = invalidManifestMessage(() =>
      defineReflex(input({ triggers: [{ kind: 'schedule', expression: 'every 5 minutes' }] })),
    );

    expect(message).toBe('reflex "instance-guard": triggers.0.expression: a schedule is rate(…) or cron(…)');
  });

  it('accepts rate() and cron() schedule expressions', () => {
    const manifest = defineReflex(
      input({
        triggers: [
          { kind: 'schedule', expression: 'rate(5 minutes)' },
          { kind: 'schedule', expression: 'cron(0 12 * * ? *)' },
        ],
      }),
    );

    expect(manifest.triggers).toHaveLength(2);
  });

  it('rejects an empty event pattern', () => {
    const message = invalidManifestMessage(() => defineReflex(input({ triggers: [{ kind: 'event', pattern: {} }] })));

    expect(message).toContain('triggers.0.pattern: an event pattern may not be empty');
  });

  it('rejects a maximum concurrency below 2', () => {
    const message = invalidManifestMessage(() => defineReflex(input({ maxConcurrency: 1 })));

    expect(message).toMatch(/^reflex "instance-guard": maxConcurrency: /);
  });

  it('rejects an http route whose path does not start with a slash', () => {
    const message = invalidManifestMessage(() => defineReflex(input({ triggers: [{ kind: 'http', method: 'GET', path: 'status' }] })));

    expect(message).toContain('triggers.0.path');
  });
});

describe('permissionsOf', () => {
  const withPermissions = (permissions: Permission[]) => defineReflex(input({ permissions: () => permissions }));

  it('returns the statements for the config it is given', () => {
    const manifest = defineReflex(
      input({
        permissions: (config) => [
          {
            sid: 'StartTagged',
            actions: ['ec2:StartInstances'],
            resources: ['arn:${partition}:ec2:${region}:${account}:instance/*'],
            conditions: [{ test: 'StringEquals', variable: `aws:ResourceTag/${config.tagKey}`, values: ['true'] }],
          },
        ],
      }),
    );

    const permissions = permissionsOf(manifest, { tagKey: 'team:protect' });

    expect(permissions[0]?.conditions?.[0]?.variable).toBe('aws:ResourceTag/team:protect');
  });

  it('accepts a wildcard within an action name, such as ec2:Describe*', () => {
    const manifest = withPermissions([{ sid: 'Read', actions: ['ec2:Describe*'], resources: ['*'] }]);

    expect(permissionsOf(manifest, { tagKey: 'x' })).toHaveLength(1);
  });

  it('rejects ec2:*, naming the reflex and the statement', () => {
    const manifest = withPermissions([{ sid: 'All', actions: ['ec2:*'], resources: ['*'] }]);

    const message = invalidManifestMessage(() => permissionsOf(manifest, { tagKey: 'x' }));

    expect(message).toBe('reflex "instance-guard" permissions: 0.actions.0: wildcard actions ("<service>:*") are not allowed');
  });

  it('rejects the action *, naming the reflex and the statement', () => {
    const manifest = withPermissions([
      { sid: 'Read', actions: ['ec2:DescribeInstances'], resources: ['*'] },
      { sid: 'Everything', actions: ['*'], resources: ['*'] },
    ]);

    const message = invalidManifestMessage(() => permissionsOf(manifest, { tagKey: 'x' }));

    expect(message).toBe('reflex "instance-guard" permissions: 1.actions.0: an action is "<service>:<Action>"');
  });

  it('rejects a statement id that is not alphanumeric', () => {
    const manifest = withPermissions([{ sid: 'read-instances', actions: ['ec2:DescribeInstances'], resources: ['*'] }]);

    const message = invalidManifestMessage(() => permissionsOf(manifest, { tagKey: 'x' }));

    expect(message).toContain('0.sid: IAM statement ids are alphanumeric');
  });

  it('rejects a statement without resources', () => {
    const manifest = withPermissions([{ sid: 'Read', actions: ['ec2:DescribeInstances'], resources: [] }]);

    const message = invalidManifestMessage(() => permissionsOf(manifest, { tagKey: 'x' }));

    expect(message).toMatch(/^reflex "instance-guard" permissions: 0\.resources: /);
  });
});

describe('eventPatterns', () => {
  it('returns the patterns of event triggers only', () => {
    const pattern = { source: ['aws.ec2'] };
    const manifest = defineReflex(
      input({ triggers: [{ kind: 'schedule', expression: 'rate(1 hour)' }, { kind: 'event', pattern }] }),
    );

    expect(eventPatterns(manifest)).toEqual([pattern]);
  });
});

describe('defineReflex event patterns', () => {
  it('rejects an invalid pattern, naming the reflex, the trigger and the pattern path', () => {
    const message = invalidManifestMessage(() =>
      defineReflex(input({ triggers: [{ kind: 'event', pattern: { source: ['aws.ec2'], detail: { state: 'stopped' } } }] })),
    );

    expect(message).toContain('reflex "instance-guard"');
    expect(message).toContain('triggers.0.pattern.detail.state');
  });

  it('rejects an unknown operator in a pattern', () => {
    const message = invalidManifestMessage(() =>
      defineReflex(input({ triggers: [{ kind: 'event', pattern: { source: [{ prefixx: 'aws.' }] } }] })),
    );

    expect(message).toContain('prefixx');
  });
});

describe('defineReflex state', () => {
  it('keeps a state declaration with its keys and TTL attribute', () => {
    const state = { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt' };

    expect(defineReflex(input({ state })).state).toEqual(state);
  });

  it('declares no state by default', () => {
    expect(defineReflex(input()).state).toBeUndefined();
  });

  it('takes a partition key alone', () => {
    expect(defineReflex(input({ state: { partitionKey: 'cidr' } })).state).toEqual({ partitionKey: 'cidr' });
  });

  it('accepts attribute names of letters, digits, "_", "-" and "." up to 255 characters', () => {
    const state = { partitionKey: 'a'.repeat(255), sortKey: 'rule_no.v-2', ttlAttribute: 'TTL' };

    expect(defineReflex(input({ state })).state).toEqual(state);
  });

  it.each([
    ['an empty partition key', { partitionKey: '' }, 'state.partitionKey: '],
    ['a partition key of 256 characters', { partitionKey: 'a'.repeat(256) }, 'state.partitionKey: '],
    ['a sort key with a space', { partitionKey: 'pk', sortKey: 'sort key' }, 'state.sortKey: an attribute name is letters'],
    ['a TTL attribute with a "#"', { partitionKey: 'pk', ttlAttribute: '#ttl' }, 'state.ttlAttribute: an attribute name is letters'],
    ['a sort key equal to the partition key', { partitionKey: 'pk', sortKey: 'pk' }, 'state.sortKey: the sort key must differ'],
    ['a TTL attribute equal to the partition key', { partitionKey: 'pk', ttlAttribute: 'pk' }, 'state.ttlAttribute: the TTL attribute must differ'],
    ['a TTL attribute equal to the sort key', { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'sk' }, 'state.ttlAttribute: the TTL attribute must differ'],
  ])('rejects %s, naming the reflex and the field', (_case, state, field) => {
    const message = invalidManifestMessage(() => defineReflex(input({ state })));

    expect(message).toMatch(/^reflex "instance-guard": /);
    expect(message).toContain(field);
  });

  it('rejects a state without a partition key', () => {
    const message = invalidManifestMessage(() => defineReflex(input({ state: {} as never })));

    expect(message).toContain('state.partitionKey: required');
  });
});

describe('triggersOf', () => {
  const FindingSchema = z.object({ minSeverity: z._default(z.number(), 7), alarmNames: z._default(z.array(z.string()), []) });
  const finding = (minSeverity: number): Trigger => ({
    kind: 'event',
    pattern: { source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'], detail: { severity: [{ numeric: ['>=', minSeverity] }] } },
  });
  const blocker = (triggersFor: (config: z.output<typeof FindingSchema>) => readonly Trigger[]) =>
    defineReflex({
      name: 'ip-blocker',
      description: 'Blocks addresses.',
      triggers: [finding(7)],
      triggersFor,
      permissions: () => [],
      config: FindingSchema,
    });
  const alarm = (names: string[]): Trigger => ({
    kind: 'event',
    pattern: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { alarmName: names } },
  });

  it('returns the triggers triggersFor gives for the config', () => {
    const manifest = blocker((c) => [finding(c.minSeverity), ...(c.alarmNames.length ? [alarm(c.alarmNames)] : [])]);

    const triggers = triggersOf(manifest, { minSeverity: 4, alarmNames: ['ssh-brute-force'] });

    expect(triggers).toEqual([finding(4), alarm(['ssh-brute-force'])]);
  });

  it('returns the static triggers of a manifest without triggersFor', () => {
    const manifest = defineReflex(input());

    expect(triggersOf(manifest, { tagKey: 'x' })).toEqual(manifest.triggers);
  });

  it('keeps triggersFor on the manifest, next to the static triggers', () => {
    const triggersFor = () => [finding(7)];

    const manifest = blocker(triggersFor);

    expect(manifest.triggersFor).toBe(triggersFor);
    expect(manifest.triggers).toEqual([finding(7)]);
  });

  it('rejects an invalid pattern triggersFor gives, naming the reflex, the trigger and the pattern path', () => {
    const manifest = blocker((c) => [finding(7), ...(c.alarmNames.length ? [{ kind: 'event' as const, pattern: { source: ['aws.cloudwatch'], detail: { alarmName: c.alarmNames[0] } } }] : [])]);

    const message = invalidManifestMessage(() => triggersOf(manifest, { minSeverity: 7, alarmNames: ['x'] }));

    expect(message).toMatch(/^reflex "ip-blocker": triggers\.1\.pattern\.detail\.alarmName: /);
  });

  it('rejects a trigger shape triggersFor gives, naming the trigger and the field', () => {
    const manifest = blocker((c) => (c.minSeverity < 5 ? [{ kind: 'schedule', expression: 'hourly' }] : [finding(c.minSeverity)]));

    const message = invalidManifestMessage(() => triggersOf(manifest, { minSeverity: 1, alarmNames: [] }));

    expect(message).toBe('reflex "ip-blocker": triggers.0.expression: a schedule is rate(…) or cron(…)');
  });

  it('rejects no triggers at all, and a queue trigger next to others', () => {
    const none = blocker((c) => (c.minSeverity < 5 ? [] : [finding(7)]));
    const mixed = blocker((c) => (c.minSeverity < 5 ? [finding(1), { kind: 'queue' }] : [finding(7)]));

    expect(invalidManifestMessage(() => triggersOf(none, { minSeverity: 1, alarmNames: [] }))).toMatch(/^reflex "ip-blocker": triggers: /);
    expect(invalidManifestMessage(() => triggersOf(mixed, { minSeverity: 1, alarmNames: [] }))).toContain('triggers: a queue trigger is the only trigger');
  });

  it("fails defineReflex when triggersFor's triggers for the default config are invalid", () => {
    const message = invalidManifestMessage(() => blocker(() => [{ kind: 'event', pattern: { source: 'aws.guardduty' } }]));

    expect(message).toContain('reflex "ip-blocker": triggers.0.pattern.source');
  });

  it('leaves triggersFor alone at definition when the config has no defaults for every field', () => {
    let calls = 0;
    const manifest = defineReflex({
      ...input(),
      config: z.object({ alarmName: z.string() }),
      triggersFor: (c) => (calls++, [alarm([c.alarmName])]),
      permissions: () => [],
    });

    expect(calls).toBe(0);
    expect(triggersOf(manifest, { alarmName: 'a' })).toEqual([alarm(['a'])]);
  });
});

describe('eventPatterns of resolved triggers', () => {
  it('reads the patterns of any list of triggers, such as triggersOf gives', () => {
    const pattern = { source: ['aws.guardduty'] };

    expect(eventPatterns({ triggers: [{ kind: 'schedule', expression: 'rate(1 hour)' }, { kind: 'event', pattern }] })).toEqual([pattern]);
  });
});

// The loop analysis at synth: today's reflexes pass with every candidate edge named and its guard; a planted
// loop fails synth naming the chain.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { defineReflex, describeEdge, loadManifests, type ReflexManifest } from '@reflex/manifest';
import * as z from '@reflex/events/zod';
import { ENVIRONMENTS, type EnvConfigInput, environmentLoops, InvalidEnvConfigError, resolveEnvironment } from '../src';
import { root } from './support';

let manifests: ReflexManifest[];

beforeAll(async () => {
  manifests = await loadManifests(root);
});

const environment = (name: string): EnvConfigInput => structuredClone(ENVIRONMENTS.find((e) => e.name === name)!);

/** Tags instances when their tags change: its own tag writes fire it again. */
const TAG_ON_TAG = defineReflex({
  name: 'tag-on-tag',
  description: 'Stamps an owner tag on instances whose tags change.',
  triggers: [{ kind: 'event', pattern: { source: ['aws.tag'], 'detail-type': ['Tag Change on Resource'], detail: { service: ['ec2'] } } }],
  permissions: () => [
    {
      sid: 'TagInstances',
      actions: ['ec2:CreateTags'],
      resources: ['arn:${partition}:ec2:${region}:${account}:instance/*'],
      conditions: [{ test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: ['owner'] }],
    },
  ],
  config: z.object({}),
});

describe('the loop analysis at synth', () => {
  it.each(ENVIRONMENTS.map((e) => e.name))("passes the %s environment's reflexes and names the guard of every edge into an acting reflex", (name) => {
    const { env, reflexes } = resolveEnvironment(environment(name), manifests);
    const { edges, loops } = environmentLoops(env.name, reflexes);

    // One loop, auto-heal's own alarms, and each of its edges cut.
    expect(loops.map((l) => [l.reflexes, l.uncut])).toEqual([[['auto-heal'], []]]);
    const into = (to: string) => edges.filter((e) => e.to === to).map((e) => [describeEdge(e), e.cutBy.map((c) => c.guard)]);
    // Three reflexes stop instances; the guard declares each (they tag reflex:stop-intent first), and its loop
    // guard skips their CloudTrail calls.
    expect(into('instance-guard')).toEqual(
      ['instance-scheduler', 'auto-heal', 'reaper'].flatMap((from) => [
        [`${from} ec2:StopInstances → state stopped → instance-guard (trigger 0)`, ['declared']],
        [`${from} ec2:StopInstances → CloudTrail StopInstances → instance-guard (trigger 1)`, ['loop guard', 'declared']],
      ]),
    );
    expect(into('auto-heal')).toEqual([['auto-heal cloudwatch:PutMetricAlarm → alarm state change → auto-heal (trigger 0)', ['declared']]]);
    // Starts, stops and terminations reach the IPAM enricher, which only reads and sends to the sync: chains
    // that end there.
    expect(edges.filter((e) => e.to === 'ipam-enricher' || e.to === 'ipam-sync').every((e) => e.cutBy.length === 0)).toBe(true);
    expect(edges.filter((e) => e.from === 'ipam-enricher').map(describeEdge)).toEqual(['ipam-enricher sqs:SendMessage → a message on its queue → ipam-sync (trigger 0)']);
    // The tagger's tag writes and the IP blocker's and route reflexes' calls match no rule.
    expect(edges.filter((e) => ['resource-tagger', 'ip-blocker', 'route-failover', 'route-api'].includes(e.from))).toEqual([]);
  });

  it('fails synth for a reflex whose tag writes fire its own rule, naming the chain and what cuts one', () => {
    const input = environment('dev');
    input.reflexes = { 'tag-on-tag': { enabled: true } };

    let error: unknown;
    try {
      resolveEnvironment(input, [...manifests, TAG_ON_TAG]);
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(InvalidEnvConfigError);
    expect((error as Error).message).toBe(
      [
        'environment "dev": a reflex loop: tag-on-tag → tag-on-tag:',
        '  tag-on-tag ec2:CreateTags → tag change owner on instance → tag-on-tag (trigger 0): nothing cuts it',
        "Cut every edge of it: exclude the events in the rule's pattern (a caller, a tag key), keep the lambda kit's loop guard on for CloudTrail events, or declare in the manifest of the reflex they trigger `loopGuard.ignores: [{ reflex, actions, reason }]` when its code leaves them alone.",
      ].join('\n'),
    );
  });

  it('passes the planted reflex once its manifest declares the cut its code makes', () => {
    const input = environment('dev');
    input.reflexes = { 'tag-on-tag': { enabled: true } };
    const declared: ReflexManifest = { ...(TAG_ON_TAG as ReflexManifest), loopGuard: { skipOwnCalls: true, ignores: [{ reflex: 'tag-on-tag', reason: 'returns when the owner tag is set already' }] } };

    expect(resolveEnvironment(input, [...manifests, declared]).reflexes.map((r) => r.manifest.name)).toEqual(['tag-on-tag']);
  });
});

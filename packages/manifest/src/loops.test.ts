import { describe, expect, it } from '@jest/globals';
import { AWS_API_CALL_DETAIL_TYPE, EC2_STATE_CHANGE, REFLEX_ACTION } from '@reflex/events';
import { analyzeLoops, describeLoop, type LoopReflex } from './loops';
import type { EventPattern, Permission } from './manifest';

const INSTANCES = ['arn:${partition}:ec2:${region}:${account}:instance/*'];

const reflex = (name: string, pattern: EventPattern, permissions: Permission[], extra: Partial<LoopReflex> = {}): LoopReflex => ({
  name,
  triggers: [{ kind: 'event', pattern }],
  permissions,
  sendsTo: [],
  loopGuard: { skipOwnCalls: true, ignores: [] },
  ...extra,
});

const tagChange = { source: ['aws.tag'], 'detail-type': ['Tag Change on Resource'] };
const createTagsCall = { source: ['aws.ec2'], 'detail-type': [AWS_API_CALL_DETAIL_TYPE], detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['CreateTags'] } };
const tagsOwner: Permission = {
  sid: 'TagOwner',
  actions: ['ec2:CreateTags'],
  resources: INSTANCES,
  conditions: [{ test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: ['owner'] }],
};
const state = (s: string) => ({ source: [EC2_STATE_CHANGE.source], 'detail-type': [EC2_STATE_CHANGE.detailType], detail: { state: [s] } });
const act = (action: string): Permission => ({ sid: 'Act', actions: [action], resources: INSTANCES });

/** The loops that fail: an edge of them is not cut. */
const failing = (reflexes: LoopReflex[]) => analyzeLoops(reflexes, 'dev').loops.filter((l) => l.uncut.length > 0);

describe('analyzeLoops', () => {
  it('finds a reflex whose tag writes fire its own tag-change rule: tag changes name no caller, no guard cuts them', () => {
    const loops = failing([reflex('tag-on-tag', tagChange, [tagsOwner])]);

    expect(loops).toHaveLength(1);
    expect(loops[0]!.reflexes).toEqual(['tag-on-tag']);
    expect(describeLoop(loops[0]!)).toBe(
      'tag-on-tag → tag-on-tag:\n  tag-on-tag ec2:CreateTags → tag change owner on instance → tag-on-tag (trigger 0): nothing cuts it',
    );
  });

  it('passes the same reflex when its pattern leaves out the keys it writes', () => {
    const pattern = { ...tagChange, detail: { 'changed-tag-keys': [{ 'anything-but': ['owner'] }] } };

    expect(analyzeLoops([reflex('tag-on-tag', pattern, [tagsOwner])], 'dev').edges).toEqual([]);
  });

  it('cuts a reflex that tags on CreateTags calls with the loop guard, and fails it once the guard is off', () => {
    const guarded = reflex('tag-on-call', createTagsCall, [tagsOwner]);
    const { loops } = analyzeLoops([guarded], 'dev');
    expect(loops).toHaveLength(1);
    expect(loops[0]!.uncut).toEqual([]);
    expect(loops[0]!.edges[0]!.cutBy).toEqual([
      { guard: 'loop guard', reason: 'tag-on-call skips CloudTrail events caused by a Reflex role (reflex-dev-*)' },
    ]);

    const unguarded = { ...guarded, loopGuard: { skipOwnCalls: false, reason: 'audits tags', ignores: [] } };
    expect(failing([unguarded]).map((l) => l.reflexes)).toEqual([['tag-on-call']]);
  });

  it("cuts an edge whose rule excludes Reflex's roles, as the resource tagger's does", () => {
    const pattern = {
      ...createTagsCall,
      detail: {
        ...createTagsCall.detail,
        $or: [
          { userIdentity: { sessionContext: { sessionIssuer: { userName: [{ 'anything-but': { prefix: 'reflex-' } }] } } } },
          { userIdentity: { sessionContext: { sessionIssuer: { userName: [{ exists: false }] } } } },
        ],
      },
    };
    const auditor = reflex('tag-on-call', pattern, [tagsOwner], { loopGuard: { skipOwnCalls: false, reason: 'audits tags', ignores: [] } });

    const [loop] = analyzeLoops([auditor], 'dev').loops;

    expect(loop!.uncut).toEqual([]);
    expect(loop!.edges[0]!.cutBy).toEqual([{ guard: 'pattern', reason: "the rule's pattern excludes calls by reflex-dev-tag-on-call" }]);
  });

  it("does not count the loop guard or the pattern for a worker's calls: they are not made by a Reflex role", () => {
    const worker = reflex('tag-on-call', createTagsCall, [tagsOwner], { caller: 'worker' });

    expect(failing([worker])).toHaveLength(1);
  });

  it('names the uncut edges that lie on loops by reachability, whatever the number of cycles', () => {
    const stopper = reflex('stopper', state('running'), [act('ec2:StopInstances')]);
    const starter = reflex('starter', state('stopped'), [act('ec2:StartInstances')]);
    const watcher = reflex('watcher', { source: ['aws.ec2'], 'detail-type': [EC2_STATE_CHANGE.detailType] }, []);

    const { uncutOnLoops } = analyzeLoops([stopper, starter, watcher], 'dev');

    // The watcher's edges end there: on no loop.
    expect(uncutOnLoops.map((e) => `${e.from}→${e.to}`)).toEqual(['stopper→starter', 'starter→stopper']);
  });

  it('finds a chain of two reflexes: a stop that fires a start that fires the stop', () => {
    const stopper = reflex('stopper', state('running'), [act('ec2:StopInstances')]);
    const starter = reflex('starter', state('stopped'), [act('ec2:StartInstances')]);

    const loops = failing([stopper, starter]);

    expect(loops.map((l) => l.reflexes)).toEqual([['stopper', 'starter']]);
    expect(describeLoop(loops[0]!)).toBe(
      [
        'stopper → starter → stopper:',
        '  stopper ec2:StopInstances → state stopped → starter (trigger 0): nothing cuts it',
        '  starter ec2:StartInstances → state running → stopper (trigger 0): nothing cuts it',
      ].join('\n'),
    );
  });

  it('fails a loop with one declared cut: every edge must be cut, so that one guard failing lets nothing run', () => {
    const ignoresStarter = { skipOwnCalls: true, ignores: [{ reflex: 'starter', reason: 'checks reflex:start-intent' }] };
    const stopper = reflex('stopper', state('running'), [act('ec2:StopInstances')], { loopGuard: ignoresStarter });
    const starter = reflex('starter', state('stopped'), [act('ec2:StartInstances')]);

    const [loop] = failing([stopper, starter]);
    expect(loop!.uncut.map((e) => e.from)).toEqual(['stopper']);

    const ignoresStopper = { skipOwnCalls: true, ignores: [{ reflex: 'stopper', actions: ['ec2:StopInstances'], reason: 'checks reflex:stop-intent' }] };
    expect(failing([stopper, { ...starter, loopGuard: ignoresStopper }])).toEqual([]);
  });

  it("finds a reflex that acts on every Reflex Action: its own actions' reports fire it again", () => {
    const reporter = reflex('reporter', { source: [REFLEX_ACTION.source], 'detail-type': [REFLEX_ACTION.detailType] }, [tagsOwner]);

    const [loop] = failing([reporter]);

    expect(loop!.uncut.map((e) => [e.action, e.events])).toEqual([['events:PutEvents', ['Reflex Action']]]);
  });

  it('passes a reflex that reacts only to other reflexes\' Reflex Actions', () => {
    const pattern = { source: [REFLEX_ACTION.source], 'detail-type': [REFLEX_ACTION.detailType], detail: { reflex: [{ 'anything-but': 'reporter' }] } };

    expect(failing([reflex('reporter', pattern, [tagsOwner])])).toEqual([]);
  });

  it('treats a condition on a field the call does not decide as one that may hold', () => {
    const pattern = { ...createTagsCall, detail: { ...createTagsCall.detail, requestParameters: { resourcesSet: { items: { resourceId: [{ prefix: 'i-' }] } } } } };
    const unguarded = reflex('tag-on-call', pattern, [tagsOwner], { loopGuard: { skipOwnCalls: false, reason: 'audits tags', ignores: [] } });

    expect(failing([unguarded])).toHaveLength(1);
  });

  it('reads a wildcard action as every call it allows, and ignores read-only calls', () => {
    const wildcard = reflex('tag-on-tag', tagChange, [{ sid: 'Tags', actions: ['ec2:*Tags', 'ec2:DescribeTags'], resources: ['*'] }]);

    const { edges } = analyzeLoops([wildcard], 'dev');

    expect(edges.map((e) => [e.action, e.events])).toEqual([['ec2:*Tags', ['tag change']]]);
  });

  it('names the edges of a chain that is no loop, and finds no loop', () => {
    const starter = reflex('starter', state('stopped'), [act('ec2:StartInstances')]);
    const watcher = reflex('watcher', { source: ['aws.ec2'], 'detail-type': [EC2_STATE_CHANGE.detailType] }, []);

    const analysis = analyzeLoops([starter, watcher], 'dev');

    expect(analysis.loops).toEqual([]);
    expect(analysis.edges.map((e) => `${e.from}→${e.to}: ${e.events.join(', ')}`)).toEqual(['starter→watcher: state pending, state running']);
  });
});

// `reflex graph --loops`: the loop analysis drawn as reflex → action → events → rule → reflex.
import { describe, expect, it } from '@jest/globals';
import { analyzeLoops, type EventPattern, type LoopReflex } from '@reflex/manifest';
import { renderLoopGraph } from '../src/cli/graph';
import { reflexInProcess } from './reflex-cli';

const stoppedPattern = { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['stopped'] } };
const runningPattern = { ...stoppedPattern, detail: { state: ['running'] } };
const INSTANCES = ['arn:${partition}:ec2:${region}:${account}:instance/*'];

const reflex = (name: string, pattern: EventPattern, action: string): LoopReflex => ({
  name,
  triggers: [{ kind: 'event', pattern }],
  permissions: [{ sid: 'Act', actions: [action], resources: INSTANCES }],
  sendsTo: [],
  loopGuard: { skipOwnCalls: true, ignores: [] },
});

describe('reflex graph --loops', () => {
  it('draws an uncut loop thick, each hop through its action, events and rule', () => {
    const reflexes = [reflex('stopper', runningPattern, 'ec2:StopInstances'), reflex('starter', stoppedPattern, 'ec2:StartInstances')];
    const graph = renderLoopGraph(analyzeLoops(reflexes, 'dev'), new Map([['stopper', [runningPattern]], ['starter', [stoppedPattern]]]));

    expect(graph).toContain('  reflex_stopper --> action_stopper_ec2_StopInstances\n');
    expect(graph).toContain('  action_stopper_ec2_StopInstances --> events_stopper_ec2_StopInstances_state_stopped\n');
    expect(graph).toContain('  events_stopper_ec2_StopInstances_state_stopped ==>|"LOOP"| rule_starter_0\n');
    expect(graph).toContain('  rule_starter_0{{"starter trigger 0<br/>source: aws.ec2<br/>detail-type: EC2 Instance State-change Notification<br/>state: stopped"}}\n');
    expect(graph).toContain('  events_starter_ec2_StartInstances_state_running ==>|"LOOP"| rule_stopper_0\n');
  });

  it("draws today's dev edges, dashed where a guard cuts them", async () => {
    const run = await reflexInProcess(['graph', '--loops', '--env', 'dev']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^flowchart LR\n/);
    expect(run.stdout).toContain('events_instance_scheduler_ec2_StopInstances_state_stopped -.->|"cut: declared"| rule_instance_guard_0');
    expect(run.stdout).toContain('events_instance_scheduler_ec2_StopInstances_CloudTrail_StopInstances -.->|"cut: loop guard, declared"| rule_instance_guard_1');
    expect(run.stdout).toContain('events_ipam_enricher_sqs_SendMessage_a_message_on_its_queue --> rule_ipam_sync_0');
    expect(run.stdout).not.toContain('LOOP');
  });
});

describe('reflex check loops', () => {
  it("lists every edge of an environment with the guards that cut it, the actions that reach no rule, and passes today's reflexes", async () => {
    const run = await reflexInProcess(['check', 'loops', '--env', 'dev']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      [
        '  instance-scheduler ec2:StopInstances → CloudTrail StopInstances → instance-guard (trigger 1)',
        '      cut (loop guard): instance-guard skips CloudTrail events caused by a Reflex role (reflex-dev-*)',
        '      cut (declared): the scheduler tags reflex:stop-intent before it stops an instance, and the guard does not restart an instance whose stop a reflex intended (core.ts, intendedStop)',
      ].join('\n'),
    );
    // The tagger's tag writes: dozens of tag changes, none of which a rule matches.
    expect(run.stdout).toMatch(/^ {4}resource-tagger ec2:CreateTags → CloudTrail CreateTags, tag change CostCenter on vpc, .+ \(\+\d+ more\)$/m);
    expect(run.stdout).toMatch(/loops: OK, no loop without a cut in 1 environment\n$/);
  });

  it('prints every environment as JSON with --json', async () => {
    const run = await reflexInProcess(['check', 'loops', '--json']);

    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { ok: boolean; environments: { env: string; edges: { from: string; to: string; cutBy: unknown[] }[] }[] };
    expect(result.ok).toBe(true);
    expect(result.environments.map((e) => e.env)).toEqual(['local', 'dev', 'staging', 'prod']);
    expect(result.environments[1]!.edges).toContainEqual(expect.objectContaining({ from: 'instance-scheduler', to: 'instance-guard', cutBy: [expect.objectContaining({ guard: 'declared' })] }));
  });

  it('exits 2 naming the known environments for an unknown one', async () => {
    const run = await reflexInProcess(['check', 'loops', '--env', 'qa']);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe('reflex check: unknown environment "qa" (known: local, dev, staging, prod)\n');
  });
});

// Alarm triggers: each becomes a CloudWatch metric alarm and a rule on the default bus (where CloudWatch delivers
// alarm state changes) that targets the reflex's queue. Asserted on the Terraform JSON of every environment,
// each with the failover test reflex of support.ts enabled with alarms from its config.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { alarmName, alarmPattern, awsName } from '@reflex/manifest';
import { ENVIRONMENTS, type EnvConfigInput, queueArn, readSynthesized, resolveEnvironment, ruleArn, runChecks, synthAll } from '../src';
import {
  connectionDown,
  FAILOVER,
  FAILOVER_CONFIG,
  findResource,
  queuePolicyOf,
  readStack,
  ref,
  resourcesOf,
  root,
  type StackJson,
  synthesizeEnvironments,
  tunnelDown,
  withFailover,
} from './support';

const tempDirs: string[] = [];
const stacks = new Map<string, StackJson>();

beforeAll(async () => {
  const outdir = await synthesizeEnvironments();
  tempDirs.push(outdir);
  for (const { name } of ENVIRONMENTS) stacks.set(name, readStack(outdir, name));
}, 300_000);

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const envNames = ENVIRONMENTS.map((e) => e.name);
const input = (name: string): EnvConfigInput => structuredClone(ENVIRONMENTS.find((e) => e.name === name)!);

const DX = connectionDown(FAILOVER_CONFIG.connections[0]!);
const VPN = tunnelDown(FAILOVER_CONFIG.tunnels[0]!.vpnId, FAILOVER_CONFIG.tunnels[0]!.address);

/** The failover reflex's resources in one environment, found by name. */
function failover(envName: string) {
  const json = stacks.get(envName)!;
  const name = awsName(envName, FAILOVER.name);
  return {
    json,
    name,
    queue: findResource(json, 'aws_sqs_queue', { name }),
    alarm: (trigger: typeof DX) => findResource(json, 'aws_cloudwatch_metric_alarm', { alarm_name: alarmName(envName, FAILOVER.name, trigger) }),
    rule: (index: number) => findResource(json, 'aws_cloudwatch_event_rule', { name: `${name}-${index}` }),
  };
}

describe.each(envNames)('the alarm triggers of the %s stack', (envName) => {
  it('create one metric alarm per alarm trigger of the config, named reflex-<env>-<reflex>-<name>', () => {
    const { json, name } = failover(envName);
    const names = resourcesOf(json, 'aws_cloudwatch_metric_alarm')
      .map(({ block }) => block.alarm_name)
      .filter((n) => n.startsWith(`${name}-`));

    expect(names).toEqual([`${name}-dxcon-fgabc123-down`, `${name}-vpn-0a1b2c3d4e5f60718-203-0-113-17`]);
  });

  it("give the alarm the trigger's metric, statistic, evaluation and description, and no actions", () => {
    const { '//': _metadata, ...block } = failover(envName).alarm(DX).block;

    expect(block).toEqual({
      alarm_name: alarmName(envName, FAILOVER.name, DX),
      alarm_description: 'Direct Connect dxcon-fgabc123 is down',
      namespace: 'AWS/DX',
      metric_name: 'ConnectionState',
      dimensions: { ConnectionId: 'dxcon-fgabc123' },
      statistic: 'Minimum',
      period: 60,
      evaluation_periods: 3,
      threshold: 1,
      comparison_operator: 'LessThanThreshold',
      treat_missing_data: 'breaching',
    });
  });

  it('set datapoints to alarm when the trigger has them, and no description when it has none', () => {
    const { block } = failover(envName).alarm(VPN);

    expect(block).toMatchObject({ datapoints_to_alarm: 3, evaluation_periods: 5, dimensions: { VpnId: 'vpn-0a1b2c3d4e5f60718', TunnelIpAddress: '203.0.113.17' } });
    expect(block).not.toHaveProperty('alarm_description');
    expect(block).not.toHaveProperty('alarm_actions');
  });

  it("match each alarm's state changes with a rule on the default bus", () => {
    const { rule } = failover(envName);

    [DX, VPN].forEach((trigger, i) => {
      expect(rule(i).block.event_bus_name).toBeUndefined();
      expect(JSON.parse(rule(i).block.event_pattern)).toEqual(alarmPattern(envName, FAILOVER.name, trigger));
    });
    expect(JSON.parse(rule(0).block.event_pattern).detail.alarmName).toEqual([`reflex-${envName}-test-failover-dxcon-fgabc123-down`]);
  });

  it("target the reflex queue from each rule, on the rule's (default) bus", () => {
    const { json, rule, queue } = failover(envName);

    for (const i of [0, 1]) {
      const target = findResource(json, 'aws_cloudwatch_event_target', { rule: ref(rule(i).address, 'name') });
      expect(target.block.arn).toBe(ref(queue.address, 'arn'));
      expect(target.block.event_bus_name).toBe(ref(rule(i).address, 'event_bus_name'));
    }
  });

  it('let EventBridge send to the queue on behalf of exactly those default-bus rules', () => {
    const { json, queue, rule, name } = failover(envName);
    const { env } = resolveEnvironment({ ...input(envName), reflexes: {} }, []);
    const allows = queuePolicyOf(json, queue.address).document.statements.filter((s) => s.effect === 'Allow');

    expect(rule(0).block.name).toBe(`${name}-0`);
    expect(allows).toEqual([
      expect.objectContaining({
        actions: ['sqs:SendMessage'],
        principals: [{ type: 'Service', identifiers: ['events.amazonaws.com'] }],
        resources: [queueArn(env, name)],
        condition: [{ test: 'ArnEquals', variable: 'aws:SourceArn', values: [ruleArn(env, `${name}-0`), ruleArn(env, `${name}-1`)] }],
      }),
    ]);
  });
});

describe('a reflex with alarm triggers alone in an environment', () => {
  let outdir: string;
  let json: StackJson;

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'reflex-alarms-'));
    tempDirs.push(outdir);
    const local = { ...input('local'), reflexes: {} };
    await synthAll({ root, outdir, manifests: [FAILOVER], environments: [withFailover(local)] });
    json = readStack(outdir, 'local');
  }, 60_000);

  it('forwards nothing to the reflex bus: its rules listen on the default bus', () => {
    const forwards = resourcesOf(json, 'aws_cloudwatch_event_rule').filter(({ block }) => String(block.name).startsWith('reflex-local-forward-'));

    expect(forwards).toEqual([]);
  });

  it('passes the policy checks', () => {
    expect(runChecks(readSynthesized(outdir))).toEqual([]);
  });

  it('builds the alarms of the default config when the environment gives none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reflex-alarms-'));
    tempDirs.push(dir);
    const local = { ...input('local'), reflexes: { [FAILOVER.name]: { enabled: true } } };

    await synthAll({ root, outdir: dir, manifests: [FAILOVER], environments: [local] });

    const names = resourcesOf(readStack(dir, 'local'), 'aws_cloudwatch_metric_alarm').map(({ block }) => block.alarm_name);
    expect(names).toEqual(['reflex-local-test-failover-dxcon-default-down']);
  }, 60_000);
});

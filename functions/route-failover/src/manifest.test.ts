import { describe, expect, it } from '@jest/globals';
import { compilePattern } from '@reflex/event-patterns';
import { fixture } from '@reflex/events/fixtures';
import * as z from '@reflex/events/zod';
import { type AlarmTrigger, describeIssues, permissionsOf, triggerPatterns, triggersOf } from '@reflex/manifest';
import { FailoverConfigSchema, manifest } from './manifest';

const PATH = {
  name: 'dc1',
  prefixes: ['10.200.0.0/16'],
  primary: { connectionId: 'dxcon-0a1b2c3d', virtualInterfaceId: 'dxvif-0a1b2c3d' },
  backups: [{ name: 'vpn-a', vpnConnectionId: 'vpn-0aaa1111', attachmentId: 'tgw-attach-0aaa1111', gatewayId: 'vgw-0aaa1111' }],
  routeTables: [{ transitGatewayRouteTableId: 'tgw-rtb-0c0c0c0c' }, { routeTableId: 'rtb-0e0e0e0e' }],
};
const parse = (input: unknown) => z.parse(FailoverConfigSchema, input);
const problem = (input: unknown) => {
  const parsed = z.safeParse(FailoverConfigSchema, input);
  return parsed.success ? 'valid' : describeIssues(parsed.error);
};

describe('route-failover triggers', () => {
  const triggers = triggersOf(manifest, parse({ paths: [PATH] }));
  const alarms = triggers.filter((t): t is AlarmTrigger => t.kind === 'alarm');

  it('declare an alarm per watched link: DX connection state and BGP status, and each VPN backup tunnel (1 = up)', () => {
    expect(alarms.map((a) => [a.name, a.namespace, a.metricName, a.dimensions])).toEqual([
      ['dc1-primary-connection', 'AWS/DX', 'ConnectionState', { ConnectionId: 'dxcon-0a1b2c3d' }],
      ['dc1-primary-bgp', 'AWS/DX', 'VirtualInterfaceBgpStatus', { ConnectionId: 'dxcon-0a1b2c3d', VirtualInterfaceId: 'dxvif-0a1b2c3d' }],
      ['dc1-vpn-a-tunnel', 'AWS/VPN', 'TunnelState', { VpnId: 'vpn-0aaa1111' }],
    ]);
    expect(alarms.every((a) => a.comparisonOperator === 'LessThanThreshold' && a.threshold === 1 && a.treatMissingData === 'breaching')).toBe(true);
  });

  it("match the documented alarm state change once it names the path's alarm in this environment", () => {
    const patterns = triggerPatterns({ name: manifest.name, triggers }, 'local').map((p) => compilePattern(p));
    const event = fixture('cloudwatch/alarm-state-change.json');
    event.detail.alarmName = 'reflex-local-route-failover-dc1-primary-connection';

    expect(patterns.some((p) => p.matches(event))).toBe(true);
    event.detail.alarmName = 'reflex-dev-route-failover-dc1-primary-connection';
    expect(patterns.some((p) => p.matches(event))).toBe(false);
  });

  it('listen to Direct Connect maintenance notices, overrides and a one-minute timer', () => {
    expect(triggers.filter((t) => t.kind !== 'alarm').map((t) => (t.kind === 'schedule' ? t.expression : t.kind === 'event' ? t.pattern['detail-type'] : t.kind))).toEqual([
      ['AWS Health Event'],
      ['Reflex Route Override'],
      'rate(1 minute)',
    ]);
  });

  it('declare the state table: pk, sk, TTL', () => {
    expect(manifest.state).toEqual({ partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl' });
  });
});

describe('route-failover permissions', () => {
  const statements = permissionsOf(manifest, parse({ paths: [PATH] }));

  it('change routes only in the configured route tables', () => {
    expect(statements.find((s) => s.sid === 'ChangeRoutesOfItsTransitGatewayRouteTables')?.resources).toEqual([
      'arn:${partition}:ec2:${region}:${account}:transit-gateway-route-table/tgw-rtb-0c0c0c0c',
      'arn:${partition}:ec2:${region}:${account}:transit-gateway-attachment/*',
    ]);
    expect(statements.find((s) => s.sid === 'ChangeRoutesOfItsVpcRouteTables')).toMatchObject({
      actions: ['ec2:CreateRoute', 'ec2:DeleteRoute'],
      resources: ['arn:${partition}:ec2:${region}:${account}:route-table/rtb-0e0e0e0e'],
    });
  });

  it('read on "*" only calls without resource-level permissions', () => {
    expect(statements.filter((s) => s.resources.includes('*')).flatMap((s) => s.actions)).toEqual(['ec2:DescribeRouteTables', 'ec2:DescribeVpnConnections']);
    expect(statements.find((s) => s.sid === 'SearchItsTransitGatewayRouteTables')?.resources).toEqual([
      'arn:${partition}:ec2:${region}:${account}:transit-gateway-route-table/tgw-rtb-0c0c0c0c',
    ]);
  });

  it('without paths, may change no route at all', () => {
    expect(permissionsOf(manifest, parse({})).map((s) => s.sid)).toEqual(['ReadRoutesAndLinks']);
  });
});

describe('route-failover config', () => {
  it.each([
    [{ upDwellSeconds: 30, downDwellSeconds: 60 }, 'upDwellSeconds: must be longer than downDwellSeconds (hysteresis)'],
    [{ paths: [{ ...PATH, primary: {} }] }, 'paths.0.primary: a primary needs a connectionId or a virtualInterfaceId to watch'],
    [{ paths: [{ ...PATH, backups: [{ ...PATH.backups[0], gatewayId: undefined }] }] }, 'paths.0.backups: every backup needs an attachmentId'],
    [{ paths: [PATH, PATH] }, 'paths: path names must differ'],
    [{ paths: [{ ...PATH, routeTables: [{ routeTableId: 'tgw-rtb-0c0c0c0c' }] }] }, 'paths.0.routeTables.0'],
  ])('names the field of a bad config %#', (input, message) => {
    expect(problem(input)).toContain(message);
  });
});

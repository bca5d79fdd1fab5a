import { describe, expect, it } from '@jest/globals';
import type { AlarmStateChange, RouteOverride, ScheduledEvent } from '@reflex/events';
import { fixture } from '@reflex/events/fixtures';
import * as z from '@reflex/events/zod';
import { MemoryFailoverState, MemoryLinks, MemoryRoutes } from '../adapters/memory';
import { FailoverConfigSchema } from '../manifest';
import { type FailoverDeps, PathBusyError, routeFailover } from './failover';

// Alarm events: CloudWatch's documented state change (packages/events/fixtures/SOURCES.md), renamed to the
// path's alarms and timed. One path: 10.200.0.0/16 over Direct Connect, two VPN backups, a TGW and a VPC table.
const T0 = Date.parse('2026-12-06T10:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
const CONFIG = z.parse(FailoverConfigSchema, {
  downDwellSeconds: 60,
  upDwellSeconds: 300,
  holdDownSeconds: 120,
  paths: [
    {
      name: 'dc1',
      prefixes: ['10.200.0.0/16'],
      primary: { connectionId: 'dxcon-0a1b2c3d', attachmentId: 'tgw-attach-0d0d0d0d' },
      backups: [
        { name: 'vpn-a', vpnConnectionId: 'vpn-0aaa1111', attachmentId: 'tgw-attach-0aaa1111', gatewayId: 'vgw-0aaa1111' },
        { name: 'vpn-b', vpnConnectionId: 'vpn-0bbb2222', attachmentId: 'tgw-attach-0bbb2222', gatewayId: 'vgw-0bbb2222' },
      ],
      routeTables: [{ transitGatewayRouteTableId: 'tgw-rtb-0c0c0c0c' }, { routeTableId: 'rtb-0e0e0e0e' }],
    },
  ],
});
const TGW = 'tgw-rtb-0c0c0c0c';
const VPC = 'rtb-0e0e0e0e';
const PREFIX = '10.200.0.0/16';

function alarm(name: string, value: 'OK' | 'ALARM', s: number): AlarmStateChange {
  const event = fixture('cloudwatch/alarm-state-change.json');
  event.detail.alarmName = `reflex-local-route-failover-${name}`;
  event.detail.state.value = value;
  event.detail.state.timestamp = iso(s);
  event.time = iso(s).replace('.000', '');
  return event;
}
const tick = (): ScheduledEvent => fixture('scheduled/scheduled-event.json');
const override = (to: 'backup' | 'primary' | 'auto'): RouteOverride =>
  ({ ...(fixture('scheduled/scheduled-event.json') as object), source: 'reflex', 'detail-type': 'Reflex Route Override', detail: { path: 'dc1', to, requestedBy: 'alice', reason: 'test' } }) as unknown as RouteOverride;

function world() {
  const routes = new MemoryRoutes();
  routes.tables.set(TGW, [{ destination: PREFIX, origin: 'propagated', state: 'active', target: 'tgw-attach-0d0d0d0d' }]);
  routes.tables.set(VPC, [{ destination: PREFIX, origin: 'propagated', state: 'active', target: 'vgw-0d0d0d0d' }]);
  const links = new MemoryLinks();
  links.tunnels.set('vpn-0aaa1111', { up: 2, total: 2 });
  links.tunnels.set('vpn-0bbb2222', { up: 1, total: 2 });
  const state = new MemoryFailoverState();
  let now = T0;
  const lines: string[] = [];
  const deps = (overrides: Partial<FailoverDeps> = {}): FailoverDeps => ({
    routes,
    links,
    state,
    config: CONFIG,
    log: { info: (line) => lines.push(line) },
    now: () => new Date(now),
    alarmName: (trigger) => `reflex-local-route-failover-${trigger}`,
    holder: 'test',
    dryRun: false,
    tableArn: (t) => `arn:aws:ec2:us-east-1:123456789012:${t.kind === 'tgw' ? 'transit-gateway-route-table' : 'route-table'}/${t.id}`,
    leaseWaitMs: 100,
    ...overrides,
  });
  /** Runs the event at second `s`. */
  const at = (s: number, event: Parameters<typeof routeFailover>[0], overrides?: Partial<FailoverDeps>) => {
    now = T0 + s * 1000;
    return routeFailover(event, deps(overrides));
  };
  return { routes, links, state, lines, at };
}

/** Both backups' tunnels reported up, then the primary's connection at `s`. */
async function upAndRunning(w: ReturnType<typeof world>) {
  await w.at(-600, alarm('dc1-vpn-a-tunnel', 'OK', -600));
  await w.at(-600, alarm('dc1-vpn-b-tunnel', 'OK', -600));
  await w.at(-600, alarm('dc1-primary-connection', 'OK', -600));
}

describe('routeFailover: failover', () => {
  it('does nothing inside the down dwell, then installs static routes to the first healthy backup in every table and verifies them', async () => {
    const w = world();
    await upAndRunning(w);
    await w.at(0, alarm('dc1-primary-connection', 'ALARM', 0));

    expect(await w.at(59, tick())).toEqual([]);
    const reports = await w.at(60, tick());

    expect(w.routes.effective(TGW, PREFIX)).toBe('static tgw-attach-0aaa1111');
    expect(w.routes.effective(VPC, PREFIX)).toBe('static vgw-0aaa1111');
    expect(reports.map((r) => [r.action, r.targets[0]!.id, r.outcome])).toEqual([
      ['ec2:CreateTransitGatewayRoute', TGW, 'succeeded'],
      ['ec2:CreateRoute', VPC, 'succeeded'],
    ]);
    expect(w.state.entries.at(-1)).toMatchObject({
      decision: 'failover',
      from: 'primary',
      to: 'vpn-a',
      prefixes: [PREFIX],
      verification: [`${TGW}: ${PREFIX}: installed, verified static via tgw-attach-0aaa1111`, `${VPC}: ${PREFIX}: installed, verified static via vgw-0aaa1111`],
    });
    expect([...w.state.routes.values()].map((r) => `${r.table.id} ${r.target}`)).toEqual([`${TGW} tgw-attach-0aaa1111`, `${VPC} vgw-0aaa1111`]);
  });

  it('skips a backup whose tunnel telemetry is down, and takes the next', async () => {
    const w = world();
    await upAndRunning(w);
    w.links.tunnels.set('vpn-0aaa1111', { up: 0, total: 2 });
    await w.at(0, alarm('dc1-primary-connection', 'ALARM', 0));

    await w.at(60, tick());

    expect(w.routes.effective(TGW, PREFIX)).toBe('static tgw-attach-0bbb2222');
    expect(w.lines).toContain('dc1: vpn-a (vpn-0aaa1111) has 0 of 2 tunnels up: not failing over to it');
  });

  it('changes nothing and alerts once when every backup is down', async () => {
    const w = world();
    await upAndRunning(w);
    await w.at(1, alarm('dc1-vpn-a-tunnel', 'ALARM', 1));
    await w.at(2, alarm('dc1-vpn-b-tunnel', 'ALARM', 2));
    await w.at(3, alarm('dc1-primary-connection', 'ALARM', 3));

    const first = await w.at(70, tick());
    const second = await w.at(130, tick());

    expect(w.routes.writes).toEqual([]);
    expect(first).toEqual([expect.objectContaining({ action: 'route-failover:Alert', outcome: 'alert', severity: 'critical', reason: expect.stringMatching(/no backup is up .*changing nothing/) })]);
    expect(second).toEqual([]);
  });

  it('never touches a static route it did not install, and reports the table as not failed over', async () => {
    const w = world();
    await upAndRunning(w);
    w.routes.tables.get(TGW)!.push({ destination: PREFIX, origin: 'static', state: 'active', target: 'tgw-attach-0f0f0f0f' });
    await w.at(0, alarm('dc1-primary-connection', 'ALARM', 0));

    const reports = await w.at(60, tick());

    expect(w.routes.effective(TGW, PREFIX)).toBe('static tgw-attach-0f0f0f0f');
    expect(reports[0]).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('a static route Reflex did not install points at tgw-attach-0f0f0f0f: left alone') });
    expect(w.routes.effective(VPC, PREFIX)).toBe('static vgw-0aaa1111');
  });
});

describe('routeFailover: failback', () => {
  it('removes its routes once the primary has been up for the up dwell, so the propagated routes win again', async () => {
    const w = world();
    await upAndRunning(w);
    await w.at(0, alarm('dc1-primary-connection', 'ALARM', 0));
    await w.at(60, tick());
    await w.at(200, alarm('dc1-primary-connection', 'OK', 200));

    expect(await w.at(499, tick())).toEqual([]);
    const reports = await w.at(500, tick());

    expect(w.routes.effective(TGW, PREFIX)).toBe('propagated tgw-attach-0d0d0d0d');
    expect(w.routes.effective(VPC, PREFIX)).toBe('propagated vgw-0d0d0d0d');
    expect(reports.map((r) => r.action)).toEqual(['ec2:DeleteTransitGatewayRoute', 'ec2:DeleteRoute']);
    expect(w.state.entries.at(-1)?.verification[0]).toBe(`${TGW}: ${PREFIX}: removed; now propagated via tgw-attach-0d0d0d0d (active)`);
    expect(w.state.routes.size).toBe(0);
  });

  it('leaves a static route someone moved elsewhere in the meantime', async () => {
    const w = world();
    await upAndRunning(w);
    await w.at(0, alarm('dc1-primary-connection', 'ALARM', 0));
    await w.at(60, tick());
    // Someone points the static route elsewhere by hand.
    w.routes.tables.set(TGW, w.routes.tables.get(TGW)!.map((r) => (r.origin === 'static' ? { ...r, target: 'tgw-attach-0f0f0f0f' } : r)));
    await w.at(200, alarm('dc1-primary-connection', 'OK', 200));

    await w.at(500, tick());

    expect(w.routes.effective(TGW, PREFIX)).toBe('static tgw-attach-0f0f0f0f');
    expect(w.state.entries.at(-1)?.verification[0]).toMatch(/now points at tgw-attach-0f0f0f0f, not Reflex's tgw-attach-0aaa1111: left alone/);
  });
});

describe('routeFailover: redelivery, out of order, concurrency', () => {
  it('a redelivered or older alarm event changes nothing twice', async () => {
    const w = world();
    await upAndRunning(w);
    const down = alarm('dc1-primary-connection', 'ALARM', 0);
    await w.at(0, down);
    await w.at(60, tick());
    const writes = [...w.routes.writes];

    await w.at(61, structuredClone(down));
    await w.at(62, alarm('dc1-primary-connection', 'OK', -10));
    await w.at(63, tick());

    expect(w.routes.writes).toEqual(writes);
  });

  it('fails the record when another invocation saved the path meanwhile (it is retried with the new state)', async () => {
    const w = world();
    await upAndRunning(w);
    const saved = (await w.state.path('dc1'))!;
    // What this invocation read is one save behind the table.
    const behind = Object.assign(Object.create(w.state) as MemoryFailoverState, { path: async () => ({ ...saved, version: saved.version - 1 }) });

    await expect(w.at(10, alarm('dc1-primary-connection', 'ALARM', 10), { state: behind })).rejects.toThrow(PathBusyError);
  });
});

describe('routeFailover: overrides and maintenance', () => {
  it('--to backup fails over at once; --to auto lets the timers decide, and they fail back', async () => {
    const w = world();
    await upAndRunning(w);

    await w.at(0, override('backup'));
    expect(w.routes.effective(TGW, PREFIX)).toBe('static tgw-attach-0aaa1111');
    await w.at(10, override('auto'));
    await w.at(130, tick());

    expect(w.routes.effective(TGW, PREFIX)).toBe('propagated tgw-attach-0d0d0d0d');
  });

  it('pre-stages on the backup when AWS Health announces a maintenance of the primary connection', async () => {
    const w = world();
    await upAndRunning(w);
    const health = {
      ...(fixture('scheduled/scheduled-event.json') as object),
      source: 'aws.health',
      'detail-type': 'AWS Health Event',
      detail: { eventArn: 'arn:aws:health:us-east-1::event/DIRECTCONNECT/x', service: 'DIRECTCONNECT', eventTypeCode: 'AWS_DIRECTCONNECT_MAINTENANCE_SCHEDULED', eventTypeCategory: 'scheduledChange', startTime: iso(100), endTime: iso(3700), affectedEntities: [{ entityValue: 'dxcon-0a1b2c3d' }] },
    } as never;

    await w.at(0, health);
    expect(w.routes.writes).toEqual([]);
    await w.at(100, tick());

    expect(w.routes.effective(TGW, PREFIX)).toBe('static tgw-attach-0aaa1111');
    expect(w.state.entries.at(-1)?.reason).toMatch(/pre-staged/);
  });
});

describe('routeFailover: dry-run', () => {
  it('changes no route, keeps the path on the primary, and journals the would-be failover once', async () => {
    const w = world();
    await upAndRunning(w);
    await w.at(0, alarm('dc1-primary-connection', 'ALARM', 0));
    w.routes.dryRun = true;

    const reports = await w.at(60, tick(), { dryRun: true });
    await w.at(120, tick(), { dryRun: true });
    w.routes.dryRun = false;

    expect(w.routes.writes).toEqual([]);
    expect(reports.map((r) => r.outcome)).toEqual(['dry-run', 'dry-run']);
    expect(w.state.entries.filter((e) => e.decision === 'failover')).toHaveLength(1);
    expect((await w.state.path('dc1'))?.state.routedVia).toEqual({ kind: 'primary' });
    // Live again: the failover happens, as the path never left the primary.
    await w.at(180, tick());
    expect(w.routes.effective(TGW, PREFIX)).toBe('static tgw-attach-0aaa1111');
  });
});

describe('routeFailover: writes', () => {
  it('does not save a path whose state a timer tick left unchanged', async () => {
    const w = world();
    await upAndRunning(w);
    const before = (await w.state.path('dc1'))!.version;

    await w.at(10, tick());
    await w.at(70, tick());

    expect((await w.state.path('dc1'))!.version).toBe(before);
  });
});

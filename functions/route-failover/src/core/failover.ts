import type { AlarmStateChange, AwsHealthEvent, RouteOverride, ScheduledEvent } from '@reflex/events';
import { type ActionReport, withLease as withKeyLease } from '@reflex/lambda-kit';
import { type FailoverConfig, linkAlarm, type PathConfig } from '../manifest';
import type { DecisionLog, FailoverStatePort, InstalledRoute, JournalEntry, LinksPort, RouteTableRef, RoutesPort } from '../ports';
import { applied, type Decision, decide, newPath, observeAlarm, type PathState, type Timers } from './path-machine';

/** The events the route failover receives. */
export type FailoverEvent = AlarmStateChange | AwsHealthEvent | RouteOverride | ScheduledEvent;

export interface FailoverDeps {
  readonly routes: RoutesPort;
  readonly links: LinksPort;
  readonly state: FailoverStatePort;
  readonly config: FailoverConfig;
  readonly log: DecisionLog;
  readonly now: () => Date;
  /** The AWS name of one of the reflex's alarm triggers (`reflex-<env>-route-failover-<name>`). */
  readonly alarmName: (trigger: string) => string;
  /** A unique id for this invocation's leases. */
  readonly holder: string;
  readonly dryRun: boolean;
  /** ARN of a route table, for the Reflex Action targets. */
  readonly tableArn: (table: RouteTableRef) => string;
  /** How long to wait for another writer's lease of a route table. @default 20000 */
  readonly leaseWaitMs?: number;
}

/** Another writer kept a route table's lease past the wait, or saved the path meanwhile: the record is retried. */
export class PathBusyError extends Error {
  override readonly name = 'PathBusyError';
}

const LEASE_MS = 30_000;
const tableId = (t: RouteTableRef) => t.id;
const tablesOf = (path: PathConfig): RouteTableRef[] =>
  path.routeTables.map((t) => ('transitGatewayRouteTableId' in t ? { kind: 'tgw', id: t.transitGatewayRouteTableId } : { kind: 'vpc', id: t.routeTableId }));
const targetOf = (path: PathConfig, backup: string, table: RouteTableRef) => {
  const b = path.backups.find((x) => x.name === backup)!;
  return (table.kind === 'tgw' ? b.attachmentId : b.gatewayId)!;
};

/**
 * Handles one event: an alarm of a path's link updates what Reflex believes of the link; AWS Health announces a
 * maintenance; a person overrides a path; the timer lets dwell times and hold-downs run out. Then every
 * concerned path is decided (`decide`, pure) and the decision carried out: static routes towards the backup
 * installed (failover) or Reflex's own removed (failback) in every route table of the path, each verified,
 * journaled and reported.
 */
export async function routeFailover(event: FailoverEvent, deps: FailoverDeps): Promise<ActionReport[]> {
  const reports: ActionReport[] = [];
  // The timer decides as of the time EventBridge fired it (a late delivery does not move time backwards).
  const clock = deps.now();
  const fired = event['detail-type'] === 'Scheduled Event' ? Date.parse(event.time) : Number.NaN;
  const now = Number.isNaN(fired) || fired < clock.getTime() ? clock : new Date(fired);
  for (const path of deps.config.paths) {
    const observe = observation(event, path, deps);
    if (!observe) continue;
    await evaluate(path, observe, now, deps, reports);
  }
  return reports;
}

type Observe = (state: PathState) => PathState;

/** How an event changes a path's state, or undefined if it does not concern the path. */
function observation(event: FailoverEvent, path: PathConfig, deps: FailoverDeps): Observe | undefined {
  switch (event['detail-type']) {
    case 'Scheduled Event':
      return (s) => s;
    case 'Reflex Route Override': {
      const d = (event as RouteOverride).detail;
      if (d.path !== path.name) return undefined;
      deps.log.info(`${path.name}: override ${d.to} by ${d.requestedBy}${d.reason ? `: ${d.reason}` : ''}`, { path: path.name, override: d.to });
      return (s) => ({ ...s, override: d.to, ...(d.to === 'auto' ? { frozen: undefined } : {}) });
    }
    case 'AWS Health Event': {
      const d = (event as AwsHealthEvent).detail;
      const ids = new Set((d.affectedEntities ?? []).map((e) => e.entityValue));
      const ours = [path.primary.connectionId, path.primary.virtualInterfaceId].some((id) => id && ids.has(id));
      if (d.service !== 'DIRECTCONNECT' || d.eventTypeCategory !== 'scheduledChange' || !ours) return undefined;
      // Health writes times as "Thu, 6 Jul 2017 08:30:00 GMT"; a notice of a future event may have no end yet (an update brings it).
      const start = Date.parse(d.startTime ?? '');
      const end = Date.parse(d.endTime ?? '');
      if (Number.isNaN(start) || Number.isNaN(end)) {
        deps.log.info(`${path.name}: maintenance notice ${d.eventArn} without a start and end time yet: waiting for its update`, { path: path.name });
        return undefined;
      }
      return (s) => ({ ...s, maintenance: { start: new Date(start).toISOString(), end: new Date(end).toISOString() } });
    }
    case 'CloudWatch Alarm State Change': {
      const d = (event as AlarmStateChange).detail;
      const at = new Date(d.state.timestamp).toISOString();
      const primary = [linkAlarm.primaryConnection(path.name), linkAlarm.primaryBgp(path.name)].map(deps.alarmName);
      if (primary.includes(d.alarmName)) return (s) => ({ ...s, primary: observeAlarm(s.primary, d.alarmName, d.state.value, at) });
      const backup = path.backups.find((b) => deps.alarmName(linkAlarm.backupTunnel(path.name, b.name)) === d.alarmName);
      if (!backup) return undefined;
      return (s) => ({ ...s, backups: { ...s.backups, [backup.name]: observeAlarm(s.backups[backup.name]!, d.alarmName, d.state.value, at) } });
    }
    default:
      return undefined;
  }
}

async function evaluate(path: PathConfig, observe: Observe, now: Date, deps: FailoverDeps, reports: ActionReport[]): Promise<void> {
  const saved = await deps.state.path(path.name);
  const base = saved?.state ?? newPath(path.name, path.backups.map((b) => b.name), now.toISOString());
  // Backups added to the config since the state was saved start unknown.
  const known = { ...base, backups: Object.fromEntries(path.backups.map((b) => [b.name, base.backups[b.name] ?? { status: 'unknown' as const, since: now.toISOString(), alarms: {} }])) };
  let state = observe(known);
  const timers: Timers = deps.config;
  const order = path.backups.map((b) => b.name);
  let decision = decide(state, now, timers, order);

  // Telemetry confirms a backup before any route points at it; one that is not up counts as down.
  while (decision.kind === 'failover') {
    const backup = path.backups.find((b) => b.name === (decision as { to: string }).to)!;
    const tunnels = await deps.links.vpnTunnels(backup.vpnConnectionId);
    if (tunnels && tunnels.up > 0) break;
    deps.log.info(`${path.name}: ${backup.name} (${backup.vpnConnectionId}) has ${tunnels ? `${tunnels.up} of ${tunnels.total}` : 'no'} tunnels up: not failing over to it`, { path: path.name });
    state = { ...state, backups: { ...state.backups, [backup.name]: { ...state.backups[backup.name]!, status: 'down', since: now.toISOString() } } };
    decision = decide(state, now, timers, order);
  }

  // Dry-run changes no route, so the path stays where it is: each such decision is journaled once, not every minute.
  const dryRunKey = decision.kind === 'failover' || decision.kind === 'failback' ? `dry-run:${decision.kind}:${decision.kind === 'failover' ? decision.to : 'primary'}` : undefined;
  if (deps.dryRun && dryRunKey && state.lastAlert === dryRunKey) {
    deps.log.info(`${path.name}: would ${decision.kind} (dry-run, journaled already): ${decision.reason}`, { path: path.name, decision: decision.kind });
  } else if (decision.kind === 'failover' || decision.kind === 'failback') {
    const entry = await change(path, state, decision, now, deps);
    await deps.state.journal(entry);
    reports.push(...entry.tables.map((t, i) => report(path, entry, t, i, deps)));
  } else if (decision.kind === 'freeze' || (decision.kind === 'alert' && state.lastAlert !== decision.key)) {
    const from = state.routedVia.kind === 'primary' ? 'primary' : state.routedVia.backup;
    await deps.state.journal({ path: path.name, at: now.toISOString(), decision: decision.kind, from, to: from, prefixes: path.prefixes, tables: tablesOf(path).map(tableId), reason: decision.reason, verification: [], dryRun: deps.dryRun });
    reports.push({
      action: decision.kind === 'freeze' ? 'route-failover:Freeze' : 'route-failover:Alert',
      targets: tablesOf(path).map((t) => ({ id: t.id, arn: deps.tableArn(t) })),
      reason: `${path.name} (${path.prefixes.join(', ')}): ${decision.reason}`,
      outcome: 'alert',
      severity: 'critical',
    });
  } else {
    deps.log.info(`${path.name}: ${decision.reason}`, { path: path.name, decision: decision.kind });
  }

  const next = deps.dryRun && dryRunKey ? { ...state, lastAlert: dryRunKey } : applied(state, decision, now);
  // The timer evaluates every path every minute: a state that did not change is not written again (one write
  // per path per minute, and a version bump that would make a concurrent alarm's save lose for nothing).
  if (saved && JSON.stringify(next) === JSON.stringify(saved.state)) return;
  if (!(await deps.state.savePath(next, saved?.version ?? 0))) {
    throw new PathBusyError(`${path.name}: its state was saved by another invocation meanwhile; retrying`);
  }
}

/** Carries out a failover or failback in every route table of the path, each under its lease, and verifies it. */
async function change(path: PathConfig, state: PathState, decision: Extract<Decision, { kind: 'failover' | 'failback' }>, now: Date, deps: FailoverDeps): Promise<JournalEntry> {
  const from = state.routedVia.kind === 'primary' ? 'primary' : state.routedVia.backup;
  const to = decision.kind === 'failover' ? decision.to : 'primary';
  const verification: string[] = [];
  const installed = await deps.state.installed(path.name);
  for (const table of tablesOf(path)) {
    verification.push(
      await withLease(table.id, deps, async () => {
        const lines: string[] = [];
        for (const prefix of path.prefixes) {
          const ours = installed.find((r) => r.table.id === table.id && r.prefix === prefix);
          lines.push(decision.kind === 'failover' ? await install(path, table, prefix, targetOf(path, to, table), ours, now, deps) : await uninstall(table, prefix, ours, deps));
        }
        return `${table.id}: ${lines.join('; ')}`;
      }),
    );
  }
  deps.log.info(`${path.name}: ${decision.kind} ${from} → ${to}: ${decision.reason}`, { path: path.name, decision: decision.kind, verification });
  return { path: path.name, at: now.toISOString(), decision: decision.kind, from, to, prefixes: path.prefixes, tables: tablesOf(path).map(tableId), reason: decision.reason, verification, dryRun: deps.dryRun };
}

/** Installs (or moves) Reflex's static route for a prefix; never touches a static route Reflex did not install. */
async function install(path: PathConfig, table: RouteTableRef, prefix: string, target: string, ours: InstalledRoute | undefined, now: Date, deps: FailoverDeps): Promise<string> {
  const live = (await deps.routes.routesWithin(table, prefix)).find((r) => r.destination === prefix && r.origin === 'static');
  if (live && !ours) return `${prefix}: a static route Reflex did not install points at ${live.target ?? 'nothing'}: left alone, not failed over`;
  if (live && ours && live.target === target) return verified(table, prefix, target, deps, 'already');
  if (live && ours) await deps.routes.removeStatic(table, prefix);
  const written = await deps.routes.addStatic(table, prefix, target);
  if (written === 'conflict') return `${prefix}: a route appeared while Reflex wrote it: not failed over`;
  if (written === 'dry-run') return `${prefix}: would point at ${target} (dry-run)`;
  await deps.state.putInstalled({ path: path.name, table, prefix, target, installedAt: now.toISOString() });
  return verified(table, prefix, target, deps, 'installed');
}

async function uninstall(table: RouteTableRef, prefix: string, ours: InstalledRoute | undefined, deps: FailoverDeps): Promise<string> {
  if (!ours) return `${prefix}: Reflex has no route here`;
  const live = (await deps.routes.routesWithin(table, prefix)).find((r) => r.destination === prefix && r.origin === 'static');
  if (live && live.target !== ours.target) {
    await deps.state.deleteInstalled(ours);
    return `${prefix}: the static route now points at ${live.target}, not Reflex's ${ours.target}: left alone`;
  }
  const removed = live ? await deps.routes.removeStatic(table, prefix) : 'conflict';
  if (removed === 'dry-run') return `${prefix}: would remove the static route to ${ours.target} (dry-run)`;
  await deps.state.deleteInstalled(ours);
  const after = await deps.routes.routesWithin(table, prefix);
  const effective = after.find((r) => r.destination === prefix);
  return `${prefix}: removed${removed === 'conflict' ? ' (it was gone already)' : ''}; now ${effective ? `${effective.origin} via ${effective.target ?? '?'} (${effective.state})` : 'no route for it'}`;
}

/** Reads the table again: the prefix must go static to the target, and no more specific route may point elsewhere. */
async function verified(table: RouteTableRef, prefix: string, target: string, deps: FailoverDeps, what: string): Promise<string> {
  const routes = await deps.routes.routesWithin(table, prefix);
  const exact = routes.find((r) => r.destination === prefix && r.origin === 'static');
  const specifics = routes.filter((r) => r.destination !== prefix && r.target !== target && r.state === 'active');
  const ok = exact?.target === target && exact.state === 'active';
  return `${prefix}: ${what}, verified ${ok ? `static via ${target}` : `NOT effective (${exact ? `${exact.target} ${exact.state}` : 'no static route'})`}${specifics.length ? `; more specific routes still win for ${specifics.map((r) => `${r.destination} via ${r.target}`).join(', ')}` : ''}`;
}

function report(path: PathConfig, entry: JournalEntry, table: string, i: number, deps: FailoverDeps): ActionReport {
  const ref = tablesOf(path).find((t) => t.id === table)!;
  return {
    action: ref.kind === 'tgw' ? (entry.decision === 'failover' ? 'ec2:CreateTransitGatewayRoute' : 'ec2:DeleteTransitGatewayRoute') : entry.decision === 'failover' ? 'ec2:CreateRoute' : 'ec2:DeleteRoute',
    targets: [{ id: table, arn: deps.tableArn(ref) }],
    reason: `${path.name} ${entry.decision} ${entry.from} → ${entry.to} (${entry.prefixes.join(', ')}): ${entry.reason}. ${entry.verification[i]}`,
    outcome: deps.dryRun ? 'dry-run' : /NOT effective|left alone|not failed over/.test(entry.verification[i] ?? '') ? 'failed' : 'succeeded',
    severity: 'warning',
  };
}

/** Runs `work` holding the route table's write lease, waiting for another holder up to `leaseWaitMs`. */
function withLease<T>(table: string, deps: FailoverDeps, work: () => Promise<T>): Promise<T> {
  return withKeyLease(deps.state, table, { holder: deps.holder, now: deps.now, leaseMs: LEASE_MS, waitMs: deps.leaseWaitMs, busy: PathBusyError }, work);
}

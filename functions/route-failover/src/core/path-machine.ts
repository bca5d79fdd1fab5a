import type { AlarmStateValue } from '@reflex/events';

/** What Reflex believes of a link (the primary, or one backup), from its alarms. */
export type LinkStatus = 'up' | 'down' | 'unknown';

export interface LinkState {
  readonly status: LinkStatus;
  /** ISO time the status began (the alarm's own state timestamp). */
  readonly since: string;
  /** Each alarm of the link: its last state and that state's timestamp (older events are ignored). */
  readonly alarms: Readonly<Record<string, { readonly state: AlarmStateValue; readonly at: string }>>;
}

/** Where a path's prefixes go by Reflex's doing: the primary (no Reflex route), or a backup (Reflex's static routes). */
export type RoutedVia = { readonly kind: 'primary' } | { readonly kind: 'backup'; readonly backup: string };

/** Manual override, `reflex routes failover <path> --to …`. */
export type Override = 'auto' | 'backup' | 'primary';

/** The state of one path, as the state table keeps it. */
export interface PathState {
  readonly path: string;
  readonly routedVia: RoutedVia;
  readonly primary: LinkState;
  readonly backups: Readonly<Record<string, LinkState>>;
  readonly override: Override;
  /** Past the cap of changes per hour, the path stays as it is until someone sets the override to auto. */
  readonly frozen?: { readonly since: string; readonly reason: string };
  /** ISO times of route changes (failovers, failbacks, backup switches) within the last hour. */
  readonly changes: readonly string[];
  readonly lastChangeAt?: string;
  /** The key of the last alert, so that one condition alerts once. */
  readonly lastAlert?: string;
  /** An announced Direct Connect maintenance of the primary (AWS Health). */
  readonly maintenance?: { readonly start: string; readonly end: string };
}

/** The timers of a path (config). */
export interface Timers {
  /** The primary must be down this long before a failover (flaps inside it do nothing). */
  readonly downDwellSeconds: number;
  /** The primary must be up this long before a failback; longer than the down dwell. */
  readonly upDwellSeconds: number;
  /** No change within this long of the last one. */
  readonly holdDownSeconds: number;
  /** Changes per path per hour; the next one freezes the path and alerts instead. */
  readonly maxChangesPerHour: number;
  /** During an announced maintenance of the primary: move to the backup beforehand, or leave routing to BGP and suppress failovers. */
  readonly maintenance: 'prestage' | 'suppress';
}

/** What to do with a path now. */
export type Decision =
  | { readonly kind: 'none'; readonly reason: string; readonly nextCheckAt?: string }
  | { readonly kind: 'failover'; readonly to: string; readonly reason: string }
  | { readonly kind: 'failback'; readonly reason: string }
  | { readonly kind: 'freeze'; readonly reason: string }
  | { readonly kind: 'alert'; readonly key: string; readonly reason: string };

const seconds = (from: string, to: Date) => (to.getTime() - Date.parse(from)) / 1000;
const plus = (from: string, s: number) => new Date(Date.parse(from) + s * 1000).toISOString();

/** A link's state from scratch: unknown until its alarms report. */
export function unknownLink(at: string): LinkState {
  return { status: 'unknown', since: at, alarms: {} };
}

/** A new path: routed via the primary, status unknown, automatic. */
export function newPath(path: string, backups: readonly string[], at: string): PathState {
  return {
    path,
    routedVia: { kind: 'primary' },
    primary: unknownLink(at),
    backups: Object.fromEntries(backups.map((b) => [b, unknownLink(at)])),
    override: 'auto',
    changes: [],
  };
}

/** A link's status from its alarms: down if any is in ALARM, up if all are OK, else unknown. */
function statusOf(alarms: LinkState['alarms']): LinkStatus {
  const states = Object.values(alarms).map((a) => a.state);
  if (states.includes('ALARM')) return 'down';
  return states.length > 0 && states.every((s) => s === 'OK') ? 'up' : 'unknown';
}

/**
 * A link after one alarm state change. An event no newer than the one the alarm's state came from changes
 * nothing (redelivered, or out of order); `since` moves only when the link's status changes.
 */
export function observeAlarm(link: LinkState, alarmName: string, state: AlarmStateValue, at: string): LinkState {
  const known = link.alarms[alarmName];
  if (known && Date.parse(known.at) >= Date.parse(at)) return link;
  const alarms = { ...link.alarms, [alarmName]: { state, at } };
  const status = statusOf(alarms);
  return { status, since: status === link.status ? link.since : at, alarms };
}

/**
 * Decides what to do with a path at `now`, from its state alone (pure): fail over once the primary has been
 * down for the down dwell, to the first backup (in priority order) that is up; fail back once the primary has
 * been up for the up dwell; never within the hold-down of the last change; past the cap of changes per hour,
 * freeze. A manual override skips the dwells, the hold-down and the cap (a person decided), never the health
 * of the backup. When every backup is down, nothing changes and Reflex alerts once.
 */
export function decide(state: PathState, now: Date, timers: Timers, backupOrder: readonly string[]): Decision {
  if (state.frozen) {
    return { kind: 'none', reason: `frozen since ${state.frozen.since} (${state.frozen.reason}); \`reflex routes failover ${state.path} --to auto\` releases it` };
  }
  const want = wanted(state, now, timers);
  if (want.route === 'stay') return { kind: 'none', reason: want.reason, ...(want.nextCheckAt ? { nextCheckAt: want.nextCheckAt } : {}) };
  const manual = state.override !== 'auto';
  const gate = manual ? undefined : rateGate(state, now, timers, want.reason);
  if (want.route === 'primary') return gate ?? { kind: 'failback', reason: want.reason };
  const current = state.routedVia.kind === 'backup' ? state.routedVia.backup : undefined;
  const to = backupOrder.find((b) => state.backups[b]?.status === 'up');
  if (!to) {
    const key = `all-backups-down:${state.primary.since}`;
    return { kind: 'alert', key, reason: `${want.reason}, but no backup is up (${backupOrder.map((b) => `${b}: ${state.backups[b]?.status ?? 'unknown'}`).join(', ')}): changing nothing` };
  }
  if (to === current) return { kind: 'none', reason: `routed via ${to} already` };
  return gate ?? { kind: 'failover', to, reason: current ? `${current} is down; ${want.reason}` : want.reason };
}

type Want = { route: 'stay'; reason: string; nextCheckAt?: string } | { route: 'primary' | 'backup'; reason: string };

function wanted(state: PathState, now: Date, timers: Timers): Want {
  const onBackup = state.routedVia.kind === 'backup';
  if (state.override === 'backup') return onBackup && backupUp(state) ? { route: 'stay', reason: 'override: backup' } : { route: 'backup', reason: 'override: backup' };
  if (state.override === 'primary') return onBackup ? { route: 'primary', reason: 'override: primary' } : { route: 'stay', reason: 'override: primary' };
  const { primary } = state;
  const m = state.maintenance;
  if (m && Date.parse(m.start) <= now.getTime() && now.getTime() < Date.parse(m.end)) {
    if (timers.maintenance === 'suppress') return { route: 'stay', reason: `maintenance of the primary until ${m.end}: failovers suppressed` };
    if (!onBackup || !backupUp(state)) return { route: 'backup', reason: `maintenance of the primary from ${m.start} to ${m.end}: pre-staged on the backup` };
    return { route: 'stay', reason: `maintenance of the primary until ${m.end}` };
  }
  if (!onBackup) {
    if (primary.status !== 'down') return { route: 'stay', reason: `primary is ${primary.status}` };
    const down = seconds(primary.since, now);
    if (down < timers.downDwellSeconds) {
      return { route: 'stay', reason: `primary down for ${down.toFixed(0)} s of the ${timers.downDwellSeconds} s down dwell`, nextCheckAt: plus(primary.since, timers.downDwellSeconds) };
    }
    return { route: 'backup', reason: `primary down since ${primary.since} (${down.toFixed(0)} s ≥ down dwell ${timers.downDwellSeconds} s)` };
  }
  if (primary.status === 'up') {
    const up = seconds(primary.since, now);
    if (up >= timers.upDwellSeconds) return { route: 'primary', reason: `primary up since ${primary.since} (${up.toFixed(0)} s ≥ up dwell ${timers.upDwellSeconds} s)` };
    return { route: 'stay', reason: `primary up for ${up.toFixed(0)} s of the ${timers.upDwellSeconds} s up dwell`, nextCheckAt: plus(primary.since, timers.upDwellSeconds) };
  }
  return backupUp(state) ? { route: 'stay', reason: `primary is ${primary.status}; routed via the backup` } : { route: 'backup', reason: `primary is ${primary.status}` };
}

function backupUp(state: PathState): boolean {
  return state.routedVia.kind === 'backup' && state.backups[state.routedVia.backup]?.status === 'up';
}

/** The hold-down and the cap, for automatic changes: a decision that stops the change, or undefined. */
function rateGate(state: PathState, now: Date, timers: Timers, why: string): Decision | undefined {
  if (state.lastChangeAt && seconds(state.lastChangeAt, now) < timers.holdDownSeconds) {
    const until = plus(state.lastChangeAt, timers.holdDownSeconds);
    return { kind: 'none', reason: `${why}; hold-down after the change at ${state.lastChangeAt} until ${until}`, nextCheckAt: until };
  }
  const recent = state.changes.filter((c) => seconds(c, now) < 3600);
  if (recent.length >= timers.maxChangesPerHour) {
    return { kind: 'freeze', reason: `${why}, but ${recent.length} changes in the last hour reach the cap of ${timers.maxChangesPerHour}: the path stays as it is` };
  }
  return undefined;
}

/** A path after a decision was carried out at `at`. */
export function applied(state: PathState, decision: Decision, at: Date): PathState {
  const now = at.toISOString();
  const changes = [...state.changes.filter((c) => seconds(c, at) < 3600), now];
  switch (decision.kind) {
    case 'failover':
      return { ...state, routedVia: { kind: 'backup', backup: decision.to }, changes, lastChangeAt: now };
    case 'failback':
      return { ...state, routedVia: { kind: 'primary' }, changes, lastChangeAt: now };
    case 'freeze':
      return { ...state, frozen: { since: now, reason: decision.reason }, lastAlert: `freeze:${now}` };
    case 'alert':
      return { ...state, lastAlert: decision.key };
    default:
      return state;
  }
}

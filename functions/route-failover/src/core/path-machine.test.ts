import { describe, expect, it } from '@jest/globals';
import { applied, decide, newPath, observeAlarm, type PathState, type Timers } from './path-machine';

const T0 = new Date('2026-12-06T10:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const iso = (s: number) => at(s).toISOString();
const TIMERS: Timers = { downDwellSeconds: 60, upDwellSeconds: 300, holdDownSeconds: 120, maxChangesPerHour: 3, maintenance: 'prestage' };
const BACKUPS = ['vpn-a', 'vpn-b'];

/** A path whose backups are up (their tunnel alarms OK) and whose primary is up. */
function healthy(): PathState {
  let state = newPath('dc1', BACKUPS, iso(-3600));
  state = { ...state, primary: observeAlarm(state.primary, 'dc1-primary', 'OK', iso(-3600)) };
  for (const b of BACKUPS) state = { ...state, backups: { ...state.backups, [b]: observeAlarm(state.backups[b]!, `dc1-${b}`, 'OK', iso(-3600)) } };
  return state;
}
const primary = (state: PathState, value: 'OK' | 'ALARM', s: number, alarm = 'dc1-primary'): PathState => ({ ...state, primary: observeAlarm(state.primary, alarm, value, iso(s)) });
const backup = (state: PathState, b: string, value: 'OK' | 'ALARM', s: number): PathState => ({ ...state, backups: { ...state.backups, [b]: observeAlarm(state.backups[b]!, `dc1-${b}`, value, iso(s)) } });
/** Decides at `s` and applies what it decided. */
function step(state: PathState, s: number, timers = TIMERS) {
  const decision = decide(state, at(s), timers, BACKUPS);
  return { decision, state: applied(state, decision, at(s)) };
}

describe('a path: failover', () => {
  it('does nothing while the primary is down for less than the down dwell, and says when to look again', () => {
    const state = primary(healthy(), 'ALARM', 0);

    expect(decide(state, at(59), TIMERS, BACKUPS)).toEqual({ kind: 'none', reason: 'primary down for 59 s of the 60 s down dwell', nextCheckAt: iso(60) });
  });

  it('fails over to the first backup that is up once the down dwell has passed', () => {
    const state = backup(primary(healthy(), 'ALARM', 0), 'vpn-a', 'ALARM', 10);

    expect(decide(state, at(60), TIMERS, BACKUPS)).toMatchObject({ kind: 'failover', to: 'vpn-b' });
  });

  it('ignores flaps inside the down dwell: down, up, down again restarts the dwell', () => {
    let state = primary(healthy(), 'ALARM', 0);
    state = primary(state, 'OK', 30);
    state = primary(state, 'ALARM', 40);

    expect(decide(state, at(90), TIMERS, BACKUPS)).toMatchObject({ kind: 'none', nextCheckAt: iso(100) });
    expect(decide(state, at(100), TIMERS, BACKUPS)).toMatchObject({ kind: 'failover', to: 'vpn-a' });
  });

  it('counts the primary down when any of its alarms is in ALARM (connection or BGP)', () => {
    let state = primary(healthy(), 'OK', 0, 'dc1-primary-bgp');
    state = primary(state, 'ALARM', 5, 'dc1-primary-bgp');

    expect(state.primary.status).toBe('down');
    expect(decide(state, at(65), TIMERS, BACKUPS)).toMatchObject({ kind: 'failover' });
  });

  it('changes nothing and alerts once when every backup is down', () => {
    let state = primary(healthy(), 'ALARM', 0);
    state = backup(backup(state, 'vpn-a', 'ALARM', 1), 'vpn-b', 'ALARM', 2);

    const first = step(state, 60);
    const again = decide(first.state, at(120), TIMERS, BACKUPS);

    expect(first.decision).toMatchObject({ kind: 'alert', reason: expect.stringMatching(/no backup is up \(vpn-a: down, vpn-b: down\): changing nothing$/) });
    expect(first.state.routedVia).toEqual({ kind: 'primary' });
    expect(again).toMatchObject({ kind: 'alert', key: first.state.lastAlert });
  });

  it('moves to the next backup when the one in use goes down while the primary still is', () => {
    let { state } = step(primary(healthy(), 'ALARM', 0), 60);
    state = backup(state, 'vpn-a', 'ALARM', 400);

    expect(decide(state, at(400), TIMERS, BACKUPS)).toMatchObject({ kind: 'failover', to: 'vpn-b', reason: expect.stringMatching(/^vpn-a is down; /) });
  });
});

describe('a path: failback', () => {
  it('fails back only after the primary has been up for the up dwell', () => {
    let { state } = step(primary(healthy(), 'ALARM', 0), 60);
    state = primary(state, 'OK', 600);

    expect(decide(state, at(899), TIMERS, BACKUPS)).toMatchObject({ kind: 'none', nextCheckAt: iso(900) });
    expect(decide(state, at(900), TIMERS, BACKUPS)).toMatchObject({ kind: 'failback' });
  });

  it('a primary that flaps during the up dwell restarts it', () => {
    let { state } = step(primary(healthy(), 'ALARM', 0), 60);
    state = primary(primary(primary(state, 'OK', 600), 'ALARM', 700), 'OK', 710);

    expect(decide(state, at(900), TIMERS, BACKUPS)).toMatchObject({ kind: 'none', nextCheckAt: iso(1010) });
  });
});

describe('a path: hold-down and cap', () => {
  it('makes no change within the hold-down of the last one', () => {
    let { state } = step(primary(healthy(), 'ALARM', 0), 60);
    state = primary(state, 'OK', 61);
    const timers = { ...TIMERS, upDwellSeconds: 30 };

    expect(decide(state, at(100), timers, BACKUPS)).toMatchObject({ kind: 'none', reason: expect.stringMatching(/hold-down .* until 2026-12-06T10:03:00.000Z$/) });
    expect(decide(state, at(180), timers, BACKUPS)).toMatchObject({ kind: 'failback' });
  });

  it('freezes the path past the cap of changes per hour, and then changes nothing until released', () => {
    const timers = { ...TIMERS, downDwellSeconds: 10, upDwellSeconds: 20, holdDownSeconds: 0, maxChangesPerHour: 2 };
    let state = primary(healthy(), 'ALARM', 0);
    ({ state } = step(state, 10, timers)); // failover
    state = primary(state, 'OK', 20);
    ({ state } = step(state, 40, timers)); // failback
    state = primary(state, 'ALARM', 50);

    const frozen = step(state, 60, timers);

    expect(frozen.decision).toMatchObject({ kind: 'freeze', reason: expect.stringMatching(/2 changes in the last hour reach the cap of 2/) });
    expect(frozen.state.routedVia).toEqual({ kind: 'primary' });
    expect(decide(frozen.state, at(7200), timers, BACKUPS)).toMatchObject({ kind: 'none', reason: expect.stringMatching(/^frozen since/) });
    expect(decide({ ...frozen.state, frozen: undefined }, at(7200), timers, BACKUPS)).toMatchObject({ kind: 'failover' });
  });

  it('counts only the changes of the last hour', () => {
    const state: PathState = { ...primary(healthy(), 'ALARM', 0), changes: [iso(-4000), iso(-3700), iso(-3650)] };

    expect(decide(state, at(60), TIMERS, BACKUPS)).toMatchObject({ kind: 'failover' });
  });
});

describe('a path: events out of order and redelivered', () => {
  it('ignores an alarm event no newer than the state it has', () => {
    const state = primary(healthy(), 'ALARM', 100);

    expect(primary(state, 'OK', 50)).toEqual(state);
    expect(primary(state, 'ALARM', 100)).toEqual(state);
  });

  it('a redelivered event after a failover decides nothing new', () => {
    const down = primary(healthy(), 'ALARM', 0);
    const { state } = step(down, 60);

    expect(decide(primary(state, 'ALARM', 0), at(61), TIMERS, BACKUPS)).toMatchObject({ kind: 'none', reason: expect.stringMatching(/routed via the backup|routed via vpn-a/) });
  });
});

describe('a path: overrides and maintenance', () => {
  it('--to backup moves to a healthy backup at once, without dwell or hold-down', () => {
    const state: PathState = { ...healthy(), override: 'backup', lastChangeAt: iso(-1) };

    expect(decide(state, at(0), TIMERS, BACKUPS)).toMatchObject({ kind: 'failover', to: 'vpn-a', reason: 'override: backup' });
  });

  it('--to primary moves back at once, even while the primary is down', () => {
    const { state } = step(primary(healthy(), 'ALARM', 0), 60);

    expect(decide({ ...state, override: 'primary' }, at(61), TIMERS, BACKUPS)).toMatchObject({ kind: 'failback', reason: 'override: primary' });
  });

  it('pre-stages on the backup during an announced maintenance, and suppresses failovers in suppress mode', () => {
    const state: PathState = { ...healthy(), maintenance: { start: iso(0), end: iso(3600) } };

    expect(decide(state, at(10), TIMERS, BACKUPS)).toMatchObject({ kind: 'failover', to: 'vpn-a', reason: expect.stringMatching(/pre-staged/) });
    expect(decide(primary(state, 'ALARM', 5), at(100), { ...TIMERS, maintenance: 'suppress' }, BACKUPS)).toMatchObject({ kind: 'none', reason: expect.stringMatching(/suppressed/) });
    expect(decide(state, at(-10), TIMERS, BACKUPS)).toMatchObject({ kind: 'none' });
  });
});

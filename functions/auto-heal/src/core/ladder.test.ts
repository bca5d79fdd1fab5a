import { describe, expect, it } from '@jest/globals';
import * as z from '@reflex/events/zod';
import { AutoHealConfigSchema } from '../manifest';
import { acted, decide, expire, type Ladder, newLadder, nextStep, outcomeOf, quiet, verdict } from './ladder';

const config = z.parse(AutoHealConfigSchema, {});
const T0 = new Date('2026-03-03T03:00:00.000Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const rebooted: Ladder = acted(newLadder('i-0abc1234def567890'), 'reboot', 'reflex-heal-i-0abc1234def567890', T0, 'acted', 'healed');

describe('ladder', () => {
  it('climbs reboot → stop/start → replacement, the last only when the instance can be replaced', () => {
    expect([nextStep(undefined, false), nextStep('reboot', false), nextStep('stop-start', true), nextStep('stop-start', false), nextStep('replace', true)]).toEqual([
      'reboot',
      'stop-start',
      'replace',
      undefined,
      undefined,
    ]);
  });

  it('is quiet within the cooldown, and decides after it', () => {
    expect(quiet(rebooted, minutes(9), config)).toContain('cooling down');
    expect(quiet(rebooted, minutes(10), config)).toBeUndefined();
    expect(decide(rebooted, config, false)).toMatchObject({ kind: 'act', step: 'stop-start' });
  });

  it('spends the budget, then alerts once, then stays quiet until an action leaves the window', () => {
    const spent = { ...rebooted, actions: [minutes(-50), minutes(-30), T0].map((d) => d.toISOString()), episode: undefined };
    expect(decide(spent, config, false)).toMatchObject({ kind: 'budget', step: 'reboot' });
    const alerted = { ...spent, budgetAlertAt: minutes(1).toISOString() };
    expect(quiet(alerted, minutes(5), config)).toContain('the budget is spent');
    expect(expire(alerted, minutes(24 * 60 - 49), config).actions).toHaveLength(2);
  });

  it('forgets an episode left open longer than the window', () => {
    expect(expire(rebooted, minutes(24 * 60 + 1), config).episode).toBeUndefined();
    expect(expire(rebooted, minutes(24 * 60 - 1), config).episode).toBeDefined();
  });

  it('judges a step from the alarm and the status checks', () => {
    const ok = { instance: 'ok', system: 'ok' };
    expect(verdict({ name: 'a', state: 'OK' }, 'running', ok).kind).toBe('healed');
    expect(verdict({ name: 'a', state: 'ALARM' }, 'running', ok).kind).toBe('unhealthy');
    expect(verdict({ name: 'a', state: 'OK' }, 'running', { instance: 'impaired', system: 'ok' }).kind).toBe('unhealthy');
    expect(verdict({ name: 'a', state: 'INSUFFICIENT_DATA' }, 'running', { instance: 'initializing', system: 'ok' }).kind).toBe('unknown');
    expect(verdict({ name: 'a', state: undefined }, 'terminated', undefined).kind).toBe('gone');
  });

  it('says how the instance looks after a step', () => {
    expect(outcomeOf('running', { instance: 'ok', system: 'ok' })).toBe('healed (status checks ok)');
    expect(outcomeOf('running', { instance: 'initializing', system: 'ok' })).toBe('recovering (instance initializing, system ok)');
    expect(outcomeOf('stopping', undefined)).toBe('stopping');
  });
});

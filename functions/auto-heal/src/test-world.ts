// An in-memory world for tests of auto-heal's core: EC2, CloudWatch, Auto Scaling and the state table, a clock
// the test moves, and the decision log.
import * as z from '@reflex/events/zod';
import type { ActionReport } from '@reflex/lambda-kit';
import { MemoryAlarms, MemoryGroups, MemoryHealState, MemoryInstances } from './adapters/memory';
import { autoHeal, type HealDeps, type HealEvent } from './core';
import { AutoHealConfigSchema } from './manifest';
import type { InstanceStatusView } from './ports';

export const START = '2026-03-03T03:00:00.000Z';

export function world(config: Record<string, unknown> = {}) {
  const ec2 = new MemoryInstances();
  const alarms = new MemoryAlarms();
  const groups = new MemoryGroups(ec2);
  const state = new MemoryHealState();
  const messages: string[] = [];
  let clock = new Date(START);
  const deps: HealDeps = {
    instances: ec2,
    alarms,
    groups,
    state,
    config: z.parse(AutoHealConfigSchema, config),
    log: { info: (message) => void messages.push(message) },
    now: () => clock,
    // Waiting moves the clock, as it would.
    sleep: async (ms) => {
      clock = new Date(clock.getTime() + ms);
    },
    holder: 'test-holder',
    instanceArn: (id) => `arn:aws:ec2:us-east-1:123456789012:instance/${id}`,
    leaseWaitMs: 0,
  };
  return {
    ec2,
    alarms,
    groups,
    state,
    deps,
    messages,
    /** The time now, ISO. */
    now: () => clock.toISOString(),
    /** Moves the clock on by `minutes`; answers the new time, ISO. */
    advance(minutes: number): string {
      clock = new Date(clock.getTime() + minutes * 60_000);
      return clock.toISOString();
    },
    /** A running instance tagged reflex:heal=true (and `tags`), with healthy status checks unless `status` says otherwise. */
    instance(id: string, tags: Record<string, string> = {}, options: { state?: string; status?: InstanceStatusView; autoRecovery?: string } = {}) {
      ec2.add({ id, state: options.state ?? 'running', tags: { 'reflex:heal': 'true', ...tags }, ...(options.status ? { status: options.status } : {}), ...(options.autoRecovery ? { autoRecovery: options.autoRecovery } : {}) });
    },
    handle: (event: HealEvent): Promise<ActionReport[]> => autoHeal(event, deps),
  };
}

export const impaired = (system = 'ok', instance = 'impaired', events: InstanceStatusView['events'] = []): InstanceStatusView => ({ instance, system, events });

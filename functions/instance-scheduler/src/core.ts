import { formatStamp, parseTagTime, REFLEX_TAGS, type ScheduledEvent } from '@reflex/events';
import { type ActionReport, chunks } from '@reflex/lambda-kit';
import { desiredState, plannedTransitions, type Schedule } from '@reflex/schedules';
import { manifest, RUN_EVERY_MINUTES, type SchedulerConfig } from './manifest';
import type { BatchResult, DecisionLog, ScheduledInstance, SchedulerPort } from './ports';

/** What the scheduler will do with one instance, and why. */
export interface Decision {
  readonly id: string;
  readonly action: 'start' | 'stop' | 'none';
  readonly reason: string;
}

/** Runs that may be lost before a transition is missed: the scheduler looks back over two runs. */
const LOOKBACK_MS = 2 * RUN_EVERY_MINUTES * 60_000;

/**
 * Decides, for each scheduled instance, whether to start or stop it at `now`. The opt-out tag wins over
 * everything; an override keeps the instance as it is until its time; then the schedule decides — at its
 * transitions, or on every run when `enforce` is set — within what its mode allows.
 */
export function plan(instances: readonly ScheduledInstance[], config: SchedulerConfig, now: Date): Decision[] {
  const schedules = new Map(config.schedules.map((s) => [s.name, s]));
  return instances.map((instance) => decide(instance, schedules, config.enforce, now));
}

function decide(instance: ScheduledInstance, schedules: Map<string, Schedule>, enforce: boolean, now: Date): Decision {
  const none = (reason: string): Decision => ({ id: instance.id, action: 'none', reason });
  const { tags } = instance;
  if (tags[REFLEX_TAGS.scheduleOptOut] === 'true') return none(`opted out (${REFLEX_TAGS.scheduleOptOut}=true)`);
  const name = tags[REFLEX_TAGS.schedule] ?? '';
  const schedule = schedules.get(name);
  if (!schedule) return none(`no schedule named "${name}"`);
  const override = parseTagTime(tags[REFLEX_TAGS.overrideUntil]);
  if (override && override > now) return none(`overridden until ${override.toISOString()}`);

  let desired: 'running' | 'stopped';
  if (enforce) {
    desired = desiredState(schedule, now);
  } else {
    const last = plannedTransitions(schedule, new Date(now.getTime() - LOOKBACK_MS), now).at(-1);
    if (!last) return none(`no transition of schedule "${name}" since the last runs`);
    desired = last.action === 'start' ? 'running' : 'stopped';
  }
  if (desired === 'running' && schedule.mode === 'stop-only') return none(`schedule "${name}" only stops`);
  if (desired === 'stopped' && schedule.mode === 'start-only') return none(`schedule "${name}" only starts`);
  const why = `schedule "${name}" (${schedule.timezone}) wants it ${desired} at ${now.toISOString()}`;
  if (desired === 'stopped' && instance.state === 'running') return { id: instance.id, action: 'stop', reason: why };
  if (desired === 'running' && instance.state === 'stopped') return { id: instance.id, action: 'start', reason: why };
  return none(`it is ${instance.state}, and ${why}`);
}

export interface SchedulerDeps {
  readonly instances: SchedulerPort;
  readonly config: SchedulerConfig;
  readonly log: DecisionLog;
  /** The time an intent is recorded with. @default the wall clock */
  readonly clock?: () => Date;
}

/**
 * One run of the scheduler, at the time the schedule rule fired (`event.time`): plans, records the intent to
 * stop on each instance before stopping it (so the guard knows the stop was intended), then stops and
 * starts in batches.
 */
export async function scheduler(event: ScheduledEvent, deps: SchedulerDeps): Promise<ActionReport[]> {
  const now = new Date(event.time);
  const instances = await deps.instances.listScheduled();
  const decisions = plan(instances, deps.config, now);
  for (const d of decisions) {
    if (d.action === 'none') deps.log.info(`leaving ${d.id}: ${d.reason}`, { instanceId: d.id, decision: 'none', reason: d.reason });
  }
  const arn = (id: string) => `arn:aws:ec2:${event.region}:${event.account}:instance/${id}`;
  const reports: ActionReport[] = [];
  const toStop = decisions.filter((d) => d.action === 'stop');
  const toStart = decisions.filter((d) => d.action === 'start');

  for (const batch of chunks(toStop, deps.config.batchSize)) {
    const ids = batch.map((d) => d.id);
    const clock = deps.clock ?? (() => new Date());
    await deps.instances.tag(ids, { [REFLEX_TAGS.stopIntent]: formatStamp({ by: manifest.name, at: clock() }) });
    reports.push(...report('ec2:StopInstances', batch, await deps.instances.stop(ids), arn, deps.log));
  }
  for (const batch of chunks(toStart, deps.config.batchSize)) {
    const ids = batch.map((d) => d.id);
    await deps.instances.untag(ids, [REFLEX_TAGS.stopIntent]);
    reports.push(...report('ec2:StartInstances', batch, await deps.instances.start(ids), arn, deps.log));
  }
  return reports;
}

function report(
  action: string,
  batch: readonly Decision[],
  result: BatchResult,
  arn: (id: string) => string,
  log: DecisionLog,
): ActionReport[] {
  const reports: ActionReport[] = [];
  const reasons = new Map(batch.map((d) => [d.id, d.reason]));
  if (result.done.length > 0) {
    reports.push({
      action,
      targets: result.done.map((id) => ({ id, arn: arn(id) })),
      reason: [...new Set(result.done.map((id) => reasons.get(id)!))].join('; '),
      outcome: result.dryRun ? 'dry-run' : 'succeeded',
      severity: 'info',
    });
  }
  for (const id of result.incorrectState) {
    log.info(`${action} ${id}: EC2 says it is not in a state for that; nothing to do`, { instanceId: id, decision: 'none' });
  }
  for (const { id, error } of result.failed) {
    reports.push({ action, targets: [{ id, arn: arn(id) }], reason: reasons.get(id)!, outcome: 'failed', severity: 'warning', error });
  }
  return reports;
}

/** One instance's planned transitions, for `reflex schedule preview`. */
export interface PreviewRow {
  readonly id: string;
  readonly name: string;
  readonly schedule: string;
  readonly timezone?: string;
  readonly state: string;
  readonly transitions: readonly { readonly at: Date; readonly action: 'start' | 'stop' }[];
  /** Why there are no (or fewer) transitions: opted out, unknown schedule, overridden. */
  readonly note?: string;
}

/** The starts and stops the scheduler plans for each instance in (`from`, `to`], as its runs would decide them. */
export function preview(instances: readonly ScheduledInstance[], config: SchedulerConfig, from: Date, to: Date): PreviewRow[] {
  const schedules = new Map(config.schedules.map((s) => [s.name, s]));
  return instances.map((instance) => {
    const { tags } = instance;
    const name = tags[REFLEX_TAGS.schedule] ?? '';
    const base = { id: instance.id, name: tags.Name ?? '', schedule: name, state: instance.state };
    if (tags[REFLEX_TAGS.scheduleOptOut] === 'true') return { ...base, transitions: [], note: 'opted out' };
    const schedule = schedules.get(name);
    if (!schedule) return { ...base, transitions: [], note: `no schedule named "${name}"` };
    const override = parseTagTime(tags[REFLEX_TAGS.overrideUntil]);
    const transitions = plannedTransitions(schedule, from, to).filter((t) => !override || t.at >= override);
    return {
      ...base,
      timezone: schedule.timezone,
      transitions,
      ...(override && override > from ? { note: `overridden until ${override.toISOString()}` } : {}),
    };
  });
}

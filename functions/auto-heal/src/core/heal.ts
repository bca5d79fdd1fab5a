// Healing one instance: an ALARM transition (or the timer's follow-up of a step) walks the ladder under the
// instance's lease — stand aside where someone else acts, else the next step within the budget — and records
// what it did, and how the instance looked afterwards, in the ladder and the Reflex Action.
import { type AlarmStateChange, type AwsHealthEvent, alarmDimensionValues, formatStamp, REFLEX_TAGS } from '@reflex/events';
import { type ActionReport, LeaseBusyError, withLease } from '@reflex/lambda-kit';
import type { AutoHealConfig } from '../manifest';
import type { AlarmsPort, DecisionLog, GroupsPort, HealStatePort, InstancesPort, InstanceView } from '../ports';
import {
  acted,
  closed,
  type Decision,
  decide,
  ended,
  type Episode,
  expire,
  isStale,
  type Ladder,
  newLadder,
  outcomeOf,
  quiet,
  sawAlarm,
  STEP_ACTION,
  stepName,
  verdict,
  waiting,
} from './ladder';
import { awsActing, canReplace, GROUP_TAG, intended, notOurs, SELF } from './stand-aside';

export interface HealDeps {
  readonly instances: InstancesPort;
  readonly alarms: AlarmsPort;
  readonly groups: GroupsPort;
  readonly state: HealStatePort;
  readonly config: AutoHealConfig;
  readonly log: DecisionLog;
  readonly now: () => Date;
  /** Waits between two looks at an instance that is stopping. */
  readonly sleep: (ms: number) => Promise<void>;
  /** A unique id for this invocation's claims and leases. */
  readonly holder: string;
  /** The ARN of an instance, for the Reflex Action targets. */
  readonly instanceArn: (instanceId: string) => string;
  /**
   * The account of the event (or of the timer's turn): the alarm's instance lives there, and the timer follows up
   * the ladders of that account only. @default every ladder is this account's (one account)
   */
  readonly account?: string;
  /** The hub: the account of ladders saved before they named theirs. @default `account` */
  readonly hubAccount?: string;
  /** How long an alarm waits for another invocation's lease of its instance. @default 20000 */
  readonly leaseWaitMs?: number;
}

/** Another invocation is handling the same event id now: the record is retried. */
export class EventBusyError extends Error {
  override readonly name = 'EventBusyError';
}

/** Another invocation saved the instance's ladder meanwhile (its lease ran out): the record is retried. */
export class LadderBusyError extends Error {
  override readonly name = 'LadderBusyError';
}

/** What one event did: its reports, and whether it acted on an instance (then its id is never handled again). */
interface Run {
  readonly reports: ActionReport[];
  acted: boolean;
  /** Until when (epoch ms) its stop/starts may wait for a stop: one `stopWaitSeconds` per event, shared by all its instances. */
  readonly stopsUntil: number;
}

const newRun = (deps: HealDeps): Run => ({ reports: [], acted: false, stopsUntil: deps.now().getTime() + deps.config.stopWaitSeconds * 1000 });

/** Why the ladder moves, for the reports: the alarm that opened the episode and what happened. */
interface Cause {
  readonly alarm: string;
  readonly why: string;
}

const MINUTE = 60_000;
const POLL_MS = 5_000;
/** The lease outlives the longest work under it: a stop's wait and a dozen AWS calls. */
const leaseMs = (config: AutoHealConfig) => (config.stopWaitSeconds + 120) * 1000;
/** How long a step may stay unconfirmed (alarm without data, checks initializing) before its episode is closed. */
const UNCONFIRMED_COOLDOWNS = 3;

/** An alarm state timestamp (`2019-10-02T17:04:40.989+0000`) as ISO, or undefined. */
function isoTime(value: string | undefined): string | undefined {
  const time = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** Whether an alarm is one of auto-heal's: its prefix, or listed. */
export const isHealAlarm = (name: string, config: AutoHealConfig) => name.startsWith(config.alarmPrefix) || config.alarmNames.includes(name);

function report(deps: HealDeps, instanceId: string, action: string, reason: string, outcome: ActionReport['outcome'], severity: ActionReport['severity'], change?: ActionReport['change']): ActionReport {
  return { action, targets: [{ id: instanceId, arn: deps.instanceArn(instanceId) }], reason, outcome, severity, ...(change ? { change } : {}) };
}

function skipped(deps: HealDeps, instanceId: string | undefined, reason: string, decision = 'skip'): void {
  deps.log.info(`not healing${instanceId ? ` ${instanceId}` : ''}: ${reason}`, { instanceId, decision, reason });
}

/**
 * An ALARM transition of one of auto-heal's alarms: heals the instance of its `InstanceId` dimension. Handles each
 * event id once (a claim in the state table), ignores transitions that are not into ALARM and those older than
 * one seen of the same alarm, and walks the ladder under the instance's lease.
 */
export async function onAlarm(event: AlarmStateChange, deps: HealDeps): Promise<ActionReport[]> {
  const { alarmName: alarm, state, previousState } = event.detail;
  if (state.value !== 'ALARM' || previousState.value === 'ALARM') {
    skipped(deps, undefined, `alarm ${alarm} went ${previousState.value} → ${state.value}: not a transition into ALARM`);
    return [];
  }
  if (!isHealAlarm(alarm, deps.config)) {
    skipped(deps, undefined, `alarm ${alarm} is not auto-heal's (prefix ${deps.config.alarmPrefix}, or listed in alarmNames)`);
    return [];
  }
  const ids = alarmDimensionValues(event.detail, 'InstanceId');
  if (ids.length !== 1) {
    skipped(deps, undefined, ids.length ? `alarm ${alarm} watches ${ids.length} instances (${ids.join(', ')}): which one to heal is not clear` : `alarm ${alarm} names no instance (no InstanceId dimension)`);
    return [];
  }
  const instanceId = ids[0]!;
  const time = isoTime(state.timestamp) ?? event.time;
  return once(event.id, deps, (run) =>
    forInstance(instanceId, deps, run, deps.leaseWaitMs, async (ladder) => {
      if (isStale(ladder, alarm, time)) {
        skipped(deps, instanceId, `alarm ${alarm}'s transition at ${time} is no newer than one seen already (${ladder.alarms[alarm]}): late or repeated`);
        return ladder;
      }
      return proceed(sawAlarm(ladder, alarm, time), { alarm, why: `alarm ${alarm} went into ALARM at ${time}` }, deps, run);
    }),
  );
}

/** Runs `work` for an event id not handled yet; a duplicate delivery changes nothing. */
async function once(eventId: string, deps: HealDeps, work: (run: Run) => Promise<void>): Promise<ActionReport[]> {
  const now = deps.now();
  const claim = await deps.state.claimEvent(eventId, deps.holder, new Date(now.getTime() + leaseMs(deps.config)), now);
  if (claim === 'done') {
    skipped(deps, undefined, `event ${eventId} was handled already (a duplicate delivery)`);
    return [];
  }
  if (claim === 'busy') throw new EventBusyError(`event ${eventId}: another invocation is handling it; retrying later`);
  const run = newRun(deps);
  try {
    await work(run);
  } catch (error) {
    if (!run.acted) {
      await deps.state.releaseEvent(eventId, deps.holder);
      throw error;
    }
    // It acted: the event must not act again, and what it did must be reported, even though recording failed.
    deps.log.info(`acted, but could not record it: ${(error as Error).message}`, { decision: 'record-failed', error: String(error) });
  }
  await deps.state.finishEvent(eventId, deps.now());
  return run.reports;
}

/** Changes an instance's ladder under its lease, and saves it (conditionally) when it changed. */
async function forInstance(instanceId: string, deps: HealDeps, run: Run, waitMs: number | undefined, change: (ladder: Ladder) => Promise<Ladder>): Promise<void> {
  const options = { holder: deps.holder, now: deps.now, leaseMs: leaseMs(deps.config), ...(waitMs !== undefined ? { waitMs } : {}) };
  await withLease(deps.state, `instance#${instanceId}`, options, async () => {
    const saved = await deps.state.ladder(instanceId);
    const after = await change(expire(saved?.ladder ?? newLadder(instanceId, deps.account), deps.now(), deps.config));
    if (saved ? JSON.stringify(after) === JSON.stringify(saved.ladder) : !after.episode && after.actions.length === 0) return;
    if (!(await deps.state.saveLadder(after, saved?.version ?? 0))) {
      throw new LadderBusyError(`${instanceId}: its ladder was saved by another invocation meanwhile; retrying`);
    }
  });
}

/**
 * The instance is unhealthy (an alarm fired, or a step did not heal it): stay quiet during a cooldown, stand aside
 * where it is not auto-heal's to heal or AWS acts on it, else take the next step — or alert once when the budget
 * is spent or no step is left.
 */
async function proceed(ladder: Ladder, cause: Cause, deps: HealDeps, run: Run, known?: InstanceView): Promise<Ladder> {
  const { config } = deps;
  const now = deps.now();
  const id = ladder.instanceId;
  const silent = quiet(ladder, now, config);
  if (silent) {
    skipped(deps, id, silent, 'quiet');
    return ladder;
  }
  const instance = known ?? (await deps.instances.describe(id));
  const away = notOurs(instance, now, config);
  if (away || !instance) {
    skipped(deps, id, away ?? 'the instance no longer exists');
    return ladder.episode ? closed(ladder) : ladder;
  }
  const [status, health] = await Promise.all([deps.instances.status(id), deps.state.health(id)]);
  // Since the first stand-aside of this episode, whatever its phase: after a step, a failing system check must
  // not keep auto-heal away for ever.
  const since = ladder.episode?.waitingSince ? new Date(ladder.episode.waitingSince) : now;
  const aws = awsActing(instance, status, health, since, now, config);
  if (aws) {
    skipped(deps, id, aws, 'stand-aside');
    if (ladder.lastSkip !== aws) run.reports.push(report(deps, id, 'auto-heal:StandAside', `${cause.why}; not acting: ${aws}`, 'alert', 'warning'));
    return waiting(ladder, cause.alarm, now, aws);
  }
  const decision = decide(ladder, config, canReplace(instance, config));
  if (decision.kind === 'budget') {
    skipped(deps, id, decision.reason, 'budget');
    run.reports.push(report(deps, id, STEP_ACTION[decision.step], `${cause.why}; not acting: ${decision.reason}`, 'alert', 'critical'));
    return { ...ladder, budgetAlertAt: now.toISOString() };
  }
  if (decision.kind === 'end') {
    skipped(deps, id, decision.reason, 'end');
    run.reports.push(report(deps, id, 'auto-heal:Alert', `${cause.why}; ${decision.reason}`, 'alert', 'critical'));
    return ended(ladder, cause.alarm, now, decision.reason);
  }
  return act(ladder, instance, decision, cause, deps, run);
}

/** Takes one step of the ladder and records it, with how the instance looks right after it. */
async function act(ladder: Ladder, instance: InstanceView, decision: Extract<Decision, { kind: 'act' }>, cause: Cause, deps: HealDeps, run: Run): Promise<Ladder> {
  const { step } = decision;
  const id = instance.id;
  const now = deps.now();
  const previous = ladder.episode?.steps.at(-1);
  const change = previous ? { key: 'auto-heal:step', from: previous, to: step } : undefined;
  const reason = `${cause.why}: ${decision.reason}`;
  const tell = (action: string, text: string, outcome: ActionReport['outcome']) => run.reports.push(report(deps, id, action, text, outcome, 'warning', change));

  if (step === 'stop-start') await deps.instances.tag(id, { [REFLEX_TAGS.stopIntent]: formatStamp({ by: SELF, at: now }) });
  const result =
    step === 'reboot' ? await deps.instances.reboot(id) : step === 'stop-start' ? await deps.instances.stop(id, false) : await deps.groups.markUnhealthy(id);
  if (result === 'not-found') {
    skipped(deps, id, step === 'replace' ? 'it is in no Auto Scaling group (any more)' : 'the instance no longer exists');
    return closed(ladder);
  }
  if (result === 'incorrect-state') {
    skipped(deps, id, `EC2 refused the ${stepName(step)} in the instance's current state`);
    return ladder;
  }
  if (result === 'dry-run') {
    const would = step === 'stop-start' ? `would tag ${REFLEX_TAGS.stopIntent}, stop it and start it again` : `would ${step === 'reboot' ? 'reboot it' : `mark it Unhealthy in Auto Scaling group ${instance.tags[GROUP_TAG]}`}`;
    deps.log.info(`${id}: ${would} (dry-run)`, { instanceId: id, decision: step });
    tell(STEP_ACTION[step], `${reason} (${would})`, 'dry-run');
    return acted(ladder, step, cause.alarm, now, 'acted', 'dry-run');
  }
  run.acted = true;
  if (step === 'replace') {
    const outcome = `replacing: marked Unhealthy in Auto Scaling group ${instance.tags[GROUP_TAG]}, which terminates and replaces it`;
    deps.log.info(`${id}: ${outcome}`, { instanceId: id, decision: step });
    tell(STEP_ACTION[step], `${reason}; ${outcome}`, 'succeeded');
    return acted(ladder, step, cause.alarm, now, 'acted', 'replacing');
  }
  if (step === 'reboot') {
    const outcome = outcomeOf('running', await afterAction(() => deps.instances.status(id), id, deps));
    deps.log.info(`${id}: rebooted; ${outcome}`, { instanceId: id, decision: step, outcome });
    tell(STEP_ACTION[step], `${reason}; after the reboot: ${outcome}`, 'succeeded');
    return acted(ladder, step, cause.alarm, now, 'acted', outcome);
  }
  const stopped = await waitForStop(id, run, deps);
  deps.log.info(`${id}: stop sent; it is ${stopped}`, { instanceId: id, decision: step });
  tell(STEP_ACTION[step], `${reason}; ${stopped === 'stopped' ? 'stopped, starting it again' : `it is ${stopped}: the timer starts it once it has stopped`}`, 'succeeded');
  const stopping = acted(ladder, step, cause.alarm, now, 'stopping', stopped);
  if (stopped !== 'stopped') return stopping;
  try {
    return await startAgain(stopping, deps, run);
  } catch (error) {
    // The stop is recorded (phase `stopping`): the timer starts the instance.
    deps.log.info(`${id}: could not start it again now: ${(error as Error).message}; the timer tries again`, { instanceId: id, decision: 'start-later' });
    return stopping;
  }
}

/**
 * A read after an action, which must not lose the action: a failure is logged and answers undefined, and the
 * step is recorded and reported as taken (the timer looks again after its cooldown).
 */
async function afterAction<T>(read: () => Promise<T>, instanceId: string, deps: HealDeps): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    deps.log.info(`${instanceId}: could not read it after the step: ${(error as Error).message}`, { instanceId, decision: 'read-failed' });
    return undefined;
  }
}

/** Looks at a stopping instance every few seconds, while the event's wait lasts; answers its state then. */
async function waitForStop(instanceId: string, run: Run, deps: HealDeps): Promise<string> {
  for (;;) {
    let state: string;
    try {
      state = (await deps.instances.describe(instanceId))?.state ?? 'gone';
    } catch (error) {
      // Unreadable: recorded as stopping, and the timer looks again.
      deps.log.info(`${instanceId}: could not read it after the stop: ${(error as Error).message}`, { instanceId, decision: 'read-failed' });
      return 'stopping';
    }
    if (state !== 'stopping' || deps.now().getTime() >= run.stopsUntil) return state;
    await deps.sleep(POLL_MS);
  }
}

/** The second half of a stop/start: starts the stopped instance, and records how it looks. */
async function startAgain(ladder: Ladder, deps: HealDeps, run: Run): Promise<Ladder> {
  const id = ladder.instanceId;
  const episode = ladder.episode!;
  const result = await deps.instances.start(id);
  if (result === 'not-found') return closed(ladder);
  if (result === 'incorrect-state' || result === 'dry-run') {
    skipped(deps, id, `EC2 did not start it (${result}); the timer tries again`);
    return ladder;
  }
  run.acted = true;
  const now = deps.now();
  const instance = await afterAction(() => deps.instances.describe(id), id, deps);
  const outcome = outcomeOf(instance?.state ?? 'unknown', instance?.state === 'running' ? await afterAction(() => deps.instances.status(id), id, deps) : undefined);
  deps.log.info(`${id}: started again; ${outcome}`, { instanceId: id, decision: 'start', outcome });
  run.reports.push(report(deps, id, 'ec2:StartInstances', `second half of the ${stepName('stop-start')} for alarm ${episode.alarm} (on another host); after the start: ${outcome}`, 'succeeded', 'warning'));
  return { ...ladder, episode: { ...episode, phase: 'acted', actedAt: now.toISOString(), outcome } };
}

/** Whether the timer should look at an episode now. */
function due(episode: Episode, now: Date, config: AutoHealConfig): boolean {
  return episode.phase !== 'acted' || now.getTime() >= Date.parse(episode.actedAt) + config.cooldownMinutes * MINUTE;
}

/**
 * The timer's follow-ups: every episode whose step's cooldown ran out is judged (healed, still unhealthy — then
 * the next step — or gone), a stop/start whose instance has stopped is started (a hung stop forced), a waiting
 * episode is looked at again, and an ended one closed once its alarm is OK. An instance another invocation holds
 * is left to the next run.
 */
export async function followUps(deps: HealDeps): Promise<ActionReport[]> {
  const run = newRun(deps);
  const now = deps.now();
  for (const { ladder } of await deps.state.ladders()) {
    if (!ladder.episode || !due(ladder.episode, now, deps.config)) continue;
    // Each account's turn of the timer follows up the instances that live there.
    if (deps.account !== undefined && (ladder.account ?? deps.hubAccount ?? deps.account) !== deps.account) continue;
    try {
      await forInstance(ladder.instanceId, deps, run, 0, (current) => followUp(current, deps, run));
    } catch (error) {
      if (!(error instanceof LeaseBusyError)) throw error;
      skipped(deps, ladder.instanceId, 'another invocation holds its lease: next run', 'busy');
    }
  }
  return run.reports;
}

async function followUp(ladder: Ladder, deps: HealDeps, run: Run): Promise<Ladder> {
  const episode = ladder.episode;
  const now = deps.now();
  const id = ladder.instanceId;
  if (!episode || !due(episode, now, deps.config)) return ladder;
  if (episode.phase === 'stopping') return finishStopStart(ladder, episode, deps, run);
  if (episode.phase === 'ended') {
    if ((await deps.alarms.stateOf(episode.alarm)) !== 'OK') return ladder;
    deps.log.info(`${id}: alarm ${episode.alarm} is OK again after the ladder ended`, { instanceId: id, decision: 'recovered' });
    return closed(ladder);
  }
  const instance = await deps.instances.describe(id);
  const running = instance?.state === 'running';
  const [alarmState, status] = await Promise.all([deps.alarms.stateOf(episode.alarm), running ? deps.instances.status(id) : undefined]);
  const judged = verdict({ name: episode.alarm, state: alarmState }, instance?.state, status);
  const last = episode.steps.at(-1);
  const stepDone = last ? `${stepName(last)} at ${episode.actedAt}` : undefined;
  if (judged.kind === 'gone' || judged.kind === 'healed') {
    deps.log.info(`${id}: ${judged.kind}${stepDone ? ` after ${stepDone}` : ''}: ${judged.detail}`, { instanceId: id, decision: judged.kind });
    const outcome = judged.kind === 'healed' ? 'healed' : last === 'replace' ? 'replaced by its Auto Scaling group' : 'gone';
    if (stepDone) run.reports.push(report(deps, id, 'auto-heal:Verify', `${outcome} after ${stepDone} (alarm ${episode.alarm}): ${judged.detail}`, 'succeeded', 'info'));
    return closed(ladder);
  }
  if (instance && !running) {
    skipped(deps, id, `it is "${instance.state}" now: someone else stopped it`);
    return closed(ladder);
  }
  if (judged.kind === 'unknown') {
    if (episode.phase === 'acted' && now.getTime() >= Date.parse(episode.actedAt) + UNCONFIRMED_COOLDOWNS * deps.config.cooldownMinutes * MINUTE) {
      skipped(deps, id, `not confirmed healed after ${stepDone}: ${judged.detail}; a new ALARM starts over`, 'unconfirmed');
      return closed(ladder);
    }
    return ladder;
  }
  const why = stepDone ? `${stepDone} did not heal it (${judged.detail})` : `still unhealthy (${judged.detail})`;
  return proceed({ ...ladder, episode: { ...episode, outcome: judged.detail } }, { alarm: episode.alarm, why }, deps, run, instance);
}

/** A stop/start whose stop was sent: start the instance once it has stopped; force a stop that hangs past the cooldown. */
async function finishStopStart(ladder: Ladder, episode: Episode, deps: HealDeps, run: Run): Promise<Ladder> {
  const id = ladder.instanceId;
  const now = deps.now();
  const instance = await deps.instances.describe(id);
  if (!instance || instance.state === 'terminated' || instance.state === 'shutting-down') return closed(ladder);
  if (instance.state === 'stopped') {
    const other = intended(instance.tags, now, deps.config);
    if (other) {
      skipped(deps, id, `not starting it again: ${other}`);
      return closed(ladder);
    }
    return startAgain(ladder, deps, run);
  }
  if (instance.state === 'stopping') {
    if (episode.forcedAt || now.getTime() < Date.parse(episode.actedAt) + deps.config.cooldownMinutes * MINUTE) return ladder;
    const forced = await deps.instances.stop(id, true);
    if (forced !== 'done') return ladder;
    run.acted = true;
    run.reports.push(report(deps, id, 'ec2:StopInstances', `the stop sent at ${episode.actedAt} for alarm ${episode.alarm} still hangs: forced`, 'succeeded', 'warning'));
    return { ...ladder, episode: { ...episode, forcedAt: now.toISOString() } };
  }
  // Running or pending: someone started it meanwhile; the cooldown runs from now, then the verdict.
  return { ...ladder, episode: { ...episode, phase: 'acted', actedAt: now.toISOString(), outcome: instance.state } };
}

/** The instance ids an AWS Health event names: in its affected entities (an id, or an instance ARN) and its resources. */
export function healthInstances(event: AwsHealthEvent): string[] {
  const values = [...(event.detail.affectedEntities ?? []).map((e) => e.entityValue), ...event.resources];
  const ids = values.flatMap((v) => /(?:^|instance\/)(i-[0-9a-f]{8,17})$/.exec(v)?.[1] ?? []);
  return [...new Set(ids)];
}

/**
 * An AWS Health event of EC2: records for each instance it names whether it is open (auto-heal stands aside) or
 * closed. Updates are ordered by their `lastUpdatedTime`: a late one changes nothing.
 */
export async function onHealth(event: AwsHealthEvent, deps: HealDeps): Promise<ActionReport[]> {
  const detail = event.detail;
  const ids = healthInstances(event);
  if (detail.service !== 'EC2' || ids.length === 0) {
    skipped(deps, undefined, `Health event ${detail.eventArn} (${detail.service}) names no EC2 instance`);
    return [];
  }
  const status = typeof detail['statusCode'] === 'string' ? detail['statusCode'] : 'open';
  const updatedAt = isoTime(typeof detail['lastUpdatedTime'] === 'string' ? detail['lastUpdatedTime'] : undefined) ?? event.time;
  for (const instanceId of ids) {
    const recorded = await deps.state.recordHealth({ instanceId, eventArn: detail.eventArn, eventTypeCode: detail.eventTypeCode, status, updatedAt });
    deps.log.info(`${instanceId}: Health event ${detail.eventTypeCode} ${recorded ? `is ${status}` : `update of ${updatedAt} is not newer than the one recorded: ignored`}`, {
      instanceId,
      decision: 'health',
      eventArn: detail.eventArn,
      status,
    });
  }
  return [];
}

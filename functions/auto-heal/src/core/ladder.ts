// The escalation ladder of one instance, as pure functions of its saved state and the time: which step comes
// next, whether a cooldown or the budget holds it back, and how the state changes after each step.
import type { AutoHealConfig } from '../manifest';

/** The steps, in order: reboot, then stop/start (another host), then — when configured — replacement by the group. */
export type Step = 'reboot' | 'stop-start' | 'replace';

/** The API call of each step, as Reflex Actions name it. */
export const STEP_ACTION: Readonly<Record<Step, string>> = {
  reboot: 'ec2:RebootInstances',
  'stop-start': 'ec2:StopInstances',
  replace: 'autoscaling:SetInstanceHealth',
};

/** One incident: from the first step until the instance is healthy again (or the ladder ended and it recovered). */
export interface Episode {
  /** The alarm whose ALARM transition opened it. */
  readonly alarm: string;
  readonly openedAt: string;
  /** The steps taken, in order; the last one is the current step. */
  readonly steps: readonly Step[];
  /** When the current step was taken (for a stop/start: when it started the instance again, or sent the stop). */
  readonly actedAt: string;
  /**
   * `waiting`: unhealthy, but AWS is acting on it (Health, EC2's recovery): the timer looks again; `acted`: the
   * step is done, its cooldown runs, then the timer judges it; `stopping`: a stop/start sent its stop and starts
   * the instance once it is stopped; `ended`: no step is left, a person should look.
   */
  readonly phase: 'waiting' | 'acted' | 'stopping' | 'ended';
  /** What the instance's status said after the step: `healed`, `still impaired`, `recovering`, `stopping`… */
  readonly outcome: string;
  /** When a stop that hung was forced. */
  readonly forcedAt?: string;
  /** Since when auto-heal has stood aside for AWS (Health, EC2's recovery) without acting: `recoveryWaitMinutes` counts from it. */
  readonly waitingSince?: string;
}

/** What auto-heal keeps of one instance (its state table, one item per instance). */
export interface Ladder {
  readonly instanceId: string;
  /** The account the instance lives in (hub and spoke); absent in ladders saved before ladders named it: the hub's. */
  readonly account?: string;
  /** The times of its actions within the budget window (ISO), oldest first. */
  readonly actions: readonly string[];
  readonly episode?: Episode;
  /** The newest ALARM transition seen of each alarm (its state timestamp, ISO): older ones arrive out of order. */
  readonly alarms: Readonly<Record<string, string>>;
  /** When the budget alert went out: once, until an action is taken again. */
  readonly budgetAlertAt?: string;
  /** The last reason auto-heal reported for standing aside, so that the timer reports it once. */
  readonly lastSkip?: string;
}

/** What to do next about an unhealthy instance, once nothing holds auto-heal back. */
export type Decision =
  | { readonly kind: 'act'; readonly step: Step; readonly reason: string }
  /** The budget is spent: one critical alert, then silence until the window passes. */
  | { readonly kind: 'budget'; readonly step: Step; readonly reason: string }
  /** No step is left: one critical alert, then the ladder waits for a person (or for the instance to recover). */
  | { readonly kind: 'end'; readonly reason: string };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (iso: string) => new Date(iso).getTime();
const STEP_NAME: Readonly<Record<Step, string>> = { reboot: 'reboot', 'stop-start': 'stop/start', replace: 'replacement' };

/** A step for people: `reboot`, `stop/start`, `replacement`. */
export const stepName = (step: Step) => STEP_NAME[step];

export function newLadder(instanceId: string, account?: string): Ladder {
  return { instanceId, ...(account ? { account } : {}), actions: [], alarms: {} };
}

/** The step after `step`: replacement only when it is configured and the instance belongs to an Auto Scaling group. */
export function nextStep(step: Step | undefined, canReplace: boolean): Step | undefined {
  if (step === undefined) return 'reboot';
  if (step === 'reboot') return 'stop-start';
  if (step === 'stop-start' && canReplace) return 'replace';
  return undefined;
}

/**
 * The ladder as of `now`: actions older than the budget window forgotten, an alarm's timestamps likewise, and an
 * episode that ended (or was left open) longer than a window ago closed — the next ALARM starts from a reboot.
 */
export function expire(ladder: Ladder, now: Date, config: AutoHealConfig): Ladder {
  const since = now.getTime() - config.budgetWindowHours * HOUR;
  const actions = ladder.actions.filter((a) => at(a) > since);
  const alarms = Object.fromEntries(Object.entries(ladder.alarms).filter(([, t]) => at(t) > since));
  const stale = ladder.episode && at(ladder.episode.actedAt) <= since;
  const { episode: _episode, ...rest } = ladder;
  return { ...rest, actions, alarms, ...(ladder.episode && !stale ? { episode: ladder.episode } : {}) };
}

/** Whether an ALARM transition of `alarm` at `time` is no newer than one seen already (a late or repeated delivery). */
export function isStale(ladder: Ladder, alarm: string, time: string): boolean {
  const seen = ladder.alarms[alarm];
  return seen !== undefined && at(seen) >= at(time);
}

/** The ladder having seen an ALARM transition of `alarm` at `time`. */
export function sawAlarm(ladder: Ladder, alarm: string, time: string): Ladder {
  return { ...ladder, alarms: { ...ladder.alarms, [alarm]: time } };
}

/** When the budget frees an action again: when the oldest action in the window leaves it. */
function budgetFreesAt(ladder: Ladder, config: AutoHealConfig): string {
  return new Date(at(ladder.actions[0]!) + config.budgetWindowHours * HOUR).toISOString();
}

const budgetSpent = (ladder: Ladder, config: AutoHealConfig) => ladder.actions.length >= config.maxActionsPerWindow;

/**
 * Why auto-heal stays quiet about an instance now, whatever its health: a step's cooldown runs, the ladder ended,
 * or the budget is spent and its alert went out. Undefined: it may decide. Takes an {@link expire}d ladder.
 */
export function quiet(ladder: Ladder, now: Date, config: AutoHealConfig): string | undefined {
  const episode = ladder.episode;
  if (episode?.phase === 'ended') {
    return `the ladder ended at ${episode.actedAt} after ${episode.steps.map(stepName).join(', ')}: waiting for a person, or for the instance to recover`;
  }
  if (episode?.phase === 'stopping') return `its ${stepName('stop-start')} is under way (stop sent at ${episode.actedAt})`;
  const cooled = episode ? at(episode.actedAt) + config.cooldownMinutes * MINUTE : 0;
  if (episode && now.getTime() < cooled) {
    return `cooling down: ${stepName(episode.steps.at(-1)!)} at ${episode.actedAt}; the next step not before ${new Date(cooled).toISOString()}`;
  }
  const last = ladder.actions.at(-1);
  if (budgetSpent(ladder, config) && ladder.budgetAlertAt && (!last || at(ladder.budgetAlertAt) >= at(last))) {
    return `the budget is spent (${ladder.actions.length} actions in ${config.budgetWindowHours} h) and alerted at ${ladder.budgetAlertAt}: no action before ${budgetFreesAt(ladder, config)}`;
  }
  return undefined;
}

/** The next step for an unhealthy instance, or the alert that replaces it. Takes a ladder {@link quiet} let through. */
export function decide(ladder: Ladder, config: AutoHealConfig, canReplace: boolean): Decision {
  const taken = ladder.episode?.steps ?? [];
  const step = nextStep(taken.at(-1), canReplace);
  const tried = taken.map(stepName).join(', ');
  if (!step) {
    const why = !config.replace ? 'replacement is off (config replace)' : 'it belongs to no Auto Scaling group';
    return { kind: 'end', reason: `still unhealthy after ${tried}; no step is left (${why}): a person should look` };
  }
  if (budgetSpent(ladder, config)) {
    return {
      kind: 'budget',
      step,
      reason: `budget spent: ${ladder.actions.length} actions in the last ${config.budgetWindowHours} h (at most ${config.maxActionsPerWindow}); no ${stepName(step)} before ${budgetFreesAt(ladder, config)}`,
    };
  }
  return { kind: 'act', step, reason: taken.length ? `still unhealthy after ${tried}: ${stepName(step)}` : stepName(step) };
}

/** The ladder after a step was taken at `now` (a dry run is never saved, so it never gets here for real). */
export function acted(ladder: Ladder, step: Step, alarm: string, now: Date, phase: Episode['phase'], outcome: string): Ladder {
  const time = now.toISOString();
  const previous = ladder.episode;
  const episode: Episode = previous
    ? { ...withoutWaiting(previous), steps: [...previous.steps, step], actedAt: time, phase, outcome }
    : { alarm, openedAt: time, steps: [step], actedAt: time, phase, outcome };
  const { lastSkip: _skip, ...rest } = ladder;
  return { ...rest, actions: [...ladder.actions, time], episode };
}

/** An episode that no longer stands aside (it acted). */
function withoutWaiting(episode: Episode): Episode {
  const { waitingSince: _since, ...rest } = episode;
  return rest;
}

/** The ladder with its episode closed: the instance is healthy, gone, or someone else took over. */
export function closed(ladder: Ladder): Ladder {
  const { episode: _episode, lastSkip: _skip, ...rest } = ladder;
  return rest;
}

/** The ladder standing aside while AWS acts on the unhealthy instance: an episode (without steps, if it had none) the timer looks at again. */
export function waiting(ladder: Ladder, alarm: string, now: Date, reason: string): Ladder {
  const time = now.toISOString();
  const episode: Episode = ladder.episode
    ? { ...ladder.episode, phase: ladder.episode.steps.length ? ladder.episode.phase : 'waiting', outcome: reason, waitingSince: ladder.episode.waitingSince ?? time }
    : { alarm, openedAt: time, steps: [], actedAt: time, phase: 'waiting', outcome: reason, waitingSince: time };
  return { ...ladder, episode, lastSkip: reason };
}

/** The ladder after its last step: it waits for a person, or for the instance to recover. */
export function ended(ladder: Ladder, alarm: string, now: Date, reason: string): Ladder {
  const time = now.toISOString();
  const episode: Episode = ladder.episode
    ? { ...ladder.episode, phase: 'ended', outcome: reason, actedAt: time }
    : { alarm, openedAt: time, steps: [], actedAt: time, phase: 'ended', outcome: reason };
  return { ...ladder, episode };
}

/**
 * How the instance looks after a step, from its state and status checks: `healed` (both checks ok), `still
 * impaired`, `recovering` (checks initializing or without data yet), or its state when it is not running.
 */
export function outcomeOf(state: string, status: { readonly instance: string; readonly system: string } | undefined): string {
  if (state !== 'running') return state;
  if (!status) return 'no status yet';
  if (status.instance === 'impaired' || status.system === 'impaired') return `still impaired (instance ${status.instance}, system ${status.system})`;
  if (status.instance === 'ok' && status.system === 'ok') return 'healed (status checks ok)';
  return `recovering (instance ${status.instance}, system ${status.system})`;
}

/** The follow-up's judgement of a step whose cooldown ran out. */
export type Verdict = { readonly kind: 'healed' | 'unhealthy' | 'unknown' | 'gone'; readonly detail: string };

/** Judges a step from the alarm that opened the episode and the instance's status checks. */
export function verdict(alarm: { readonly name: string; readonly state: string | undefined }, instanceState: string | undefined, status: { readonly instance: string; readonly system: string } | undefined): Verdict {
  if (!instanceState || instanceState === 'terminated' || instanceState === 'shutting-down') {
    return { kind: 'gone', detail: `the instance is ${instanceState ?? 'gone'}` };
  }
  const checks = status ? `status checks instance ${status.instance}, system ${status.system}` : 'no status checks';
  const said = `alarm ${alarm.name} ${alarm.state ?? 'missing'}, ${checks}`;
  if (alarm.state === 'ALARM' || status?.instance === 'impaired' || status?.system === 'impaired') return { kind: 'unhealthy', detail: said };
  if (alarm.state === 'OK' || (status?.instance === 'ok' && status.system === 'ok')) return { kind: 'healed', detail: said };
  return { kind: 'unknown', detail: said };
}

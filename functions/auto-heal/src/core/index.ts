import type { AlarmStateChange, AwsHealthEvent, ScheduledEvent } from '@reflex/events';
import type { ActionReport } from '@reflex/lambda-kit';
import { followUps, type HealDeps, onAlarm, onHealth } from './heal';
import { sweepAlarms } from './sweep';

export { EventBusyError, LadderBusyError, followUps, healthInstances, isHealAlarm, onAlarm, onHealth, type HealDeps } from './heal';
export { sweepAlarms, statusCheckAlarmOf, STATUS_CHECK_METRIC } from './sweep';
export { decide, expire, newLadder, nextStep, outcomeOf, quiet, verdict, STEP_ACTION, type Decision, type Episode, type Ladder, type Step, type Verdict } from './ladder';
export { awsActing, intended, notOurs, SELF } from './stand-aside';

/** The events auto-heal receives. */
export type HealEvent = AlarmStateChange | AwsHealthEvent | ScheduledEvent;

/**
 * Handles one event: an ALARM transition heals its instance (reboot → stop/start → replace, within a budget and
 * with a cooldown, standing aside where AWS or someone else acts); an AWS Health event records whether it is open
 * for its instances; the timer keeps the status-check alarms and follows each step up.
 */
export async function autoHeal(event: HealEvent, deps: HealDeps): Promise<ActionReport[]> {
  switch (event['detail-type']) {
    case 'CloudWatch Alarm State Change':
      return onAlarm(event as AlarmStateChange, deps);
    case 'AWS Health Event':
      return onHealth(event as AwsHealthEvent, deps);
    default:
      return timer(deps);
  }
}

/**
 * The timer: the alarm sweep, then the follow-ups. A sweep that fails (PutMetricAlarm's low call rate, say) does
 * not hold the follow-ups up (a stopped instance waits to be started): they run, and the failure fails the run
 * for a retry only when they had nothing to report.
 */
async function timer(deps: HealDeps): Promise<ActionReport[]> {
  let swept: ActionReport[] = [];
  let failure: unknown;
  try {
    swept = await sweepAlarms(deps);
  } catch (error) {
    failure = error;
  }
  const followed = await followUps(deps);
  if (failure !== undefined) {
    if (followed.length === 0) throw failure;
    deps.log.info(`the alarm sweep failed; the next timer run tries again: ${(failure as Error).message}`, { decision: 'sweep-failed', error: String(failure) });
  }
  return [...swept, ...followed];
}

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
      return [...(await sweepAlarms(deps)), ...(await followUps(deps))];
  }
}

// Why auto-heal leaves an instance alone: it is not its to heal, it is not unhealthy but stopped on purpose, or
// someone else — AWS Health, EC2's own recovery — is acting on it. Pure functions of what the ports read.
import { parseStamp, parseTagTime, REFLEX_TAGS } from '@reflex/events';
import type { AutoHealConfig } from '../manifest';
import type { HealthRecord, InstanceStatusView, InstanceView } from '../ports';

/** The name auto-heal signs its stop intent with (`reflex:stop-intent = auto-heal@<time>`). */
export const SELF = 'auto-heal';

/** The tag an Auto Scaling group puts on each instance it launches: its name. */
export const GROUP_TAG = 'aws:autoscaling:groupName';

const MINUTE = 60_000;
/** Clocks differ a little between reflexes, people and EC2: a stamp up to this much in the future still counts. */
const CLOCK_SKEW = 5 * MINUTE;

/** Scheduled events during which EC2 itself reboots, stops, retires or maintains the instance. */
const EC2_ACTING = new Set(['instance-reboot', 'system-reboot', 'system-maintenance', 'instance-retirement', 'instance-stop']);

/** Whether the instance carries `reflex:heal=true`: auto-heal may act on it (and its role may, by IAM). */
export const optedIn = (instance: InstanceView) => instance.tags[REFLEX_TAGS.heal] === 'true';

/** Why the instance is not auto-heal's to heal now (gone, not opted in, not running, stopped on purpose), or undefined. */
export function notOurs(instance: InstanceView | undefined, now: Date, config: AutoHealConfig): string | undefined {
  if (!instance) return 'the instance no longer exists';
  if (!optedIn(instance)) return `not opted in (no tag ${REFLEX_TAGS.heal}=true)`;
  if (instance.state !== 'running') return `it is "${instance.state}": a stopped or stopping instance is not unhealthy`;
  return intended(instance.tags, now, config);
}

/** Why someone means the instance to be down or left alone now: another's recent stop intent, a maintenance window. */
export function intended(tags: Readonly<Record<string, string>>, now: Date, config: AutoHealConfig): string | undefined {
  const intent = parseStamp(tags[REFLEX_TAGS.stopIntent]);
  const age = intent ? now.getTime() - intent.at.getTime() : Number.NaN;
  if (intent && intent.by !== SELF && age >= -CLOCK_SKEW && age <= config.intentWindowMinutes * MINUTE) {
    return `${intent.by} recorded its intent to stop it at ${intent.at.toISOString()}`;
  }
  const maintenance = parseTagTime(tags[REFLEX_TAGS.maintenanceUntil]);
  if (maintenance && maintenance > now) return `a maintenance window is open until ${maintenance.toISOString()}`;
  return undefined;
}

/**
 * Why AWS is acting on the instance (an open Health event, a scheduled event, EC2's automatic recovery), or
 * undefined. Automatic recovery gets `recoveryWaitMinutes` from `since` (when auto-heal first saw the instance
 * unhealthy): a system check that still fails after that is one EC2 does not recover (an unsupported type, say).
 */
export function awsActing(
  instance: InstanceView,
  status: InstanceStatusView | undefined,
  health: readonly HealthRecord[],
  since: Date,
  now: Date,
  config: AutoHealConfig,
): string | undefined {
  const open = health.filter((h) => h.status === 'open');
  if (open.length) return `an AWS Health event is open for it: ${open.map((h) => `${h.eventTypeCode} (${h.eventArn})`).join(', ')}`;
  if (!status) return undefined;
  const scheduled = status.events.filter((e) => EC2_ACTING.has(e.code) && !/^\[(Completed|Canceled)\]/.test(e.description));
  if (scheduled.length) {
    return `EC2 has scheduled ${scheduled.map((e) => `${e.code}${e.notBefore ? ` (not before ${e.notBefore})` : ''}`).join(', ')}`;
  }
  const recoveryUntil = since.getTime() + config.recoveryWaitMinutes * MINUTE;
  if (status.system === 'impaired' && instance.autoRecovery !== 'disabled' && now.getTime() < recoveryUntil) {
    return `its system status check fails and EC2's automatic recovery is on: EC2 moves it to healthy hardware itself (auto-heal waits until ${new Date(recoveryUntil).toISOString()})`;
  }
  return undefined;
}

/** Whether the last step may be a replacement: configured, and the instance belongs to an Auto Scaling group. */
export const canReplace = (instance: InstanceView, config: AutoHealConfig) => config.replace && !!instance.tags[GROUP_TAG];

import { type Ec2StateChange, formatStamp, parseStamp, parseTagTime, principalArn, REFLEX_TAGS, type StopInstancesCall } from '@reflex/events';
import { type ActionReport, roleNameOf } from '@reflex/lambda-kit';
import type { GuardConfig } from './manifest';
import type { DecisionLog, InstancesPort, InstanceView } from './ports';

export interface GuardDeps {
  readonly instances: InstancesPort;
  readonly config: GuardConfig;
  readonly log: DecisionLog;
}

/** The events the guard receives: state changes, and StopInstances calls that say who stopped. */
export type GuardEvent = Ec2StateChange | StopInstancesCall;

const HOUR = 3600_000;
/** Clocks differ a little between EC2, CloudTrail and reflexes: a stamp up to this much after the stop still counts. */
const CLOCK_SKEW = 5 * 60_000;

/**
 * Decides and acts on one event. A protected instance that stopped is started again, unless the stop was
 * intended (a reflex recorded its intent, a maintenance window is open, an allow-listed principal stopped
 * it) or the restart budget is spent, in which case it alerts. Reads the instance's current state first,
 * so a redelivered or out-of-order event changes nothing twice.
 */
export async function guard(event: GuardEvent, deps: GuardDeps): Promise<ActionReport[]> {
  return event['detail-type'] === 'AWS API Call via CloudTrail'
    ? recordStopper(event as StopInstancesCall, deps)
    : onStopped(event as Ec2StateChange, deps);
}

const isProtected = (instance: InstanceView, config: GuardConfig) =>
  instance.tags[config.protectTag.key] === config.protectTag.value;

/** A StopInstances call: remember on each protected instance who stopped it, for the state change to read. */
async function recordStopper(call: StopInstancesCall, deps: GuardDeps): Promise<ActionReport[]> {
  const by = principalArn(call.detail.userIdentity);
  if (!by) return [];
  const at = new Date(call.detail.eventTime);
  for (const { instanceId } of call.detail.requestParameters.instancesSet.items) {
    const instance = await deps.instances.describe(instanceId);
    if (!instance || !isProtected(instance, deps.config)) continue;
    await deps.instances.tag(instanceId, { [REFLEX_TAGS.stoppedBy]: formatStamp({ by, at }) });
    deps.log.info(`recorded that ${by} stopped ${instanceId}`, { instanceId, stoppedBy: by });
  }
  return [];
}

/** Why the stop of an instance at `at` was intended, or undefined. */
export function intendedStop(tags: Readonly<Record<string, string>>, at: Date, config: GuardConfig): string | undefined {
  const window = config.intentWindowMinutes * 60_000;
  const recent = (stampAt: Date) => stampAt.getTime() <= at.getTime() + CLOCK_SKEW && at.getTime() - stampAt.getTime() <= window;
  const intent = parseStamp(tags[REFLEX_TAGS.stopIntent]);
  if (intent && recent(intent.at)) return `${intent.by} recorded its intent to stop it at ${intent.at.toISOString()}`;
  const maintenance = parseTagTime(tags[REFLEX_TAGS.maintenanceUntil]);
  if (maintenance && maintenance > at) return `a maintenance window is open until ${maintenance.toISOString()}`;
  const stopper = parseStamp(tags[REFLEX_TAGS.stoppedBy]);
  if (stopper && recent(stopper.at) && isAllowed(stopper.by, config.allowedPrincipals)) {
    return `${stopper.by} stopped it, and is allow-listed`;
  }
  return undefined;
}

function isAllowed(principal: string, allowed: readonly string[]): boolean {
  const role = roleNameOf(principal);
  return allowed.some((a) => a === principal || (role !== undefined && a === role));
}

/** The restarts the ledger tag records within the hour before `at`. */
export function recentRestarts(ledger: string | undefined, at: Date): Date[] {
  return (ledger ?? '')
    .split(' ')
    .map((s) => parseTagTime(s))
    .filter((d): d is Date => !!d && d.getTime() <= at.getTime() && at.getTime() - d.getTime() < HOUR);
}

async function onStopped(event: Ec2StateChange, deps: GuardDeps): Promise<ActionReport[]> {
  const instanceId = event.detail['instance-id'];
  const { config } = deps;
  const { key, value } = config.protectTag;
  const at = new Date(event.time);
  const skip = (reason: string) => {
    deps.log.info(`not restarting ${instanceId}: ${reason}`, { instanceId, decision: 'skip', reason });
    return [];
  };

  if (event.detail.state !== 'stopped') return skip(`the event reports "${event.detail.state}", not "stopped"`);
  const instance = await deps.instances.describe(instanceId);
  if (!instance) return skip('the instance no longer exists');
  if (!isProtected(instance, config)) return skip(`not protected (no tag ${key}=${value})`);
  if (instance.state !== 'stopped') return skip(`it is "${instance.state}" now (a late or repeated event)`);
  const intended = intendedStop(instance.tags, at, config);
  if (intended) return skip(`the stop was intended: ${intended}`);

  const arn =
    event.resources.find((r) => r.endsWith(`instance/${instanceId}`)) ??
    `arn:aws:ec2:${event.region}:${event.account}:instance/${instanceId}`;
  const stopper = parseStamp(instance.tags[REFLEX_TAGS.stoppedBy]);
  const by = stopper && at.getTime() - stopper.at.getTime() <= config.intentWindowMinutes * 60_000 ? ` by ${stopper.by}` : '';
  const restarts = recentRestarts(instance.tags[REFLEX_TAGS.restarts], at);
  if (restarts.length >= config.maxRestartsPerHour) {
    deps.log.info(`not restarting ${instanceId}: restart budget spent`, { instanceId, decision: 'alert', restarts: restarts.length });
    return [
      {
        action: 'ec2:StartInstances',
        targets: [{ id: instanceId, arn }],
        reason: `protected instance stopped${by} again: ${restarts.length} restarts in the last hour (budget ${config.maxRestartsPerHour}); not restarting`,
        outcome: 'alert',
        severity: 'critical',
      },
    ];
  }

  const result = await deps.instances.start(instanceId);
  if (result === 'incorrect-state') return skip('EC2 says it cannot be started from its current state');
  if (result === 'started') {
    const ledger = [...restarts, at].map((d) => d.toISOString()).join(' ');
    await deps.instances.tag(instanceId, { [REFLEX_TAGS.restarts]: ledger });
  }
  deps.log.info(`${result === 'dry-run' ? 'would start' : 'started'} ${instanceId}`, { instanceId, decision: 'start' });
  return [
    {
      action: 'ec2:StartInstances',
      targets: [{ id: instanceId, arn }],
      reason: `protected instance (${key}=${value}) entered "stopped"${by}`,
      outcome: result === 'dry-run' ? 'dry-run' : 'succeeded',
      severity: 'warning',
    },
  ];
}

import type { LeasePort } from '@reflex/lambda-kit';
import type { Ladder } from './core/ladder';

/** What auto-heal needs to know about an instance, now. */
export interface InstanceView {
  readonly id: string;
  /** `pending`, `running`, `stopping`, `stopped`, `shutting-down`, `terminated`. */
  readonly state: string;
  readonly tags: Readonly<Record<string, string>>;
  /** EC2's simplified automatic recovery (`MaintenanceOptions.AutoRecovery`): `default` (on) or `disabled`; absent: not reported. */
  readonly autoRecovery?: string;
}

/** A scheduled event of an instance (DescribeInstanceStatus `Events`). */
export interface ScheduledEventView {
  /** `instance-reboot`, `system-reboot`, `system-maintenance`, `instance-retirement`, `instance-stop`. */
  readonly code: string;
  /** Starts with `[Completed]` or `[Canceled]` once it is over. */
  readonly description: string;
  readonly notBefore?: string;
}

/** The status checks of an instance (DescribeInstanceStatus). */
export interface InstanceStatusView {
  /** The instance status check: `ok`, `impaired`, `initializing`, `insufficient-data`, `not-applicable`. */
  readonly instance: string;
  /** The system status check, same values. */
  readonly system: string;
  readonly events: readonly ScheduledEventView[];
}

/** Result of a call that changes an instance. */
export type ActResult =
  /** EC2 (or Auto Scaling) accepted it. */
  | 'done'
  /** Dry-run: EC2 confirmed the call would have succeeded (`DryRunOperation`), or the call has no DryRun and was not sent. */
  | 'dry-run'
  /** EC2 refused it for the instance's state (`IncorrectInstanceState`, `IncorrectState`). */
  | 'incorrect-state'
  /** The instance (or its Auto Scaling group membership) no longer exists. */
  | 'not-found';

/** An instance tagged `reflex:heal=true` that is not terminated. */
export interface OptedInInstance {
  readonly id: string;
  readonly state: string;
}

/** Port: EC2 instances, read and acted on. The adapter knows dry-run (EC2 `DryRun`; tags are not written). */
export interface InstancesPort {
  describe(instanceId: string): Promise<InstanceView | undefined>;
  /** Status checks and scheduled events; undefined when EC2 reports none (the instance does not exist). */
  status(instanceId: string): Promise<InstanceStatusView | undefined>;
  /** Every instance tagged `reflex:heal=true` that is not shutting down or terminated. */
  optedIn(): Promise<OptedInInstance[]>;
  reboot(instanceId: string): Promise<ActResult>;
  /** `force`: EC2 stops it without waiting for the operating system (a stop that hangs on an impaired host). */
  stop(instanceId: string, force: boolean): Promise<ActResult>;
  start(instanceId: string): Promise<ActResult>;
  tag(instanceId: string, tags: Readonly<Record<string, string>>): Promise<void>;
}

/** Port: Auto Scaling, for the last step of the ladder. */
export interface GroupsPort {
  /** Marks the instance Unhealthy in its group, which replaces it. `dry-run`: not sent (SetInstanceHealth has no DryRun). */
  markUnhealthy(instanceId: string): Promise<ActResult>;
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** A metric alarm as DescribeAlarms reports it. */
export interface AlarmView {
  readonly name: string;
  readonly state: AlarmState;
  readonly namespace?: string;
  readonly metricName?: string;
  /** Its `InstanceId` dimension, if any. */
  readonly instanceId?: string;
}

/** Port: CloudWatch alarms. The adapter knows dry-run (PutMetricAlarm and DeleteAlarms have no DryRun: nothing is sent). */
export interface AlarmsPort {
  /** The metric alarms whose names start with `prefix`. */
  withPrefix(prefix: string): Promise<AlarmView[]>;
  /** One alarm's state; undefined when it does not exist. */
  stateOf(name: string): Promise<AlarmState | undefined>;
  /** Creates (or overwrites) the status-check alarm of an instance. */
  putStatusCheckAlarm(name: string, instanceId: string): Promise<'done' | 'dry-run'>;
  deleteAlarms(names: readonly string[]): Promise<'done' | 'dry-run'>;
}

/** An AWS Health event about an instance, as auto-heal recorded it. */
export interface HealthRecord {
  readonly instanceId: string;
  readonly eventArn: string;
  readonly eventTypeCode: string;
  /** `open`, `upcoming` or `closed`. */
  readonly status: string;
  /** The event's `lastUpdatedTime` (ISO): an update older than the recorded one changes nothing. */
  readonly updatedAt: string;
}

/** What claiming an event id answered. */
export type Claim =
  /** This invocation handles it. */
  | 'claimed'
  /** Handled already: a duplicate delivery. */
  | 'done'
  /** Another invocation is handling it now. */
  | 'busy';

/** Port: the reflex's state table (and its leases, for {@link withLease}). */
export interface HealStatePort extends LeasePort {
  /** Claims an event id until `until`, unless it was handled or another claim runs past `now`. */
  claimEvent(eventId: string, holder: string, until: Date, now: Date): Promise<Claim>;
  /** Records the event as handled (kept as long as the queue keeps messages). */
  finishEvent(eventId: string, now: Date): Promise<void>;
  /** Gives a claim back, so that a retry can handle the event. */
  releaseEvent(eventId: string, holder: string): Promise<void>;
  /** An instance's ladder and its version; undefined if never saved. */
  ladder(instanceId: string): Promise<{ readonly ladder: Ladder; readonly version: number } | undefined>;
  /** Every saved ladder (the timer's follow-ups). */
  ladders(): Promise<{ readonly ladder: Ladder; readonly version: number }[]>;
  /** Saves a ladder if its version is still `expected` (0: never saved); false otherwise. Dry-run saves nothing (true). */
  saveLadder(ladder: Ladder, expected: number): Promise<boolean>;
  /** The Health events recorded for an instance. */
  health(instanceId: string): Promise<HealthRecord[]>;
  /** Records a Health event's state for an instance unless a newer (or the same) update is recorded; false then. */
  recordHealth(record: HealthRecord): Promise<boolean>;
  /** The sweep changes a dry run reported last time (so that each is reported once). */
  dryRunPlan(account?: string): Promise<string[]>;
  saveDryRunPlan(changes: readonly string[], account?: string): Promise<void>;
}

/** Port: the decision log (the kit hands one to `init`). */
export type { DecisionLog } from '@reflex/lambda-kit';

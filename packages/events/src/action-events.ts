// What a reflex's AWS API calls put on EventBridge: the table the loop analysis (`@reflex/manifest`, loops.ts)
// matches every reflex's rules against. Small on purpose: an action is here when a reflex may call it and
// AWS documents an event it causes beyond the CloudTrail record every write call has.
//
// Sources:
// - CloudTrail records of write calls reach EventBridge as "AWS API Call via CloudTrail" (source `aws.<service>`,
//   `detail.eventSource` `<service>.amazonaws.com`); read-only management events — names starting Describe, Get
//   or List — reach only rules in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, which Reflex never sets:
//   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html
//   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html
// - Start, stop, run and terminate move an instance through its states, and EC2 reports each state as an
//   "EC2 Instance State-change Notification"; a reboot leaves the instance running and reports none:
//   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html
//   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html
// - Any tag change (the service's own API, Tag Editor, the tagging API) is a "Tag Change on Resource" event
//   (source `aws.tag`) with `changed-tag-keys`, `service`, `resource-type` and the tags after the change:
//   https://docs.aws.amazon.com/tag-editor/latest/userguide/tag-monitor.html
// - An alarm's state changes are "CloudWatch Alarm State Change" events; a new or updated alarm is evaluated
//   and changes state (from INSUFFICIENT_DATA), and SetAlarmState sets one:
//   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
// - An Auto Scaling group replaces an instance set unhealthy: it terminates it and launches another, and reports
//   both ("EC2 Instance Terminate Successful", "EC2 Instance Launch Successful"):
//   https://docs.aws.amazon.com/autoscaling/ec2/userguide/automating-ec2-auto-scaling-with-eventbridge.html
import { AWS_API_CALL_DETAIL_TYPE } from './cloudtrail';
import { CLOUDWATCH_ALARM_STATE_CHANGE } from './cloudwatch-alarm';
import { EC2_STATE_CHANGE } from './ec2-state-change';

/**
 * One event a call causes, as far as the call decides it. `known` lists the dotted paths whose value (or
 * absence) the event surely has; every other field may hold anything, so a pattern condition on it may hold.
 */
export interface CausedEvent {
  readonly source: string;
  readonly detailType: string;
  /** The fields the call decides, below `detail`. */
  readonly detail: Readonly<Record<string, unknown>>;
  /** Paths (`detail.eventName`, `detail.errorCode`) whose value or absence is known; `source` and `detail-type` always are. */
  readonly known: readonly string[];
  /**
   * Whether the event names its caller (CloudTrail's `detail.userIdentity`): only then can a rule's pattern or
   * the kit's loop guard tell a Reflex role's call from anyone else's.
   */
  readonly namesCaller: boolean;
  /** In a word, for people: `CloudTrail StartInstances`, `state pending`. */
  readonly summary: string;
}

/** What the statement that allows an action says about the calls: the tag keys and resource types it allows. */
export interface ActionScope {
  /** The keys of the statement's `aws:TagKeys` condition; unknown (any key) when it has none. */
  readonly tagKeys?: readonly string[];
  /** Resource types of its resource ARNs (`instance`, `vpc`); unknown when a resource is `*`. */
  readonly resourceTypes?: readonly string[];
}

/** Services whose CloudTrail event source is not `<service prefix>.amazonaws.com`. */
const EVENT_SOURCES: Readonly<Record<string, string>> = { cloudwatch: 'monitoring.amazonaws.com' };

/** Read-only management calls: not delivered to Reflex's rules (see the sources above). */
export function isReadOnlyAction(action: string): boolean {
  return /^(Describe|Get|List)/.test(action.slice(action.indexOf(':') + 1));
}

const TAG_ACTIONS = new Set(['CreateTags', 'DeleteTags', 'TagResource', 'UntagResource', 'AddTags', 'RemoveTags', 'AddTagsToResource', 'RemoveTagsFromResource']);

function cloudTrailEvent(service: string, name: string): CausedEvent {
  const exact = !name.includes('*');
  return {
    source: `aws.${service}`,
    detailType: AWS_API_CALL_DETAIL_TYPE,
    detail: { eventSource: EVENT_SOURCES[service] ?? `${service}.amazonaws.com`, ...(exact ? { eventName: name } : {}) },
    // A successful call: no errorCode. A wildcard action (`ec2:*Tags`) may be any call of the service.
    known: ['detail.eventSource', 'detail.errorCode', ...(exact ? ['detail.eventName'] : [])],
    namesCaller: true,
    summary: `CloudTrail ${name}`,
  };
}

const stateChanges = (...states: string[]): CausedEvent[] =>
  states.map((state) => ({
    source: EC2_STATE_CHANGE.source,
    detailType: EC2_STATE_CHANGE.detailType,
    detail: { state },
    known: ['detail.state'],
    namesCaller: false,
    summary: `state ${state}`,
  }));

/** One event per tag key and resource type the statement allows; unknown ones stay unknown. */
function tagChanges(service: string, scope: ActionScope): CausedEvent[] {
  const keys: (string | undefined)[] = scope.tagKeys?.length ? [...scope.tagKeys] : [undefined];
  const types: (string | undefined)[] = scope.resourceTypes?.length ? [...scope.resourceTypes] : [undefined];
  return keys.flatMap((key) =>
    types.map((type) => ({
      source: 'aws.tag',
      detailType: 'Tag Change on Resource',
      detail: { service, ...(key !== undefined ? { 'changed-tag-keys': [key] } : {}), ...(type !== undefined ? { 'resource-type': type } : {}) },
      known: ['detail.service', ...(key !== undefined ? ['detail.changed-tag-keys'] : []), ...(type !== undefined ? ['detail.resource-type'] : [])],
      namesCaller: false,
      summary: `tag change${key !== undefined ? ` ${key}` : ''}${type !== undefined ? ` on ${type}` : ''}`,
    })),
  );
}

const autoScalingReplacement = (): CausedEvent[] => [
  ...stateChanges('shutting-down', 'terminated', 'pending', 'running'),
  ...['EC2 Instance Terminate Successful', 'EC2 Instance Launch Successful'].map((detailType) => ({
    source: 'aws.autoscaling',
    detailType,
    detail: {},
    known: [],
    namesCaller: false,
    summary: detailType,
  })),
];

/** Any state change of the alarms the statement allows: which alarm and which state are the metric's doing. */
const alarmStateChanges = (): CausedEvent[] => [
  {
    source: CLOUDWATCH_ALARM_STATE_CHANGE.source,
    detailType: CLOUDWATCH_ALARM_STATE_CHANGE.detailType,
    detail: {},
    known: [],
    namesCaller: false,
    summary: 'alarm state change',
  },
];

/** The service events of the actions that cause more than their CloudTrail record. */
const SERVICE_EVENTS: Readonly<Record<string, (scope: ActionScope) => CausedEvent[]>> = {
  'ec2:RunInstances': () => stateChanges('pending', 'running'),
  'ec2:StartInstances': () => stateChanges('pending', 'running'),
  'ec2:StopInstances': () => stateChanges('stopping', 'stopped'),
  'ec2:TerminateInstances': () => stateChanges('shutting-down', 'terminated'),
  'cloudwatch:PutMetricAlarm': alarmStateChanges,
  'cloudwatch:SetAlarmState': alarmStateChanges,
  'autoscaling:SetInstanceHealth': autoScalingReplacement,
  'autoscaling:TerminateInstanceInAutoScalingGroup': autoScalingReplacement,
};

/**
 * The events one allowed action may cause: its CloudTrail record (none for read-only calls) and the service
 * events of {@link SERVICE_EVENTS} and tag changes. A wildcard action stands for every call it allows.
 *
 * @example
 * eventsOfAction('ec2:StopInstances', {}); // CloudTrail StopInstances, state stopping, state stopped
 */
export function eventsOfAction(action: string, scope: ActionScope = {}): CausedEvent[] {
  const [service = '', name = ''] = action.split(':');
  if (isReadOnlyAction(action)) return [];
  // `ec2:*Tags` allows CreateTags and DeleteTags: it causes what either causes.
  const allows = (candidate: string) => new RegExp(`^${action.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(candidate);
  const tags = [...TAG_ACTIONS].some((t) => allows(`${service}:${t}`)) ? tagChanges(service, scope) : [];
  const services = Object.entries(SERVICE_EVENTS).filter(([known]) => allows(known));
  const seen = new Set<string>();
  return [cloudTrailEvent(service, name), ...tags, ...services.flatMap(([, events]) => events(scope))].filter((e) => {
    const key = JSON.stringify([e.source, e.detailType, e.detail]);
    return !seen.has(key) && !!seen.add(key);
  });
}

// The alarm sweep: which instances opt in is known only at run time, so the timer keeps one EC2 status-check
// alarm per opted-in running instance, and deletes the alarms of instances that are gone or opted out.
import type { ActionReport } from '@reflex/lambda-kit';
import { statusCheckAlarmName } from '../manifest';
import type { AlarmView } from '../ports';
import type { HealDeps } from './heal';

/** The alarm's metric: EC2's combined status check, 1 while either check fails. */
export const STATUS_CHECK_METRIC = { namespace: 'AWS/EC2', metricName: 'StatusCheckFailed' } as const;

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/**
 * The instance of one of auto-heal's own status-check alarms, or undefined: named `<prefix><instance-id>`, on
 * `AWS/EC2 StatusCheckFailed` of that instance. Other alarms of the prefix (a team's own) are never touched.
 */
export function statusCheckAlarmOf(alarm: AlarmView, prefix: string): string | undefined {
  const id = alarm.name.startsWith(prefix) ? alarm.name.slice(prefix.length) : '';
  const ours =
    INSTANCE_ID.test(id) && alarm.namespace === STATUS_CHECK_METRIC.namespace && alarm.metricName === STATUS_CHECK_METRIC.metricName && alarm.instanceId === id;
  return ours ? id : undefined;
}

/**
 * Creates the status-check alarm of every running instance tagged `reflex:heal=true` that has none, and deletes
 * each of auto-heal's status-check alarms whose instance is gone, terminated or no longer opted in (a stopped
 * instance keeps its alarm). In dry-run nothing is sent, and each planned change is reported once.
 */
export async function sweepAlarms(deps: HealDeps): Promise<ActionReport[]> {
  const { config } = deps;
  if (!config.statusCheckAlarms) return [];
  const [instances, alarms] = await Promise.all([deps.instances.optedIn(), deps.alarms.withPrefix(config.alarmPrefix)]);
  const own = new Map(alarms.flatMap((a) => {
    const id = statusCheckAlarmOf(a, config.alarmPrefix);
    return id ? [[id, a.name] as const] : [];
  }));
  const keep = new Set(instances.map((i) => i.id));
  const create = instances.filter((i) => i.state === 'running' && !own.has(i.id)).map((i) => i.id);
  const remove = [...own].filter(([id]) => !keep.has(id));

  const planned: string[] = [];
  const reports: ActionReport[] = [];
  const tell = (id: string, action: string, reason: string, result: 'done' | 'dry-run', key: string) => {
    planned.push(key);
    reports.push({ action, targets: [{ id, arn: deps.instanceArn(id) }], reason, outcome: result === 'dry-run' ? 'dry-run' : 'succeeded', severity: 'info' });
  };
  for (const id of create) {
    const name = statusCheckAlarmName(config, id);
    const result = await deps.alarms.putStatusCheckAlarm(name, id);
    tell(id, 'cloudwatch:PutMetricAlarm', `${id} is tagged reflex:heal=true and running: status-check alarm ${name} (StatusCheckFailed ≥ 1, 2 of 2 minutes)`, result, `create ${name}`);
  }
  if (remove.length) {
    const result = await deps.alarms.deleteAlarms(remove.map(([, name]) => name));
    for (const [id, name] of remove) {
      tell(id, 'cloudwatch:DeleteAlarms', `${id} is gone, terminated or no longer tagged reflex:heal=true: its status-check alarm ${name} goes`, result, `delete ${name}`);
    }
  }
  deps.log.info(`alarm sweep: ${instances.length} opted-in instances, ${own.size} status-check alarms, ${create.length} to create, ${remove.length} to delete`, {
    decision: 'sweep',
    created: create,
    deleted: remove.map(([, name]) => name),
  });
  if (reports.every((r) => r.outcome !== 'dry-run')) return reports;

  // A dry run changes nothing, so the same plan comes back every run: report only what it did not report last time.
  const before = new Set(await deps.state.dryRunPlan(deps.account));
  if (planned.length !== before.size || planned.some((k) => !before.has(k))) await deps.state.saveDryRunPlan(planned, deps.account);
  return reports.filter((_, i) => !before.has(planned[i]!));
}

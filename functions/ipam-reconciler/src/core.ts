import type { ScheduledEvent } from '@reflex/events';
import type { ActionReport } from '@reflex/lambda-kit';
import type { ReconcilerDeps } from './ports';

export type { ReconcilerDeps } from './ports';

/** At most this many drifted resources are named in the Reflex Action; the report in the log has them all. */
const MAX_TARGETS = 20;

/**
 * One scheduled reconciliation of the account and region the schedule fired in: lists EC2, corrects the
 * store, logs the drift report, and reports one `ipam:CorrectDrift` action when there was drift (none when
 * the IPAM was exact). Items the store holds newer events for are skipped, never overwritten.
 */
export async function reconcileOnSchedule(event: ScheduledEvent, deps: ReconcilerDeps): Promise<readonly ActionReport[]> {
  const snapshot = await deps.snapshot({ account: event.account, region: event.region });
  const report = await deps.reconcile(snapshot);
  deps.log.info('reconciled the IPAM with EC2', {
    account: report.account,
    region: report.region,
    checked: report.checked,
    counts: report.counts,
    corrected: report.corrected,
    skipped: report.skipped,
    failed: report.failed,
    items: report.items,
  });
  if (report.items.length === 0) return [];
  const counts = Object.entries(report.counts)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  return [
    {
      action: 'ipam:CorrectDrift',
      targets: report.items.slice(0, MAX_TARGETS).map((item) => ({ id: item.id })),
      reason: `the IPAM drifted from EC2 in ${report.account}/${report.region}: ${counts}; corrected ${report.corrected}, skipped ${report.skipped}, failed ${report.failed}`,
      outcome: report.failed > 0 ? 'failed' : 'succeeded',
      severity: 'warning',
    },
  ];
}

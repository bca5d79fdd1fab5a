import { plural } from '@reflex/manifest';
import type { Ec2Snapshot } from './inventory';

/** What kind of difference between the store and EC2. */
export type DriftKind = 'instance-missing' | 'instance-changed' | 'instance-gone' | 'network-missing' | 'network-deleted';

/** One instance or network that differs between the store and EC2. */
export interface DriftItem {
  readonly kind: DriftKind;
  /** The instance, VPC or subnet id. */
  readonly id: string;
  /** What differed, one line each: `state running → stopped`, `private 10.0.1.5 on eni-… added`. */
  readonly differences: string[];
  /**
   * `corrected`: the store now matches EC2; `pending`: a dry run found it; `skipped`: the store holds a newer
   * event than the snapshot, which must not overwrite it; `failed`: the correction was not written.
   */
  readonly action: 'corrected' | 'pending' | 'skipped' | 'failed';
  /** Why it failed, when it did. */
  readonly error?: string;
}

/** What `reconcile` found and did. */
export interface DriftReport {
  readonly account: string;
  readonly region: string;
  readonly observedAt: string;
  readonly dryRun: boolean;
  /** How many instances and network blocks were compared. */
  readonly checked: { readonly instances: number; readonly networks: number };
  readonly items: DriftItem[];
  /** Items per kind. */
  readonly counts: Record<DriftKind, number>;
  readonly corrected: number;
  readonly skipped: number;
  readonly failed: number;
}

/** The report of one reconciliation of `snapshot`: its items, counted by kind and by action. */
export function driftReport(
  snapshot: Ec2Snapshot,
  found: { dryRun: boolean; checked: DriftReport['checked']; items: DriftItem[] },
): DriftReport {
  const { items } = found;
  const counts = { 'instance-missing': 0, 'instance-changed': 0, 'instance-gone': 0, 'network-missing': 0, 'network-deleted': 0 };
  for (const item of items) counts[item.kind]++;
  const count = (action: DriftItem['action']) => items.filter((i) => i.action === action).length;
  return {
    account: snapshot.account,
    region: snapshot.region,
    observedAt: snapshot.observedAt,
    dryRun: found.dryRun,
    checked: found.checked,
    items,
    counts,
    corrected: count('corrected'),
    skipped: count('skipped'),
    failed: count('failed'),
  };
}

/**
 * The drift report as plain text for a terminal: a summary line, then each item with what differed.
 *
 * @example
 * console.log(formatDriftReport(await reconcile(db, snapshot, { dryRun: true })));
 */
export function formatDriftReport(report: DriftReport): string {
  const where = `${report.account}/${report.region} at ${report.observedAt}${report.dryRun ? ' (dry run)' : ''}`;
  const checked = `${plural(report.checked.instances, 'instance')} and ${plural(report.checked.networks, 'network block')} checked`;
  if (report.items.length === 0) return `No drift in ${where}: ${checked}.`;
  const kinds = (Object.entries(report.counts) as [DriftKind, number][]).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
  const actions = [
    report.dryRun ? `${report.items.length - report.skipped} to correct` : `${report.corrected} corrected`,
    ...(report.skipped ? [`${report.skipped} skipped (the store holds a newer event)`] : []),
    ...(report.failed ? [`${report.failed} failed`] : []),
  ];
  const found = `${plural(report.items.length, 'difference')} (${kinds.join(', ')})`;
  const lines = [`Drift in ${where}: ${checked}; ${found}: ${actions.join(', ')}.`];
  const width = Math.max(...report.items.map((i) => i.kind.length));
  for (const item of report.items) {
    lines.push(`  ${item.kind.padEnd(width)}  ${item.id}  [${item.action}]${item.error ? ` ${item.error}` : ''}`);
    for (const d of item.differences) lines.push(`    ${d}`);
  }
  return lines.join('\n');
}

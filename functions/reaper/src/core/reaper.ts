import { formatStamp, REFLEX_TAGS, type ScheduledEvent } from '@reflex/events';
import { type ActionReport, LeaseBusyError, withLease } from '@reflex/lambda-kit';
import type { Resource, WriteResult } from '../ports';
import { DAY, describeExpiry, formatExpiry, formatNotices, HOUR, leadToken } from './expiry';
import { idleVerdict, idleWindow } from './idle';
import { tearDown } from './lab';
import { type Decision, decide, REAPER, withNotice } from './lifecycle';
import { neverTouch } from './never-touch';
import { REMOVE_ACTION, Run, type ReaperDeps, withDryRunTags } from './run';

type Act = Extract<Decision, { kind: 'act' }>;

/** What the summary counts each step as. */
const STEP_COUNT: Readonly<Record<Act['step'], string>> = {
  stop: 'stopped',
  terminate: 'terminated',
  delete: 'deleted',
  'snapshot-then-delete': 'snapshot-started',
  teardown: 'teardown',
};

/** How to extend, for warnings. */
const extendHint = (id: string) => `extend with \`pnpm reflex ttl extend ${id} 2d\` (or edit ${REFLEX_TAGS.expiresAt}), or tag ${REFLEX_TAGS.keep}=true`;

/**
 * One run of the reaper at the schedule's time (`event.time`), holding the run lease (a run that finds another
 * one running leaves it the work): lists what concerns it, decides for each resource, warns, marks, acts,
 * reports one Reflex Action per action, and records the run's summary in its table.
 */
export async function reaper(event: ScheduledEvent, deps: ReaperDeps): Promise<ActionReport[]> {
  const clock = deps.clock ?? (() => new Date());
  try {
    // One run at a time per account: each account's turn of the timer (hub and members) has its own lease.
    return await withLease(deps.state, `run#${event.account}`, { holder: deps.holder, now: clock, leaseMs: deps.leaseMs, waitMs: 0 }, () => runAt(event, deps));
  } catch (error) {
    if (!(error instanceof LeaseBusyError)) throw error;
    deps.log.info('another run of the reaper holds the run lease: leaving it the work', { decision: 'skip' });
    return [];
  }
}

async function runAt(event: ScheduledEvent, deps: ReaperDeps): Promise<ActionReport[]> {
  const now = new Date(event.time);
  const { config } = deps;
  const overlay = deps.dryRun ? await deps.state.dryRunTags() : new Map<string, Record<string, string>>();
  const run = new Run(deps, now, { region: event.region, account: event.account }, overlay);
  const listed = await deps.inventory.list(config.scope, {
    allInstances: config.idle !== undefined && config.scope.instances,
    allSnapshots: config.markSnapshots !== undefined && config.scope.snapshots,
  });
  const resources = listed.map((r) => withDryRunTags(r, overlay.get(r.id)));
  // Lab VPCs first: what their teardown takes on is not acted on alone in the same run.
  const ordered = [...resources.filter((r) => r.kind === 'vpc'), ...resources.filter((r) => r.kind !== 'vpc')];
  for (const resource of ordered) {
    if (run.handled.has(resource.id)) continue;
    try {
      await handle(run, resource, decide(resource, now, config));
    } catch (error) {
      // One resource's failure (a throttle past the SDK's retries, a refused call) fails it alone: what this run
      // did to the others is still reported, and later runs carry on with this one.
      run.count('errors');
      run.report([resource], 'reaper:Failed', { status: 'failed', error: errorText(error) }, `could not handle ${resource.id}; later runs carry on from what it recorded`);
    }
  }
  const summary = { at: now.toISOString(), account: event.account, dryRun: deps.dryRun, resources: resources.length, counts: run.counts };
  try {
    await deps.state.putRun(summary);
  } catch (error) {
    deps.log.info(`could not keep the run's summary: ${errorText(error)}`, { summary });
  }
  deps.log.info(`reaper run: ${resources.length} resources, ${JSON.stringify(run.counts)}`, { summary });
  return run.reports;
}

async function handle(run: Run, resource: Resource, decision: Decision): Promise<void> {
  const { id } = resource;
  switch (decision.kind) {
    case 'none':
      if (resource.tags[REFLEX_TAGS.expiresAt] !== undefined) run.log(resource, decision.why, 'none');
      return markIfIdleOrOld(run, resource);
    case 'protected':
      run.count('protected');
      return run.log(resource, `has an expiry, but is never touched: ${decision.why}`, 'protected');
    case 'wait':
      run.count('waiting');
      return run.log(resource, decision.why, 'wait');
    case 'invalid': {
      run.count('invalid');
      if (!decision.notify) return run.log(resource, `invalid expiry "${decision.value}" (reported already)`, 'invalid');
      const result = await run.writeTags([resource], { [REFLEX_TAGS.expiryWarned]: decision.notices });
      const why = `its ${REFLEX_TAGS.expiresAt} "${decision.value}" is no ISO 8601 UTC time such as 2026-12-10T12:00:00Z: ignored, never guessed; fix the tag or \`pnpm reflex ttl set ${id} 3d\``;
      return run.report([resource], 'reaper:InvalidExpiry', notice(result), why, { severity: 'warning', alert: true });
    }
    case 'warn': {
      run.count('warned');
      const result = await run.writeTags([resource], { [REFLEX_TAGS.expiryWarned]: decision.notices });
      const leads = decision.leads.map((h) => `${h} h`).join(' and ');
      return run.report([resource], 'reaper:Warn', result, `${decision.why} (the warning ${leads} before); ${extendHint(id)}`, { severity: 'warning' });
    }
    case 'blocked': {
      run.count('blocked');
      if (!decision.notify) return run.log(resource, `${decision.why} (reported already)`, 'blocked');
      const result = await run.writeTags([resource], { [REFLEX_TAGS.expiryWarned]: decision.notices });
      return run.report([resource], 'reaper:Blocked', notice(result), decision.why, { severity: 'warning', alert: true });
    }
    case 'act':
      return act(run, resource, decision);
  }
}

/** A notice's outcome: sent (an alert), or dry-run; a failed tag write only means it may be sent again. */
const notice = (result: { status: string }) => (result.status === 'dry-run' ? ({ status: 'dry-run' } as const) : ({ status: 'done' } as const));

async function act(run: Run, resource: Resource, decision: Act): Promise<void> {
  if (decision.step === 'teardown') return tearDown(run, resource, decision);
  const token = `dry-${decision.step}`;
  if (run.dryRun && decision.sent.has(token)) return run.log(resource, `dry-run: "${decision.step}" was reported already`, 'dry-run-reported');
  if (decision.step === 'snapshot-then-delete' && !run.dryRun) return snapshotThenDelete(run, resource, decision);
  const { actions } = run.deps;
  let action: string;
  let result: WriteResult;
  let reason = decision.why;
  switch (decision.step) {
    case 'stop': {
      const clock = run.deps.clock ?? (() => new Date());
      // The intent first, as the scheduler does: the instance guard never restarts a stop a reflex intended.
      await run.writeTags([resource], { [REFLEX_TAGS.stopIntent]: formatStamp({ by: REAPER, at: clock() }) });
      [action, result] = ['ec2:StopInstances', await actions.stop(resource)];
      reason = `${decision.why}; stopped first, terminated after ${run.config.stopGraceHours} h unless extended (${extendHint(resource.id)})`;
      break;
    }
    case 'snapshot-then-delete':
      [action, result] = ['ec2:CreateSnapshot', await actions.createSnapshot(resource, finalSnapshotTags(resource, run))];
      reason = `${decision.why}; would snapshot it, then delete it once the snapshot is completed`;
      break;
    default:
      [action, result] = [REMOVE_ACTION[resource.kind], await actions.remove(resource)];
  }
  if (result.status === 'refused') return refused(run, resource, decision, action, result.error);
  run.count(result.status === 'failed' ? 'failed' : STEP_COUNT[decision.step]);
  run.report([resource], action, result, reason);
  if (run.dryRun) await run.writeTags([resource], { [REFLEX_TAGS.expiryWarned]: withNotice(decision.sent, token, decision.key) });
}

/** AWS refused an action (in use, a dependency, deletion protection): reported once per expiry, retried every run. */
async function refused(run: Run, resource: Resource, decision: Act, action: string, error: string): Promise<void> {
  run.count('blocked');
  if (decision.sent.has('blocked')) return run.log(resource, `${action} refused again (reported already): ${error}`, 'blocked');
  await run.writeTags([resource], { [REFLEX_TAGS.expiryWarned]: withNotice(decision.sent, 'blocked', decision.key) });
  run.report([resource], action, { status: 'refused', error }, `${decision.why}; AWS refused: retried at every run, reported once`);
}

/** The tags of a volume's final snapshot: which volume, its owner's tags and name. No expiry: it is kept. */
function finalSnapshotTags(volume: Resource, run: Run): Record<string, string> {
  const kept = Object.entries(volume.tags).filter(([key]) => run.config.ownerTags.includes(key) || key === 'Name');
  return { ...Object.fromEntries(kept), [REFLEX_TAGS.snapshotOf]: volume.id };
}

/**
 * An expired volume: a snapshot first (recorded in the table as pending), the volume deleted at a later run
 * once the snapshot is `completed`; a failed snapshot is reported and taken again at the next run.
 */
async function snapshotThenDelete(run: Run, volume: Resource, decision: Act): Promise<void> {
  const { actions, state } = run.deps;
  const pending = await state.pendingSnapshot(volume.id);
  if (pending) {
    const status = await actions.snapshotState(pending.snapshotId);
    if (status === 'pending') {
      run.count('snapshot-pending');
      return run.log(volume, `snapshot ${pending.snapshotId} (started ${pending.startedAt}) is pending: the volume is deleted once it completes`, 'snapshot-pending');
    }
    if (status === 'completed') {
      const result = await actions.remove(volume);
      if (result.status === 'refused') return refused(run, volume, decision, 'ec2:DeleteVolume', result.error);
      run.report([volume], 'ec2:DeleteVolume', result, `${decision.why}; its snapshot ${pending.snapshotId} is completed`);
      if (result.status === 'done' || result.status === 'gone') await state.clearPendingSnapshot(volume.id);
      run.count('deleted');
      return;
    }
    await state.clearPendingSnapshot(volume.id);
    if (status === 'error') {
      run.count('failed');
      const error = `snapshot ${pending.snapshotId} failed (state error)`;
      return run.report([volume], 'ec2:CreateSnapshot', { status: 'failed', error }, `${decision.why}; the volume stays, and the next run takes a new snapshot`);
    }
    run.log(volume, `snapshot ${pending.snapshotId} is gone: taking a new one`, 'snapshot-missing');
  }
  const result = await actions.createSnapshot(volume, finalSnapshotTags(volume, run));
  if (result.status === 'done' && result.snapshotId) {
    await state.putPendingSnapshot({ volumeId: volume.id, snapshotId: result.snapshotId, startedAt: run.now.toISOString() });
  }
  if (result.status === 'refused') return refused(run, volume, decision, 'ec2:CreateSnapshot', result.error);
  run.count('snapshot-started');
  const snapshot = result.snapshotId ? ` ${result.snapshotId}` : '';
  run.report([volume], 'ec2:CreateSnapshot', result, `${decision.why}; snapshot${snapshot} before deleting it: the volume is deleted once the snapshot is completed`);
}

// ------------------------------------------------------------------------------------------------ marking

/** A resource with no expiry: an idle instance, or an old snapshot, gets one (when configured) and a warning. */
async function markIfIdleOrOld(run: Run, resource: Resource): Promise<void> {
  const { config, now } = run;
  if (resource.tags[REFLEX_TAGS.expiresAt] !== undefined || neverTouch(resource, config)) return;
  if (resource.kind === 'instance' && config.idle && resource.state === 'running') {
    const idle = config.idle.instances;
    const { from, to } = idleWindow(now, idle.windowHours);
    if (resource.createdAt && resource.createdAt > from) return run.log(resource, `running for less than the idle window (${idle.windowHours} h)`, 'not-idle');
    if (!run.deps.metrics) throw new Error('reaper: idle detection is configured, but no metrics port was given');
    const verdict = idleVerdict(await run.deps.metrics.hourly(resource.id, from, to), idle, from);
    if (!verdict.idle) return run.log(resource, verdict.why, 'not-idle');
    return mark(run, resource, idle.graceHours, verdict.why);
  }
  const old = config.markSnapshots;
  if (resource.kind === 'snapshot' && old && resource.createdAt && resource.tags[REFLEX_TAGS.snapshotOf] === undefined) {
    const age = now.getTime() - resource.createdAt.getTime();
    if (age >= old.olderThanDays * DAY) return mark(run, resource, old.graceHours, `the snapshot is ${Math.floor(age / DAY)} days old (markSnapshots: older than ${old.olderThanDays})`);
  }
}

/** Gives a resource an expiry `graceHours` from now, with the warnings due for it sent in the same notice. */
async function mark(run: Run, resource: Resource, graceHours: number, why: string): Promise<void> {
  const { now, config } = run;
  const expiry = new Date(Math.floor((now.getTime() + graceHours * HOUR) / 1000) * 1000);
  const key = formatExpiry(expiry);
  const due = config.warnBeforeHours.filter((lead) => now.getTime() >= expiry.getTime() - lead * HOUR);
  const tags = {
    [REFLEX_TAGS.expiresAt]: key,
    [REFLEX_TAGS.idleMarked]: formatStamp({ by: REAPER, at: now }),
    ...(due.length ? { [REFLEX_TAGS.expiryWarned]: formatNotices(due.map(leadToken), key) } : {}),
  };
  const result = await run.writeTags([resource], tags);
  run.count('marked');
  const reason = `${why}: it expires in ${graceHours} h, at ${describeExpiry(expiry, config.displayTimeZone)}; ${extendHint(resource.id)}`;
  run.report([resource], 'reaper:MarkExpiry', result, reason, { severity: 'warning', change: { key: REFLEX_TAGS.expiresAt, to: key } });
}

/** An error in one line, for a report. */
const errorText = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

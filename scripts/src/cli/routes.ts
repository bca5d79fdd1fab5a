import { readFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { REFLEX_ROUTE_OVERRIDE, type RouteOverrideDetail, RouteOverrideDetailSchema } from '@reflex/events';
import { awsName, describeIssues, loadManifests, repoRoot } from '@reflex/manifest';
import {
  type Decision,
  decide,
  DynamoFailoverState,
  type FailoverConfig,
  FailoverConfigSchema,
  type FailoverStatePort,
  type JournalEntry,
  type PathConfig,
  type PathState,
} from '@reflex/route-failover';
import { ENVIRONMENTS, resolveEnvironment } from '@reflex/stacks';
import type { SavedDeployment } from '../local/deploy';
import { awsFor, type AwsTarget, dynamoOf, ENV_AWS_OPTIONS, onReflexTable, publishToBus } from './aws';
import { type Command, EXIT, out, parseCommandArgs, parseWait, plural, pollUntil, table, UsageError, whoAsks } from './common';
import { ROUTE_API_HELP, routeApiCommand } from './route-api';

const HELP = `reflex routes <status|failover|get|put|delete> [options]

  The route failover's paths: where each one's prefixes go (the primary or a backup), what Reflex believes of
  its links, the override, freeze, hold-down and cap, what its timers would decide now, and its journal; and
  manual overrides. State and journal are read from its table (reflex-<env>-route-failover), live; an
  override goes to the reflex bus (reflex-<env>-bus) as a Reflex Route Override, and the command waits until
  the reflex has applied it.

  status                        every configured path: routed via (since the last change), the primary's and
                                each backup's status and since, the override, a freeze, changes in the last
                                hour against the cap, when the next automatic change is allowed (hold-down),
                                what the timers would decide now (and when they look again), the journal
      --journal N               journal entries per path, newest first (default 5; 0 for none)
  failover <path>               override a path; waits until its state has the override and, for backup or
                                primary, is routed that way or has a journal entry since the request (an
                                alert that no backup is up, say); then prints the path's status
      --to backup|primary|auto  backup: move to the first backup that is up and hold there; primary: move back
                                and hold; auto: the timers decide again (this also releases a frozen path)
      --reason TEXT             why (kept in the reflex's log)
      --by NAME                 who asks (default $USER)
      --wait 30s                how long to wait for the reflex to apply it (ms, s or m; default 30s)
      --no-wait                 publish the override and print its event id without waiting


  The route API (signed HTTPS; see the README's route API reference):
${ROUTE_API_HELP}

  --env NAME      whose names and route-failover config to use (default local). For local, the config the last
                  \`pnpm start\` deployed, with the paths it added (.reflex/local/deployment.json, or the file
                  REFLEX_DEPLOYMENT_FILE names); without that file, the environment's declared config
  --endpoint URL  the AWS API (also REFLEX_AWS_ENDPOINT); without either, the running local mode for
                  --env local, the real AWS of the credentials chain for another environment
  --json          print the result as JSON

  Exit codes: 0 listed, override applied, or published (--no-wait); 1 the reflex did not apply the override in
  time, or an AWS call failed (also: its table or the bus does not exist); 2 usage error (also: an invalid
  override, an unknown path, an unreadable deployment file, no local mode running, no credentials).`;

/** How often `failover` reads the path's state while it waits. */
const POLL_MS = 250;

/** Reasons shown in the journal table, at most this long. */
const REASON_WIDTH = 70;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The override's fields, by the options that set them (for messages). */
const FLAG_OF: Record<string, string> = { path: '<path>', to: '--to', requestedBy: '--by', reason: '--reason' };

/** What the environment gives this command. */
interface RoutesEnv {
  readonly name: string;
  readonly region: string;
  /** The route failover's config: deployed (local), declared, or its defaults. */
  readonly config: FailoverConfig;
  /** Where the config comes from, for messages. */
  readonly from: string;
}

/** The file `pnpm start` records the local deployment in, or the one REFLEX_DEPLOYMENT_FILE names. */
function deploymentFile(root: string): { file: string; named: boolean } {
  const named = process.env.REFLEX_DEPLOYMENT_FILE;
  return named ? { file: resolvePath(named), named: true } : { file: join(root, '.reflex', 'local', 'deployment.json'), named: false };
}

/**
 * The route failover's config of the local deployment: what its function runs, with the paths `pnpm start`
 * added at apply time. Undefined without a deployment file (unless REFLEX_DEPLOYMENT_FILE names one) or a
 * route-failover in it.
 *
 * @throws UsageError when the file cannot be read or its config does not validate.
 */
function deployedConfig(root: string): { config: FailoverConfig; from: string } | undefined {
  const { file, named } = deploymentFile(root);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !named) return undefined;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new UsageError(`cannot read the local deployment ${file}${named ? ' (REFLEX_DEPLOYMENT_FILE)' : ''}: ${why}`);
  }
  let saved: SavedDeployment;
  let raw: unknown;
  try {
    saved = JSON.parse(text) as SavedDeployment;
    const reflex = saved.reflexes?.find((r) => r.name === 'route-failover');
    if (!reflex?.environment?.REFLEX_CONFIG) return undefined;
    raw = JSON.parse(reflex.environment.REFLEX_CONFIG);
  } catch (error) {
    throw new UsageError(`the local deployment ${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = FailoverConfigSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`the local deployment ${file}: ${describeIssues(parsed.error, 'route-failover REFLEX_CONFIG')}`);
  return { config: parsed.data, from: `the local deployment ${file}${saved.appliedAt ? ` (applied ${clock(saved.appliedAt)})` : ''}` };
}

async function routesEnv(name: string): Promise<RoutesEnv> {
  const input = ENVIRONMENTS.find((e) => e.name === name);
  if (!input) throw new UsageError(`unknown environment "${name}" (known: ${ENVIRONMENTS.map((e) => e.name).join(', ')})`);
  const root = repoRoot();
  const { env, reflexes } = resolveEnvironment(input, await loadManifests(root));
  const deployed = env.name === 'local' ? deployedConfig(root) : undefined;
  if (deployed) return { name: env.name, region: env.region, ...deployed };
  const declared = reflexes.find((r) => r.manifest.name === 'route-failover')?.config as FailoverConfig | undefined;
  return {
    name: env.name,
    region: env.region,
    config: declared ?? FailoverConfigSchema.parse({}),
    from: declared ? `environment ${env.name}` : `the route-failover's defaults: environment ${env.name} does not enable it`,
  };
}

// ---------------------------------------------------------------------------------------------------- status

/** One path, as `status` reports it. */
interface PathReport {
  readonly path: string;
  readonly prefixes: readonly string[];
  /** The backups' names in priority order. */
  readonly backupOrder: readonly string[];
  /** Undefined (JSON: null) for a path the route failover has saved no state of yet: no events yet. */
  readonly status?: {
    /** `primary`, or the backup's name. */
    readonly routedVia: string;
    /** The last change (failover, failback), if any. */
    readonly since: string | null;
    readonly primary: { readonly status: string; readonly since: string };
    readonly backups: readonly { readonly name: string; readonly status: string; readonly since: string | null }[];
    readonly override: PathState['override'];
    readonly frozen: { readonly since: string; readonly reason: string } | null;
    readonly maintenance: { readonly start: string; readonly end: string } | null;
    readonly changesLastHour: number;
    readonly maxChangesPerHour: number;
    /** When the hold-down after the last change lets an automatic change happen: `now`, or an ISO time. */
    readonly nextChange: string;
    readonly version: number;
  };
  /** What `decide` says now, from the state and the timers. */
  readonly decision?: Decision;
  /** The newest journal entries, newest first. */
  readonly journal: readonly JournalEntry[];
}

const routedName = (state: PathState) => (state.routedVia.kind === 'primary' ? 'primary' : state.routedVia.backup);

/** A path's report from its saved state (if any) and journal, at `now`. */
function pathReport(path: PathConfig, config: FailoverConfig, saved: { state: PathState; version: number } | undefined, journal: JournalEntry[], now: Date): PathReport {
  const backupOrder = path.backups.map((b) => b.name);
  const base = { path: path.name, prefixes: path.prefixes, backupOrder, journal };
  if (!saved) return base;
  const { state, version } = saved;
  const holdDownEnd = state.lastChangeAt ? Date.parse(state.lastChangeAt) + config.holdDownSeconds * SECOND : Number.NaN;
  return {
    ...base,
    status: {
      routedVia: routedName(state),
      since: state.lastChangeAt ?? null,
      primary: { status: state.primary.status, since: state.primary.since },
      backups: backupOrder.map((name) => ({ name, status: state.backups[name]?.status ?? 'unknown', since: state.backups[name]?.since ?? null })),
      override: state.override,
      frozen: state.frozen ?? null,
      maintenance: state.maintenance ?? null,
      changesLastHour: state.changes.filter((c) => now.getTime() - Date.parse(c) < HOUR).length,
      maxChangesPerHour: config.maxChangesPerHour,
      nextChange: holdDownEnd > now.getTime() ? new Date(holdDownEnd).toISOString() : 'now',
      version,
    },
    decision: decide(state, now, config, backupOrder),
  };
}

/** Reads one path's state and journal; the caller reports a missing table. */
async function readPath(state: FailoverStatePort, path: PathConfig, config: FailoverConfig, journal: number): Promise<PathReport> {
  const [saved, entries] = await Promise.all([state.path(path.name), journal > 0 ? state.journalOf(path.name, journal) : Promise.resolve([])]);
  return pathReport(path, config, saved, entries, new Date());
}

/** `2d 3h`, `1h 5m`, `4m 10s`, `12s`: a duration in words, to the second. */
function span(ms: number): string {
  const s = Math.floor(Math.abs(ms) / SECOND);
  if (s < 60) return `${s}s`;
  const [d, h, m, rest] = [Math.floor(s / 86_400), Math.floor((s % 86_400) / 3600), Math.floor((s % 3600) / 60), s % 60];
  if (d) return [`${d}d`, h && `${h}h`].filter(Boolean).join(' ');
  if (h) return [`${h}h`, m && `${m}m`].filter(Boolean).join(' ');
  return [`${m}m`, rest && `${rest}s`].filter(Boolean).join(' ');
}

/** `2026-12-06 10:00:05Z`. */
const clock = (iso: string) => (Number.isNaN(Date.parse(iso)) ? iso : `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`);

/** `2026-12-06 10:00:05Z (3m 2s ago)` or `(in 5s)`. */
function when(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  return `${clock(iso)} (${at <= now ? `${span(now - at)} ago` : `in ${span(at - now)}`})`;
}

const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

function decisionLine(decision: Decision, now: number): string {
  switch (decision.kind) {
    case 'none':
      return `stay: ${decision.reason}${decision.nextCheckAt ? `; looks again at ${when(decision.nextCheckAt, now)}` : ''}`;
    case 'failover':
      return `fail over to ${decision.to}: ${decision.reason} (at its next run: the timer fires each minute)`;
    case 'failback':
      return `fail back to the primary: ${decision.reason} (at its next run: the timer fires each minute)`;
    default:
      return `${decision.kind}: ${decision.reason}`;
  }
}

/** A path's lines, as `status` and `failover` print them. */
function printPath(report: PathReport, now: number): void {
  const { status, decision, journal } = report;
  out(`${report.path}: ${report.prefixes.join(', ')} (backups in order: ${report.backupOrder.join(', ')})`);
  if (!status) {
    out('  no events yet: the route-failover has saved no state for this path (it starts routed via the primary, its links unknown)');
  } else {
    const via = status.routedVia === 'primary' ? 'primary' : `backup ${status.routedVia}`;
    const { changesLastHour: changes, maxChangesPerHour: cap } = status;
    table([
      ['  routed via', `${via} ${status.since ? `since ${when(status.since, now)}` : '(no change recorded)'}`],
      ['  primary', `${status.primary.status} since ${when(status.primary.since, now)}`],
      ...status.backups.map((b) => [`  backup ${b.name}`, `${b.status}${b.since ? ` since ${when(b.since, now)}` : ' (no state yet)'}`]),
      ['  override', status.override],
      ['  frozen', status.frozen ? `since ${when(status.frozen.since, now)}: ${status.frozen.reason}` : 'no'],
      ...(status.maintenance ? [['  maintenance', `of the primary from ${clock(status.maintenance.start)} to ${clock(status.maintenance.end)}`]] : []),
      ['  changes', `${changes} in the last hour, cap ${cap}${changes >= cap ? ': the next automatic change freezes the path' : ''}`],
      ['  next change', status.nextChange === 'now' ? 'now' : `${when(status.nextChange, now)}, after the hold-down (an override does not wait)`],
      ['  timers now', decision ? decisionLine(decision, now) : ''],
    ]);
  }
  if (journal.length === 0) {
    if (status) out('  journal: no entries');
    return;
  }
  out(`  journal, newest first:`);
  table([
    ['    at', 'decision', 'from → to', 'reason', 'verification'],
    ...journal.map((j) => [
      `    ${clock(j.at)}`,
      `${j.decision}${j.dryRun ? ' (dry-run)' : ''}`,
      j.from === j.to ? j.from : `${j.from} → ${j.to}`,
      clip(j.reason, REASON_WIDTH),
      j.verification.join(' | ') || '-',
    ]),
  ]);
}

function timersLine(config: FailoverConfig): string {
  return (
    `timers: down dwell ${config.downDwellSeconds} s, up dwell ${config.upDwellSeconds} s, hold-down ${config.holdDownSeconds} s, ` +
    `at most ${config.maxChangesPerHour} changes per hour, maintenance: ${config.maintenance}`
  );
}

const timersOf = (c: FailoverConfig) => ({
  downDwellSeconds: c.downDwellSeconds,
  upDwellSeconds: c.upDwellSeconds,
  holdDownSeconds: c.holdDownSeconds,
  maxChangesPerHour: c.maxChangesPerHour,
  maintenance: c.maintenance,
});

/** The report's JSON: absent status and decision as null. */
const pathJson = (r: PathReport) => ({
  path: r.path,
  prefixes: r.prefixes,
  backupOrder: r.backupOrder,
  status: r.status ?? null,
  decision: r.decision ?? null,
  journal: r.journal,
});

async function status(env: RoutesEnv, aws: AwsTarget, journal: number, json: boolean): Promise<number> {
  const tableName = awsName(env.name, 'route-failover');
  const { paths } = env.config;
  const state = new DynamoFailoverState(tableName, true, dynamoOf(aws));
  const reports = await onReflexTable(aws, 'route-failover', tableName, () => Promise.all(paths.map((p) => readPath(state, p, env.config, journal))));
  if (json) {
    out(JSON.stringify({ env: env.name, table: tableName, configFrom: env.from, timers: timersOf(env.config), paths: reports.map(pathJson) }, null, 2));
    return EXIT.ok;
  }
  if (paths.length === 0) {
    out(`no paths: the route-failover's config has none (config from ${env.from}; table ${tableName})`);
    return EXIT.ok;
  }
  out(`${plural(paths.length, 'path')} of the route-failover in environment ${env.name} (table ${tableName}; config from ${env.from})`);
  out(timersLine(env.config));
  const now = Date.now();
  for (const report of reports) {
    out();
    printPath(report, now);
  }
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------------- failover

function parseJournal(text: string): number {
  const n = /^\d{1,3}$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(n >= 0 && n <= 100)) throw new UsageError(`--journal takes a whole number from 0 to 100, got "${text}"`);
  return n;
}

/**
 * The override's detail, validated with the schema the reflex parses it with.
 *
 * @throws UsageError naming the field (and the option that sets it).
 */
function overrideDetail(input: Record<string, unknown>): RouteOverrideDetail {
  const parsed = RouteOverrideDetailSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = String(issue.path[0] ?? '');
    return `${describeIssues({ issues: [issue] })}${FLAG_OF[field] ? ` (${FLAG_OF[field]})` : ''}`;
  });
  throw new UsageError(`invalid route override: ${problems.join('; ')}`);
}

/**
 * Whether a path's state shows the override applied: the override set (and, for auto, no freeze left); for
 * backup or primary, routed that way, or a journal entry since the request (the reflex acted on it, or said
 * why it could not).
 */
async function overrideApplied(state: FailoverStatePort, to: RouteOverrideDetail['to'], saved: PathState | undefined, since: number): Promise<boolean> {
  if (!saved || saved.override !== to) return false;
  if (to === 'auto') return !saved.frozen;
  if (saved.routedVia.kind === to) return true;
  const [newest] = await state.journalOf(saved.path, 1);
  return newest !== undefined && Date.parse(newest.at) >= since;
}

/** Reads the path's state until the override is applied or `waitMs` have passed. */
async function awaitOverride(
  state: FailoverStatePort,
  detail: RouteOverrideDetail,
  since: number,
  waitMs: number,
  ask: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<{ applied: boolean; saved?: PathState }> {
  const { value } = await pollUntil(
    async () => {
      const saved = (await ask(() => state.path(detail.path)))?.state;
      return { saved, applied: await ask(() => overrideApplied(state, detail.to, saved, since)) };
    },
    (reading) => reading.applied,
    waitMs,
    POLL_MS,
  );
  return { applied: value.applied, ...(value.saved ? { saved: value.saved } : {}) };
}

/** Why a wait ended without the override applied, from the path's last state. */
function notApplied(detail: RouteOverrideDetail, saved: PathState | undefined, waitMs: number, env: RoutesEnv, eventId: string): string {
  const within = `within ${waitMs / SECOND} s`;
  if (saved?.override === detail.to) {
    const still = detail.to === 'auto' ? 'is still frozen' : `is still routed via ${routedName(saved)} and has no journal entry since the request`;
    return `the route-failover took the override ${detail.to} of ${detail.path}, but the path ${still} ${within}: \`reflex routes status\` shows what its timers say`;
  }
  const now = saved ? `its override is still ${saved.override}` : 'it has no state yet';
  return (
    `the route-failover did not apply event ${eventId} to ${detail.path} ${within} (${now}): is the local mode running (\`pnpm start\`), ` +
    `or the route-failover deployed in environment "${env.name}"? \`reflex routes status\` shows the path if it applies it later`
  );
}

/** The options of `failover`, as parsed. */
interface FailoverOptions {
  readonly to?: string;
  readonly reason?: string;
  readonly by?: string;
  readonly wait?: string;
  readonly 'no-wait': boolean;
  readonly json: boolean;
  readonly journal: number;
}

/** How `run` resolves the environment and the AWS to use, once the input is known to be good. */
interface Resolve {
  env(): Promise<RoutesEnv>;
  aws(env: RoutesEnv): Promise<AwsTarget>;
}

async function failover(pathName: string | undefined, options: FailoverOptions, resolve: Resolve): Promise<number> {
  if (!pathName) throw new UsageError('failover takes the path to override: the name of one of the paths `reflex routes status` lists', true);
  const waitMs = parseWait(options.wait ?? '30s');
  if (options.to === undefined) throw new UsageError('--to backup|primary|auto is required: where the path is to go', true);
  const by = options.by ?? whoAsks();
  if (!by) throw new UsageError('--by NAME: who asks (no $USER to default to)');
  // The input first: a bad override fails before any environment or AWS is looked at.
  const detail = overrideDetail({ path: pathName, to: options.to, requestedBy: by, ...(options.reason === undefined ? {} : { reason: options.reason }) });
  const env = await resolve.env();
  const path = env.config.paths.find((p) => p.name === detail.path);
  if (!path) {
    const names = env.config.paths.map((p) => p.name);
    throw new UsageError(`unknown path "${detail.path}" (configured in ${env.from}: ${names.join(', ') || 'none'})`);
  }
  const aws = await resolve.aws(env);
  const bus = awsName(env.name, 'bus');
  const tableName = awsName(env.name, 'route-failover');
  const since = Date.now();
  const eventId = await publishToBus(aws, REFLEX_ROUTE_OVERRIDE, detail);
  const published = { eventId, bus, detail };
  const what = `${detail.path} --to ${detail.to} (requested by ${detail.requestedBy}${detail.reason ? `: ${detail.reason}` : ''})`;

  if (options['no-wait']) {
    if (options.json) out(JSON.stringify({ ...published, waited: false }, null, 2));
    else out(`published ${eventId} to ${bus}: ${what}; not waiting — \`reflex routes status\` shows the path`);
    return EXIT.ok;
  }
  const say = (line: string) => process.stderr.write(`reflex routes: ${line}\n`);
  if (!options.json) say(`published ${eventId} to ${bus}: ${what}; waiting up to ${waitMs / SECOND} s for the route-failover to apply it`);
  const state = new DynamoFailoverState(tableName, true, dynamoOf(aws));
  const onState = <T>(fn: () => Promise<T>) => onReflexTable(aws, 'route-failover', tableName, fn);
  const { applied, saved } = await awaitOverride(state, detail, since, waitMs, onState);
  const report = saved ? await onState(() => readPath(state, path, env.config, options.journal)) : undefined;
  if (options.json) out(JSON.stringify({ ...published, waited: true, applied, path: report ? pathJson(report) : null }, null, 2));
  else if (report) printPath(report, Date.now());
  if (applied) return EXIT.ok;
  say(notApplied(detail, saved, waitMs, env, eventId));
  return EXIT.failed;
}

// ------------------------------------------------------------------------------------------------ command

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...ENV_AWS_OPTIONS,
    journal: { type: 'string', default: '5' },
    to: { type: 'string' },
    reason: { type: 'string' },
    by: { type: 'string' },
    wait: { type: 'string' },
    'no-wait': { type: 'boolean', default: false },
    url: { type: 'string' },
    region: { type: 'string' },
    key: { type: 'string' },
    file: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  });
  const [sub, ...rest] = positionals;
  if (sub === 'get' || sub === 'put' || sub === 'delete') return routeApiCommand(sub, rest, values);
  const apiOnly = (['url', 'region', 'key', 'file'] as const).find((k) => values[k] !== undefined) ?? (values['dry-run'] ? 'dry-run' : undefined);
  if (apiOnly) throw new UsageError(`--${apiOnly} is for routes get, put and delete`);
  const journal = parseJournal(values.journal);
  const resolve: Resolve = {
    env: () => routesEnv(values.env),
    aws: awsFor(values.endpoint),
  };
  if (rest.length > 1 || (sub === 'status' && rest.length > 0)) throw new UsageError(`unexpected argument "${rest.at(-1)}"`, true);
  switch (sub) {
    case 'status': {
      const overrideOnly = (['to', 'reason', 'by', 'wait', 'no-wait'] as const).find((k) => values[k] !== undefined && values[k] !== false);
      if (overrideOnly) throw new UsageError(`--${overrideOnly} is for routes failover`);
      const env = await resolve.env();
      return status(env, await resolve.aws(env), journal, values.json);
    }
    case 'failover':
      return failover(rest[0], { ...values, journal }, resolve);
    default:
      throw new UsageError(sub ? `unknown routes command "${sub}"` : 'expected status, failover, get, put or delete', true);
  }
}

export const routesCommand: Command = {
  name: 'routes',
  summary: 'the route failover\'s paths, timers, journal and overrides; the route API\'s routes (get, put, delete)',
  help: HELP,
  run,
};

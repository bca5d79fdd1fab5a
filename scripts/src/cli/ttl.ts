import { randomUUID } from 'node:crypto';
import { formatStamp, REFLEX_ACTION, REFLEX_TAGS, type ReflexActionDetail, ReflexActionDetailSchema } from '@reflex/events';
import { awsName, describeIssues, loadManifests, repoRoot } from '@reflex/manifest';
import {
  AwsResources,
  type Decision,
  decide,
  describeExpiry,
  DynamoReaperState,
  formatExpiry,
  leadToken,
  neverTouch,
  noticesFor,
  ownerOf,
  parseExpiry,
  parseTtl,
  plannedExpiry,
  type ReaperConfig,
  ReaperConfigSchema,
  relative,
  type Resource,
  type RunSummary,
  withDryRunTags,
} from '@reflex/reaper';
import { ScheduleSchema } from '@reflex/schedules';
import { ENVIRONMENTS, resolveEnvironment } from '@reflex/stacks';
import * as z from '@reflex/events/zod';
import { awsFor, type AwsTarget, dynamoOf, ENV_AWS_OPTIONS, hasAwsError, publishToBus } from './aws';
import { type Command, EXIT, out, parseCommandArgs, plural, table, UsageError, whoAsks } from './common';

const HELP = `reflex ttl <list|set|extend> [options]

  The reaper's expiries: what expires when, who was warned at which lead times, what it will do next; and
  setting or extending an expiry (tag reflex:expires-at, ISO 8601 UTC). Resources are read live from EC2 and
  elbv2; the last run's summary from the reaper's table (reflex-<env>-reaper).

  list                          every resource with an expiry: id and kind, owner, expiry in the display zone
                                and in UTC, how far off, the lead times warned, who set it, idle marks, and
                                what the reaper does at its next run; then the last run's summary
  set <id> <ttl|time>           expire in 3d, 12h, 90m, 2w from now, or at an ISO 8601 time with a Z or an
                                offset (2026-12-10T12:00:00Z, 2026-12-10T13:00:00+01:00); a time without
                                a zone is refused, never guessed
  extend <id> <ttl>             push the expiry back by 2d (from now, if it passed)
      --by NAME                 who (default $USER): tagged reflex:expiry-set-by and named in the audit event
      --reason TEXT             why, kept in the audit event
      --dry-run                 print what would be written, and write nothing
    Set and extend are capped: never more than the reaper's maxExtensionHours from now (default 14 days) nor
    maxLifetimeHours after the resource's creation; a request beyond is capped and says so. Each writes the
    tags, then publishes a Reflex Action (reaper:SetExpiry, reaper:ExtendExpiry) on the reflex bus
    (reflex-<env>-bus) naming who, from and to: the audit. Resources the reaper never touches are refused.

  <id>            i-…, vol-…, snap-…, eipalloc-…, nat-…, vpc-…, or a load balancer's ARN
  --zone NAME     show times in this IANA zone (default: the reaper's displayTimeZone)
  --env NAME      whose names and reaper config to use (default local)
  --endpoint URL  the AWS API (also REFLEX_AWS_ENDPOINT); without either, the running local mode for
                  --env local, the real AWS of the credentials chain for another environment
  --json          print the result as JSON

  Exit codes: 0 listed, set or extended; 1 an AWS call failed (also: the tags are written but the audit event
  could not be published); 2 usage error (also: an unknown or malformed id, a bad TTL or time, a refused
  request — no expiry to extend, one that would only shorten it, a resource the reaper never touches —
  no local mode running, no credentials).`;

/** The ids `reflex ttl` takes: the kinds the reaper reaps, and load balancer ARNs. */
const ID = /^((i|vol|snap|eipalloc|nat|vpc)-[0-9a-f]{8,17}|arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/(app|net|gwy)\/[^/\s]+\/[0-9a-f]+)$/;

/** An ISO 8601 time with a zone: a Z or an offset. */
const ZONED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** What the environment gives this command. */
interface ReaperEnv {
  readonly name: string;
  /** The hub: the account whose resources and runs `list` shows. */
  readonly account: string;
  readonly region: string;
  readonly config: ReaperConfig;
  /** Whether the environment enables the reaper (else the config is its defaults). */
  readonly enabled: boolean;
  /** The zone times are shown in: `--zone`, else the config's. */
  readonly zone: string;
}

async function reaperEnv(name: string, zone: string | undefined): Promise<ReaperEnv> {
  if (zone !== undefined) {
    const parsed = z.safeParse(ScheduleSchema.shape.timezone, zone);
    if (!parsed.success) throw new UsageError(`--zone: ${describeIssues(parsed.error)}`);
  }
  const input = ENVIRONMENTS.find((e) => e.name === name);
  if (!input) throw new UsageError(`unknown environment "${name}" (known: ${ENVIRONMENTS.map((e) => e.name).join(', ')})`);
  const { env, reflexes } = resolveEnvironment(input, await loadManifests(repoRoot()));
  const reaper = reflexes.find((r) => r.manifest.name === 'reaper');
  const config = (reaper?.config as ReaperConfig | undefined) ?? ReaperConfigSchema.parse({});
  return { name: env.name, account: env.account, region: env.region, config, enabled: reaper !== undefined, zone: zone ?? config.displayTimeZone };
}

// ---------------------------------------------------------------------------------------------------- list

/** One resource with an expiry, as `list` reports it. */
interface Row {
  readonly id: string;
  readonly kind: string;
  readonly owner: string | null;
  /** The tag as written. */
  readonly expiresAt: string;
  /** Parsed; null when the tag is no ISO 8601 UTC time. */
  readonly expiresAtUtc: string | null;
  readonly expiresAtDisplay: string | null;
  readonly expired: boolean;
  /** Lead times warned for this expiry, longest first (`72h`). */
  readonly warned: readonly string[];
  /** Other one-off notices sent for it (`blocked`). */
  readonly notices: readonly string[];
  readonly setBy: string | null;
  readonly idleMarked: string | null;
  /** What the reaper does with it at its next run, and why. */
  readonly next: { readonly decision: Decision['kind']; readonly step: string | null; readonly why: string };
}

const nextOf = (decision: Decision): Row['next'] => ({
  decision: decision.kind,
  step: decision.kind === 'act' ? decision.step : null,
  why: decision.kind === 'invalid' ? `"${decision.value}" is no ISO 8601 UTC time: the reaper ignores it` : decision.why,
});

function rowOf(resource: Resource, env: ReaperEnv, now: Date): Row {
  const { tags } = resource;
  const raw = tags[REFLEX_TAGS.expiresAt] ?? '';
  const at = parseExpiry(raw);
  const sent = at ? noticesFor(tags[REFLEX_TAGS.expiryWarned], formatExpiry(at)) : new Set<string>();
  const leads = env.config.warnBeforeHours.map(leadToken);
  return {
    id: resource.id,
    kind: resource.kind,
    owner: ownerOf(resource, env.config.ownerTags) ?? null,
    expiresAt: raw,
    expiresAtUtc: at ? formatExpiry(at) : null,
    expiresAtDisplay: at ? describeExpiry(at, env.zone) : null,
    expired: at !== undefined && at <= now,
    warned: leads.filter((lead) => sent.has(lead)),
    notices: [...sent].filter((t) => !leads.includes(t)),
    setBy: tags[REFLEX_TAGS.expirySetBy] ?? null,
    idleMarked: tags[REFLEX_TAGS.idleMarked] ?? null,
    next: nextOf(decide(resource, now, env.config)),
  };
}

/** The next run's decision in words, short. */
function nextWords(row: Row): string {
  const { decision, step } = row.next;
  if (decision === 'act') return `${step}`;
  if (decision === 'warn') return 'warn';
  if (decision === 'protected') return 'never touched';
  if (decision === 'blocked') return 'blocked';
  if (decision === 'invalid') return 'invalid expiry';
  return row.expired ? 'wait' : '—';
}

/** The reaper's last run, or why there is none to show. */
async function lastRun(aws: AwsTarget, tableName: string, account: string): Promise<{ run?: RunSummary; note?: string; overlay: Map<string, Record<string, string>> }> {
  const state = new DynamoReaperState(tableName, dynamoOf(aws));
  try {
    // The hub's turn of the timer; before runs named their account, the newest summary without one.
    const run = (await aws.call(() => state.lastRun(account))) ?? (await aws.call(() => state.lastRun()));
    // A dry-running reaper keeps its warnings in its table: show what it would have sent.
    const overlay = run?.dryRun ? await aws.call(() => state.dryRunTags()) : new Map<string, Record<string, string>>();
    return run ? { run, overlay } : { note: `no run recorded in ${tableName}`, overlay };
  } catch (error) {
    if (!hasAwsError(error, 'ResourceNotFoundException')) throw error;
    return { note: `the reaper's table ${tableName} does not exist at ${aws.describe()}: is the reaper deployed in environment "${aws.env}"?`, overlay: new Map() };
  }
}

async function list(env: ReaperEnv, aws: AwsTarget, json: boolean): Promise<number> {
  const tableName = awsName(env.name, 'reaper');
  const resources = AwsResources.withClientConfig(aws.clientConfig(), true);
  const [listed, last] = await Promise.all([aws.call(() => resources.list(env.config.scope, { allInstances: false, allSnapshots: false })), lastRun(aws, tableName, env.account)]);
  const now = new Date();
  const rows = listed
    .map((r) => rowOf(withDryRunTags(r, last.overlay.get(r.id)), env, now))
    .sort((a, b) => (a.expiresAtUtc ?? '9').localeCompare(b.expiresAtUtc ?? '9') || a.id.localeCompare(b.id));
  if (json) {
    out(JSON.stringify({ env: env.name, zone: env.zone, now: now.toISOString(), fromEnvironment: env.enabled, resources: rows, lastRun: last.run ?? null }, null, 2));
    return EXIT.ok;
  }
  const defaultsNote = env.enabled ? '' : ` (the reaper's defaults: environment ${env.name} does not enable it)`;
  if (rows.length === 0) out(`nothing carries ${REFLEX_TAGS.expiresAt} (environment ${env.name})${defaultsNote}`);
  else {
    out(`${plural(rows.length, 'resource')} with an expiry, times in ${env.zone} (environment ${env.name})${defaultsNote}`);
    table([
      ['id', 'kind', 'owner', 'expires', 'UTC', 'when', 'warned', 'set by', 'next run'],
      ...rows.map((r) => [
        r.id,
        r.kind,
        r.owner ?? '',
        r.expiresAtDisplay ? r.expiresAtDisplay.replace(/ = .*$/, '') : `invalid: ${r.expiresAt}`,
        r.expiresAtUtc ?? '',
        r.expiresAtUtc ? relative(new Date(r.expiresAtUtc), now) : '',
        [...r.warned, ...r.notices].join(', ') || 'none',
        r.setBy ?? (r.idleMarked ? `idle mark ${r.idleMarked}` : ''),
        nextWords(r),
      ]),
    ]);
    for (const r of rows.filter((row) => ['act', 'blocked', 'protected', 'invalid'].includes(row.next.decision))) out(`${r.id}: ${r.next.why}`);
  }
  out();
  if (last.run) {
    const counts = Object.entries(last.run.counts).map(([what, n]) => `${what} ${n}`).join(', ') || 'nothing to do';
    out(`last run: ${last.run.at}${last.run.dryRun ? ' (dry-run)' : ''}: ${plural(last.run.resources, 'resource')}; ${counts}`);
  } else out(`last run: ${last.note}`);
  return EXIT.ok;
}

// ------------------------------------------------------------------------------------------- set, extend

/** Whether the date part of an ISO time is a day of the calendar: Date.parse turns 2026-02-30 into March 2nd. */
function calendarDateExists(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** What `set` asks for: a TTL from now, or a zoned ISO time. */
function setRequest(text: string, now: Date): Date {
  const ttl = parseTtl(text);
  if (ttl !== undefined) return new Date(now.getTime() + ttl);
  if (ZONED_TIME.test(text) && !Number.isNaN(Date.parse(text)) && calendarDateExists(text)) return new Date(Date.parse(text));
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new UsageError(`"${text}" names no zone (or no valid time): give a Z or an offset, e.g. 2026-12-10T12:00:00Z or 2026-12-10T13:00:00+01:00`);
  }
  throw new UsageError(`"${text}" is neither a TTL (90m, 12h, 3d, 2w) nor an ISO 8601 time with a zone`);
}

interface WriteOptions {
  readonly by?: string;
  readonly reason?: string;
  readonly 'dry-run': boolean;
  readonly json: boolean;
}

async function write(kind: 'set' | 'extend', args: readonly string[], options: WriteOptions, resolve: { env(): Promise<ReaperEnv>; aws(env: ReaperEnv): Promise<AwsTarget> }): Promise<number> {
  const [id, amount] = args;
  if (!id || !amount) throw new UsageError(`${kind} takes an id and ${kind === 'set' ? 'a TTL or a time' : 'a TTL'}`, true);
  if (!ID.test(id)) throw new UsageError(`"${id}" is no id the reaper knows: i-…, vol-…, snap-…, eipalloc-…, nat-…, vpc-…, or a load balancer's ARN`);
  const now = new Date();
  const request =
    kind === 'set'
      ? { kind, at: setRequest(amount, now) }
      : { kind, byMs: parseTtl(amount) ?? fail(`extend takes a TTL (90m, 12h, 3d, 2w), got "${amount}"`) };
  const by = options.by ?? whoAsks();
  if (!by) throw new UsageError('--by NAME: who asks (no $USER to default to)');

  const env = await resolve.env();
  const aws = await resolve.aws(env);
  const resources = AwsResources.withClientConfig(aws.clientConfig(), false);
  const resource = await aws.call(() => resources.find(id));
  if (!resource) throw new UsageError(`${id} does not exist at ${aws.describe()}`);
  const never = neverTouch(resource, env.config);
  if (never) throw new UsageError(`${id} is never touched by the reaper (${never}): an expiry would do nothing`);
  const raw = resource.tags[REFLEX_TAGS.expiresAt];
  const current = parseExpiry(raw);
  const planned = plannedExpiry(current, request, now, resource.createdAt, env.config);
  if ('refused' in planned) throw new UsageError(`${kind} ${id} refused: ${planned.refused}`);

  const to = formatExpiry(planned.expiry);
  const setBy = formatStamp({ by, at: now });
  const verb = kind === 'set' ? 'set' : `extended by ${amount}`;
  const from = raw === undefined ? 'none' : raw;
  const reason = `${by} ${verb}: ${REFLEX_TAGS.expiresAt} ${from} → ${to}${planned.capped ? ` (${planned.capped})` : ''}${options.reason ? `; ${options.reason}` : ''}`;
  const result = { id, kind: resource.kind, from: raw ?? null, to, display: describeExpiry(planned.expiry, env.zone), in: relative(planned.expiry, now), capped: planned.capped ?? null, setBy };
  if (options['dry-run']) {
    if (options.json) out(JSON.stringify({ ...result, dryRun: true }, null, 2));
    else out(`would ${kind === 'set' ? 'set' : 'extend'} ${id}: expires ${result.in}, at ${result.display}${planned.capped ? `; ${planned.capped}` : ''} (was ${from}); nothing written`);
    return EXIT.ok;
  }
  const written = await aws.call(() => resources.tag([resource], { [REFLEX_TAGS.expiresAt]: to, [REFLEX_TAGS.expirySetBy]: setBy }));
  if (written.status !== 'done') throw new Error(`tagging ${id} failed: ${'error' in written ? written.error : written.status}`);
  if (!options.json) {
    out(`${id}: expires ${result.in}, at ${result.display} (was ${from})${planned.capped ? `; ${planned.capped}` : ''}; the reaper's warnings are re-armed`);
  }
  const detail: ReflexActionDetail = ReflexActionDetailSchema.parse({
    reflex: 'reaper',
    env: env.name,
    action: kind === 'set' ? 'reaper:SetExpiry' : 'reaper:ExtendExpiry',
    targets: [{ id, ...(id.startsWith('arn:') ? { arn: id } : {}) }],
    reason,
    dryRun: false,
    outcome: 'succeeded',
    severity: 'info',
    cause: { eventId: randomUUID(), source: 'reflex.cli', detailType: `reflex ttl ${kind}` },
    caller: { principal: by },
    change: { key: REFLEX_TAGS.expiresAt, ...(raw === undefined ? {} : { from: raw }), to },
  });
  let eventId: string;
  try {
    eventId = await publishToBus(aws, REFLEX_ACTION, detail);
  } catch (error) {
    if (options.json) out(JSON.stringify({ ...result, audit: null }, null, 2));
    throw new Error(`${id} is tagged (${REFLEX_TAGS.expiresAt}=${to}, ${REFLEX_TAGS.expirySetBy}=${setBy}), but the audit event was not published`, { cause: error });
  }
  if (options.json) out(JSON.stringify({ ...result, audit: { eventId, bus: awsName(env.name, 'bus') } }, null, 2));
  else out(`audit: Reflex Action ${detail.action} ${eventId} on ${awsName(env.name, 'bus')}`);
  return EXIT.ok;
}

const fail = (message: string): never => {
  throw new UsageError(message);
};

// ------------------------------------------------------------------------------------------------ command

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...ENV_AWS_OPTIONS,
    zone: { type: 'string' },
    by: { type: 'string' },
    reason: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  });
  const [sub, ...rest] = positionals;
  const resolve = { env: () => reaperEnv(values.env, values.zone), aws: awsFor(values.endpoint) };
  switch (sub) {
    case 'list': {
      if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`, true);
      const writeOnly = (['by', 'reason'] as const).find((k) => values[k] !== undefined) ?? (values['dry-run'] ? 'dry-run' : undefined);
      if (writeOnly) throw new UsageError(`--${writeOnly} is for ttl set and extend`);
      const env = await resolve.env();
      return list(env, await resolve.aws(env), values.json);
    }
    case 'set':
    case 'extend':
      if (rest.length > 2) throw new UsageError(`unexpected argument "${rest[2]}"`, true);
      return write(sub, rest, values, resolve);
    default:
      throw new UsageError(sub ? `unknown ttl command "${sub}"` : 'expected list, set or extend', true);
  }
}

export const ttlCommand: Command = {
  name: 'ttl',
  summary: 'what expires when (the reaper), and set or extend an expiry, capped and audited',
  help: HELP,
  run,
};

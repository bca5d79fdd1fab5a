import { EC2Client } from '@aws-sdk/client-ec2';
import { type BlockRequestDetail, BlockRequestDetailSchema, REFLEX_BLOCK_REQUEST } from '@reflex/events';
import { parseIp } from '@reflex/ip';
import {
  type BlockerConfig,
  BlockerConfigSchema,
  type BlockRecord,
  driftOf,
  DynamoBlockState,
  Ec2Network,
  type EventOutcome,
  type NaclEntry,
} from '@reflex/ip-blocker';
import { lazySdk } from '@reflex/lambda-kit';
import { awsName, describeIssues, loadManifests, repoRoot } from '@reflex/manifest';
import { ENVIRONMENTS, resolveEnvironment } from '@reflex/stacks';
import { ACCOUNTS_OPTIONS, type AccountsPlan, accountsPlan, acrossAccounts, type EnvAccounts, envAccounts, reportAccounts } from './accounts';
import { awsFor, type AwsTarget, dynamoOf, ENV_AWS_OPTIONS, onReflexTable, publishToBus } from './aws';
import { type Command, EXIT, out, parseCommandArgs, parseDuration, parseWait, plural, pollUntil, table, UsageError, whoAsks } from './common';

const HELP = `reflex blocks <list|add|remove> [options]

  The IP blocker's network ACL denies: what it blocks, where, why and until when, and requests to block
  or unblock a source. Blocks are read from its table (reflex-<env>-ip-blocker) and the NACLs, live;
  requests go to the reflex bus (reflex-<env>-bus) as a Reflex Block Request, and the command waits for
  the reflex's answer, which it records per event.

  list                          every block (source, NACL, rule number, origin and reason, findings,
                                requested by, expiry), then per NACL the free rule numbers of the
                                reflex's range and its inbound entries per family against the quota
      --accounts all|ID,ID…     the hub's blocks under its id (with the caller's credentials, skipped if
                                they are another account's), and every member account of --env listed
                                as not applicable with the reason "the IP blocker acts in the hub account
                                only": the ip-blocker does not act in member accounts (no spoke role),
                                its table and NACLs are the hub's, and its records carry no account to
                                filter by; no role is assumed. --role-name and --concurrency, which the
                                other commands with --accounts take, are accepted and change nothing
  add <ip|cidr>                 ask the reflex to deny a source inbound
      --reason TEXT             why (required); kept with the block
      --instance i-…            into the NACLs of the instance's subnets, or
      --vpc vpc-…               into every NACL of a VPC, or
      --nacl acl-…              into these NACLs (repeatable); one of the three is required
      --ttl 2h                  how long: minutes, hours or days (90m, 2h, 1d; default the reflex's config)
      --severity N              0–10, ranks blocks for eviction when a NACL is full (default 5)
  remove <ip|cidr>              ask the reflex to remove a source's denies: from the NACLs of --instance,
                                --vpc or --nacl, or without them from every NACL it blocks the source in
      --reason TEXT             why (default "reflex blocks remove")
  add and remove:
      --by NAME                 who asks (default $USER)
      --wait 30s                how long to wait for the reflex's answer (ms, s or m; default 30s)
      --no-wait                 publish the request and print its event id without waiting

  --env NAME      whose names and ip-blocker config to use (default local)
  --endpoint URL  the AWS API (also REFLEX_AWS_ENDPOINT); without either, the running local mode for
                  --env local, the real AWS of the credentials chain for another environment
  --json          print the result as JSON; list --accounts prints
                  { accounts: [{ account, env, table, config, blocks, nacls }], skipped: [{ account, reason }],
                    notApplicable: [{ account, reason }] }

  Exit codes: 0 listed, blocked in every NACL asked, unblocked, or published (--no-wait); 1 the reflex
  refused the block or blocked nothing, did not answer in time, or an AWS call failed; list --accounts: 1
  when the hub is skipped (its credentials are another account's, or a call failed there), after what
  could be printed — the members, not applicable, change nothing; 2 usage error (also: an invalid address or CIDR, no target for a block, an account
  that is neither the hub nor a member of --env, no local mode running, no credentials).`;

/** Why `blocks list --accounts` skips every member account. */
export const HUB_ONLY = 'the IP blocker acts in the hub account only';

/** How often `add` and `remove` ask the reflex's table for the request's outcome. */
const POLL_MS = 250;

/** Reason and origin shown in the table, at most this long. */
const REASON_WIDTH = 60;

const MINUTE = 60_000;

/** The request's fields, by the options that set them (for messages). */
const FLAG_OF: Record<string, string> = {
  source: '<ip|cidr>',
  reason: '--reason',
  requestedBy: '--by',
  target: '--instance, --vpc or --nacl',
  ttlMinutes: '--ttl',
  severity: '--severity',
};

/** What a block request's environment gives this command. */
interface BlockerEnv {
  readonly name: string;
  /** The hub and the member accounts (`--accounts`). */
  readonly accounts: EnvAccounts;
  readonly region: string;
  /** The ip-blocker's config in the environment, or its defaults. */
  readonly config: BlockerConfig;
  /** Whether the environment enables the ip-blocker (else the config is the defaults). */
  readonly enabled: boolean;
}

async function blockerEnv(name: string): Promise<BlockerEnv> {
  const input = ENVIRONMENTS.find((e) => e.name === name);
  if (!input) throw new UsageError(`unknown environment "${name}" (known: ${ENVIRONMENTS.map((e) => e.name).join(', ')})`);
  const { env, reflexes } = resolveEnvironment(input, await loadManifests(repoRoot()));
  const blocker = reflexes.find((r) => r.manifest.name === 'ip-blocker');
  return {
    name: env.name,
    accounts: envAccounts(env),
    region: env.region,
    config: (blocker?.config as BlockerConfig | undefined) ?? BlockerConfigSchema.parse({}),
    enabled: blocker !== undefined,
  };
}

// ---------------------------------------------------------------------------------------------------- list

/** One NACL that holds blocks, read now: its free rule numbers and inbound entries per family. */
interface NaclSlots {
  readonly id: string;
  readonly vpcId: string;
  /** False when EC2 no longer has it (the sweep drops its records). */
  readonly found: boolean;
  /** Free rule numbers of the reflex's range, ascending. */
  readonly free: readonly number[];
  /** Inbound entries per family (everyone's, default deny included) against the configured quota. */
  readonly quota: { readonly ipv4: { used: number; max: number }; readonly ipv6: { used: number; max: number } };
  /** Entries in the range that are not the reflex's (allows, single-protocol denies): left alone. */
  readonly strangers: readonly NaclEntry[];
  /** Denies in the range no record claims: the reflex adopts them at its next write or sweep. */
  readonly unrecorded: readonly NaclEntry[];
  /** Records whose entry is not in the NACL: the reflex writes it again (or drops it, if expired). */
  readonly vanished: readonly { cidr: string; ruleNumber: number }[];
}

async function naclSlots(records: readonly BlockRecord[], network: Ec2Network, config: BlockerConfig): Promise<NaclSlots[]> {
  const byNacl = new Map<string, BlockRecord[]>();
  for (const r of records) byNacl.set(r.naclId, [...(byNacl.get(r.naclId) ?? []), r]);
  const live = new Map((await network.nacls([...byNacl.keys()])).map((n) => [n.id, n]));
  const { first, last } = config.ruleRange;
  return [...byNacl].map(([id, held]) => {
    const nacl = live.get(id);
    const max = config.entryQuota;
    if (!nacl) {
      const none = { used: 0, max };
      return { id, vpcId: held[0]!.vpcId, found: false, free: [], quota: { ipv4: none, ipv6: none }, strangers: [], unrecorded: [], vanished: [] };
    }
    const inbound = nacl.entries.filter((e) => !e.egress);
    const taken = new Set(inbound.map((e) => e.ruleNumber));
    const free = Array.from({ length: last - first + 1 }, (_, i) => first + i).filter((n) => !taken.has(n));
    const used = (family: 4 | 6) => inbound.filter((e) => e.family === family).length;
    const drift = driftOf(nacl, held, config);
    return {
      id,
      vpcId: nacl.vpcId,
      found: true,
      free,
      quota: { ipv4: { used: used(4), max }, ipv6: { used: used(6), max } },
      strangers: drift.strangers,
      unrecorded: drift.orphans,
      vanished: drift.vanished.map((r) => ({ cidr: r.cidr, ruleNumber: r.ruleNumber })),
    };
  });
}

/** `1, 3–5, 9`: ascending numbers as runs. */
function numberRuns(numbers: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    runs.push(i === j ? `${numbers[i]}` : `${numbers[i]}–${numbers[j]}`);
    i = j + 1;
  }
  return runs.join(', ');
}

/** `2d 3h`, `1h 5m`, `4m`, `<1m`: a duration in words, to the minute. */
function span(ms: number): string {
  const minutes = Math.floor(ms / MINUTE);
  if (minutes < 1) return '<1m';
  const [d, h, m] = [Math.floor(minutes / 1440), Math.floor((minutes % 1440) / 60), minutes % 60];
  return [d && `${d}d`, h && `${h}h`, !d && m && `${m}m`].filter(Boolean).join(' ');
}

const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);
const utcMinute = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;

function expiry(record: BlockRecord, now: number): string {
  const at = Date.parse(record.expiresAt);
  if (Number.isNaN(at)) return record.expiresAt;
  return `${utcMinute(record.expiresAt)} ${at <= now ? `expired ${span(now - at)} ago` : `in ${span(at - now)}`}`;
}

/** The reason, without the `requested by <who>: ` the reflex puts before a request's (it has its own column). */
function reasonOf(record: BlockRecord): string {
  const prefix = record.requestedBy ? `requested by ${record.requestedBy}: ` : '';
  const reason = prefix && record.reason.startsWith(prefix) ? record.reason.slice(prefix.length) : record.reason;
  return clip(`${record.origin}: ${reason}`, REASON_WIDTH);
}

/** The newest three findings (or request events) by their first eight characters, and how many more. */
function findings(ids: readonly string[]): string {
  const shown = ids.slice(-3).map((id) => id.slice(0, 8));
  return `${shown.join(' ')}${ids.length > 3 ? ` +${ids.length - 3}` : ''}`;
}

function entry(e: NaclEntry): string {
  return `rule ${e.ruleNumber} ${e.action} ${e.cidr}${e.protocol === '-1' ? '' : ` (protocol ${e.protocol})`}`;
}

function family(slots: NaclSlots, name: 'ipv4' | 'ipv6'): string {
  const { used, max } = slots.quota[name];
  const room = Math.max(0, Math.min(slots.free.length, max - used));
  return `${used}/${max}, room for ${room}`;
}

function printList(env: BlockerEnv, tableName: string, records: readonly BlockRecord[], nacls: readonly NaclSlots[], now: number): void {
  if (records.length === 0) {
    out(`no blocks (table ${tableName}, environment ${env.name})`);
    return;
  }
  const expired = records.filter((r) => Date.parse(r.expiresAt) <= now).length;
  const expiredNote = expired ? `, ${expired} expired (the sweep removes them)` : '';
  out(`${plural(records.length, 'block')} in ${plural(nacls.length, 'NACL')}${expiredNote} (table ${tableName}, environment ${env.name})`);
  table([
    ['source', 'nacl', 'rule', 'origin: reason', 'findings', 'requested by', 'expires'],
    ...records.map((r) => [r.cidr, r.naclId, String(r.ruleNumber), reasonOf(r), findings(r.findingIds), r.requestedBy ?? '', expiry(r, now)]),
  ]);
  const { ruleRange, entryQuota } = env.config;
  out();
  const defaultsNote = env.enabled ? '' : ` (the ip-blocker's defaults: environment ${env.name} does not enable it)`;
  out(`slots: rule numbers ${ruleRange.first}–${ruleRange.last}, at most ${entryQuota} inbound entries per family${defaultsNote}`);
  table([
    ['nacl', 'vpc', 'free rule numbers', 'IPv4 entries', 'IPv6 entries'],
    ...nacls.map((n) =>
      n.found
        ? [n.id, n.vpcId, n.free.length ? `${n.free.length}: ${numberRuns(n.free)}` : 'none', family(n, 'ipv4'), family(n, 'ipv6')]
        : [n.id, n.vpcId, 'not in EC2', '', ''],
    ),
  ]);
  for (const n of nacls) {
    if (!n.found) out(`${n.id}: not in EC2 (deleted?): the ip-blocker drops its records of it at its next sweep`);
    for (const e of n.strangers) out(`${n.id}: ${entry(e)} is in the range but not the ip-blocker's: left alone, its number is taken`);
    for (const e of n.unrecorded) out(`${n.id}: ${entry(e)} is a deny in the range no record claims: the ip-blocker adopts it`);
    for (const v of n.vanished) out(`${n.id}: the entry of ${v.cidr} (rule ${v.ruleNumber}) is missing: the ip-blocker writes it again, or drops an expired one`);
  }
}

/** The blocks and the NACLs that hold them, read now. */
interface Listing {
  readonly tableName: string;
  readonly records: readonly BlockRecord[];
  readonly nacls: readonly NaclSlots[];
  readonly now: number;
}

async function readListing(env: BlockerEnv, aws: AwsTarget): Promise<Listing> {
  const tableName = awsName(env.name, 'ip-blocker');
  const state = new DynamoBlockState(tableName, true, dynamoOf(aws));
  const network = new Ec2Network(true, lazySdk(async () => import('@aws-sdk/client-ec2'), () => new EC2Client(aws.clientConfig())));
  const records = await onReflexTable(aws, 'ip-blocker', tableName, () => state.allBlocks());
  const nacls = await aws.call(() => naclSlots(records, network, env.config));
  return { tableName, records, nacls, now: Date.now() };
}

function listingJson(env: BlockerEnv, { tableName, records, nacls, now }: Listing) {
  const config = { ruleRange: env.config.ruleRange, entryQuota: env.config.entryQuota, fromEnvironment: env.enabled };
  const blocks = records.map((r) => ({ ...r, expired: Date.parse(r.expiresAt) <= now }));
  return { env: env.name, table: tableName, config, blocks, nacls };
}

async function list(env: BlockerEnv, aws: AwsTarget, json: boolean, plan: AccountsPlan | undefined): Promise<number> {
  if (plan) {
    // The hub's blocks; a member account has none of its own (the records carry no account either).
    const outcome = await acrossAccounts(aws, plan, (hub) => readListing(env, hub), { hubOnly: HUB_ONLY });
    return reportAccounts(outcome, {
      json,
      print: (listing) => printList(env, listing.tableName, listing.records, listing.nacls, listing.now),
      toJson: (listing) => listingJson(env, listing),
    });
  }
  const listing = await readListing(env, aws);
  if (json) out(JSON.stringify(listingJson(env, listing), null, 2));
  else printList(env, listing.tableName, listing.records, listing.nacls, listing.now);
  return EXIT.ok;
}

// ------------------------------------------------------------------------------------------- add, remove

/** Why `text` is no IPv4 or IPv6 address or CIDR, in the words `reflex ipam show` uses. */
function whyNoSource(text: string): string {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(address);
  if (!ip) return slash < 0 ? `"${text}" is no IPv4 or IPv6 address` : `"${text}" is no CIDR: "${address}" is no IPv4 or IPv6 address`;
  const width = ip.version === 4 ? 32 : 128;
  const prefix = text.slice(slash + 1);
  if (slash >= 0 && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > width)) {
    return `"${text}" is no CIDR: the prefix length of an IPv${ip.version} block is 0 to ${width}, got "${prefix}"`;
  }
  return `"${text}" is no IPv4 or IPv6 address or CIDR`;
}

/**
 * The request's detail, validated with the schema the reflex parses it with.
 *
 * @throws UsageError naming the field (and the option that sets it).
 */
function requestDetail(input: Record<string, unknown>): BlockRequestDetail {
  const parsed = BlockRequestDetailSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = String(issue.path[0] ?? '');
    const flag = FLAG_OF[field] ? ` (${FLAG_OF[field]})` : '';
    if (field === 'source') return `source${flag}: ${whyNoSource(String(input.source))}`;
    return `${describeIssues({ issues: [issue] })}${flag}`;
  });
  throw new UsageError(`invalid block request: ${problems.join('; ')}`);
}

/** The options of `add` and `remove`, as parsed. */
interface RequestOptions {
  readonly wait: string;
  readonly 'no-wait': boolean;
  readonly json: boolean;
  readonly reason?: string;
  readonly ttl?: string;
  readonly instance?: string;
  readonly vpc?: string;
  readonly nacl?: string[];
  readonly severity?: string;
  readonly by?: string;
}

function targetOf(options: RequestOptions): BlockRequestDetail['target'] {
  const given = [options.instance && '--instance', options.vpc && '--vpc', options.nacl?.length && '--nacl'].filter(Boolean);
  if (given.length > 1) throw new UsageError(`one target: --instance, --vpc or --nacl (repeatable), not ${given.join(' and ')}`);
  if (options.instance) return { instanceId: options.instance };
  if (options.vpc) return { vpcId: options.vpc };
  if (options.nacl?.length) return { naclIds: [...new Set(options.nacl)] };
  return undefined;
}

function buildDetail(action: 'block' | 'unblock', source: string, options: RequestOptions): BlockRequestDetail {
  if (action === 'unblock' && (options.ttl !== undefined || options.severity !== undefined)) {
    throw new UsageError('--ttl and --severity are for blocks add');
  }
  if (action === 'block' && options.reason === undefined) throw new UsageError('--reason TEXT is required: why the source is blocked');
  const by = options.by ?? whoAsks();
  if (!by) throw new UsageError('--by NAME: who asks (no $USER to default to)');
  const severity = options.severity === undefined ? undefined : Number(options.severity);
  if (severity !== undefined && (options.severity!.trim() === '' || Number.isNaN(severity))) {
    throw new UsageError(`--severity takes a number from 0 to 10, got "${options.severity}"`);
  }
  const target = targetOf(options);
  return requestDetail({
    action,
    source,
    reason: options.reason ?? (action === 'unblock' ? 'reflex blocks remove' : undefined),
    requestedBy: by,
    ...(target ? { target } : {}),
    ...(options.ttl === undefined ? {} : { ttlMinutes: parseDuration(options.ttl, '--ttl', { m: 1, h: 60, d: 1440 }, '90m, 2h, 1d') }),
    ...(severity === undefined ? {} : { severity }),
  });
}

/** Asks the reflex's table for the event's outcome until there is one or `waitMs` have passed. */
async function awaitOutcome(
  state: DynamoBlockState,
  eventId: string,
  waitMs: number,
  ask: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<EventOutcome | undefined> {
  const { value } = await pollUntil(() => ask(() => state.outcomeOf(eventId)), (outcome) => outcome !== undefined, waitMs, POLL_MS);
  return value;
}

/** Whether an answer means the request was done: every NACL asked blocked (or, for unblock, nothing refused). */
const succeeded = (action: 'block' | 'unblock', o: EventOutcome) => o.refused === 0 && (action === 'unblock' || o.blocked > 0);

function describeRequest(detail: BlockRequestDetail): string {
  const t = detail.target;
  const where = !t ? 'every NACL that blocks it' : 'naclIds' in t ? t.naclIds.join(', ') : `the NACLs of ${'vpcId' in t ? t.vpcId : t.instanceId}`;
  const ttl = detail.ttlMinutes ? `for ${span(detail.ttlMinutes * MINUTE)}, ` : '';
  const how = detail.action === 'block' ? `${ttl}severity ${detail.severity}, ` : '';
  return `${detail.action} ${detail.source} in ${where} (${how}requested by ${detail.requestedBy}: ${detail.reason})`;
}

/** How `run` resolves the environment and the AWS to use, once the input is known to be good. */
interface Resolve {
  env(): Promise<BlockerEnv>;
  aws(env: BlockerEnv): Promise<AwsTarget>;
}

/** Why a request was not done, from its outcome. */
const shortfall = (o: EventOutcome) =>
  `${o.refused ? `the ip-blocker refused ${plural(o.refused, 'block')}` : 'the ip-blocker blocked nothing'}${o.blocked ? ` (blocked in ${plural(o.blocked, 'NACL')})` : ''}`;

async function request(action: 'block' | 'unblock', source: string | undefined, options: RequestOptions, resolve: Resolve): Promise<number> {
  const command = action === 'block' ? 'add' : 'remove';
  if (!source) throw new UsageError(`${command} takes the source to ${action}: an IPv4 or IPv6 address or CIDR`, true);
  const waitMs = parseWait(options.wait);
  // The input first: a bad request fails before any environment or AWS is looked at.
  const detail = buildDetail(action, source, options);
  const blockerEnvironment = await resolve.env();
  const target = await resolve.aws(blockerEnvironment);
  const bus = awsName(blockerEnvironment.name, 'bus');
  const tableName = awsName(blockerEnvironment.name, 'ip-blocker');
  const eventId = await publishToBus(target, REFLEX_BLOCK_REQUEST, detail);
  const published = { eventId, bus, detail };

  if (options['no-wait']) {
    if (options.json) out(JSON.stringify({ ...published, waited: false }, null, 2));
    else out(`published ${eventId} to ${bus}: ${describeRequest(detail)}; not waiting — \`reflex blocks list\` shows the blocks`);
    return EXIT.ok;
  }
  const say = (line: string) => process.stderr.write(`reflex blocks: ${line}\n`);
  if (!options.json) say(`published ${eventId} to ${bus}: ${describeRequest(detail)}; waiting up to ${waitMs / 1000} s for the ip-blocker's answer`);
  const state = new DynamoBlockState(tableName, true, dynamoOf(target));
  const outcome = await awaitOutcome(state, eventId, waitMs, (fn) => onReflexTable(target, 'ip-blocker', tableName, fn));
  const done = outcome !== undefined && succeeded(action, outcome);
  if (options.json) out(JSON.stringify({ ...published, waited: true, outcome: outcome ?? null, done }, null, 2));
  if (!outcome) {
    say(
      `the ip-blocker did not answer event ${eventId} within ${waitMs / 1000} s: is the local mode running (\`pnpm start\`), ` +
        `or the ip-blocker deployed in environment "${blockerEnvironment.name}"? \`reflex blocks list\` shows the blocks if it answers later`,
    );
    return EXIT.failed;
  }
  if (!options.json) for (const line of outcome.lines) out(line);
  if (done) return EXIT.ok;
  say(shortfall(outcome));
  return EXIT.failed;
}

// ------------------------------------------------------------------------------------------------ command

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...ENV_AWS_OPTIONS,
    reason: { type: 'string' },
    ttl: { type: 'string' },
    instance: { type: 'string' },
    vpc: { type: 'string' },
    nacl: { type: 'string', multiple: true },
    severity: { type: 'string' },
    by: { type: 'string' },
    wait: { type: 'string', default: '30s' },
    'no-wait': { type: 'boolean', default: false },
    ...ACCOUNTS_OPTIONS,
  });
  const [sub, ...rest] = positionals;
  const resolve: Resolve = {
    env: () => blockerEnv(values.env),
    aws: awsFor(values.endpoint),
  };
  if (rest.length > 1 || (sub === 'list' && rest.length > 0)) throw new UsageError(`unexpected argument "${rest.at(-1)}"`, true);
  const acrossOnly = (['accounts', 'role-name', 'concurrency'] as const).find((k) => values[k] !== undefined);
  if (acrossOnly && (sub === 'add' || sub === 'remove')) {
    throw new UsageError(`--${acrossOnly} is for blocks list: requests go to the hub's reflex bus, and the IP blocker acts in the hub account only`);
  }
  switch (sub) {
    case 'list': {
      const requestOnly = (['reason', 'ttl', 'instance', 'vpc', 'nacl', 'severity', 'by'] as const).find((k) => values[k] !== undefined);
      if (requestOnly) throw new UsageError(`--${requestOnly} is for blocks add and remove`);
      const env = await resolve.env();
      const plan = accountsPlan(values, env.accounts);
      return list(env, await resolve.aws(env), values.json, plan);
    }
    case 'add':
      return request('block', rest[0], values, resolve);
    case 'remove':
      return request('unblock', rest[0], values, resolve);
    default:
      throw new UsageError(sub ? `unknown blocks command "${sub}"` : 'expected list, add or remove', true);
  }
}

export const blocksCommand: Command = {
  name: 'blocks',
  summary: 'list the IP blocker\'s NACL denies and free slots; ask it to block or unblock a source',
  help: HELP,
  run,
};

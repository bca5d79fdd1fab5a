import { join } from 'node:path';
import { parseIp } from '@reflex/ip';
import {
  type Db,
  DEFAULT_DATA_DIR,
  describeLocation,
  type NetworkRecord,
  openStore,
  overlaps,
  type ShowResult,
  show,
  SHORT_OPEN_SHARED_BUFFERS,
  type StoreLocation,
  storeLocation,
  subnetUsage,
} from '@reflex/ipam';
import { awsName, loadManifests, repoRoot } from '@reflex/manifest';
import { ACCOUNTS_OPTIONS, accountsPlan, acrossAccounts, envAccounts, oneAtATime, reportAccounts } from './accounts';
import { type AwsTarget, resolveAws } from './aws';
import { type Command, EXIT, out, parseCommandArgs, plural, progressLine, table, UsageError } from './common';

const HELP = `reflex ipam <show|subnets|overlaps|reconcile|worker> [options]

  The IPAM golden records: VPCs and subnets, instances, interfaces and addresses, with their history.
  The store is the PostgreSQL server of DATABASE_URL (or --database-url), else the embedded PGlite in
  IPAM_DATA_DIR (default .reflex/ipam, where \`pnpm start\` keeps it).

  show <ip|cidr|instance-id>   who holds (or held) an address, what is in a block, or one instance
  subnets                      used and total addresses per subnet, with a bar
  overlaps                     VPC blocks that overlap across VPCs and accounts
  reconcile                    list VPCs, subnets and instances in EC2 and correct the store's drift
      --dry-run                report the drift, write nothing
      --accounts all|ID,ID…    reconcile these accounts: all (the hub and every member account of --env)
                               or a comma list of their ids; the hub with the caller's credentials
                               (skipped if they are another account's), each member through its
                               deployment role (assumed with STS as reflex-cli-$USER, with
                               spokes.externalId if there is one), its records under its own account
                               id. Without it: the account of the credentials, recorded under the
                               environment's account, as before
      --role-name NAME         with --accounts, assume this role in every member account instead
      --concurrency N          with --accounts, how many accounts are listed at once (default 4); the
                               store takes their reconciliations one at a time
  worker                       long-poll the IPAM queue and apply its messages until Ctrl-C
      --queue-url URL          the queue (default: reflex-<env>-ipam-sync, looked up by name)
      --concurrency N          messages in flight at once (default 50)

  --env NAME          environment for reconcile and worker: account, region, queue name (default local)
  --endpoint URL      the AWS API (also REFLEX_AWS_ENDPOINT); without either, the running local mode for
                      --env local, the real AWS of the credentials chain for another environment
  --database-url URL  a PostgreSQL server instead of the embedded store
  --json              print results as JSON; reconcile --accounts prints
                      { accounts: [{ account, ...drift report }], skipped: [{ account, reason }] }

  reconcile --accounts prints each account's drift under its id, then the accounts skipped and why (a role
  that cannot be assumed, a call that failed there): the others are reconciled all the same.
  Exit codes: 0 done, 1 a database or AWS call failed, or reconcile --accounts skipped an account (after
  reconciling and printing the others); 2 usage error (also: an invalid address or CIDR, an account that is
  neither the hub nor a member of --env, no local mode running, no credentials).`;

const BAR_WIDTH = 20;

/**
 * Checks what `show` answers for before the store is opened: an instance id, an IPv4/IPv6 address, or a CIDR
 * whose prefix length fits its family (0–32, 0–128).
 *
 * @throws UsageError naming what is wrong with it.
 */
export function checkShowQuery(query: string): void {
  if (/^i-[0-9a-f]{8,17}$/.test(query)) return;
  const slash = query.indexOf('/');
  const address = slash < 0 ? query : query.slice(0, slash);
  const ip = parseIp(address);
  if (!ip) {
    throw new UsageError(
      slash < 0 ? `"${query}" is no IP address, CIDR or instance id` : `"${query}" is no CIDR: "${address}" is no IPv4 or IPv6 address`,
    );
  }
  if (slash < 0) return;
  const prefix = query.slice(slash + 1);
  const width = ip.version === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > width) {
    throw new UsageError(`"${query}" is no CIDR: the prefix length of an IPv${ip.version} block is 0 to ${width}, got "${prefix}"`);
  }
}

/** `[██████░░░░░░░░░░░░░░]`: the used share of a subnet's usable addresses. */
export function usageBar(used: number, usable: number, width = BAR_WIDTH): string {
  const filled = usable > 0 ? Math.min(width, Math.round((used / usable) * width)) : 0;
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

const network = (n: NetworkRecord) =>
  `${n.kind} ${n.resourceId} ${n.cidr} (${n.account}, ${n.region})${n.deletedAt ? ` — deleted ${n.deletedAt}` : ''}`;

function printShow(result: ShowResult): void {
  if (result.devices.length + result.addresses.length + result.networks.length === 0) {
    out(`nothing in the IPAM for ${result.query}`);
    return;
  }
  for (const d of result.devices) {
    const what = [d.instanceType, d.architecture, d.cpuCores ? plural(d.cpuCores, 'core') : undefined, d.availabilityZone].filter(Boolean);
    out(`${d.instanceId}${d.name ? ` "${d.name}"` : ''}: ${d.state}${d.decommissionedAt ? ` (decommissioned ${d.decommissionedAt})` : ''}`);
    out(`  ${what.join(', ')}; account ${d.account}, ${d.region}; launched ${d.launchTime ?? 'unknown'}; last seen ${d.lastSeen}`);
  }
  if (result.addresses.length) {
    out('addresses:');
    table(
      result.addresses.map((a) => [
        `  ${a.address}`,
        a.kind,
        a.instanceId,
        a.interfaceId,
        a.subnetId,
        a.vpcId,
        a.releasedAt ? `released ${a.releasedAt}` : `held since ${a.assignedAt}`,
      ]),
    );
  }
  if (result.networks.length) {
    out('networks:');
    // Live blocks first, then those reconciliation found gone from EC2.
    const networks = [...result.networks.filter((n) => !n.deletedAt), ...result.networks.filter((n) => n.deletedAt)];
    for (const n of networks) out(`  ${network(n)}${n.parentCidr ? ` in ${n.parentCidr}` : ''}`);
  }
  if (result.history.length) {
    out('history:');
    for (const h of result.history) out(`  ${new Date(h.version).toISOString()} ${h.outcome} ${JSON.stringify(h.change)}`);
  }
}

/** The store: `--database-url` or DATABASE_URL, else the embedded one of IPAM_DATA_DIR or the repository's. */
const storeAt = (databaseUrl: string | undefined): StoreLocation =>
  databaseUrl ? { url: databaseUrl } : storeLocation(process.env, join(repoRoot(), DEFAULT_DATA_DIR));

async function withStore<T>(databaseUrl: string | undefined, fn: (db: Db) => Promise<T>): Promise<T> {
  const location = storeAt(databaseUrl);
  // A short query: small shared buffers open in a fraction of the default's time (PGlite zeroes them).
  const db = await openStore(location, {
    sharedBuffers: SHORT_OPEN_SHARED_BUFFERS,
    onWait: (who) => process.stderr.write(`waiting for ${who} to release ${describeLocation(location)}…\n`),
  });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function environment(name: string) {
  const { ENVIRONMENTS, resolveEnvironment } = await import('@reflex/stacks');
  const input = ENVIRONMENTS.find((e) => e.name === name);
  if (!input) throw new UsageError(`unknown environment "${name}" (known: ${ENVIRONMENTS.map((e) => e.name).join(', ')})`);
  return resolveEnvironment(input, await loadManifests(repoRoot())).env;
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    env: { type: 'string', default: 'local' },
    endpoint: { type: 'string' },
    'database-url': { type: 'string' },
    'queue-url': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    ...ACCOUNTS_OPTIONS,
  });
  const [sub, ...rest] = positionals;
  // --accounts is reconcile's: the other commands read the store, and the worker consumes the hub's queue.
  const acrossOnly = values.accounts !== undefined ? '--accounts' : values['role-name'] !== undefined ? '--role-name' : undefined;
  if (acrossOnly && ['show', 'subnets', 'overlaps', 'worker'].includes(sub ?? '')) throw new UsageError(`${acrossOnly} is for ipam reconcile`);
  const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL;
  const aws = async (env: { name: string; region: string }) =>
    resolveAws({ endpoint: values.endpoint, env: env.name, region: env.region, root: repoRoot() });
  const print = (value: unknown, text: () => void) => (values.json ? out(JSON.stringify(value, null, 2)) : text());
  const noMore = () => {
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`, true);
  };

  switch (sub) {
    case 'show': {
      const query = rest[0];
      if (rest.length !== 1 || !query) throw new UsageError('show takes one IP address, CIDR or instance id', true);
      checkShowQuery(query);
      const result = await withStore(databaseUrl, (db) => show(db, query));
      print(result, () => printShow(result));
      return EXIT.ok;
    }
    case 'subnets': {
      noMore();
      const rows = await withStore(databaseUrl, subnetUsage);
      print(rows, () => {
        if (rows.length === 0) return out('no subnets in the IPAM yet');
        table([
          ['subnet', 'cidr', 'vpc', 'account', 'usage', 'used/usable'],
          ...rows.map((s) => [
            s.subnetId,
            s.cidr,
            s.vpcId,
            s.account,
            usageBar(s.used, s.usable),
            `${s.used}/${s.usable} (${s.usable ? ((100 * s.used) / s.usable).toFixed(1) : '0.0'}%)`,
          ]),
        ]);
      });
      return EXIT.ok;
    }
    case 'overlaps': {
      noMore();
      const found = await withStore(databaseUrl, overlaps);
      print(found, () => {
        out(found.length ? `${plural(found.length, 'overlap')} between VPC blocks:` : 'no overlapping VPC blocks');
        for (const o of found) out(`  ${network(o.a)}  ⟷  ${network(o.b)}`);
      });
      return EXIT.ok;
    }
    case 'reconcile': {
      noMore();
      const env = await environment(values.env);
      // --concurrency without --accounts: ignored, as it always was here (it is the worker's too).
      const plan = accountsPlan({ ...values, concurrency: values.accounts === undefined ? undefined : values.concurrency }, envAccounts(env));
      const target = await aws(env);
      const { EC2Client } = await import('@aws-sdk/client-ec2');
      const { Ec2Inventory, reconcile, formatDriftReport } = await import('@reflex/ipam');
      const progress = progressLine();
      const snapshotOf = (there: AwsTarget, account: string, label = '') =>
        there.call(() =>
          new Ec2Inventory(new EC2Client(there.clientConfig())).snapshot({
            account,
            region: env.region,
            onProgress: (p) => progress.update(`${label}listing ${p.phase}… ${p.done}`, p.done),
          }),
        );
      const reconcileInto = (db: Db, snapshot: Awaited<ReturnType<typeof snapshotOf>>, label = '') =>
        reconcile(db, snapshot, {
          dryRun: values['dry-run'],
          onProgress: (p) => progress.update(`${label}reconciling ${p.done}/${p.total}`, p.total),
        });
      if (plan) {
        // Accounts are listed at once; the store takes one reconciliation at a time (records carry the account).
        const serially = oneAtATime();
        const outcome = await withStore(databaseUrl, (db) =>
          acrossAccounts(target, plan, async (there, { account }) => {
            const snapshot = await snapshotOf(there, account, `${account}: `);
            return serially(() => reconcileInto(db, snapshot, `${account}: `));
          }),
        );
        progress.done();
        return reportAccounts(outcome, { json: values.json, print: (report) => out(formatDriftReport(report)), toJson: (report) => ({ ...report }) });
      }
      const snapshot = await snapshotOf(target, env.account);
      const report = await withStore(databaseUrl, (db) => reconcileInto(db, snapshot));
      progress.done();
      print(report, () => out(formatDriftReport(report)));
      return EXIT.ok;
    }
    case 'worker': {
      noMore();
      const concurrency = Number(values.concurrency ?? '50');
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency is a positive whole number');
      const env = await environment(values.env);
      const target = await aws(env);
      const { SQSClient, GetQueueUrlCommand } = await import('@aws-sdk/client-sqs');
      const { EC2Client } = await import('@aws-sdk/client-ec2');
      const { runWorker } = await import('@reflex/ipam');
      const sqs = new SQSClient(target.clientConfig());
      const queueUrl =
        values['queue-url'] ??
        (await target.call(() => sqs.send(new GetQueueUrlCommand({ QueueName: awsName(env.name, 'ipam-sync') })))).QueueUrl!;
      // The scheduled reconciliation, when the environment leaves it to this worker too (its queue exists).
      const scheduledUrl = values['queue-url']
        ? undefined
        : await sqs.send(new GetQueueUrlCommand({ QueueName: awsName(env.name, 'ipam-reconciler') })).then((r) => r.QueueUrl, () => undefined);
      const location = storeAt(databaseUrl);
      const stats = await runWorker({
        store: location,
        sqs,
        queueUrl,
        ...(scheduledUrl ? { reconcile: { queueUrl: scheduledUrl, ec2: new EC2Client(target.clientConfig()) } } : {}),
        concurrency,
        log: (line) => process.stderr.write(`${line}\n`),
        onStart: () =>
          out(
            `ipam worker: ${queueUrl}${scheduledUrl ? ` and ${scheduledUrl} (scheduled reconciliation)` : ''} → ${describeLocation(location)}; Ctrl-C stops after the messages in flight`,
          ),
      });
      out(`ipam worker stopped: ${JSON.stringify(stats)}`);
      return EXIT.ok;
    }
    default:
      throw new UsageError(sub ? `unknown ipam command "${sub}"` : 'expected show, subnets, overlaps, reconcile or worker', true);
  }
}

export const ipamCommand: Command = {
  name: 'ipam',
  summary: 'query the IPAM (show, subnets, overlaps), reconcile it with EC2, run its queue worker',
  help: HELP,
  run,
};

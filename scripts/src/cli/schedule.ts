import { EC2Client } from '@aws-sdk/client-ec2';
import { Ec2ScheduledInstances, preview, type PreviewRow, SchedulerConfigSchema } from '@reflex/instance-scheduler';
import { lazySdk } from '@reflex/lambda-kit';
import { loadManifests, repoRoot } from '@reflex/manifest';
import { localParts } from '@reflex/schedules';
import { ENVIRONMENTS, resolveEnvironment } from '@reflex/stacks';
import { ACCOUNTS_HELP, ACCOUNTS_OPTIONS, accountsPlan, acrossAccounts, envAccounts, reportAccounts } from './accounts';
import { type AwsTarget, resolveAws } from './aws';
import { type Command, EXIT, out, parseCommandArgs, plural, table, UsageError } from './common';

const HELP = `reflex schedule preview [--hours 24] [--env local] [--endpoint URL] [--at ISO] [--accounts all|ID,ID…] [--json]

  The starts and stops the instance scheduler plans for the next hours, per instance that carries a
  reflex:schedule tag, read from the local AWS or a real account (describe calls only), with the
  schedules of an environment's config. Times are shown in each schedule's zone and in UTC.

  --hours N       how far ahead (default 24, at most 744)
  --env NAME      whose scheduler config to use (default local)
  --endpoint URL  the AWS API (also REFLEX_AWS_ENDPOINT); without either, the running local mode for
                  --env local, the real AWS of the credentials chain for another environment
  --at ISO        plan from this time instead of now
${ACCOUNTS_HELP}
  --json          print the rows as JSON; with --accounts
                  { accounts: [{ account, rows }], skipped: [{ account, reason }] }

  With --accounts, each account's plan is printed under its id, then the accounts skipped and why (a role
  that cannot be assumed, a call that failed there): the others are read all the same.
  Exit codes: 0 printed, 1 the AWS call failed, or with --accounts an account was skipped (after printing
  the others); 2 usage error (also: an account that is neither the hub nor a member of --env, no local mode
  running, no credentials).`;

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    hours: { type: 'string', default: '24' },
    env: { type: 'string', default: 'local' },
    endpoint: { type: 'string' },
    at: { type: 'string' },
    json: { type: 'boolean', default: false },
    ...ACCOUNTS_OPTIONS,
  });
  if (positionals[0] !== 'preview' || positionals.length > 1) throw new UsageError('the schedule command is "reflex schedule preview"', true);
  const hours = Number(values.hours);
  if (!Number.isInteger(hours) || hours < 1 || hours > 744) throw new UsageError(`--hours takes a whole number from 1 to 744, got "${values.hours}"`);
  const from = values.at ? new Date(values.at) : new Date();
  if (Number.isNaN(from.getTime())) throw new UsageError(`--at takes an ISO time, got "${values.at}"`);
  const input = ENVIRONMENTS.find((e) => e.name === values.env);
  if (!input) throw new UsageError(`unknown environment "${values.env}" (known: ${ENVIRONMENTS.map((e) => e.name).join(', ')})`);
  const root = repoRoot();
  const { env, reflexes } = resolveEnvironment(input, await loadManifests(root));
  const scheduler = reflexes.find((r) => r.manifest.name === 'instance-scheduler');
  const config = SchedulerConfigSchema.parse(scheduler?.config ?? {});
  const plan = accountsPlan(values, envAccounts(env));

  const aws = await resolveAws({ endpoint: values.endpoint, env: env.name, region: env.region, root });
  const to = new Date(from.getTime() + hours * 3_600_000);
  const planned = async (target: AwsTarget) => {
    const instances = new Ec2ScheduledInstances(true, lazySdk(async () => import('@aws-sdk/client-ec2'), () => new EC2Client(target.clientConfig())));
    return preview(await target.call(() => instances.listScheduled()), config, from, to);
  };
  if (plan) {
    const outcome = await acrossAccounts(aws, plan, planned);
    return reportAccounts(outcome, { json: values.json, print: (rows) => printTable(rows, from, hours), toJson: (rows) => ({ rows }) });
  }
  const rows = await planned(aws);
  if (values.json) out(JSON.stringify(rows, null, 2));
  else printTable(rows, from, hours);
  return EXIT.ok;
}

function printTable(rows: readonly PreviewRow[], from: Date, hours: number): void {
  out(`planned starts and stops from ${from.toISOString()} for ${hours} h (${plural(rows.length, 'scheduled instance')})`);
  const lines: string[][] = [['instance', 'name', 'schedule', 'local time', 'UTC', 'action']];
  for (const row of rows) {
    if (row.transitions.length === 0) lines.push([row.id, row.name, row.schedule, '', '', row.note ?? 'none planned']);
    for (const t of row.transitions) {
      const local = localParts(t.at, row.timezone!);
      lines.push([row.id, row.name, row.schedule, `${local.weekday} ${local.date} ${local.time} ${row.timezone}`, t.at.toISOString().slice(0, 16).replace('T', ' ') + 'Z', t.action]);
    }
    if (row.note && row.transitions.length > 0) lines.push(['', '', '', '', '', row.note]);
  }
  table(lines);
}

export const scheduleCommand: Command = {
  name: 'schedule',
  summary: 'preview the instance scheduler\'s planned starts and stops',
  help: HELP,
  run,
};

import { EC2Client } from '@aws-sdk/client-ec2';
import { lazySdk } from '@reflex/lambda-kit';
import { loadManifests, repoRoot } from '@reflex/manifest';
import { type AuditRow, auditInventory, Ec2NetworkInventory, Ec2NetworkTags, TaggerConfigSchema } from '@reflex/resource-tagger';
import { ENVIRONMENTS, resolveEnvironment } from '@reflex/stacks';
import { ACCOUNTS_HELP, ACCOUNTS_OPTIONS, accountsPlan, acrossAccounts, envAccounts, reportAccounts } from './accounts';
import { type AwsTarget, resolveAws } from './aws';
import { type Command, EXIT, out, parseCommandArgs, plural, progressLine, table, UsageError } from './common';

type MandatoryTags = ReturnType<typeof TaggerConfigSchema.parse>['mandatoryTags'];

const HELP = `reflex tags audit [--fix] [--apply] [--env local] [--endpoint URL] [--accounts all|ID,ID…] [--json]

  Lists the network resources (VPCs, subnets, route tables, security groups, network ACLs, internet and
  NAT gateways, endpoints, transit gateways and attachments, Elastic IPs, network interfaces, instances,
  volumes) that miss a mandatory tag of the resource tagger's policy in an environment's config.

  --fix           plan the missing tags (inherited from the parent or the default) and print them
  --apply         with --fix, write them (CreateTags with the caller's credentials, in a member account
                  with the role assumed there); without it --fix is a dry-run
  --env NAME      whose tagger policy to use (default local)
  --endpoint URL  the AWS API (also REFLEX_AWS_ENDPOINT); without either, the running local mode for
                  --env local, the real AWS of the credentials chain for another environment
${ACCOUNTS_HELP}
  --json          print the rows (and what was written) as JSON; with --accounts
                  { accounts: [{ account, policy, resources, rows, … }], skipped: [{ account, reason }] }

  With --accounts, each account's audit is printed under its id, then the accounts skipped and why (a role
  that cannot be assumed, a call that failed there): the others are audited all the same.
  A progress line goes to stderr when it is a terminal or the inventory is large (more than 200 resources).
  Exit codes: 0 printed (and written) — findings are no failure; 1 an AWS call failed, or with --accounts an
  account was skipped (after printing the others); 2 usage error (also: an account that is neither the hub
  nor a member of --env, no local mode running, no credentials).`;

const describeWrite = (row: AuditRow) =>
  Object.entries(row.write)
    .map(([key, value]) => {
      const source = row.sources[key];
      return `${key}=${value}${source?.from === 'parent' ? ` (from ${source.parent})` : ' (default)'}`;
    })
    .join(', ');

function printTable(rows: readonly AuditRow[], fix: boolean, written: ReadonlySet<string>, apply: boolean): void {
  const header = ['resource', 'type', 'parent', 'missing', ...(fix ? [apply ? 'wrote' : 'would write'] : [])];
  const lines = [
    header,
    ...rows.map((r) => [
      r.id,
      r.type,
      r.parent ?? '',
      r.missing.join(', '),
      ...(fix ? [apply && !written.has(r.id) ? '' : describeWrite(r) + (r.unresolved.length ? `; no value for ${r.unresolved.join(', ')}` : '')] : []),
    ]),
  ];
  table(lines);
}

/** What the audit found (and wrote) in one account. */
interface Audit {
  /** How many resources were listed. */
  readonly resources: number;
  readonly rows: AuditRow[];
  readonly written: ReadonlySet<string>;
}

/**
 * Lists the account's network resources, audits them, and with --fix --apply writes the planned tags. `label`
 * (`<account>: `, with --accounts) prefixes the progress lines.
 */
async function audit(aws: AwsTarget, policy: MandatoryTags, fix: boolean, apply: boolean, label = ''): Promise<Audit> {
  const load = lazySdk(async () => import('@aws-sdk/client-ec2'), () => new EC2Client(aws.clientConfig()));
  const progress = progressLine();
  const resources = await aws.call(() =>
    new Ec2NetworkInventory(load).list((listed, kind) =>
      progress.update(`${label}${kind === 'done' ? `listed ${listed} resources` : `listing ${kind}… ${listed} resources so far`}`, listed),
    ),
  );
  const rows = auditInventory(resources, policy);

  const written = new Set<string>();
  if (fix && apply) {
    const tags = new Ec2NetworkTags(false, load);
    const toWrite = rows.filter((r) => Object.keys(r.write).length > 0);
    for (const [n, row] of toWrite.entries()) {
      progress.update(`${label}tagging ${n + 1}/${toWrite.length}: ${row.id}`, resources.length);
      try {
        if ((await aws.call(() => tags.tag(row.id, row.write))) === 'tagged') written.add(row.id);
      } catch (error) {
        // Across accounts a failure skips the account: its reason keeps what was written there before.
        if (!label || written.size === 0) throw error;
        throw new Error(`tagging ${row.id} failed after writing tags on ${plural(written.size, 'resource')} (${[...written].join(', ')})`, { cause: error });
      }
    }
  }
  progress.done();
  return { resources: resources.length, rows, written };
}

const auditJson = (policy: MandatoryTags, result: Audit, fix: boolean, apply: boolean) => ({
  policy,
  resources: result.resources,
  rows: result.rows,
  ...(fix ? { applied: apply, written: [...result.written] } : {}),
});

function printAudit(envName: string, policy: MandatoryTags, result: Audit, fix: boolean, apply: boolean): void {
  const { rows, written } = result;
  out(`${plural(rows.length, 'resource')} of ${result.resources} miss mandatory tags (${Object.keys(policy).join(', ')}; environment ${envName})`);
  if (rows.length > 0) printTable(rows, fix, written, apply);
  if (fix) {
    const planned = rows.filter((r) => Object.keys(r.write).length > 0).length;
    out(
      apply
        ? `wrote tags on ${plural(written.size, 'resource')}`
        : `dry-run: would write tags on ${plural(planned, 'resource')}; add --apply to write them`,
    );
  }
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    fix: { type: 'boolean', default: false },
    apply: { type: 'boolean', default: false },
    env: { type: 'string', default: 'local' },
    endpoint: { type: 'string' },
    json: { type: 'boolean', default: false },
    ...ACCOUNTS_OPTIONS,
  });
  if (positionals[0] !== 'audit' || positionals.length > 1) throw new UsageError('the tags command is "reflex tags audit"', true);
  if (values.apply && !values.fix) throw new UsageError('--apply writes what --fix plans: give both');
  const input = ENVIRONMENTS.find((e) => e.name === values.env);
  if (!input) throw new UsageError(`unknown environment "${values.env}" (known: ${ENVIRONMENTS.map((e) => e.name).join(', ')})`);
  const root = repoRoot();
  const { env, reflexes } = resolveEnvironment(input, await loadManifests(root));
  const tagger = reflexes.find((r) => r.manifest.name === 'resource-tagger');
  const policy = TaggerConfigSchema.parse(tagger?.config ?? {}).mandatoryTags;
  if (Object.keys(policy).length === 0) throw new UsageError(`environment "${env.name}" has no mandatory tags (reflexes.resource-tagger.config.mandatoryTags)`);
  const plan = accountsPlan(values, envAccounts(env));

  const aws = await resolveAws({ endpoint: values.endpoint, env: env.name, region: env.region, root });
  const { fix, apply } = values;
  if (plan) {
    const outcome = await acrossAccounts(aws, plan, (there, target) => audit(there, policy, fix, apply, `${target.account}: `));
    return reportAccounts(outcome, {
      json: values.json,
      print: (result) => printAudit(env.name, policy, result, fix, apply),
      toJson: (result) => auditJson(policy, result, fix, apply),
    });
  }
  const result = await audit(aws, policy, fix, apply);
  if (values.json) out(JSON.stringify(auditJson(policy, result, fix, apply), null, 2));
  else printAudit(env.name, policy, result, fix, apply);
  return EXIT.ok;
}

export const tagsCommand: Command = {
  name: 'tags',
  summary: 'audit network resources for mandatory tags, and backfill them (--fix)',
  help: HELP,
  run,
};

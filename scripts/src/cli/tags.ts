import { EC2Client } from '@aws-sdk/client-ec2';
import { lazySdk } from '@reflex/lambda-kit';
import { loadManifests, repoRoot } from '@reflex/manifest';
import { type AuditRow, auditInventory, Ec2NetworkInventory, Ec2NetworkTags, TaggerConfigSchema } from '@reflex/resource-tagger';
import { ENVIRONMENTS, resolveEnvironment } from '@reflex/stacks';
import { resolveAws } from './aws';
import { type Command, EXIT, out, parseCommandArgs, plural, progressLine, table, UsageError } from './common';

const HELP = `reflex tags audit [--fix] [--apply] [--env local] [--endpoint URL] [--json]

  Lists the network resources (VPCs, subnets, route tables, security groups, network ACLs, internet and
  NAT gateways, endpoints, transit gateways and attachments, Elastic IPs, network interfaces, instances,
  volumes) that miss a mandatory tag of the resource tagger's policy in an environment's config.

  --fix           plan the missing tags (inherited from the parent or the default) and print them
  --apply         with --fix, write them (CreateTags with the caller's credentials); without it --fix is a dry-run
  --env NAME      whose tagger policy to use (default local)
  --endpoint URL  the AWS API (also REFLEX_AWS_ENDPOINT); without either, the running local mode for
                  --env local, the real AWS of the credentials chain for another environment
  --json          print the rows (and what was written) as JSON

  A progress line goes to stderr when it is a terminal or the inventory is large (more than 200 resources).
  Exit codes: 0 printed (and written), 1 an AWS call failed, 2 usage error (also: no local mode running,
  no credentials).`;

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

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    fix: { type: 'boolean', default: false },
    apply: { type: 'boolean', default: false },
    env: { type: 'string', default: 'local' },
    endpoint: { type: 'string' },
    json: { type: 'boolean', default: false },
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

  const aws = await resolveAws({ endpoint: values.endpoint, env: env.name, region: env.region, root });
  const load = lazySdk(async () => import('@aws-sdk/client-ec2'), () => new EC2Client(aws.clientConfig()));
  const progress = progressLine();

  const resources = await aws.call(() =>
    new Ec2NetworkInventory(load).list((listed, kind) =>
      progress.update(kind === 'done' ? `listed ${listed} resources` : `listing ${kind}… ${listed} resources so far`, listed),
    ),
  );
  const rows = auditInventory(resources, policy);

  const written = new Set<string>();
  if (values.fix && values.apply) {
    const tags = new Ec2NetworkTags(false, load);
    const toWrite = rows.filter((r) => Object.keys(r.write).length > 0);
    for (const [n, row] of toWrite.entries()) {
      progress.update(`tagging ${n + 1}/${toWrite.length}: ${row.id}`, resources.length);
      if ((await aws.call(() => tags.tag(row.id, row.write))) === 'tagged') written.add(row.id);
    }
  }
  progress.done();

  if (values.json) {
    out(JSON.stringify({ policy, resources: resources.length, rows, ...(values.fix ? { applied: values.apply, written: [...written] } : {}) }, null, 2));
    return EXIT.ok;
  }
  out(`${plural(rows.length, 'resource')} of ${resources.length} miss mandatory tags (${Object.keys(policy).join(', ')}; environment ${env.name})`);
  if (rows.length > 0) printTable(rows, values.fix, written, values.apply);
  if (values.fix) {
    const planned = rows.filter((r) => Object.keys(r.write).length > 0).length;
    out(
      values.apply
        ? `wrote tags on ${plural(written.size, 'resource')}`
        : `dry-run: would write tags on ${plural(planned, 'resource')}; add --apply to write them`,
    );
  }
  return EXIT.ok;
}

export const tagsCommand: Command = {
  name: 'tags',
  summary: 'audit network resources for mandatory tags, and backfill them (--fix)',
  help: HELP,
  run,
};

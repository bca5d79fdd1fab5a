import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import {
  type CidrFinding,
  type CidrReport,
  checkCidrs,
  type IpamLookup,
  isTerraformPlan,
  parseReservedRanges,
  type ReservedRange,
  ReservedRangesError,
  type TerraformDocument,
  TerraformJsonError,
  toTerraformDocument,
} from '@reflex/guardrails';
import {
  type Db,
  DEFAULT_DATA_DIR,
  describeLocation,
  openStore,
  SHORT_OPEN_SHARED_BUFFERS,
  type StoreLocation,
  storeLocation,
  vpcBlocksOverlapping,
} from '@reflex/ipam';
import { describeEdge, describeLoop, LOOP_ADVICE, type LoopAnalysis, loadManifests, repoRoot } from '@reflex/manifest';
import { type Command, EXIT, out, parseCommandArgs, plural, UsageError } from './common';

const CIDRS_HELP = `  cidrs <plan.json | file.tf.json | dir>...
      The VPC and subnet CIDR blocks a Terraform plan or configuration of any project would deploy (aws_vpc,
      aws_default_vpc, their IPv4/IPv6 cidr block associations, aws_subnet, aws_default_subnet; in modules
      and count/for_each instances too), checked for: VPC blocks that overlap each other; subnets of one VPC
      that overlap; subnets outside their VPC's blocks; VPC blocks that overlap a reserved range or a VPC in
      the IPAM (other than the same VPC); blocks with host bits set. Blocks known only after apply (IPAM
      pools, Amazon-provided IPv6, computed expressions, the default VPC) are listed as could not be checked.
      A file: a plan (terraform plan -out plan.bin && terraform show -json plan.bin > plan.json), or a
      configuration in JSON (cdktf.out/stacks/<env>/cdk.tf.json, any *.tf.json). A directory: every such
      file under it; the *.tf.json of one folder are one configuration, cdktf.out/stacks/<env> one stack.
      --reserved FILE      ranges no VPC may overlap, as JSON [{"cidr": "10.0.0.0/8", "name": "on-prem DC1"}]
                           or text, a range a line: "10.0.0.0/8  on-prem DC1" (# starts a comment)
      --database-url URL   the IPAM's PostgreSQL server (also DATABASE_URL)
      --ipam               require the IPAM: without a server, the embedded store (IPAM_DATA_DIR, default
                           .reflex/ipam) must exist, else exit 2
      --no-ipam            do not consult the IPAM
      Without --ipam or a server, the embedded store is consulted when it exists, and skipped (said so) when
      it does not: a project that never ran Reflex's IPAM still gets the other checks.
      --json               the result as JSON: { ok, summary, ipam, reports: [{ source, stack, format,
                           blocks, findings, unchecked }] } (see packages/guardrails/README.md)`;

const LOOPS_HELP = `  loops [--env NAME] [--json]
      The loop analysis every synth runs (README, "Loops between reflexes"), printed for each environment
      (or the one named): every edge from a reflex's action through the events it causes to a rule of a
      reflex, with the guards that cut it (pattern, loop guard, declared) and their reasons; the actions
      whose events reach no rule; and the loops, failing when an edge of one is not cut.
      --json               { ok, environments: [{ env, edges, quiet, loops }] }`;

const HELP = `reflex check <cidrs|loops> [options]

  Checks on what is about to be deployed: on Terraform JSON before terraform apply (cidrs), on the
  manifests and environment configs before synth (loops).

${CIDRS_HELP}

${LOOPS_HELP}

  Exit codes: 0 clean (blocks that could not be checked are printed, and do not fail), 1 a finding or a loop
  (or the IPAM's database failed), 2 usage error (a file missing, unreadable or not Terraform JSON, a bad
  reserved range, --ipam without a store, an unknown environment, an invalid config).`;

/** One plan or configuration to check, and how to name it. */
interface Input {
  readonly source: string;
  /** The cdktf stack, for `cdktf.out/stacks/<stack>/cdk.tf.json`. */
  readonly stack?: string;
  readonly doc: TerraformDocument;
}

const READ_ERRORS: Record<string, string> = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory' };

function readText(path: string, what = path): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new UsageError(`cannot read ${what}: ${READ_ERRORS[code] ?? (error as Error).message}`);
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source}: not JSON (${(error as Error).message.replace(/\s+/g, ' ')})`);
  }
}

function document(value: unknown, source: string): TerraformDocument {
  try {
    return toTerraformDocument(value);
  } catch (error) {
    if (error instanceof TerraformJsonError) throw new UsageError(`${source}: ${error.message}`);
    throw error;
  }
}

/** `cdktf.out/stacks/dev/cdk.tf.json` → `dev`. */
const stackOf = (path: string): string | undefined => {
  const parts = path.split(sep);
  return basename(path) === 'cdk.tf.json' && parts.at(-3) === 'stacks' ? parts.at(-2) : undefined;
};

const withStack = (source: string, doc: TerraformDocument): Input => {
  const stack = stackOf(source);
  return { source, ...(stack ? { stack } : {}), doc };
};

/** The JSON files under a directory, by folder; dot folders (.terraform, .git) and node_modules left out. */
function jsonFiles(dir: string): Map<string, string[]> {
  const byFolder = new Map<string, string[]>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(folder, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules') walk(path);
      else if (entry.isFile() && entry.name.endsWith('.json')) byFolder.set(folder, [...(byFolder.get(folder) ?? []), path]);
    }
  };
  walk(dir);
  return byFolder;
}

/**
 * The plans and configurations under a directory: each plan JSON on its own, the `*.tf.json` of one folder
 * as one configuration (Terraform reads a folder as one module); other JSON files are left out.
 */
function inputsUnder(dir: string): Input[] {
  const inputs: Input[] = [];
  for (const [folder, files] of jsonFiles(dir)) {
    const configFiles = files.filter((f) => f.endsWith('.tf.json'));
    for (const file of files.filter((f) => !f.endsWith('.tf.json'))) {
      const value = jsonOrUndefined(file);
      if (isTerraformPlan(value)) inputs.push(withStack(file, document(value, file)));
    }
    if (configFiles.length === 0) continue;
    const configs = configFiles.map((file) => {
      const value = parseJson(readText(file), file);
      document(value, file); // each file must be a configuration of its own
      return value as Record<string, unknown>;
    });
    if (configs.length === 1) {
      inputs.push(withStack(configFiles[0]!, document(configs[0], configFiles[0]!)));
      continue;
    }
    // JSON syntax takes a list of bodies wherever it takes one: each key's bodies from every file, in a list.
    const keys = [...new Set(configs.flatMap((c) => Object.keys(c)))];
    const merged = Object.fromEntries(keys.map((k) => [k, configs.flatMap((c) => (c[k] === undefined ? [] : [c[k]]))]));
    inputs.push({ source: join(folder, '*.tf.json'), doc: document(merged, folder) });
  }
  if (inputs.length === 0) throw new UsageError(`no Terraform JSON under ${dir}: expected plan JSON (terraform show -json), cdk.tf.json or *.tf.json files`);
  return inputs;
}

/** A JSON file's value, or undefined when it is not JSON: other JSON files may lie beside Terraform's. */
function jsonOrUndefined(file: string): unknown {
  try {
    return JSON.parse(readText(file));
  } catch {
    return undefined;
  }
}

function inputsOf(paths: readonly string[]): Input[] {
  return paths.flatMap((path) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) throw new UsageError(`cannot read ${path}: no such file or directory`);
    if (stat.isDirectory()) return inputsUnder(path);
    return [withStack(path, document(parseJson(readText(path), path), path))];
  });
}

function reservedRanges(file: string | undefined): ReservedRange[] {
  if (file === undefined) return [];
  try {
    return parseReservedRanges(readText(file, `--reserved ${file}`), file);
  } catch (error) {
    if (error instanceof ReservedRangesError) throw new UsageError(`--reserved ${error.message}`);
    throw error;
  }
}

/** Whether and where the IPAM was consulted, as the JSON output says it. */
type IpamStatus = { readonly consulted: true; readonly store: string } | { readonly consulted: false; readonly reason: string };

/** The embedded store of the Reflex checkout this runs in; none outside one (checking another project). */
function checkoutStore(): StoreLocation | undefined {
  try {
    return { dataDir: join(repoRoot(), DEFAULT_DATA_DIR) };
  } catch {
    return undefined;
  }
}

/** The IPAM lookup the options ask for, opening the store on first use; `close` closes it if opened. */
function ipamOf(values: { ipam: boolean; 'no-ipam': boolean; 'database-url'?: string | undefined }) {
  if (values.ipam && values['no-ipam']) throw new UsageError('--ipam and --no-ipam exclude each other', true);
  if (values['no-ipam']) return { status: { consulted: false, reason: '--no-ipam' } satisfies IpamStatus, close: async () => {} };
  const url = values['database-url'] ?? process.env.DATABASE_URL;
  const location: StoreLocation | undefined = url ? { url } : process.env.IPAM_DATA_DIR ? storeLocation(process.env) : checkoutStore();
  if (!location || ('dataDir' in location && !existsSync(location.dataDir))) {
    const reason = location && 'dataDir' in location ? `no IPAM store at ${location.dataDir}` : 'no IPAM store: not run inside a Reflex checkout';
    if (values.ipam) throw new UsageError(`--ipam: ${reason} (set IPAM_DATA_DIR or DATABASE_URL, or run pnpm start once)`);
    return { status: { consulted: false, reason } satisfies IpamStatus, close: async () => {} };
  }
  let db: Promise<Db> | undefined;
  const lookup: IpamLookup = async (cidrs) => {
    db ??= openStore(location, {
      sharedBuffers: SHORT_OPEN_SHARED_BUFFERS,
      onWait: (who) => process.stderr.write(`waiting for ${who} to release ${describeLocation(location)}…\n`),
    });
    return vpcBlocksOverlapping(await db, cidrs);
  };
  return { lookup, status: { consulted: true, store: describeLocation(location) } satisfies IpamStatus, close: async () => (await db)?.close() };
}

const MARK: Record<CidrFinding['kind'], string> = {
  overlap: 'overlap',
  ipam: 'IPAM overlap',
  'outside-vpc': 'outside its VPC',
  reserved: 'reserved range',
  'non-canonical': 'host bits set',
  'invalid-cidr': 'invalid CIDR',
};

function printReports(results: readonly (Input & { report: CidrReport })[], ipam: IpamStatus): void {
  for (const { source, stack, doc, report } of results) {
    out(`${source}${stack ? ` (stack ${stack})` : ''}: ${doc.format}, ${plural(report.blocks.length, 'block')}`);
    for (const f of report.findings) out(`  ✗ ${MARK[f.kind]}: ${f.message}`);
    for (const u of report.unchecked) out(`  ? could not be checked: ${u.address} ${u.attribute}: ${u.reason}`);
  }
  out(`IPAM: ${ipam.consulted ? `consulted (${ipam.store})` : `not consulted (${ipam.reason})`}`);
  const sum = summaryOf(results);
  const checked = `${plural(sum.blocks, 'block')} in ${plural(sum.files, 'file')}${sum.unchecked ? `, ${sum.unchecked} could not be checked` : ''}`;
  out(sum.findings ? `cidrs: FAILED, ${plural(sum.findings, 'finding')} (${checked})` : `cidrs: OK, no finding (${checked})`);
}

const summaryOf = (results: readonly { report: CidrReport }[]) => ({
  files: results.length,
  blocks: results.reduce((n, r) => n + r.report.blocks.length, 0),
  findings: results.reduce((n, r) => n + r.report.findings.length, 0),
  unchecked: results.reduce((n, r) => n + r.report.unchecked.length, 0),
});

async function cidrs(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    reserved: { type: 'string' },
    'database-url': { type: 'string' },
    ipam: { type: 'boolean', default: false },
    'no-ipam': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length === 0) throw new UsageError('cidrs takes a plan JSON, a *.tf.json or a directory', true);
  const ipam = ipamOf(values);
  const reserved = reservedRanges(values.reserved);
  const inputs = inputsOf(positionals);
  let results;
  try {
    results = [];
    for (const input of inputs) results.push({ ...input, report: await checkCidrs(input.doc, { reserved, ...('lookup' in ipam ? { ipam: ipam.lookup } : {}) }) });
  } finally {
    await ipam.close();
  }
  const summary = summaryOf(results);
  if (values.json) {
    const reports = results.map(({ source, stack, doc, report }) => ({ source, stack: stack ?? null, format: doc.format, ...report }));
    out(JSON.stringify({ ok: summary.findings === 0, summary, ipam: ipam.status, reports }, null, 2));
  } else printReports(results, ipam.status);
  return summary.findings ? EXIT.failed : EXIT.ok;
}

/** Events, briefly: the first few, then how many more (a tagger's tag changes run to dozens). */
const eventsBriefly = (events: readonly string[], shown = 4) =>
  events.length <= shown ? events.join(', ') : `${events.slice(0, shown).join(', ')} (+${events.length - shown} more)`;

/** One environment's loop analysis, for people: the edges with their guards, the quiet actions, the loops. */
function printLoops(env: string, analysis: LoopAnalysis): void {
  const failing = analysis.loops.filter((l) => l.uncut.length > 0);
  out(`${env}: ${plural(analysis.edges.length, 'edge')}, ${plural(analysis.loops.length, 'loop')}${failing.length ? `, ${failing.length} not cut` : ''}`);
  for (const edge of analysis.edges) {
    out(`  ${describeEdge({ ...edge, events: [eventsBriefly(edge.events)] })}`);
    if (edge.cutBy.length === 0) out('      not cut');
    for (const cut of edge.cutBy) out(`      cut (${cut.guard}): ${cut.reason}`);
  }
  if (analysis.quiet.length > 0) out('  reach no rule:');
  for (const q of analysis.quiet) out(`    ${q.from} ${q.action} → ${eventsBriefly(q.events)}`);
  for (const loop of analysis.loops) {
    if (loop.uncut.length > 0) out(describeLoop(loop).replace(/^/gm, '  ✗ '));
    else out(`  loop ${[...loop.reflexes, loop.reflexes[0]].join(' → ')}: every edge cut`);
  }
}

async function loops(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { env: { type: 'string' }, json: { type: 'boolean', default: false } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, true);
  const { ENVIRONMENTS, environmentLoops, resolveEnvironment } = await import('@reflex/stacks');
  const inputs = values.env === undefined ? ENVIRONMENTS : ENVIRONMENTS.filter((e) => e.name === values.env);
  if (inputs.length === 0) throw new UsageError(`unknown environment "${values.env}" (known: ${ENVIRONMENTS.map((e) => e.name).join(', ')})`);
  const manifests = await loadManifests(repoRoot());
  const analyses = inputs.map((input) => {
    const { env, reflexes } = resolveEnvironment(input, manifests, { loops: 'report' });
    return { env: env.name, ...environmentLoops(env.name, reflexes) };
  });
  const failing = analyses.reduce((n, a) => n + a.loops.filter((l) => l.uncut.length > 0).length, 0);
  if (values.json) out(JSON.stringify({ ok: failing === 0, environments: analyses }, null, 2));
  else {
    for (const a of analyses) printLoops(a.env, a);
    out(failing ? `loops: FAILED, ${plural(failing, 'loop')} with an edge no guard cuts\n${LOOP_ADVICE}` : `loops: OK, no loop without a cut in ${plural(analyses.length, 'environment')}`);
  }
  return failing ? EXIT.failed : EXIT.ok;
}

/** The subcommands of `check`: each a guardrail on what is about to be deployed. */
const CHECKS: Readonly<Record<string, (args: string[]) => Promise<number>>> = { cidrs, loops };

async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const check = sub !== undefined && Object.hasOwn(CHECKS, sub) ? CHECKS[sub] : undefined;
  if (!check) throw new UsageError(sub === undefined || sub.startsWith('-') ? `expected a check: ${Object.keys(CHECKS).join(', ')}` : `unknown check "${sub}"`, true);
  return check(rest);
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'pre-deploy checks: cidrs (planned CIDR overlaps in any Terraform JSON), loops (between reflexes)',
  help: HELP,
  run,
};

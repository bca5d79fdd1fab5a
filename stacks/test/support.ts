// Shared by the stack tests: bundles on demand, one synth into a temp dir, and lookups into the
// Terraform JSON by resource type and attributes (never by the hashed logical ids cdktf generates).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from '@reflex/events/zod';
import { type AlarmTrigger, defineReflex, loadManifests, repoRoot, type Trigger } from '@reflex/manifest';
import { ENVIRONMENTS, type EnvConfigInput, synthAll } from '../src';

export const root = repoRoot();

/** The reflexes under `functions/`; each needs a bundle before a Lambda environment can be synthesized. */
const reflexNames = () =>
  readdirSync(join(root, 'functions'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

/** Runs `pnpm build` when some reflex has no bundle in `dist/functions` yet. */
export function ensureBundles(): void {
  if (reflexNames().every((name) => existsSync(join(root, 'dist', 'functions', name, 'index.mjs')))) return;
  execFileSync('pnpm', ['build'], { cwd: root, stdio: 'inherit' });
}

/** A GuardDuty finding of at least `minSeverity`. */
const findingTrigger = (minSeverity: number): Trigger => ({
  kind: 'event',
  description: 'a GuardDuty finding',
  pattern: { source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'], detail: { severity: [{ numeric: ['>=', minSeverity] }] } },
});

/** The state changes of the named CloudWatch alarms. */
const alarmTrigger = (alarmNames: readonly string[]): Trigger => ({
  kind: 'event',
  description: 'a brute-force alarm changed state',
  pattern: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { alarmName: [...alarmNames] } },
});

/**
 * A stateful reflex of the stack tests only (no package under `functions/`): it keeps state in its table and
 * its triggers depend on its config, as the IP blocker's do. With the default config it listens to findings
 * of severity 7 and up; {@link STATEFUL_CONFIG} lowers that to 4 and adds an alarm.
 */
export const STATEFUL = defineReflex({
  name: 'test-blocker',
  description: 'Stack tests: a reflex that remembers what it blocked, triggered by findings and alarms.',
  triggers: [findingTrigger(7)],
  triggersFor: (config) => [findingTrigger(config.minSeverity), ...(config.alarmNames.length ? [alarmTrigger(config.alarmNames)] : [])],
  permissions: () => [{ sid: 'ReadNetworkAcls', actions: ['ec2:DescribeNetworkAcls'], resources: ['*'] }],
  config: z.object({ minSeverity: z._default(z.number(), 7), alarmNames: z._default(z.array(z.string()), []) }),
  state: { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt' },
});

/** The config every synthesized environment gives {@link STATEFUL}. */
export const STATEFUL_CONFIG = { minSeverity: 4, alarmNames: ['ssh-brute-force'] };

/** An environment with {@link STATEFUL} enabled too, as `consumer`. */
export const withStateful = (input: EnvConfigInput, consumer: 'function' | 'worker' = 'function'): EnvConfigInput => ({
  ...input,
  reflexes: { ...input.reflexes, [STATEFUL.name]: { enabled: true, consumer, config: STATEFUL_CONFIG } },
});

/** A Direct Connect connection is down: its ConnectionState (1 = up) stays below 1 for three minutes. */
export const connectionDown = (connectionId: string): AlarmTrigger => ({
  kind: 'alarm',
  name: `${connectionId}-down`,
  description: `Direct Connect ${connectionId} is down`,
  namespace: 'AWS/DX',
  metricName: 'ConnectionState',
  dimensions: { ConnectionId: connectionId },
  statistic: 'Minimum',
  periodSeconds: 60,
  evaluationPeriods: 3,
  threshold: 1,
  comparisonOperator: 'LessThanThreshold',
  treatMissingData: 'breaching',
});

/** A VPN tunnel is down: its TunnelState (1 = up) was below 1 in 3 of the last 5 minutes; no description. */
export const tunnelDown = (vpnId: string, address: string): AlarmTrigger => ({
  kind: 'alarm',
  name: `${vpnId}-${address.replaceAll('.', '-')}`,
  namespace: 'AWS/VPN',
  metricName: 'TunnelState',
  dimensions: { VpnId: vpnId, TunnelIpAddress: address },
  statistic: 'Maximum',
  periodSeconds: 60,
  evaluationPeriods: 5,
  datapointsToAlarm: 3,
  threshold: 1,
  comparisonOperator: 'LessThanThreshold',
  treatMissingData: 'missing',
});

const FailoverConfig = z.object({
  connections: z._default(z.array(z.string()), ['dxcon-default']),
  tunnels: z._default(z.array(z.object({ vpnId: z.string(), address: z.string() })), []),
});

/**
 * A reflex of the stack tests only (no package under `functions/`) triggered by CloudWatch alarms whose
 * dimensions come from its config, as the route failover's will be: one alarm per Direct Connect connection
 * and per VPN tunnel. {@link FAILOVER_CONFIG} gives it one of each.
 */
export const FAILOVER = defineReflex({
  name: 'test-failover',
  description: 'Stack tests: a reflex triggered by the state changes of the alarms its config names.',
  triggers: [connectionDown('dxcon-default')],
  triggersFor: (config) => [...config.connections.map(connectionDown), ...config.tunnels.map((t) => tunnelDown(t.vpnId, t.address))],
  permissions: () => [{ sid: 'ReadRouteTables', actions: ['ec2:DescribeRouteTables'], resources: ['*'] }],
  config: FailoverConfig,
});

/** The config every synthesized environment gives {@link FAILOVER}. */
export const FAILOVER_CONFIG = {
  connections: ['dxcon-fgabc123'],
  tunnels: [{ vpnId: 'vpn-0a1b2c3d4e5f60718', address: '203.0.113.17' }],
};

/** An environment with {@link FAILOVER} enabled too. */
export const withFailover = (input: EnvConfigInput): EnvConfigInput => ({
  ...input,
  reflexes: { ...input.reflexes, [FAILOVER.name]: { enabled: true, config: FAILOVER_CONFIG } },
});

/** The reflexes of the stack tests only: each gets a stub bundle. */
const TEST_REFLEXES = [STATEFUL, FAILOVER];

/**
 * A workspace root for synthAll in `dir`: `dist/functions` links every real bundle and holds a stub bundle
 * for each of {@link STATEFUL} and {@link FAILOVER}, so that their zips (written next to each bundle) land there too.
 */
function stubRoot(dir: string): string {
  const functions = join(dir, 'dist', 'functions');
  for (const { name } of TEST_REFLEXES) {
    mkdirSync(join(functions, name), { recursive: true });
    writeFileSync(join(functions, name, 'index.mjs'), 'export const handler = async () => ({ batchItemFailures: [] });\n');
  }
  for (const name of reflexNames()) symlinkSync(join(root, 'dist', 'functions', name), join(functions, name));
  return dir;
}

/**
 * What a synth of `environments` and `manifests` depends on, as a hash: their data and code (functions as their
 * source), and the bundles their zips are made of (each file's size and modification time).
 */
function synthKey(environments: readonly EnvConfigInput[], manifests: readonly unknown[]): string {
  const seen = new WeakSet<object>();
  const inputs = JSON.stringify({ environments, manifests }, (_key, value: unknown) => {
    if (typeof value === 'function') return `function ${value.toString()}`;
    if (typeof value === 'bigint') return `${value}n`;
    if (value && typeof value === 'object') {
      if (seen.has(value)) return '[seen]';
      seen.add(value);
    }
    return value;
  });
  const bundles = reflexNames()
    .sort()
    .flatMap((name) =>
      ['index.mjs', 'index.mjs.map'].map((file) => {
        const path = join(root, 'dist', 'functions', name, file);
        const stat = existsSync(path) ? statSync(path) : undefined;
        return `${name}/${file}:${stat ? `${stat.size}:${stat.mtimeMs}` : 'none'}`;
      }),
    );
  return createHash('sha256').update(inputs).update(bundles.join('\n')).digest('hex').slice(0, 32);
}

/**
 * Builds bundles if needed and synthesizes every environment, each with {@link STATEFUL} and {@link FAILOVER}
 * enabled as well, into a fresh temp dir; returns that dir, which is the caller's to change and remove.
 *
 * Within one jest run (jest.config.js names a shared dir in REFLEX_STACKS_SYNTH_DIR), the test files share
 * the synth: the first caller synthesizes into the shared dir, under the hash of the inputs, and every caller
 * gets a copy of it (byte for byte what a synth of the same inputs writes). Without it, each call synthesizes.
 */
export async function synthesizeEnvironments(): Promise<string> {
  ensureBundles();
  const outdir = mkdtempSync(join(tmpdir(), 'reflex-'));
  const manifests = [...(await loadManifests(root)), ...TEST_REFLEXES];
  const environments = ENVIRONMENTS.map((e) => withFailover(withStateful(e)));
  const shared = process.env.REFLEX_STACKS_SYNTH_DIR;
  if (!shared) {
    await synthAll({ root: stubRoot(outdir), outdir, manifests, environments });
    return outdir;
  }
  const synthesized = join(shared, synthKey(environments, manifests));
  if (!existsSync(synthesized)) {
    mkdirSync(shared, { recursive: true });
    // Synthesized beside it, then renamed into place: a complete synth or none, should two workers race.
    const fresh = mkdtempSync(`${synthesized}.`);
    await synthAll({ root: stubRoot(fresh), outdir: fresh, manifests, environments });
    try {
      renameSync(fresh, synthesized);
    } catch (error) {
      rmSync(fresh, { recursive: true, force: true });
      if (!existsSync(synthesized)) throw error;
    }
  }
  cpSync(synthesized, outdir, { recursive: true, verbatimSymlinks: true });
  return outdir;
}

export type Block = Record<string, any>;

/** The parts of a synthesized `cdk.tf.json` the tests read. */
export interface StackJson {
  terraform: { backend: Record<string, Block>; required_providers?: Block };
  provider: { aws: Block[] };
  resource: Record<string, Record<string, Block>>;
  data: Record<string, Record<string, Block>>;
  output?: Record<string, Block>;
}

/** The IAM statement shape of `aws_iam_policy_document`. */
export interface Statement {
  sid?: string;
  effect?: string;
  actions?: string[];
  resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  condition?: { test: string; variable: string; values: string[] }[];
}

export function readStack(outdir: string, env: string): StackJson {
  return JSON.parse(readFileSync(join(outdir, 'stacks', env, 'cdk.tf.json'), 'utf8')) as StackJson;
}

/** Every resource of one type, with its Terraform address (`type.id`). */
export function resourcesOf(json: StackJson, type: string): { address: string; block: Block }[] {
  return Object.entries(json.resource[type] ?? {}).map(([id, block]) => ({ address: `${type}.${id}`, block }));
}

/** The one resource of `type` whose attributes match; fails when there is none or more than one. */
export function findResource(json: StackJson, type: string, attributes: Block): { address: string; block: Block } {
  const matches = resourcesOf(json, type).filter(({ block }) =>
    Object.entries(attributes).every(([key, value]) => block[key] === value),
  );
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} with ${JSON.stringify(attributes)}, found ${matches.length}`);
  }
  return matches[0]!;
}

/** A Terraform reference to an attribute of an address, as cdktf writes it: `${address.attribute}`. */
export const ref = (address: string, attribute: string) => `\${${address}.${attribute}}`;

/** The `aws_iam_policy_document` a `${data.aws_iam_policy_document.<id>.json}` reference names. */
export function referencedDocument(json: StackJson, reference: unknown): { address: string; statements: Statement[] } {
  const match = /^\$\{data\.aws_iam_policy_document\.([^.}]+)\.json\}$/.exec(String(reference));
  const block = match ? json.data.aws_iam_policy_document?.[match[1]!] : undefined;
  if (!match || !block) throw new Error(`${String(reference)} names no policy document of this stack`);
  return { address: `data.aws_iam_policy_document.${match[1]}`, statements: block.statement as Statement[] };
}

/** Every statement of every policy document of the stack. */
export function allStatements(json: StackJson): Statement[] {
  return Object.values(json.data.aws_iam_policy_document ?? {}).flatMap((doc) => doc.statement as Statement[]);
}

/** The policy document of a queue: its own `policy` attribute, or an `aws_sqs_queue_policy` that references it. */
export function queuePolicyOf(json: StackJson, queueAddress: string): { address: string; document: { address: string; statements: Statement[] } } {
  const queue = resourcesOf(json, 'aws_sqs_queue').find(({ address }) => address === queueAddress);
  if (queue?.block.policy !== undefined) return { address: queueAddress, document: referencedDocument(json, queue.block.policy) };
  const policy = resourcesOf(json, 'aws_sqs_queue_policy').find(({ block }) => block.queue_url === ref(queueAddress, 'url'));
  if (!policy) throw new Error(`no queue policy for ${queueAddress}`);
  return { address: policy.address, document: referencedDocument(json, policy.block.policy) };
}

/** The permissions document of the role named `roleName`. */
export function rolePermissions(json: StackJson, roleName: string): { address: string; statements: Statement[] } {
  const role = findResource(json, 'aws_iam_role', { name: roleName });
  const policy = resourcesOf(json, 'aws_iam_role_policy').find(({ block }) => block.role === ref(role.address, 'id'));
  if (!policy) throw new Error(`role ${roleName} has no inline policy`);
  return referencedDocument(json, policy.block.policy);
}

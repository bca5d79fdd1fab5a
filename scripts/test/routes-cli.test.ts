// `reflex routes` against moto: the route failover's table seeded as the reflex leaves it (a path failed over
// to its backup, with its journal; a path never seen), its config from a local deployment file as `pnpm start`
// writes it, the status (JSON and lines), and overrides that travel the reflex bus to a queue while the CLI
// waits for the state the reflex would save.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type LocalAws, localClientConfig } from '@reflex/local-aws';
import { createStateTable, nextMessage, ruleToQueue, useMoto } from '@reflex/local-aws/testing';
import { DynamoFailoverState, type JournalEntry, type PathState } from '@reflex/route-failover';
import { type Run, reflexInProcess } from './reflex-cli';

let aws: LocalAws;
let sqs: SQSClient;
let queueUrl: string;
let state: DynamoFailoverState;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** The route failover's config as the local deployment records it: the path `pnpm start` adds, and one more. */
const config = {
  paths: [
    {
      name: 'dc1',
      prefixes: ['10.20.0.0/16'],
      primary: { connectionId: 'dxcon-0a1b2c3d', attachmentId: 'tgw-attach-0a1b2c3d4e5f60718' },
      backups: [
        { name: 'vpn-a', vpnConnectionId: 'vpn-0a1b2c3d4e5f60718', attachmentId: 'tgw-attach-1a1b2c3d4e5f60718' },
        { name: 'vpn-b', vpnConnectionId: 'vpn-1a1b2c3d4e5f60718', attachmentId: 'tgw-attach-2a1b2c3d4e5f60718' },
      ],
      routeTables: [{ transitGatewayRouteTableId: 'tgw-rtb-0a1b2c3d4e5f60718' }],
    },
    {
      name: 'dc2',
      prefixes: ['10.30.0.0/16', '10.31.0.0/16'],
      primary: { virtualInterfaceId: 'dxvif-0a1b2c3d' },
      backups: [{ name: 'vpn-c', vpnConnectionId: 'vpn-2a1b2c3d4e5f60718', attachmentId: 'tgw-attach-3a1b2c3d4e5f60718' }],
      routeTables: [{ transitGatewayRouteTableId: 'tgw-rtb-1a1b2c3d4e5f60718' }],
    },
  ],
  downDwellSeconds: 5,
  upDwellSeconds: 20,
  holdDownSeconds: 300,
};

const dir = mkdtempSync(join(tmpdir(), 'reflex-routes-'));
const deploymentFile = join(dir, 'deployment.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the reflex saved: dc1 failed over to vpn-a a minute ago, the primary down for two. */
const failedOver = (): PathState => ({
  path: 'dc1',
  routedVia: { kind: 'backup', backup: 'vpn-a' },
  primary: { status: 'down', since: ago(2 * MINUTE), alarms: { 'reflex-local-route-failover-dc1-primary-connection': { state: 'ALARM', at: ago(2 * MINUTE) } } },
  backups: {
    'vpn-a': { status: 'up', since: ago(HOUR), alarms: {} },
    'vpn-b': { status: 'down', since: ago(HOUR), alarms: {} },
  },
  override: 'auto',
  changes: [ago(MINUTE)],
  lastChangeAt: ago(MINUTE),
});

const journalEntry = (at: string, decision: JournalEntry['decision'], to: string, reason: string, verification: string[]): JournalEntry => ({
  path: 'dc1',
  at,
  decision,
  from: 'primary',
  to,
  prefixes: ['10.20.0.0/16'],
  tables: ['tgw-rtb-0a1b2c3d4e5f60718'],
  reason,
  verification,
  dryRun: false,
});

const VERIFIED = 'tgw-rtb-0a1b2c3d4e5f60718: 10.20.0.0/16: installed, verified static via tgw-attach-1a1b2c3d4e5f60718';

useMoto(async (started) => {
  aws = started;
  const clients = localClientConfig(aws.endpoint);
  const dynamo = new DynamoDBClient(clients);
  const events = new EventBridgeClient(clients);
  sqs = new SQSClient(clients);

  writeFileSync(
    deploymentFile,
    JSON.stringify({
      endpoint: aws.endpoint,
      region: 'us-east-1',
      busName: 'reflex-local-bus',
      appliedAt: ago(10 * MINUTE),
      reflexes: [{ name: 'route-failover', queueUrl: '', dlqUrl: '', consumer: 'function', environment: { REFLEX_CONFIG: JSON.stringify(config) } }],
    }),
  );

  // The table as the stacks build it for environment local, and the reflex's state and journal in it.
  const table = 'reflex-local-route-failover';
  await createStateTable(dynamo, table);
  state = new DynamoFailoverState(table, false, async () => ({ sdk: await import('@aws-sdk/client-dynamodb'), client: dynamo }));
  await state.savePath(failedOver(), 0);
  await state.journal(journalEntry(ago(3 * MINUTE), 'alert', 'primary', 'primary down since …, but no backup is up (vpn-a: unknown, vpn-b: down): changing nothing', []));
  await state.journal(journalEntry(ago(MINUTE), 'failover', 'vpn-a', 'primary down since … (60 s ≥ down dwell 5 s)', [VERIFIED]));

  // The reflex bus, with the route failover's rule for overrides, to a queue.
  queueUrl = await ruleToQueue(events, sqs, { bus: 'reflex-local-bus', name: 'route-overrides', detailType: 'Reflex Route Override' });

  return { destroy: () => [dynamo, events, sqs].forEach((c) => c.destroy()) };
});

const routes = (...args: string[]) => reflexInProcess(['routes', ...args, '--endpoint', aws.endpoint], { USER: 'tester', REFLEX_DEPLOYMENT_FILE: deploymentFile });

/** The next override the bus delivered to the queue (the event as EventBridge sent it), taken off it. */
async function nextOverride(): Promise<{ id: string; source: string; 'detail-type': string; detail: Record<string, unknown> }> {
  const body = await nextMessage(sqs, queueUrl, 10_000);
  if (body === undefined) throw new Error('no route override arrived on the queue');
  return JSON.parse(body);
}

/** The run ended with exactly one line on stderr, and it matches. */
function expectOneLine(run: Run, line: RegExp): void {
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(line);
}

describe('reflex routes status', () => {
  it('prints each path of the deployed config as JSON: state, timers\' decision, journal; a path never seen as null', async () => {
    const run = await routes('status', '--json', '--env', 'local');

    expect(run.code).toBe(0);
    const shown = JSON.parse(run.stdout);
    expect(shown).toMatchObject({ env: 'local', table: 'reflex-local-route-failover', timers: { downDwellSeconds: 5, upDwellSeconds: 20, holdDownSeconds: 300, maxChangesPerHour: 4 } });
    expect(shown.configFrom).toContain(deploymentFile);
    const [dc1, dc2] = shown.paths;
    expect(dc1).toMatchObject({
      path: 'dc1',
      prefixes: ['10.20.0.0/16'],
      backupOrder: ['vpn-a', 'vpn-b'],
      status: {
        routedVia: 'vpn-a',
        primary: { status: 'down' },
        backups: [
          { name: 'vpn-a', status: 'up' },
          { name: 'vpn-b', status: 'down' },
        ],
        override: 'auto',
        frozen: null,
        changesLastHour: 1,
        maxChangesPerHour: 4,
        version: 1,
      },
      decision: { kind: 'none', reason: 'primary is down; routed via the backup' },
    });
    // The hold-down of 300 s runs from the change a minute ago.
    expect(Date.parse(dc1.status.nextChange) - Date.parse(dc1.status.since)).toBe(300_000);
    expect(dc1.journal.map((j: JournalEntry) => [j.decision, j.to, j.verification])).toEqual([
      ['failover', 'vpn-a', [VERIFIED]],
      ['alert', 'primary', []],
    ]);
    expect(dc2).toEqual({ path: 'dc2', prefixes: ['10.30.0.0/16', '10.31.0.0/16'], backupOrder: ['vpn-c'], status: null, decision: null, journal: [] });
  }, 30_000);

  it('prints per path its routing, links, override, cap, hold-down, what the timers say and the journal', async () => {
    const run = await routes('status', '--journal', '1');

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^2 paths of the route-failover in environment local \\(table reflex-local-route-failover; config from the local deployment ${deploymentFile} \\(applied \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\)\\)$`),
    );
    expect(lines[1]).toBe('timers: down dwell 5 s, up dwell 20 s, hold-down 300 s, at most 4 changes per hour, maintenance: prestage');
    expect(run.stdout).toContain('dc1: 10.20.0.0/16 (backups in order: vpn-a, vpn-b)\n');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}routed via\s+backup vpn-a since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(1m( \ds)? ago\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}primary\s+down since \S+ \S+ \(2m( \ds)? ago\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}backup vpn-a\s+up since \S+ \S+ \(1h ago\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}backup vpn-b\s+down since /));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}override\s+auto$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}frozen\s+no$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}changes\s+1 in the last hour, cap 4$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}next change\s+\S+ \S+ \(in [34]m( \d+s)?\), after the hold-down \(an override does not wait\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}timers now\s+stay: primary is down; routed via the backup$/));
    // --journal 1: the failover only, with its verification.
    expect(lines).toContainEqual(expect.stringMatching(/^ {4}at\s+decision\s+from → to\s+reason\s+verification$/));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ {4}\\S+ \\S+Z\\s+failover\\s+primary → vpn-a\\s+primary down since … \\(60 s ≥ down dwell 5 s\\)\\s+${VERIFIED}$`)));
    expect(run.stdout).not.toContain('alert');
    expect(run.stdout).toContain('dc2: 10.30.0.0/16, 10.31.0.0/16 (backups in order: vpn-c)\n  no events yet: ');
  }, 30_000);
});

describe('reflex routes failover', () => {
  it('refuses a bad --to, an unknown path and a status-only misuse with exit code 2, before publishing', async () => {
    const [badTo, unknownPath, misuse] = await Promise.all([
      routes('failover', 'dc1', '--to', 'sideways'),
      routes('failover', 'dc9', '--to', 'backup'),
      routes('status', '--to', 'backup'),
    ]);

    expect(badTo.code).toBe(2);
    expectOneLine(badTo, /^reflex routes: invalid route override: to: .*"backup".*"primary".*"auto".* \(--to\)$/);
    expect(unknownPath.code).toBe(2);
    expectOneLine(unknownPath, new RegExp(`^reflex routes: unknown path "dc9" \\(configured in the local deployment ${deploymentFile} \\(applied [^)]+\\): dc1, dc2\\)$`));
    expect(misuse.code).toBe(2);
    expectOneLine(misuse, /^reflex routes: --to is for routes failover$/);
  }, 30_000);

  it('publishes a Reflex Route Override, waits until the state has it and the routing follows, prints the path, exits 0', async () => {
    const running = routes('failover', 'dc1', '--to', 'primary', '--reason', 'DX repaired', '--by', 'alice');
    const event = await nextOverride();
    // What the reflex does with it: hold on the primary, fail back, journal it.
    const saved = (await state.path('dc1'))!;
    const at = new Date().toISOString();
    await state.journal({ ...journalEntry(at, 'failback', 'primary', 'override: primary', ['tgw-rtb-0a1b2c3d4e5f60718: 10.20.0.0/16: removed; now no route for it']), from: 'vpn-a' });
    await state.savePath({ ...saved.state, override: 'primary', routedVia: { kind: 'primary' }, changes: [...saved.state.changes, at], lastChangeAt: at }, saved.version);
    const run = await running;

    expect(event).toMatchObject({ source: 'reflex', 'detail-type': 'Reflex Route Override' });
    expect(event.detail).toEqual({ path: 'dc1', to: 'primary', requestedBy: 'alice', reason: 'DX repaired' });
    expect(run.code).toBe(0);
    expectOneLine(run, new RegExp(`^reflex routes: published ${event.id} to reflex-local-bus: dc1 --to primary \\(requested by alice: DX repaired\\); waiting up to 30 s`));
    expect(run.stdout).toMatch(/^ {2}routed via\s+primary since \S+ \S+ \(\d+s ago\)$/m);
    expect(run.stdout).toMatch(/^ {2}override\s+primary$/m);
    expect(run.stdout).toMatch(/^ {2}changes\s+2 in the last hour, cap 4$/m);
    expect(run.stdout).toMatch(/^ {4}\S+ \S+Z\s+failback\s+vpn-a → primary\s+override: primary\s+tgw-rtb-/m);
  }, 30_000);

  it('exits 1 after --wait when the reflex does not apply the override, and says what to check', async () => {
    const started = Date.now();
    const run = await routes('failover', 'dc1', '--to', 'backup', '--wait', '1s', '--json');
    const event = await nextOverride();

    expect(run.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(JSON.parse(run.stdout)).toMatchObject({ eventId: event.id, waited: true, applied: false, path: { path: 'dc1', status: { override: 'primary', routedVia: 'primary' } } });
    expectOneLine(
      run,
      new RegExp(
        `^reflex routes: the route-failover did not apply event ${event.id} to dc1 within 1 s \\(its override is still primary\\): is the local mode running \\(\`pnpm start\`\\), or the route-failover deployed in environment "local"\\?`,
      ),
    );
  }, 30_000);
});

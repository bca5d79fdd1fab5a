// `reflex blocks` against moto: the IP blocker's table and a NACL seeded as the reflex leaves them, the
// list (JSON and table), and block requests that travel the reflex bus to a queue while the CLI waits for
// the outcome the reflex would record.
import { describe, expect, it } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateNetworkAclCommand, CreateNetworkAclEntryCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type BlockRecord, DynamoBlockState, Ec2Network } from '@reflex/ip-blocker';
import { type LocalAws, localClientConfig } from '@reflex/local-aws';
import { createStateTable, nextMessage, ruleToQueue, useMoto } from '@reflex/local-aws/testing';
import { type Run, reflexInProcess } from './reflex-cli';

let aws: LocalAws;
let sqs: SQSClient;
let queueUrl: string;
let state: DynamoBlockState;
let vpcId: string;
let naclId: string;

const HOUR = 3_600_000;
const FINDING = '3ac9f0c1d2e34f5a6b7c8d9e0f1a2b3c';

/** What the reflex would have recorded: a GuardDuty block that runs for hours, and an expired request. */
const records = (): BlockRecord[] => [
  {
    naclId,
    vpcId,
    cidr: '198.51.100.7/32',
    ruleNumber: 1,
    severity: 2,
    reason: `UnauthorizedAccess:EC2/SSHBruteForce (severity 2) against i-0123456789abcdef0, finding ${FINDING}`,
    origin: 'guardduty',
    findingIds: [FINDING],
    createdAt: new Date(Date.now() - HOUR).toISOString(),
    expiresAt: new Date(Date.now() + 11 * HOUR).toISOString(),
  },
  {
    naclId,
    vpcId,
    cidr: '2001:db8::7/128',
    ruleNumber: 2,
    severity: 5,
    reason: 'requested by alice: port scan from the flow logs',
    origin: 'request',
    findingIds: ['5f0e8a9b-1c2d-4e3f-8a9b-0c1d2e3f4a5b'],
    requestedBy: 'alice',
    createdAt: new Date(Date.now() - 3 * HOUR).toISOString(),
    expiresAt: new Date(Date.now() - HOUR).toISOString(),
  },
];

useMoto(async (started) => {
  aws = started;
  const config = localClientConfig(aws.endpoint);
  const ec2 = new EC2Client(config);
  const dynamo = new DynamoDBClient(config);
  const events = new EventBridgeClient(config);
  sqs = new SQSClient(config);

  // The table as the stacks build it for environment local, and the reflex's records in it.
  const table = 'reflex-local-ip-blocker';
  await createStateTable(dynamo, table);
  state = new DynamoBlockState(table, false, async () => ({ sdk: await import('@aws-sdk/client-dynamodb'), client: dynamo }));

  // A NACL with the two denies the records claim, and someone else's allow in the reflex's range (rule 5).
  vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16' }))).Vpc!.VpcId!;
  naclId = (await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId }))).NetworkAcl!.NetworkAclId!;
  const network = new Ec2Network(false, async () => ({ sdk: await import('@aws-sdk/client-ec2'), client: ec2 }));
  for (const r of records()) {
    await network.addDeny(naclId, r.ruleNumber, r.cidr);
    await state.putBlock(r);
  }
  await ec2.send(
    new CreateNetworkAclEntryCommand({ NetworkAclId: naclId, RuleNumber: 5, Egress: false, Protocol: '6', RuleAction: 'allow', CidrBlock: '10.0.0.0/8', PortRange: { From: 22, To: 22 } }),
  );

  // The reflex bus, with a rule like the ip-blocker's that sends block requests to a queue.
  queueUrl = await ruleToQueue(events, sqs, { bus: 'reflex-local-bus', name: 'block-requests', detailType: 'Reflex Block Request' });

  return { destroy: () => [ec2, dynamo, events, sqs].forEach((c) => c.destroy()) };
});

const blocks = (...args: string[]) => reflexInProcess(['blocks', ...args, '--endpoint', aws.endpoint], { USER: 'tester' });

/** The next block request the bus delivered to the queue (the event as EventBridge sent it), taken off it. */
async function nextRequest(): Promise<{ id: string; source: string; 'detail-type': string; detail: Record<string, unknown> }> {
  const body = await nextMessage(sqs, queueUrl, 10_000);
  if (body === undefined) throw new Error('no block request arrived on the queue');
  return JSON.parse(body);
}

/** Publishes with `args`, takes the request off the queue, records `outcome` for it as the reflex would. */
async function answered(args: string[], outcome: { lines: string[]; blocked: number; refused: number }): Promise<{ run: Run; eventId: string }> {
  const running = blocks(...args);
  const event = await nextRequest();
  await state.recordOutcome({ eventId: event.id, at: new Date().toISOString(), ...outcome });
  return { run: await running, eventId: event.id };
}

/** The run ended with exactly one line on stderr, and it matches. */
function expectOneLine(run: Run, line: RegExp): void {
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(line);
}

describe('reflex blocks list', () => {
  it('prints the blocks and, per NACL, the free rule numbers, the entries per family and a stranger as JSON', async () => {
    const run = await blocks('list', '--json');

    expect(run.code).toBe(0);
    const listed = JSON.parse(run.stdout);
    expect(listed.blocks).toEqual([
      { ...records()[0], createdAt: expect.any(String), expiresAt: expect.any(String), expired: false },
      { ...records()[1], createdAt: expect.any(String), expiresAt: expect.any(String), expired: true },
    ]);
    const [nacl, ...others] = listed.nacls;
    expect(others).toEqual([]);
    expect(nacl).toMatchObject({ id: naclId, vpcId, found: true, unrecorded: [], vanished: [] });
    expect(nacl.free).toEqual([3, 4, ...Array.from({ length: 94 }, (_, i) => i + 6)]);
    // Inbound IPv4: the deny at 1, the allow at 5; IPv6: the deny at 2 (moto's new NACL lacks AWS's default `*` denies).
    expect(nacl.quota).toEqual({ ipv4: { used: 2, max: 20 }, ipv6: { used: 1, max: 20 } });
    expect(nacl.strangers).toEqual([{ ruleNumber: 5, egress: false, action: 'allow', protocol: '6', cidr: '10.0.0.0/8', family: 4 }]);
  }, 30_000);

  it('prints a table with a row per block, the expired one marked, and the NACL\'s slots', async () => {
    const run = await blocks('list');

    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('2 blocks in 1 NACL, 1 expired (the sweep removes them) (table reflex-local-ip-blocker, environment local)');
    expect(lines[1]).toMatch(/^source\s+nacl\s+rule\s+origin: reason\s+findings\s+requested by\s+expires$/);
    expect(lines.find((l) => l.startsWith('198.51.100.7/32'))).toMatch(
      new RegExp(`^198\\.51\\.100\\.7/32\\s+${naclId}\\s+1\\s+guardduty: UnauthorizedAccess:EC2/SSHBruteForce .*…\\s+3ac9f0c1\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ in 1[01]h \\d+m$`),
    );
    expect(lines.find((l) => l.startsWith('2001:db8::7/128'))).toMatch(
      new RegExp(`^2001:db8::7/128\\s+${naclId}\\s+2\\s+request: port scan from the flow logs\\s+5f0e8a9b\\s+alice\\s+\\S+ \\S+ expired 1h( \\dm)? ago$`),
    );
    expect(lines.find((l) => l.startsWith(naclId))).toMatch(new RegExp(`^${naclId}\\s+${vpcId}\\s+96: 3–4, 6–99\\s+2/20, room for 18\\s+1/20, room for 19$`));
    expect(run.stdout).toContain(`${naclId}: rule 5 allow 10.0.0.0/8 (protocol 6) is in the range but not the ip-blocker's: left alone, its number is taken`);
    expect(run.stderr).toBe('');
  }, 30_000);
});

describe('reflex blocks add and remove', () => {
  it('refuses an invalid CIDR with exit code 2 in one line naming the source, before publishing anything', async () => {
    const run = await blocks('add', '198.51.100.7/33', '--reason', 'scan', '--nacl', naclId);

    expect(run.code).toBe(2);
    expectOneLine(run, /^reflex blocks: invalid block request: source \(<ip\|cidr>\): "198\.51\.100\.7\/33" is no CIDR: the prefix length of an IPv4 block is 0 to 32, got "33"$/);
  }, 30_000);

  it('refuses a block without a target with exit code 2 naming the target', async () => {
    const run = await blocks('add', '198.51.100.9', '--reason', 'scan');

    expect(run.code).toBe(2);
    expectOneLine(run, /^reflex blocks: invalid block request: target: a block needs a target \(instanceId, vpcId or naclIds\) \(--instance, --vpc or --nacl\)$/);
  }, 30_000);

  it('publishes a Reflex Block Request to the bus, waits for the reflex\'s outcome, prints it and exits 0', async () => {
    const args = ['add', '198.51.100.9', '--reason', 'scan', '--nacl', naclId, '--ttl', '2h', '--severity', '7'];
    const line = `denied 198.51.100.9/32 inbound at rule 3 of ${naclId} until 2026-12-06T12:00:00.000Z`;
    const { run, eventId } = await answered(args, { lines: [line], blocked: 1, refused: 0 });

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${line}\n`);
    expectOneLine(run, new RegExp(`^reflex blocks: published ${eventId} to reflex-local-bus: block 198\\.51\\.100\\.9 in ${naclId} \\(for 2h, severity 7, requested by tester: scan\\); waiting up to 30 s`));
  }, 30_000);

  it('sends the request as the reflex parses it: source, reason, requester, target, expiry and severity', async () => {
    const running = blocks('add', '2001:db8::9', '--reason', 'scan', '--vpc', vpcId, '--ttl', '90m', '--by', 'siem', '--no-wait', '--json');
    const event = await nextRequest();
    const run = await running;

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ eventId: event.id, bus: 'reflex-local-bus', waited: false });
    expect(event).toMatchObject({ source: 'reflex', 'detail-type': 'Reflex Block Request' });
    expect(event.detail).toEqual({ action: 'block', source: '2001:db8::9', reason: 'scan', requestedBy: 'siem', target: { vpcId }, ttlMinutes: 90, severity: 5 });
  }, 30_000);

  it('exits 1 and says so when the reflex refused the block', async () => {
    const line = 'refused to block 10.70.0.9/32: 10.70.0.9/32 touches 10.0.0.0/8, private address space';
    const { run } = await answered(['add', '10.70.0.9', '--reason', 'test', '--nacl', naclId], { lines: [line], blocked: 0, refused: 1 });

    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`${line}\n`);
    expect(run.stderr).toMatch(/^reflex blocks: the ip-blocker refused 1 block$/m);
  }, 30_000);

  it('asks for an unblock everywhere without a target, and prints the removal', async () => {
    const line = `removed the deny of 198.51.100.7/32 at rule 1 of ${naclId}: requested by tester: reflex blocks remove`;
    const running = blocks('remove', '198.51.100.7', '--json');
    const event = await nextRequest();
    await state.recordOutcome({ eventId: event.id, at: new Date().toISOString(), lines: [line], blocked: 0, refused: 0 });
    const run = await running;

    expect(event.detail).toEqual({ action: 'unblock', source: '198.51.100.7', reason: 'reflex blocks remove', requestedBy: 'tester', severity: 5 });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ eventId: event.id, waited: true, done: true, outcome: { lines: [line], blocked: 0, refused: 0 } });
  }, 30_000);

  it('names the missing bus and table of an environment where the ip-blocker is not deployed, exit code 1', async () => {
    const [add, list] = await Promise.all([blocks('add', '198.51.100.9', '--reason', 'scan', '--nacl', naclId, '--env', 'dev'), blocks('list', '--env', 'dev')]);

    expect(add.code).toBe(1);
    expectOneLine(add, new RegExp(`^reflex blocks: the reflex bus reflex-dev-bus does not exist at the AWS API at ${aws.endpoint} \\(--endpoint\\): is Reflex deployed in environment "dev"\\?$`));
    expect(list.code).toBe(1);
    expectOneLine(list, /^reflex blocks: the ip-blocker's table reflex-dev-ip-blocker does not exist at .*: is the ip-blocker deployed in environment "dev"\?$/);
  }, 30_000);

  it('exits 1 after --wait when the reflex does not answer, and says what to check', async () => {
    const started = Date.now();
    const run = await blocks('add', '198.51.100.10', '--reason', 'scan', '--instance', 'i-0123456789abcdef0', '--wait', '1s');
    await nextRequest();

    expect(run.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.stderr).toMatch(/^reflex blocks: the ip-blocker did not answer event \S+ within 1 s: is the local mode running \(`pnpm start`\), or the ip-blocker deployed in environment "local"\?/m);
  }, 30_000);
});

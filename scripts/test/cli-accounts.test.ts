// `--accounts` of the commands that span accounts: the parser and the pool on their own, then against moto (with
// the patch that makes sts:AssumeRole honour trust policies): the hub with the caller's credentials, member
// account A (210987654321, the local environment's member) through its deployment role, a member without the
// role skipped with AccessDenied while the others are printed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSubnetCommand, CreateVpcCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { asMotoAccount, createMemberAccount, launchInstances, type LocalAws, localClientConfig, ORGANIZATION_ROLE } from '@reflex/local-aws';
import { createStateTable, useMoto } from '@reflex/local-aws/testing';
import {
  accountsPlan,
  acrossAccounts,
  type AccountsPlan,
  type EnvAccounts,
  parseAccounts,
  parseConcurrency,
  promisePool,
  sessionName,
  type TargetAccount,
} from '../src/cli/accounts';
import { AwsTarget } from '../src/cli/aws';
import { UsageError } from '../src/cli/common';
import { reflexInProcess } from './reflex-cli';

const HUB = '123456789012';
/** The local environment's member account. */
const A = '210987654321';
/** A member of the environments the unit tests build: no role in it. */
const B = '345678901234';
const ROLE = ORGANIZATION_ROLE;
/** spokes.externalId of the local environment: the CLI passes it when it assumes a member's role (one test's role requires it). */
const EXTERNAL_ID = 'reflex-local';

const ENV: EnvAccounts = {
  name: 'test',
  account: HUB,
  partition: 'aws',
  members: [
    { account: A, deploymentRoleArn: `arn:aws:iam::${A}:role/${ROLE}` },
    { account: B, deploymentRoleArn: `arn:aws:iam::${B}:role/Deployer` },
  ],
  externalId: EXTERNAL_ID,
};

const usageError = (fn: () => unknown): UsageError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
};

describe('--accounts', () => {
  it('all is the hub, then every member with its deployment role', () => {
    expect(parseAccounts('all', ENV)).toEqual([
      { account: HUB, hub: true },
      { account: A, hub: false, roleArn: `arn:aws:iam::${A}:role/${ROLE}` },
      { account: B, hub: false, roleArn: `arn:aws:iam::${B}:role/Deployer` },
    ]);
  });

  it('a list keeps its order, once each; --role-name replaces the role in every member', () => {
    expect(parseAccounts(` ${B}, ${HUB},${B}`, ENV, 'ReadOnly')).toEqual([
      { account: B, hub: false, roleArn: `arn:aws:iam::${B}:role/ReadOnly` },
      { account: HUB, hub: true },
    ]);
  });

  it('names an id that is neither the hub nor a member, and what is no account id', () => {
    expect(usageError(() => parseAccounts(`${A},999999999999`, ENV)).message).toBe(
      `account 999999999999 is neither the hub (${HUB}) nor a member account of environment "test" (members: ${A}, ${B})`,
    );
    expect(usageError(() => parseAccounts('12345', ENV)).message).toContain('got "12345"');
    expect(usageError(() => parseAccounts(',', ENV)).message).toContain('got nothing');
    expect(usageError(() => parseAccounts('all', ENV, 'not a role')).message).toContain('--role-name');
  });

  it('is a plan only when given; --role-name and --concurrency need it', () => {
    expect(accountsPlan({}, ENV)).toBeUndefined();
    expect(usageError(() => accountsPlan({ 'role-name': 'ReadOnly' }, ENV)).message).toBe('--role-name is for --accounts: give --accounts all or the account ids');
    expect(usageError(() => accountsPlan({ concurrency: '2' }, ENV)).message).toContain('--concurrency is for --accounts');
    expect(accountsPlan({ accounts: HUB, concurrency: '2' }, ENV)).toMatchObject({ targets: [{ account: HUB }], concurrency: 2, externalId: EXTERNAL_ID });
    expect(accountsPlan({ accounts: 'all' }, ENV)!.concurrency).toBe(4);
  });

  it('--concurrency is a whole number from 1 to 64', () => {
    expect(parseConcurrency('8')).toBe(8);
    for (const bad of ['0', '65', '1.5', 'four', '']) expect(usageError(() => parseConcurrency(bad)).message).toContain('--concurrency takes');
  });

  it('sessions are named reflex-cli-<user>, as RoleSessionName allows', () => {
    expect(sessionName('alice')).toBe('reflex-cli-alice');
    expect(sessionName(undefined)).toBe('reflex-cli-cli');
    expect(sessionName('jane doe/x')).toBe('reflex-cli-jane-doe-x');
    expect(sessionName('x'.repeat(80))).toHaveLength(64);
  });
});

describe('promisePool', () => {
  /** Work that stays in flight until released, counting how many are at once. */
  const gate = () => {
    let inFlight = 0;
    let max = 0;
    const waiting: (() => void)[] = [];
    const work = async (item: number) => {
      inFlight++;
      max = Math.max(max, inFlight);
      await new Promise<void>((resolve) => waiting.push(resolve));
      inFlight--;
      if (item === 3) throw new Error('three fails');
      return item * 10;
    };
    // Releases whatever waits, turn by turn, until all is done.
    const drain = async (done: Promise<unknown>) => {
      let finished = false;
      void done.finally(() => (finished = true));
      while (!finished) {
        waiting.splice(0).forEach((release) => release());
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    return { work, drain, max: () => max };
  };

  it('runs at most `limit` at once, and settles every item in order, a failure its own', async () => {
    const { work, drain, max } = gate();
    const settled = promisePool([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, work);
    await drain(settled);
    expect(max()).toBe(3);
    const outcomes = await settled;
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([0, 10, 20, 'three fails', 40, 50, 60, 70, 80, 90]);
  });

  it('with a limit above the items, runs them all at once', async () => {
    const { work, drain, max } = gate();
    const settled = promisePool([0, 1], 4, work);
    await drain(settled);
    expect(max()).toBe(2);
    expect(await promisePool([], 4, work)).toEqual([]);
  });

  it('acrossAccounts works in at most --concurrency accounts at once, and skips the failing one only', async () => {
    const members = Array.from({ length: 7 }, (_, i) => ({ account: `1000000000${String(i).padStart(2, '0')}`, deploymentRoleArn: `arn:aws:iam::1000000000${String(i).padStart(2, '0')}:role/R` }));
    const env: EnvAccounts = { name: 'many', account: HUB, partition: 'aws', members };
    const plan: AccountsPlan = { ...accountsPlan({ accounts: 'all', concurrency: '2' }, env)! };
    const aws = new AwsTarget('many', 'us-east-1', 'http://127.0.0.1:9', '--endpoint');
    let inFlight = 0;
    let max = 0;
    const assumed: string[] = [];
    const outcome = await acrossAccounts(
      aws,
      plan,
      async (there, target: TargetAccount) => {
        inFlight++;
        max = Math.max(max, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        if (target.account === members[2]!.account) throw new Error('DescribeVpcs failed');
        return there.session?.account ?? 'own credentials';
      },
      {
        sts: {
          callerAccount: async () => HUB,
          assume: async (from, target) => {
            assumed.push(target.roleArn!);
            if (target.account === members[4]!.account) throw new Error(`AccessDenied: cannot assume ${target.roleArn}`);
            return from.inAccount(target.account, { accessKeyId: 'k', secretAccessKey: 's', sessionToken: 't' });
          },
        },
      },
    );
    expect(max).toBe(2);
    expect(assumed).toHaveLength(7);
    expect(outcome.ok.map((o) => o.result)).toEqual(['own credentials', ...members.filter((_, i) => i !== 2 && i !== 4).map((m) => m.account)]);
    expect(outcome.skipped).toEqual([
      { account: members[2]!.account, reason: 'DescribeVpcs failed' },
      { account: members[4]!.account, reason: `AccessDenied: cannot assume ${members[4]!.deploymentRoleArn}` },
    ]);
  });
});

describe('acrossAccounts', () => {
  it('skips the hub when the credentials are of another account, and works in the members all the same', async () => {
    const aws = new AwsTarget('test', 'us-east-1', 'http://127.0.0.1:9', '--endpoint');
    const outcome = await acrossAccounts(aws, accountsPlan({ accounts: `${HUB},${A}` }, ENV)!, async (there) => there.session?.account, {
      sts: {
        callerAccount: async () => '111111111111',
        assume: async (from, target) => from.inAccount(target.account, { accessKeyId: 'k', secretAccessKey: 's', sessionToken: 't' }),
      },
    });
    expect(outcome.ok).toEqual([{ account: A, hub: false, result: A }]);
    expect(outcome.skipped).toEqual([
      { account: HUB, reason: "the credentials are of account 111111111111, not of the hub: use the hub's credentials, or list only member accounts" },
    ]);
  });

  it('says a hub-only command does not apply in the members, without assuming a role', async () => {
    const aws = new AwsTarget('test', 'us-east-1', 'http://127.0.0.1:9', '--endpoint');
    const assume = jest.fn(async (from: AwsTarget) => from);
    const outcome = await acrossAccounts(aws, accountsPlan({ accounts: 'all' }, ENV)!, async () => 'listed', {
      hubOnly: 'the IP blocker acts in the hub account only',
      sts: { callerAccount: async () => HUB, assume },
    });
    expect(outcome.ok).toEqual([{ account: HUB, hub: true, result: 'listed' }]);
    expect(outcome.skipped).toEqual([]);
    expect(outcome.notApplicable?.map((s) => s.account)).toEqual([A, B]);
    expect(assume).not.toHaveBeenCalled();
  });
});

describe('against moto', () => {
  let aws: LocalAws;
  /** The hub (moto's default account, the caller's `test` key). */
  let hubEc2: EC2Client;
  /** Member account A, as moto's x-moto-account-id header chooses it. */
  let memberEc2: EC2Client;
  const hubIds: Record<string, string> = {};
  const memberIds: Record<string, string> = {};
  const dataDir = mkdtempSync(join(tmpdir(), 'reflex-cli-accounts-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const reflex = (...args: string[]) => reflexInProcess([...args, '--endpoint', aws.endpoint], { IPAM_DATA_DIR: join(dataDir, 'ipam') }, 60_000);

  /**
   * IAM CreateRole in `account`, with a trust of our own (createMemberAccount's has no condition); no IAM client
   * among this package's dependencies: moto's query API, as the SDK would send it.
   */
  const createRole = async (account: string, name: string, trust: unknown) => {
    const body = new URLSearchParams({ Action: 'CreateRole', Version: '2010-05-08', RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) });
    const response = await fetch(aws.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
        'x-moto-account-id': account,
      },
      body,
    });
    if (!response.ok) throw new Error(`CreateRole ${name} in ${account}: ${response.status} ${await response.text()}`);
  };

  /** A VPC with an untagged subnet (both miss the local policy's mandatory tags) and a scheduled instance. */
  const seed = async (ec2: EC2Client, cidr: string, ids: Record<string, string>) => {
    ids.vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: `${cidr}.0.0/16` }))).Vpc!.VpcId!;
    ids.subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: ids.vpc, CidrBlock: `${cidr}.1.0/24` }))).Subnet!.SubnetId!;
    ids.instance = (await launchInstances(ec2, [{ 'reflex:schedule': 'office-hours', Name: `web-${cidr}` }], { subnetId: ids.subnet }))[0]!;
  };

  useMoto(async (started) => {
    aws = started;
    hubEc2 = new EC2Client(localClientConfig(aws.endpoint));
    memberEc2 = asMotoAccount(new EC2Client(localClientConfig(aws.endpoint)), A);
    await seed(hubEc2, '10.40', hubIds);
    await seed(memberEc2, '10.41', memberIds);
    const dynamo = new DynamoDBClient(localClientConfig(aws.endpoint));
    await createStateTable(dynamo, 'reflex-local-ip-blocker');
    dynamo.destroy();
    return { destroy: () => [hubEc2, memberEc2].forEach((c) => c.destroy()) };
  });

  type AuditJson = { accounts: { account: string; rows: { id: string }[] }[]; skipped: { account: string; reason: string }[] };
  const rowIds = (json: AuditJson, account: string) => json.accounts.find((a) => a.account === account)?.rows.map((r) => r.id);

  it('moto keeps the accounts apart (the seed is where the tests expect it)', async () => {
    const vpcs = async (ec2: EC2Client) => ((await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? []).map((v) => v.VpcId);
    expect(await vpcs(hubEc2)).toContain(hubIds.vpc);
    expect(await vpcs(hubEc2)).not.toContain(memberIds.vpc);
    expect(await vpcs(memberEc2)).toContain(memberIds.vpc);
  });

  it('tags audit --accounts all: the hub audited, a member without its deployment role skipped with AccessDenied, exit 1', async () => {
    const run = await reflex('tags', 'audit', '--accounts', 'all', '--json');

    expect(run.code).toBe(1);
    const json = JSON.parse(run.stdout) as AuditJson;
    expect(json.accounts.map((a) => a.account)).toEqual([HUB]);
    expect(rowIds(json, HUB)).toEqual(expect.arrayContaining([hubIds.subnet, hubIds.vpc]));
    expect(rowIds(json, HUB)).not.toContain(memberIds.subnet);
    expect(json.skipped).toEqual([
      { account: A, reason: expect.stringMatching(new RegExp(`^AccessDenied: cannot assume arn:aws:iam::${A}:role/${ROLE} \\(.*not authorized to perform: sts:AssumeRole`)) },
    ]);
  });

  it('once A has its deployment role (as pnpm start gives it), audits hub and A each in its own account, exit 0', async () => {
    await createMemberAccount(aws.endpoint, 'us-east-1', { account: A, hub: HUB });

    const run = await reflex('tags', 'audit', '--accounts', 'all', '--json');

    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as AuditJson;
    expect(json.accounts.map((a) => a.account)).toEqual([HUB, A]);
    expect(json.skipped).toEqual([]);
    expect(rowIds(json, A)).toEqual(expect.arrayContaining([memberIds.subnet, memberIds.vpc, memberIds.instance]));
    expect(rowIds(json, A)).not.toContain(hubIds.subnet);
    expect(rowIds(json, HUB)).not.toContain(memberIds.subnet);
    expect(json.accounts[1]).toMatchObject({ policy: { CostCenter: expect.anything(), Owner: expect.anything() }, resources: expect.any(Number) });
  });

  it('prints each account under its id, then the skipped ones (a --role-name that A lacks), and exits 1', async () => {
    const run = await reflex('tags', 'audit', '--accounts', `${HUB},${A}`, '--role-name', 'ReflexReadOnly', '--concurrency', '1');

    expect(run.code).toBe(1);
    const sections = run.stdout.split(/^== account /m).slice(1);
    expect(sections).toHaveLength(1);
    expect(sections[0]).toMatch(new RegExp(`^${HUB} \\(hub\\) ==\\n\\d+ resources of \\d+ miss mandatory tags`));
    expect(sections[0]).toContain(hubIds.subnet);
    expect(run.stdout).toMatch(new RegExp(`\\nskipped 1 account:\\n  ${A}: AccessDenied: cannot assume arn:aws:iam::${A}:role/ReflexReadOnly \\(.*\\)\\n$`));
  });

  it('--role-name: a role that requires the environment\'s external id is assumed with it', async () => {
    await createRole(A, 'ReflexReadOnly', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${HUB}:root` }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } } },
      ],
    });

    const run = await reflex('tags', 'audit', '--accounts', A, '--role-name', 'ReflexReadOnly', '--json');

    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as AuditJson;
    expect(json.accounts.map((a) => a.account)).toEqual([A]);
    expect(rowIds(json, A)).toContain(memberIds.subnet);
  });

  it('refuses an account that is neither the hub nor a member with exit 2, naming it', async () => {
    const run = await reflex('tags', 'audit', '--accounts', `${A},999999999999`);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`account 999999999999 is neither the hub (${HUB}) nor a member account of environment "local" (members: ${A})`);
    expect(run.stdout).toBe('');
  });

  it('schedule preview --accounts all: each account its own scheduled instances', async () => {
    const run = await reflex('schedule', 'preview', '--accounts', 'all', '--at', '2026-10-23T12:00:00Z', '--json');

    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as { accounts: { account: string; rows: { id: string }[] }[]; skipped: unknown[] };
    expect(json.accounts.map((a) => [a.account, a.rows.map((r) => r.id)])).toEqual([
      [HUB, [hubIds.instance]],
      [A, [memberIds.instance]],
    ]);
    expect(json.skipped).toEqual([]);
  });

  it('ipam reconcile --accounts all records each account\'s instances under its own id', async () => {
    const run = await reflex('ipam', 'reconcile', '--accounts', 'all', '--json');

    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as { accounts: { account: string; checked: { instances: number } }[] };
    expect(json.accounts).toEqual([
      expect.objectContaining({ account: HUB, dryRun: false, checked: expect.objectContaining({ instances: 1 }) }),
      expect.objectContaining({ account: A, dryRun: false, checked: expect.objectContaining({ instances: 1 }) }),
    ]);
    const shown = await reflexInProcess(['ipam', 'show', memberIds.instance!, '--json'], { IPAM_DATA_DIR: join(dataDir, 'ipam') });
    expect(JSON.parse(shown.stdout)).toMatchObject({ devices: [{ instanceId: memberIds.instance, account: A }] });
    const hubShown = await reflexInProcess(['ipam', 'show', hubIds.instance!, '--json'], { IPAM_DATA_DIR: join(dataDir, 'ipam') });
    expect(JSON.parse(hubShown.stdout)).toMatchObject({ devices: [{ instanceId: hubIds.instance, account: HUB }] });
  }, 120_000);

  it('blocks list --accounts all lists the hub\'s blocks, and says it does not apply in the members: the IP blocker acts in the hub only', async () => {
    const run = await reflex('blocks', 'list', '--accounts', 'all', '--json');

    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json).toEqual({
      accounts: [expect.objectContaining({ account: HUB, table: 'reflex-local-ip-blocker', blocks: [] })],
      skipped: [],
      notApplicable: [{ account: A, reason: 'the IP blocker acts in the hub account only' }],
    });
    const human = await reflex('blocks', 'list', '--accounts', 'all');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`\\nnot applicable in 1 account:\\n  ${A}: the IP blocker acts in the hub account only\\n$`));
    const hubOnly = await reflex('blocks', 'list', '--accounts', HUB);
    expect(hubOnly.code).toBe(0);
    expect(hubOnly.stdout).toBe(`== account ${HUB} (hub) ==\nno blocks (table reflex-local-ip-blocker, environment local)\n\n`);
  });

  it('acrossAccounts with hub, A and B: A through its role, B without one skipped with AccessDenied', async () => {
    const target = new AwsTarget('test', 'us-east-1', aws.endpoint, '--endpoint');
    const plan = accountsPlan({ accounts: 'all' }, ENV)!;
    const outcome = await acrossAccounts(target, plan, async (there) => {
      const ec2 = new EC2Client(there.clientConfig());
      try {
        return ((await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? []).map((v) => v.VpcId);
      } finally {
        ec2.destroy();
      }
    });
    expect(outcome.ok.map((o) => o.account)).toEqual([HUB, A]);
    expect(outcome.ok[0]!.result).toContain(hubIds.vpc);
    expect(outcome.ok[1]!.result).toContain(memberIds.vpc);
    expect(outcome.ok[1]!.result).not.toContain(hubIds.vpc);
    expect(outcome.skipped).toEqual([{ account: B, reason: expect.stringMatching(new RegExp(`^AccessDenied: cannot assume arn:aws:iam::${B}:role/Deployer`)) }]);
  });
});

// Acting in member accounts against moto (patched: sts:AssumeRole checks the role and its trust, credentials of
// the session act in the role's account): spoke roles assumed with the external id and cached, clients per
// account, one member's missing role failing only its own records, timers in every account.
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { Ec2StateChangeSchema, ScheduledEventSchema } from '@reflex/events';
import { fixture } from '@reflex/events/fixtures';
import * as z from '@reflex/events/zod';
import { asMotoAccount, createRole, launchInstances, localClientConfig, type StartedMoto, startMoto } from '@reflex/local-aws';
import { defineReflex } from '@reflex/manifest';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { accountSdk, currentAccount, inAccount, type LoadSts, NotAMemberError, SpokeAccess, SpokeAccessError, type Spokes } from './accounts';
import { MemoryEmitter } from './emitter';
import { reflexHandler } from './handler';
import { lazySdk } from './lazy-sdk';

const HUB = '123456789012';
/** A member with the reflex's spoke role. */
const MEMBER = '210987654321';
/** A member whose spoke role was never deployed (or was deleted). */
const BROKEN = '333344445555';
const ROLE = 'reflex-test-tiny';
const EXTERNAL_ID = 'reflex-test';
const SPOKES: Spokes = { hub: HUB, accounts: [MEMBER, BROKEN], roleName: ROLE, partition: 'aws', externalId: EXTERNAL_ID };

let aws: StartedMoto;
let sts: LoadSts & { calls: number };
/** An instance in each account, and the account each lives in. */
const instances = new Map<string, string>();

/** The spoke role as SpokeStack builds it: trusts the hub's function role of the same name, with the external id. */
const createSpokeRole = (account: string) =>
  createRole(aws.endpoint, 'us-east-1', account, {
    name: ROLE,
    trust: {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${HUB}:role/${ROLE}` },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } },
    },
    allow: { Action: 'ec2:Describe*', Resource: '*' },
  });

beforeAll(async () => {
  aws = await startMoto();
  process.env.AWS_ENDPOINT_URL = aws.endpoint;
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  process.env.AWS_REGION = 'us-east-1';
  await createSpokeRole(MEMBER);
  const config = localClientConfig(aws.endpoint);
  const hubEc2 = new EC2Client(config);
  const memberEc2 = asMotoAccount(new EC2Client(config), MEMBER);
  try {
    instances.set((await launchInstances(hubEc2, [{ Name: 'hub' }]))[0]!, HUB);
    instances.set((await launchInstances(memberEc2, [{ Name: 'member' }]))[0]!, MEMBER);
  } finally {
    hubEc2.destroy();
    memberEc2.destroy();
  }
  const counted = lazySdk(() => import('@aws-sdk/client-sts'), (sdk) => new sdk.STSClient({}));
  sts = Object.assign(
    async () => {
      const loaded = await counted();
      return { sdk: loaded.sdk, client: { send: (command: never) => (sts.calls++, loaded.client.send(command)) } as typeof loaded.client };
    },
    { calls: 0 },
  );
}, 60_000);

afterAll(async () => {
  await aws?.stop();
});

/** The EC2 client of the current account scope. */
const ec2 = accountSdk(() => import('@aws-sdk/client-ec2'), (sdk, config) => new sdk.EC2Client(config));

/** The instances EC2 lists in the account the scope acts in. */
async function listed(): Promise<string[]> {
  const { sdk, client } = await ec2();
  const out = await client.send(new sdk.DescribeInstancesCommand({}));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!).sort();
}
const inAccountOf = (account: string) => [...instances].filter(([, a]) => a === account).map(([id]) => id);

describe('SpokeAccess', () => {
  it("acts in the hub with the function's own credentials and in a member through the spoke role, each seeing its own account", async () => {
    const access = new SpokeAccess(SPOKES, undefined, sts);
    const hub = await access.scope(HUB, 'us-east-1');
    const member = await access.scope(MEMBER, 'us-east-1');

    expect(hub).toEqual({ account: HUB, region: 'us-east-1' });
    expect(member.roleSession).toBe(`arn:aws:sts::${MEMBER}:assumed-role/${ROLE}/${ROLE}`);
    expect(await inAccount(hub, listed)).toEqual(expect.arrayContaining(inAccountOf(HUB)));
    expect(await inAccount(hub, listed)).not.toContain(inAccountOf(MEMBER)[0]);
    expect(await inAccount(member, listed)).toEqual(inAccountOf(MEMBER));
    expect(currentAccount()).toBeUndefined();
  });

  it('assumes a spoke role once and reuses the session until five minutes before it expires', async () => {
    let now = Date.now();
    const access = new SpokeAccess(SPOKES, undefined, sts, () => now);
    const before = sts.calls;
    const scope = await access.scope(MEMBER, 'us-east-1');
    await access.scope(MEMBER, 'us-east-1');
    await inAccount(scope, listed);
    expect(sts.calls - before).toBe(1);

    now += 56 * 60_000; // the session (an hour) is 4 minutes from its end
    await access.scope(MEMBER, 'us-east-1');
    expect(sts.calls - before).toBe(2);
  });

  it("refuses a member whose spoke role is missing, naming the account and STS's answer, and tries again next time", async () => {
    const access = new SpokeAccess(SPOKES, undefined, sts);
    const before = sts.calls;
    const error = await access.scope(BROKEN, 'us-east-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpokeAccessError);
    expect((error as SpokeAccessError).account).toBe(BROKEN);
    expect((error as Error).message).toMatch(new RegExp(`^account ${BROKEN}: cannot assume arn:aws:iam::${BROKEN}:role/${ROLE} \\(AccessDenied\\): `));
    await access.scope(BROKEN, 'us-east-1').catch(() => undefined);
    expect(sts.calls - before).toBe(2);
  });

  it('refuses a spoke role assumed without the external id its trust requires', async () => {
    const access = new SpokeAccess({ ...SPOKES, externalId: undefined }, undefined, sts);
    await expect(access.scope(MEMBER, 'us-east-1')).rejects.toThrow(/AccessDenied/);
  });

  it('tells a passing STS failure (throttling) from a spoke that cannot be reached: the first is retried without an alert', async () => {
    const throttled: LoadSts = async () => {
      const loaded = await sts();
      const error = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return { sdk: loaded.sdk, client: { send: async () => Promise.reject(error) } as unknown as typeof loaded.client };
    };
    const error = await new SpokeAccess(SPOKES, undefined, throttled).scope(MEMBER, 'us-east-1').catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(SpokeAccessError);
    expect((error as Error).message).toMatch(new RegExp(`^account ${MEMBER}: cannot assume .* \\(ThrottlingException\\): Rate exceeded$`));
  });

  it('never acts in an account that is neither the hub nor a member', async () => {
    const access = new SpokeAccess(SPOKES, undefined, sts);
    const error = await access.scope('999999999999', 'us-east-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotAMemberError);
    expect((error as Error).message).toBe('account 999999999999: not the hub (123456789012) and not a member account of this environment: nothing is done there');
  });
});

const logger = new Logger({ serviceName: 'reflex-tiny', logLevel: 'SILENT' });
const context = { functionName: 'reflex-test-tiny', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
const env = { REFLEX_ENV: 'test', REFLEX_BUS_NAME: 'bus', REFLEX_DRY_RUN: 'false', REFLEX_SPOKES: JSON.stringify(SPOKES) };
const record = (id: string, body: unknown): SQSRecord =>
  ({ messageId: id, receiptHandle: id, body: JSON.stringify(body), attributes: { ApproximateReceiveCount: '1' }, messageAttributes: {} }) as unknown as SQSRecord;

/** The EC2 sample state change of `instanceId`, as it reaches the hub from `account`. */
const stateChange = (account: string, instanceId: string) => {
  const event = structuredClone(fixture('ec2/instance-state-change.json'));
  event.id = `event-${account}-${instanceId}`;
  event.account = account;
  event.detail['instance-id'] = instanceId;
  return event;
};

describe('reflexHandler across accounts', () => {
  const manifest = (spokes: 'events' | 'events-and-timers') =>
    defineReflex({ name: 'tiny', description: 'A reflex for tests.', triggers: [{ kind: 'event', pattern: { source: ['aws.ec2'] } }], permissions: () => [], config: z.object({}), spokes });

  /** A reflex that describes the event's instance where it runs, and reports what it found. */
  const describing = (emitter: MemoryEmitter) =>
    reflexHandler({
      manifest: manifest('events'),
      schema: Ec2StateChangeSchema,
      emitter,
      env,
      logger,
      init: () => async (event) => {
        const { sdk, client } = await ec2();
        const out = await client.send(new sdk.DescribeInstancesCommand({ InstanceIds: [event.detail['instance-id']] }));
        const found = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).length;
        return [{ action: 'ec2:DescribeInstances', targets: [{ id: event.detail['instance-id'] }], reason: `found ${found}`, outcome: 'succeeded', severity: 'info' }];
      },
    });

  it("fails only the records of a member whose role is missing, acts in each other event's account, and raises one critical alert", async () => {
    const emitter = new MemoryEmitter();
    const handler = describing(emitter);
    const [hubInstance] = inAccountOf(HUB);
    const [memberInstance] = inAccountOf(MEMBER);
    const batch: SQSEvent = {
      Records: [
        record('hub', stateChange(HUB, hubInstance!)),
        record('broken-1', stateChange(BROKEN, 'i-0000000000000b001')),
        record('member', stateChange(MEMBER, memberInstance!)),
        record('broken-2', stateChange(BROKEN, 'i-0000000000000b002')),
      ],
    };

    const response = await handler(batch, context);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'broken-1' }, { itemIdentifier: 'broken-2' }]);
    const described = emitter.emitted.filter((a) => a.action === 'ec2:DescribeInstances');
    expect(described.map((a) => [a.targets[0]!.id, a.account, a.reason, a.roleSession])).toEqual([
      [hubInstance, HUB, 'found 1', undefined],
      [memberInstance, MEMBER, 'found 1', `arn:aws:sts::${MEMBER}:assumed-role/${ROLE}/${ROLE}`],
    ]);
    const alerts = emitter.emitted.filter((a) => a.severity === 'critical');
    expect(alerts).toEqual([
      expect.objectContaining({
        action: 'sts:AssumeRole',
        targets: [{ id: BROKEN }],
        outcome: 'failed',
        account: BROKEN,
        reason: `cannot act in member account ${BROKEN}: its events fail (retried, then dead-lettered) until the spoke role can be assumed`,
        error: expect.stringContaining('AccessDenied'),
      }),
    ]);

    // An account that is no member: a warning, and the record is done (no retry can change that).
    const stranger = await handler({ Records: [record('stranger', stateChange('999999999999', 'i-0000000000000c001'))] }, context);
    expect(stranger.batchItemFailures).toEqual([]);
    expect(emitter.emitted.at(-1)).toEqual(expect.objectContaining({ action: 'none', severity: 'warning', outcome: 'alert', account: '999999999999' }));

    // The redelivery fails again, without a second alert within the quarter hour.
    const again = await handler({ Records: [record('broken-1', stateChange(BROKEN, 'i-0000000000000b001'))] }, context);
    expect(again.batchItemFailures).toEqual([{ itemIdentifier: 'broken-1' }]);
    expect(emitter.emitted.filter((a) => a.severity === 'critical')).toHaveLength(1);
  });

  it("runs an every-account timer once per account, each in its own account, and goes on past a member it cannot reach", async () => {
    const emitter = new MemoryEmitter();
    const seen: string[] = [];
    const handler = reflexHandler({
      manifest: manifest('events-and-timers'),
      schema: ScheduledEventSchema,
      emitter,
      env,
      logger,
      init: () => async (event) => {
        const ids = await listed();
        seen.push(event.account);
        return [{ action: 'ec2:DescribeInstances', targets: [{ id: event.account }], reason: `${ids.length} instance(s)`, outcome: 'succeeded', severity: 'info' }];
      },
    });
    // The timer's Region is where every account's turn acts.
    const tick = { ...structuredClone(fixture('scheduled/scheduled-event.json')), account: HUB, region: 'us-east-1', id: 'tick-1' };

    const response = await handler({ Records: [record('tick', tick)] }, context);

    expect(response.batchItemFailures).toEqual([]);
    expect(seen.sort()).toEqual([HUB, MEMBER].sort()); // turns run side by side (four at once)
    expect(emitter.emitted.map((a) => [a.account, a.severity, a.reason])).toEqual([
      [HUB, 'info', `${inAccountOf(HUB).length} instance(s)`],
      [MEMBER, 'info', '1 instance(s)'],
      [BROKEN, 'critical', expect.stringContaining(`cannot act in member account ${BROKEN}`)],
    ]);
  });
});

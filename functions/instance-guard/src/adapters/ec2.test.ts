import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { instanceStates, launchInstances, type LocalEc2, startLocalEc2 } from '@reflex/local-aws';
import { Ec2Instances, type LoadEc2 } from './ec2';

let local: LocalEc2;
let ec2: EC2Client;
let load: LoadEc2;

async function stoppedInstance(tags: Record<string, string>): Promise<string> {
  const [id] = (await launchInstances(ec2, [tags])) as [string];
  await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
  return id;
}

const stateOf = async (id: string) => (await instanceStates(ec2, [id])).get(id);

beforeAll(async () => {
  local = await startLocalEc2();
  ({ ec2, loadEc2: load } = local);
}, 30_000);

afterAll(() => local?.stop());

describe('Ec2Instances (against moto)', () => {
  it('describes an instance with its state and tags', async () => {
    const id = await stoppedInstance({ 'reflex:protect': 'true' });
    const view = await new Ec2Instances(false, load).describe(id);
    expect(view).toEqual({ id, state: 'stopped', tags: { 'reflex:protect': 'true' } });
  });

  it('answers undefined for an instance that does not exist', async () => {
    expect(await new Ec2Instances(false, load).describe('i-0123456789abcdef0')).toBeUndefined();
  });

  it('starts a stopped instance', async () => {
    const id = await stoppedInstance({});
    expect(await new Ec2Instances(false, load).start(id)).toBe('started');
    expect(await stateOf(id)).toBe('running');
  });

  it('in dry-run, asks EC2 with DryRun and leaves the instance stopped', async () => {
    const id = await stoppedInstance({});
    expect(await new Ec2Instances(true, load).start(id)).toBe('dry-run');
    expect(await stateOf(id)).toBe('stopped');
  });

  it('wraps other EC2 errors with the call and the cause', async () => {
    const error = await new Ec2Instances(false, load).start('i-0123456789abcdef0').catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('StartInstances i-0123456789abcdef0 failed');
    expect((error as Error).cause).toBeDefined();
  });
});

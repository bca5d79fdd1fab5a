import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { lazySdk } from '@reflex/lambda-kit';
import { instanceStates, launchInstances, type LocalEc2, startLocalEc2 } from '@reflex/local-aws';
import { Ec2ScheduledInstances, type LoadEc2 } from './ec2';

let local: LocalEc2;
let ec2: EC2Client;
let load: LoadEc2;

beforeAll(async () => {
  local = await startLocalEc2();
  ({ ec2, loadEc2: load } = local);
}, 30_000);

afterAll(() => local?.stop());

describe('Ec2ScheduledInstances (against moto)', () => {
  it('lists only instances that carry a schedule tag, with their tags', async () => {
    const [scheduled, other] = (await launchInstances(ec2, [{ 'reflex:schedule': 'reference' }, { Name: 'unscheduled' }])) as [string, string];
    const listed = await new Ec2ScheduledInstances(false, load).listScheduled();
    expect(listed.map((i) => i.id)).toContain(scheduled);
    expect(listed.map((i) => i.id)).not.toContain(other);
    expect(listed.find((i) => i.id === scheduled)).toMatchObject({ state: 'running', tags: { 'reflex:schedule': 'reference' } });
  });

  it('stops a batch in one call', async () => {
    const ids = await launchInstances(ec2, [{ 'reflex:schedule': 'reference' }, { 'reflex:schedule': 'reference' }]);
    const result = await new Ec2ScheduledInstances(false, load).stop(ids);
    expect(result).toEqual({ done: ids, incorrectState: [], failed: [], dryRun: false });
    expect([...(await instanceStates(ec2, ids)).values()]).toEqual(['stopped', 'stopped']);
  });

  it('when the batch call fails, stops the others and reports the failing instance with its cause', async () => {
    const ids = await launchInstances(ec2, [{ 'reflex:schedule': 'reference' }, { 'reflex:schedule': 'reference' }]);
    const missing = 'i-0123456789abcdef0';
    const result = await new Ec2ScheduledInstances(false, load).stop([ids[0]!, missing, ids[1]!]);
    expect(result.done).toEqual(ids);
    expect(result.failed).toEqual([{ id: missing, error: expect.stringContaining('InvalidInstanceID.NotFound') }]);
    expect([...(await instanceStates(ec2, ids)).values()]).toEqual(['stopped', 'stopped']);
  });

  it('in dry-run, checks the calls with DryRun and changes nothing, tags included', async () => {
    const ids = await launchInstances(ec2, [{ 'reflex:schedule': 'reference' }]);
    const dry = new Ec2ScheduledInstances(true, load);
    await dry.tag(ids, { 'reflex:stop-intent': 'instance-scheduler@2026-11-23T08:50:00.000Z' });
    expect(await dry.stop(ids)).toEqual({ done: ids, incorrectState: [], failed: [], dryRun: true });
    expect([...(await instanceStates(ec2, ids)).values()]).toEqual(['running']);
    const listed = await new Ec2ScheduledInstances(false, load).listScheduled();
    expect(listed.find((i) => i.id === ids[0])!.tags['reflex:stop-intent']).toBeUndefined();
  });

  it('records and clears the stop intent tag', async () => {
    const ids = await launchInstances(ec2, [{ 'reflex:schedule': 'reference' }]);
    const live = new Ec2ScheduledInstances(false, load);
    await live.tag(ids, { 'reflex:stop-intent': 'instance-scheduler@2026-11-23T08:50:00.000Z' });
    expect((await live.listScheduled()).find((i) => i.id === ids[0])!.tags['reflex:stop-intent']).toBe('instance-scheduler@2026-11-23T08:50:00.000Z');
    await live.untag(ids, ['reflex:stop-intent']);
    expect((await live.listScheduled()).find((i) => i.id === ids[0])!.tags['reflex:stop-intent']).toBeUndefined();
  });
});

// moto starts even a terminated instance and never throttles: these two answers of EC2 come from a stand-in
// client that answers the batch call and the per-instance retries as EC2 would.
describe('Ec2ScheduledInstances with EC2 refusals moto cannot produce', () => {
  const ec2Error = (name: string) => Object.assign(new Error(`${name}: refused`), { name });
  const standIn = (refuse: (ids: string[]) => Error | undefined): LoadEc2 =>
    lazySdk(async () => import('@aws-sdk/client-ec2'), () => ({
      send: async (command: { input: { InstanceIds: string[] } }) => {
        const error = refuse(command.input.InstanceIds);
        if (error) throw error;
        return {};
      },
    }) as unknown as EC2Client);

  it('reports an instance in the wrong state (IncorrectInstanceState) apart from the failures', async () => {
    const load = standIn((ids) => (ids.includes('i-gone') ? ec2Error('IncorrectInstanceState') : undefined));
    const result = await new Ec2ScheduledInstances(false, load).start(['i-1', 'i-gone', 'i-2']);
    expect(result).toEqual({ done: ['i-1', 'i-2'], incorrectState: ['i-gone'], failed: [], dryRun: false });
  });

  it('fails the run when EC2 keeps throttling, so that the queue delivers it again', async () => {
    const load = standIn(() => ec2Error('RequestLimitExceeded'));
    await expect(new Ec2ScheduledInstances(false, load).stop(['i-1', 'i-2'])).rejects.toThrow('EC2 throttled the scheduler on i-1');
  });
});

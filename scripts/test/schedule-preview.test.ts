// `reflex schedule preview` against moto: a Berlin office-hours schedule across the October 2026 DST change.
import { describe, expect, it } from '@jest/globals';
import { EC2Client } from '@aws-sdk/client-ec2';
import { launchInstances, type LocalAws, localClientConfig } from '@reflex/local-aws';
import { reflexInProcess } from './reflex-cli';
import { useMoto } from '@reflex/local-aws/testing';

let aws: LocalAws;
let ids: string[];

const preview = (...args: string[]) => reflexInProcess(['schedule', ...args], {}, 30_000);

useMoto(async (started) => {
  aws = started;
  const ec2 = new EC2Client(localClientConfig(aws.endpoint));
  // office-hours: Europe/Berlin, Monday to Friday 07:00–19:00 (stacks/src/envs/schedules.ts).
  ids = await launchInstances(ec2, [
    { 'reflex:schedule': 'office-hours', Name: 'web-1' },
    { 'reflex:schedule': 'office-hours', 'reflex:schedule-opt-out': 'true', Name: 'db-1' },
    { 'reflex:schedule': 'office-hours', 'reflex:override-until': '2026-10-26T12:00:00Z', Name: 'batch-1' },
  ]);
  ec2.destroy();
});

describe('reflex schedule preview', () => {
  it('plans a Berlin schedule across the change from summer to winter time', async () => {
    const run = await preview('preview', '--hours', '96', '--at', '2026-10-23T12:00:00Z', '--endpoint', aws.endpoint);
    expect(run.code).toBe(0);
    const web = run.stdout.split('\n').filter((l) => l.startsWith(ids[0]!));
    expect(web).toEqual([
      expect.stringMatching(/fri 2026-10-23 19:00 Europe\/Berlin\s+2026-10-23 17:00Z\s+stop$/),
      expect.stringMatching(/mon 2026-10-26 07:00 Europe\/Berlin\s+2026-10-26 06:00Z\s+start$/),
      expect.stringMatching(/mon 2026-10-26 19:00 Europe\/Berlin\s+2026-10-26 18:00Z\s+stop$/),
      expect.stringMatching(/tue 2026-10-27 07:00 Europe\/Berlin\s+2026-10-27 06:00Z\s+start$/),
    ]);
  }, 30_000);

  it('shows opted-out instances without plans, and drops the transitions an override covers', async () => {
    const run = await preview('preview', '--hours', '96', '--at', '2026-10-23T12:00:00Z', '--endpoint', aws.endpoint, '--json');
    const rows = JSON.parse(run.stdout) as { id: string; transitions: { at: string; action: string }[]; note?: string }[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(ids[1]!)).toMatchObject({ transitions: [], note: 'opted out' });
    expect(byId.get(ids[2]!)!.transitions.map((t) => t.at)).toEqual(['2026-10-26T18:00:00.000Z', '2026-10-27T06:00:00.000Z']);
    expect(byId.get(ids[2]!)!.note).toBe('overridden until 2026-10-26T12:00:00.000Z');
  }, 30_000);

  it('refuses a bad --hours with exit code 2', async () => {
    const run = await preview('preview', '--hours', 'lots', '--endpoint', aws.endpoint);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--hours takes a whole number');
  }, 30_000);
});

// The CLI finds the running local mode: with --env local (the default) and neither --endpoint nor
// REFLEX_AWS_ENDPOINT, commands that call AWS use the endpoint in `.reflex/local.lock` of the checkout, and
// say so in one line on stderr. Each test's checkout is a temp dir whose lock points at a moto server of
// this test (a live pid: this process), or at a process that is gone.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { CreateTagsCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { launchInstances, type LocalAws, localClientConfig } from '@reflex/local-aws';
import { useMoto } from '@reflex/local-aws/testing';
import type { LocalModeInfo } from '../src/local/lock';
import { reflexCli, tempCheckout } from './reflex-cli';

jest.setTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), 'reflex-cli-local-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let aws: LocalAws;
let vpcId: string;

useMoto(async (started) => {
  aws = started;
  const ec2 = new EC2Client(localClientConfig(aws.endpoint));
  await launchInstances(ec2, [{ 'reflex:schedule': 'office-hours', Name: 'web-1' }]);
  vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16' }))).Vpc!.VpcId!;
  await ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'CostCenter', Value: 'R&D' }] }));
  return ec2;
});

/** A checkout of its own, with a local-mode lock when `lock` is given. */
function checkout(lock?: Partial<LocalModeInfo>): string {
  const root = tempCheckout(mkdtempSync(join(dir, 'checkout-')));
  if (lock) {
    mkdirSync(join(root, '.reflex'));
    const info = { pid: process.pid, startedAt: new Date().toISOString(), endpoint: aws.endpoint, region: 'us-east-1', state: 'running', ...lock };
    writeFileSync(join(root, '.reflex', 'local.lock'), `${JSON.stringify(info)}\n`);
  }
  return root;
}

const cli = (root: string, args: string[], env: Record<string, string> = {}) => reflexCli(args, env, 60_000, root);

/** A process id that was just in use and is no more. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

const NO_LOCAL_MODE =
  'no AWS API for environment "local": no local mode is running in this checkout — start it with `pnpm start`, ' +
  'or pass --endpoint URL (moto server, LocalStack), or --env NAME for a real account';

describe('the running local mode', () => {
  it("answers the README's `reflex schedule preview --hours 24` with no flags, saying so in one stderr line", async () => {
    const run = await cli(checkout({}), ['schedule', 'preview', '--hours', '24']);

    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      `reflex: using the running local mode at ${aws.endpoint} (pid ${process.pid}); --endpoint URL or --env NAME to choose another\n`,
    );
    expect(run.stdout).toMatch(/^planned starts and stops from .* for 24 h \(1 scheduled instance\)/);
  });

  it("answers the README's `reflex tags audit` with no flags", async () => {
    const run = await cli(checkout({}), ['tags', 'audit']);

    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^reflex: using the running local mode at http:\/\/127\.0\.0\.1:\d+ \(pid \d+\); --endpoint URL or --env NAME to choose another\n$/);
    expect(run.stdout).toMatch(new RegExp(`^${vpcId}\\s+vpc\\s+Owner$`, 'm'));
  });

  it('gives way to --endpoint, without the line', async () => {
    const run = await cli(checkout({ endpoint: 'http://127.0.0.1:1' }), ['tags', 'audit', '--endpoint', aws.endpoint]);

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
  });

  it('gives way to REFLEX_AWS_ENDPOINT', async () => {
    const run = await cli(checkout({ endpoint: 'http://127.0.0.1:1' }), ['tags', 'audit'], { REFLEX_AWS_ENDPOINT: aws.endpoint });

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
  });

  it('is ignored when the process in its lock is gone: exit code 2 and what to do, in one line', async () => {
    const run = await cli(checkout({ pid: deadPid() }), ['tags', 'audit']);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`reflex tags: ${NO_LOCAL_MODE}\n`);
  });

  it('is said to be starting while its lock has no endpoint yet', async () => {
    const run = await cli(checkout({ endpoint: undefined, state: 'starting' }), ['schedule', 'preview']);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^reflex schedule: no AWS API for environment "local": the local mode of this checkout \(pid \d+\) is still starting — /);
  });
});

describe('no local mode', () => {
  it.each([
    [['schedule', 'preview', '--hours', '24']],
    [['tags', 'audit']],
    [['ipam', 'reconcile']],
    [['ipam', 'worker']],
  ])('%j exits 2 with one line saying what to do', async (args) => {
    const run = await cli(checkout(), args, { IPAM_DATA_DIR: join(dir, 'ipam') });

    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`reflex ${args[0]}: ${NO_LOCAL_MODE}\n`);
  });

  it('invoke exits 2 with the same line', async () => {
    const event = join(dir, 'event.json');
    writeFileSync(event, JSON.stringify({ version: '0', id: 'e', 'detail-type': 'x', source: 'aws.ec2', account: '123456789012', time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: [], detail: {} }));

    const run = await cli(checkout(), ['invoke', 'instance-guard', event]);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`reflex invoke: ${NO_LOCAL_MODE}\n`);
  });
});

describe('another environment without AWS credentials', () => {
  // No keys, no profile files, no instance metadata: the SDK's credentials chain finds nothing.
  const noCredentials = {
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
    AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
    AWS_WEB_IDENTITY_TOKEN_FILE: '',
  };

  it('exits 2 with one line naming the environment and what to do, even when local mode runs', async () => {
    const run = await cli(checkout({}), ['tags', 'audit', '--env', 'dev'], noCredentials);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^reflex tags: no AWS credentials for environment "dev": .+ \(set AWS_PROFILE, run `aws sso login`, or use the local mode: `pnpm start`, then --env local\)\n$/,
    );
  });
});

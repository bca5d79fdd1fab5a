// Environment configs: what resolves, and errors that name the environment and the field when one cannot.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadManifests, type ReflexManifest } from '@reflex/manifest';
import { ENVIRONMENTS, type EnvConfigInput, InvalidEnvConfigError, resolveEnvironment, synthAll } from '../src';
import { root } from './support';

let manifests: ReflexManifest[];
const tempDirs: string[] = [];

beforeAll(async () => {
  manifests = await loadManifests(root);
});

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const environment = (name: string): EnvConfigInput => structuredClone(ENVIRONMENTS.find((e) => e.name === name)!);

/** The error `act` throws (fails the test when it throws none). */
function errorOf(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, none was thrown');
}

describe('resolveEnvironment', () => {
  it.each(ENVIRONMENTS.map((e) => e.name))('resolves the %s environment with the guard, the scheduler, the tagger, the IPAM, auto-heal, the reaper and the route API enabled (and the IP blocker and route failover in local)', (name) => {
    const { env, reflexes } = resolveEnvironment(environment(name), manifests);
    expect(env.name).toBe(name);
    expect(reflexes.map((r) => r.manifest.name)).toEqual([
      'instance-guard',
      'instance-scheduler',
      'resource-tagger',
      'ipam-enricher',
      'ipam-sync',
      'ipam-reconciler',
      ...(name === 'local' ? ['ip-blocker', 'route-failover', 'route-api', 'auto-heal', 'reaper'] : ['auto-heal', 'reaper', 'route-api']),
    ]);
  });

  it('rejects a reflex with http triggers left to a worker, naming the field', () => {
    const input = environment('dev');
    input.reflexes = { ...input.reflexes, 'route-api': { ...input.reflexes!['route-api'], consumer: 'worker' } };
    expect(errorOf(() => resolveEnvironment(input, manifests)).message).toBe(
      'environment "dev": reflexes.route-api.consumer: a reflex with http triggers answers requests; it has no queue for a worker',
    );
  });

  it('rejects a route throttle for a route no enabled reflex has, naming it and the routes there are', () => {
    const input = environment('dev');
    input.api = { routeThrottles: { 'POST /routes': { rateLimit: 1, burstLimit: 1 } } };
    expect(errorOf(() => resolveEnvironment(input, manifests)).message).toMatch(
      /^environment "dev": api\.routeThrottles\.POST \/routes: no enabled reflex has this route \(routes: GET \/route-tables\/\{id\}\/routes, /,
    );
  });

  it('rejects an allowed principal that is no IAM user, role or account ARN, naming the field', () => {
    const input = environment('dev');
    input.api = { allowedPrincipals: ['onprem-automation'] };
    expect(errorOf(() => resolveEnvironment(input, manifests)).message).toContain('api.allowedPrincipals.0: an IAM user, role or account root ARN');
  });

  it.each(ENVIRONMENTS.map((e) => e.name))('leaves the %s IPAM sync and reconciliation to the on-prem worker', (name) => {
    const { reflexes } = resolveEnvironment(environment(name), manifests);
    const consumers = Object.fromEntries(reflexes.map((r) => [r.manifest.name, r.consumer]));
    expect(consumers).toMatchObject({ 'ipam-enricher': 'function', 'ipam-sync': 'worker', 'ipam-reconciler': 'worker' });
  });

  it('rejects a reflex that sends to a reflex the environment does not enable, naming both', () => {
    const input = environment('dev');
    input.reflexes = { ...input.reflexes, 'ipam-sync': { enabled: false } };
    const error = errorOf(() => resolveEnvironment(input, manifests));
    expect(error).toBeInstanceOf(InvalidEnvConfigError);
    expect(error.message).toBe('environment "dev": reflexes.ipam-enricher: sendsTo.0 names "ipam-sync", which is not enabled in this environment');
  });

  it("fills the guard's config with the manifest's default protect tag", () => {
    const { reflexes } = resolveEnvironment(environment('dev'), manifests);
    expect(reflexes[0]!.config).toEqual({
      protectTag: { key: 'reflex:protect', value: 'true' },
      maxRestartsPerHour: 3,
      intentWindowMinutes: 30,
      allowedPrincipals: [],
    });
  });

  it("takes dry-run from the environment unless the reflex overrides it", () => {
    const input = environment('dev');
    expect(resolveEnvironment(input, manifests).reflexes[0]!.dryRun).toBe(true);
    input.reflexes = { 'instance-guard': { enabled: true, dryRun: false } };
    expect(resolveEnvironment(input, manifests).reflexes[0]!.dryRun).toBe(false);
  });

  it("takes memory from the reflex's settings over the manifest's default (prod: 512 MB)", () => {
    expect(resolveEnvironment(environment('prod'), manifests).reflexes[0]!.memoryMb).toBe(512);
    expect(resolveEnvironment(environment('dev'), manifests).reflexes[0]!.memoryMb).toBe(256);
  });

  it('leaves out a disabled reflex', () => {
    const input = environment('dev');
    input.reflexes = { 'instance-guard': { enabled: false } };
    expect(resolveEnvironment(input, manifests).reflexes).toEqual([]);
  });

  it.each<[string, (env: EnvConfigInput) => void, string]>([
    ['an account id of 3 digits', (env) => (env.account = '123'), 'account'],
    ['a retention CloudWatch Logs does not accept', (env) => (env.logRetentionDays = 2), 'logRetentionDays'],
    ['a region that is not one', (env) => (env.region = 'europe'), 'region'],
    ['a state bucket name S3 would refuse', (env) => (env.state = { bucket: 'Reflex_State' }), 'state.bucket'],
    ['a member account id of 3 digits', (env) => (env.memberAccounts = ['123']), 'memberAccounts.0'],
    ['the hub as its own member account', (env) => (env.memberAccounts = [env.account]), 'memberAccounts.0'],
    ['a member account listed twice', (env) => (env.memberAccounts = ['222222222222', { account: '222222222222' }]), 'memberAccounts.1'],
    [
      'member accounts without an external id or organization',
      (env) => ((env.memberAccounts = ['222222222222']), (env.spokes = {})),
      'spokes',
    ],
    [
      'a deployment role that is not a role ARN',
      (env) => (env.memberAccounts = [{ account: '222222222222', deploymentRoleArn: 'arn:aws:iam::222222222222:user/deployer' }]),
      'memberAccounts.0.deploymentRoleArn',
    ],
    ['an organization id of the wrong shape', (env) => (env.spokes = { organizationId: 'org-1' }), 'spokes.organizationId'],
    [
      "a deployment role in another account than the member's",
      (env) => (env.memberAccounts = [{ account: '222222222222', deploymentRoleArn: 'arn:aws:iam::999999999999:role/deployer' }]),
      'memberAccounts.0.deploymentRoleArn',
    ],
    ['an endpoint that is not a URL', (env) => (env.endpoint = 'localhost 4566'), 'endpoint'],
    ['a reflex no manifest declares', (env) => (env.reflexes = { ...env.reflexes, unknown: { enabled: true } }), 'reflexes.unknown'],
    [
      'a guard memory below Lambda’s minimum',
      (env) => (env.reflexes = { 'instance-guard': { enabled: true, memoryMb: 64 } }),
      'reflexes.instance-guard.memoryMb',
    ],
    [
      'an empty protect tag key in the guard config',
      (env) => (env.reflexes = { 'instance-guard': { enabled: true, config: { protectTag: { key: '', value: 'true' } } } }),
      'reflexes.instance-guard.config.protectTag.key',
    ],
    [
      'a mandatory tag with neither a default nor inheritance in the tagger config',
      (env) => (env.reflexes = { 'resource-tagger': { enabled: true, config: { mandatoryTags: { CostCenter: {} } } } }),
      'reflexes.resource-tagger.config.mandatoryTags.CostCenter',
    ],
  ])('rejects %s with an InvalidEnvConfigError naming the environment and the field', (_case, breakIt, field) => {
    const input = environment('dev');
    breakIt(input);
    const error = errorOf(() => resolveEnvironment(input, manifests));
    expect(error).toBeInstanceOf(InvalidEnvConfigError);
    expect(error.message).toContain('environment "dev"');
    expect(error.message).toContain(`${field}:`);
  });

  it('names an environment whose name is invalid by the name it was given', () => {
    const input = { ...environment('dev'), name: 'Dev_1' };
    const error = errorOf(() => resolveEnvironment(input, manifests));
    expect(error).toBeInstanceOf(InvalidEnvConfigError);
    expect(error.message).toContain('environment "Dev_1"');
    expect(error.message).toContain('name:');
  });

  it('names the known reflexes when an environment enables an unknown one', () => {
    const input = environment('dev');
    input.reflexes = { 'instance-gaurd': { enabled: true } };
    expect(errorOf(() => resolveEnvironment(input, manifests)).message).toContain('known: auto-heal, instance-guard,');
  });
});

describe('regions', () => {
  const regionError = (change: (env: EnvConfigInput) => void): string => {
    const input = environment('dev');
    change(input);
    const error = errorOf(() => resolveEnvironment(input, manifests));
    expect(error).toBeInstanceOf(InvalidEnvConfigError);
    return error.message;
  };

  it('rejects a mistyped region, naming the field and suggesting the closest', () => {
    expect(regionError((env) => (env.region = 'eu-centrall-1'))).toBe(
      'environment "dev": region: "eu-centrall-1" is not an AWS Region — did you mean eu-central-1?',
    );
  });

  it('rejects a mistyped state region the same way', () => {
    expect(regionError((env) => (env.state = { bucket: 'reflex-dev-tfstate', region: 'us-est-1' }))).toBe(
      'environment "dev": state.region: "us-est-1" is not an AWS Region — did you mean us-east-1?',
    );
  });

  it('suggests nothing for a code nowhere near a region', () => {
    expect(regionError((env) => (env.region = 'mars-1'))).toContain('region: "mars-1" is not an AWS Region (e.g. eu-central-1)');
  });

  it('rejects a China region in the aws partition, naming the partition it belongs to', () => {
    expect(regionError((env) => (env.region = 'cn-north-1'))).toBe(
      "environment \"dev\": region: cn-north-1 is a Region of partition aws-cn, not aws (set partition: 'aws-cn', or choose a Region of aws)",
    );
  });

  it('rejects a state region of another partition', () => {
    expect(regionError((env) => (env.state = { bucket: 'reflex-dev-tfstate', region: 'us-gov-west-1' }))).toContain(
      'state.region: us-gov-west-1 is a Region of partition aws-us-gov, not aws',
    );
  });

  it('accepts a China region with the aws-cn partition and a GovCloud region with aws-us-gov', () => {
    expect(resolveEnvironment({ ...environment('dev'), partition: 'aws-cn', region: 'cn-northwest-1' }, manifests).env.region).toBe('cn-northwest-1');
    expect(resolveEnvironment({ ...environment('dev'), partition: 'aws-us-gov', region: 'us-gov-east-1' }, manifests).env.region).toBe('us-gov-east-1');
  });

  it.each(['ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7', 'mx-central-1', 'ca-west-1', 'il-central-1', 'me-central-1', 'ap-east-2'])(
    'accepts the newer region %s',
    (region) => {
      expect(resolveEnvironment({ ...environment('dev'), region }, manifests).env.region).toBe(region);
    },
  );
});

describe('synthAll', () => {
  const outdir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'reflex-'));
    tempDirs.push(dir);
    return dir;
  };

  it('rejects an environment with a bad log retention, naming the environment and the field', async () => {
    const bad = { ...environment('staging'), logRetentionDays: 2 };
    const synth = synthAll({ root, outdir: outdir(), environments: [bad] });
    await expect(synth).rejects.toThrow(InvalidEnvConfigError);
    await expect(synth).rejects.toThrow(/environment "staging": logRetentionDays:/);
  });

  it('writes no stack at all when one of several environments is invalid', async () => {
    const dir = outdir();
    const bad = { ...environment('dev'), name: 'broken', account: '123' };
    await expect(synthAll({ root, outdir: dir, environments: [environment('local'), bad] })).rejects.toThrow(
      /environment "broken": account:/,
    );
    const written = readdirSync(dir, { recursive: true }).map(String);
    expect(written.filter((file) => file.endsWith('cdk.tf.json'))).toEqual([]);
  });
});

describe('synthAll with an invalid manifest pattern', () => {
  it('fails naming the reflex', async () => {
    const all = await loadManifests(root);
    // Built by hand (defineReflex would already refuse it), as a reflex that skipped defineReflex would be.
    const broken = all.map((m) =>
      m.name === 'instance-guard' ? { ...m, triggers: [{ kind: 'event' as const, pattern: { source: 'aws.ec2' } }] } : m,
    );
    await expect(
      synthAll({ root, outdir: mkdtempSync(join(tmpdir(), 'reflex-bad-')), manifests: broken }),
    ).rejects.toThrow('reflex "instance-guard": triggers.0.pattern.source');
  });
});

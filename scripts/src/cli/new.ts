import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NAME_PATTERN, repoRoot } from '@reflex/manifest';
import { functionShapeProblems } from '../lib/function-shape';
import { type Command, EXIT, out, parseCommandArgs, UsageError } from './common';

const HELP = `reflex new <name> [--no-install]

  Scaffolds functions/<name>: a minimal reflex in the one function shape (README "Add a reflex") that
  works as it is — triggered by EC2 state changes (running, stopped), it records each change in a tag of
  the instance: a manifest (trigger, permissions from its config, config schema), a pure core over a
  port, an EC2 adapter loaded with lazySdk and dry-run aware, a thin handler, and tests of the manifest
  (against the AWS sample events) and of the core (in-memory port). Then runs \`pnpm install --offline\`
  so that the workspace links it. Replace the trigger, core and adapter with what the reflex should do.

  <name>         lower-case letters, digits and dashes, starting with a letter, at most 40 characters
                 (AWS names are reflex-<env>-<name>)
  --no-install   do not run pnpm install (run \`pnpm install --offline\` yourself before its tests)

  Exit codes: 0 created, 1 created but pnpm install failed (the one command to run is printed),
  2 usage error (a bad name, a name taken, an existing folder).`;

/** At most this many characters: AWS names are `reflex-<env>-<name>` (the manifest's rule). */
const MAX_NAME = 40;

/** The names a reflex's code is written with: `demo-reflex` → `DemoReflex`. */
function pascalCase(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * Why `name` cannot name a new reflex in `root`, or undefined.
 */
function nameProblem(root: string, name: string): string | undefined {
  if (!NAME_PATTERN.test(name)) {
    return `"${name}" is not a reflex name: lower-case letters, digits and dashes, starting with a letter and ending with a letter or digit`;
  }
  if (name.length > MAX_NAME) return `"${name}" has ${name.length} characters: at most ${MAX_NAME} (AWS names are reflex-<env>-<name>)`;
  if (existsSync(join(root, 'functions', name))) return `functions/${name} exists already`;
  // Every workspace package is @reflex/<folder>: the new one may not take another's name.
  const taken = ['packages', 'functions']
    .flatMap((group) => (existsSync(join(root, group)) ? readdirSync(join(root, group)).map((dir) => join(group, dir)) : []))
    .concat(['stacks', 'scripts'])
    .find((dir) => {
      try {
        return JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).name === `@reflex/${name}`;
      } catch {
        return false;
      }
    });
  return taken ? `"${name}" is taken: ${taken} is @reflex/${name}` : undefined;
}

/** The versions the scaffold depends on: the ones this workspace uses already (so an offline install finds them). */
function versions(): { ec2: string } {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
  const ec2 = pkg.dependencies['@aws-sdk/client-ec2'];
  if (!ec2) throw new Error('scripts/package.json lists no @aws-sdk/client-ec2 to take its version from');
  return { ec2 };
}

/** The files of a new reflex, by path in its folder. */
export function scaffold(name: string, ec2Version: string): Record<string, string> {
  const Name = pascalCase(name);
  const tagKey = `reflex:${name}`;
  return {
    'package.json': `${JSON.stringify(
      {
        name: `@reflex/${name}`,
        version: '0.1.0',
        private: true,
        type: 'module',
        exports: { '.': './src/index.ts', './manifest': './src/manifest.ts' },
        scripts: { test: 'NODE_OPTIONS=--experimental-vm-modules jest' },
        dependencies: {
          '@aws-sdk/client-ec2': ec2Version,
          '@reflex/events': 'workspace:*',
          '@reflex/lambda-kit': 'workspace:*',
          '@reflex/manifest': 'workspace:*',
        },
        devDependencies: { '@reflex/event-patterns': 'workspace:*' },
      },
      null,
      2,
    )}\n`,

    'jest.config.js': `export default { ...(await import('../../jest.config.base.js')).base };\n`,

    'README.md': `# ${name}

Records each EC2 instance's latest state change in a tag of the instance.

- **Trigger**: \`EC2 Instance State-change Notification\` with \`state\` \`running\` or \`stopped\` (forwarded from the
  default bus).
- **Does**: reads the instance's tags and writes \`${tagKey}=<state>@<event time>\` (config \`tagKey\`), unless the
  tag records this change or a later one: a redelivered or late event changes nothing. Dry-run sends
  \`DryRun: true\` and writes nothing.
- **Emits**: a Reflex Action \`ec2:CreateTags\` per tag written (outcome \`succeeded\` or \`dry-run\`).
- **Permissions**: \`ec2:DescribeInstances\` (\`*\`: it has no resource-level permissions); \`ec2:CreateTags\` on
  \`instance/*\`, for the key \`tagKey\` only.
- **Config**: \`{ tagKey: '${tagKey}' }\`.

Scaffolded by \`pnpm reflex new ${name}\` in the one function shape (the root README's "Add a reflex"): change
the trigger (\`src/manifest.ts\`), the decisions (\`src/core.ts\`) and the AWS calls (\`src/adapters/\`) to what
this reflex should do, with their tests.
`,

    'src/manifest.ts': `import { EC2_STATE_CHANGE } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { defineReflex } from '@reflex/manifest';

/** The ${name} reflex's configuration. */
export const ${Name}ConfigSchema = z.object({
  /** The tag it writes on each instance: the latest state and when the instance entered it. */
  tagKey: z._default(
    z.string().check(
      z.minLength(1),
      z.maxLength(128),
      z.refine((key) => !key.toLowerCase().startsWith('aws:'), 'keys starting with "aws:" are reserved by AWS'),
    ),
    '${tagKey}',
  ),
});
export type ${Name}Config = z.output<typeof ${Name}ConfigSchema>;

export const manifest = defineReflex({
  name: '${name}',
  description: 'Records in a tag of each EC2 instance its latest state change (running, stopped) and when it happened.',
  triggers: [
    {
      kind: 'event',
      description: 'an EC2 instance entered the running or stopped state',
      pattern: {
        source: [EC2_STATE_CHANGE.source],
        'detail-type': [EC2_STATE_CHANGE.detailType],
        detail: { state: ['running', 'stopped'] },
      },
    },
  ],
  config: ${Name}ConfigSchema,
  permissions: (config) => [
    // DescribeInstances has no resource-level permissions: "*" is the only resource it takes.
    { sid: 'ReadInstances', actions: ['ec2:DescribeInstances'], resources: ['*'] },
    {
      sid: 'WriteItsTagOnInstances',
      actions: ['ec2:CreateTags'],
      resources: ['arn:\${partition}:ec2:\${region}:\${account}:instance/*'],
      conditions: [{ test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: [config.tagKey] }],
    },
  ],
  memoryMb: 256,
  timeoutSeconds: 30,
  batchSize: 10,
  maxConcurrency: 5,
  maxReceiveCount: 3,
});
`,

    'src/ports.ts': `/** Result of writing tags on an instance. */
export type TagResult =
  /** EC2 wrote the tags. */
  | 'tagged'
  /** Dry-run: EC2 confirmed the call would have succeeded (\`DryRunOperation\`); nothing was written. */
  | 'dry-run'
  /** The instance no longer exists. */
  | 'not-found';

/** Port: the tags of EC2 instances, read and written. The adapter knows dry-run. */
export interface InstanceTagsPort {
  /** The instance's tags, or undefined when EC2 no longer knows it. */
  tagsOf(instanceId: string): Promise<Readonly<Record<string, string>> | undefined>;
  tag(instanceId: string, tags: Readonly<Record<string, string>>): Promise<TagResult>;
}

/** Port: the decision log (the kit hands one to \`init\`). */
export type { DecisionLog } from '@reflex/lambda-kit';
`,

    'src/core.ts': `import { type Ec2StateChange, formatStamp, parseStamp } from '@reflex/events';
import type { ActionReport } from '@reflex/lambda-kit';
import type { ${Name}Config } from './manifest';
import type { DecisionLog, InstanceTagsPort } from './ports';

export interface ${Name}Deps {
  readonly instances: InstanceTagsPort;
  readonly config: ${Name}Config;
  readonly log: DecisionLog;
}

/**
 * Decides and acts on one state change: writes \`<state>@<time>\` in the instance's tag, unless the tag
 * records this change or a later one already, so that a redelivered or late event changes nothing.
 */
export async function recordState(event: Ec2StateChange, deps: ${Name}Deps): Promise<ActionReport[]> {
  const instanceId = event.detail['instance-id'];
  const { state } = event.detail;
  const at = new Date(event.time);
  const key = deps.config.tagKey;
  const skip = (reason: string) => {
    deps.log.info(\`not tagging \${instanceId}: \${reason}\`, { instanceId, decision: 'skip', reason });
    return [];
  };

  const tags = await deps.instances.tagsOf(instanceId);
  if (!tags) return skip('the instance no longer exists');
  const recorded = parseStamp(tags[key]);
  if (recorded && recorded.at.getTime() >= at.getTime()) {
    return skip(\`\${key} records the change at \${recorded.at.toISOString()} (or a later one) already\`);
  }

  const value = formatStamp({ by: state, at });
  const result = await deps.instances.tag(instanceId, { [key]: value });
  if (result === 'not-found') return skip('the instance no longer exists');
  deps.log.info(\`\${result === 'dry-run' ? 'would tag' : 'tagged'} \${instanceId} \${key}=\${value}\`, { instanceId, decision: 'tag' });
  const arn =
    event.resources.find((r) => r.endsWith(\`instance/\${instanceId}\`)) ??
    \`arn:aws:ec2:\${event.region}:\${event.account}:instance/\${instanceId}\`;
  return [
    {
      action: 'ec2:CreateTags',
      targets: [{ id: instanceId, arn }],
      reason: \`the instance entered "\${state}"\`,
      outcome: result === 'dry-run' ? 'dry-run' : 'succeeded',
      severity: 'info',
    },
  ];
}
`,

    'src/adapters/ec2.ts': `import type { EC2Client } from '@aws-sdk/client-ec2';
import { awsErrorName, lazySdk, type LoadedSdk, ReflexError, tagList, tagRecord } from '@reflex/lambda-kit';
import type { InstanceTagsPort, TagResult } from '../ports';

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
export type LoadEc2 = () => Promise<LoadedSdk<Ec2Sdk, EC2Client>>;

/** The EC2 client of the function's environment, loaded on first use. */
export const defaultEc2: LoadEc2 = lazySdk(() => import('@aws-sdk/client-ec2'), (sdk) => new sdk.EC2Client({}));

/** Instance tags through the AWS SDK; with \`dryRun\`, CreateTags is sent with \`DryRun: true\` and writes nothing. */
export class Ec2InstanceTags implements InstanceTagsPort {
  constructor(
    private readonly dryRun: boolean,
    private readonly ec2: LoadEc2 = defaultEc2,
  ) {}

  async tagsOf(instanceId: string): Promise<Readonly<Record<string, string>> | undefined> {
    const { sdk, client } = await this.ec2();
    try {
      const out = await client.send(new sdk.DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
      return instance ? tagRecord(instance.Tags) : undefined;
    } catch (error) {
      if (awsErrorName(error) === 'InvalidInstanceID.NotFound') return undefined;
      throw new ReflexError(\`DescribeInstances \${instanceId} failed\`, { cause: error });
    }
  }

  async tag(instanceId: string, tags: Readonly<Record<string, string>>): Promise<TagResult> {
    const { sdk, client } = await this.ec2();
    try {
      await client.send(new sdk.CreateTagsCommand({ Resources: [instanceId], Tags: tagList(tags), DryRun: this.dryRun }));
      return 'tagged';
    } catch (error) {
      if (this.dryRun && awsErrorName(error) === 'DryRunOperation') return 'dry-run';
      if (awsErrorName(error) === 'InvalidInstanceID.NotFound') return 'not-found';
      throw new ReflexError(\`CreateTags \${instanceId}\${this.dryRun ? ' (dry-run)' : ''} failed\`, { cause: error });
    }
  }
}
`,

    'src/handler.ts': `import { Ec2StateChangeSchema } from '@reflex/events';
import { reflexHandler } from '@reflex/lambda-kit';
import { Ec2InstanceTags } from './adapters/ec2';
import { recordState } from './core';
import { manifest } from './manifest';

export const handler = reflexHandler({
  manifest,
  schema: Ec2StateChangeSchema,
  init: ({ config, dryRun, log }) => {
    const instances = new Ec2InstanceTags(dryRun);
    return (event) => recordState(event, { instances, config, log });
  },
});
`,

    'src/index.ts': `export { manifest, ${Name}ConfigSchema, type ${Name}Config } from './manifest';
export { recordState, type ${Name}Deps } from './core';
export type { InstanceTagsPort, TagResult } from './ports';
`,

    'src/manifest.test.ts': `import { describe, expect, it } from '@jest/globals';
import { compilePattern } from '@reflex/event-patterns';
import { fixture } from '@reflex/events/fixtures';
import * as z from '@reflex/events/zod';
import { describeIssues, eventPatterns, permissionsOf } from '@reflex/manifest';
import { ${Name}ConfigSchema, manifest } from './manifest';

// The EC2 documentation's sample state change (packages/events/fixtures/SOURCES.md), cloned and changed.
const [pattern] = eventPatterns(manifest).map((p) => compilePattern(p));
const inState = (state: string) => {
  const event = fixture('ec2/instance-state-change.json');
  event.detail.state = state;
  return event;
};

describe('${name} trigger', () => {
  it.each(['running', 'stopped'])('matches the documented state change once the instance is %s', (state) => {
    expect(pattern!.matches(inState(state))).toBe(true);
  });

  it('does not match the documented event as published (state "pending")', () => {
    expect(pattern!.matches(fixture('ec2/instance-state-change.json'))).toBe(false);
  });

  it('names the failing field for a near-miss', () => {
    expect(pattern!.explain(inState('stopping')).failures.map((f) => f.path)).toEqual(['detail.state']);
  });

  it('does not match the StopInstances API call (CloudTrail)', () => {
    expect(pattern!.matches(fixture('cloudtrail/stop-instances.json'))).toBe(false);
  });
});

describe('${name} permissions', () => {
  const statements = permissionsOf(manifest, ${Name}ConfigSchema.parse({ tagKey: 'Lifecycle' }));

  it('reads every instance: DescribeInstances is the only action on "*"', () => {
    expect(statements.filter((s) => s.resources.includes('*')).flatMap((s) => s.actions)).toEqual(['ec2:DescribeInstances']);
  });

  it('writes only the configured tag', () => {
    const write = statements.find((s) => s.actions.includes('ec2:CreateTags'));
    expect(write?.conditions).toEqual([{ test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: ['Lifecycle'] }]);
  });
});

describe('${name} config', () => {
  const problem = (input: unknown) => {
    const parsed = z.safeParse(${Name}ConfigSchema, input);
    return parsed.success ? 'valid' : describeIssues(parsed.error);
  };

  it('writes the tag ${tagKey} by default', () => {
    expect(${Name}ConfigSchema.parse({})).toEqual({ tagKey: '${tagKey}' });
  });

  it('names a tag key AWS reserves', () => {
    expect(problem({ tagKey: 'aws:state' })).toBe('tagKey: keys starting with "aws:" are reserved by AWS');
  });
});
`,

    'src/core.test.ts': `import { beforeEach, describe, expect, it } from '@jest/globals';
import { type Ec2StateChange, Ec2StateChangeSchema } from '@reflex/events';
import { fixture } from '@reflex/events/fixtures';
import { recordState } from './core';
import { ${Name}ConfigSchema } from './manifest';
import type { InstanceTagsPort, TagResult } from './ports';

// The EC2 documentation's sample state change (i-abcd1111 at 2021-11-11T21:29:54Z), moved to \`state\`.
const stateChange = (state: string): Ec2StateChange => {
  const event = fixture('ec2/instance-state-change.json');
  event.detail.state = state;
  return Ec2StateChangeSchema.parse(event);
};

/** In-memory EC2: tags by instance id; \`result\` is what a write of an existing instance answers. */
class MemoryTags implements InstanceTagsPort {
  readonly writes: string[] = [];
  constructor(
    readonly instances: Map<string, Readonly<Record<string, string>>>,
    private readonly result: TagResult = 'tagged',
  ) {}
  async tagsOf(id: string) {
    return this.instances.get(id);
  }
  async tag(id: string, tags: Readonly<Record<string, string>>) {
    this.writes.push(id);
    const current = this.instances.get(id);
    if (!current) return 'not-found';
    if (this.result === 'tagged') this.instances.set(id, { ...current, ...tags });
    return this.result;
  }
}

const config = ${Name}ConfigSchema.parse({});
const messages: string[] = [];
const log = { info: (message: string) => void messages.push(message) };

beforeEach(() => {
  messages.length = 0;
});

describe('recordState', () => {
  it('tags an instance that started running with its state and the time, and reports it', async () => {
    const ec2 = new MemoryTags(new Map([['i-abcd1111', { Name: 'web' }]]));

    const reports = await recordState(stateChange('running'), { instances: ec2, config, log });

    expect(ec2.instances.get('i-abcd1111')).toEqual({ Name: 'web', '${tagKey}': 'running@2021-11-11T21:29:54.000Z' });
    expect(reports).toEqual([
      expect.objectContaining({
        action: 'ec2:CreateTags',
        outcome: 'succeeded',
        targets: [{ id: 'i-abcd1111', arn: 'arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111' }],
      }),
    ]);
  });

  it('changes nothing when the same event is delivered twice', async () => {
    const ec2 = new MemoryTags(new Map([['i-abcd1111', {}]]));

    await recordState(stateChange('stopped'), { instances: ec2, config, log });
    const second = await recordState(stateChange('stopped'), { instances: ec2, config, log });

    expect(ec2.writes).toEqual(['i-abcd1111']);
    expect(second).toEqual([]);
  });

  it('ignores a late event when the tag records a later change, and says why', async () => {
    const ec2 = new MemoryTags(new Map([['i-abcd1111', { '${tagKey}': 'stopped@2021-11-11T22:00:00.000Z' }]]));

    expect(await recordState(stateChange('running'), { instances: ec2, config, log })).toEqual([]);
    expect(ec2.writes).toEqual([]);
    expect(messages).toEqual(['not tagging i-abcd1111: ${tagKey} records the change at 2021-11-11T22:00:00.000Z (or a later one) already']);
  });

  it('reports a dry-run write as dry-run', async () => {
    const ec2 = new MemoryTags(new Map([['i-abcd1111', {}]]), 'dry-run');

    const reports = await recordState(stateChange('running'), { instances: ec2, config, log });

    expect(reports.map((r) => r.outcome)).toEqual(['dry-run']);
    expect(ec2.instances.get('i-abcd1111')).toEqual({});
  });

  it('ignores an instance that no longer exists', async () => {
    const ec2 = new MemoryTags(new Map());

    expect(await recordState(stateChange('running'), { instances: ec2, config, log })).toEqual([]);
    expect(messages).toEqual(['not tagging i-abcd1111: the instance no longer exists']);
  });
});
`,
  };
}

/** Writes `files` into the new folder `dir`; nothing is left of it when a write fails. */
function writePackage(dir: string, files: Record<string, string>): void {
  mkdirSync(dir); // fails if it appeared since the check: never writes into an existing folder
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The dependencies of a package.json, by kind, as pnpm's lockfile lists them. */
type Dependencies = Partial<Record<'dependencies' | 'devDependencies', Readonly<Record<string, string>>>>;

/**
 * The workspace lockfile (pnpm-lock.yaml, format 9) with an importer for the package at `importer`, each of
 * its dependencies resolved as another importer of `functions/` resolves the same specifier — what
 * `pnpm install` would write. An offline install cannot resolve a new importer's registry dependencies
 * without the registry's metadata (which pnpm does not keep for packages installed from a lockfile); with
 * the importer in the lockfile it only links what the store holds. Undefined when the lockfile has the
 * importer already, or a dependency has no such twin.
 */
export function lockfileWithImporter(lock: string, importer: string, pkg: Dependencies): string | undefined {
  const lines = lock.split('\n');
  const start = lines.indexOf('importers:');
  if (start < 0) return undefined;
  const end = lines.findIndex((line, i) => i > start && /^\S/.test(line));
  const stop = end < 0 ? lines.length : end;
  // (dependency, specifier) → its three lines in an importer of functions/, which links packages as this one will.
  const twins = new Map<string, string[]>();
  const keys: { line: number; key: string }[] = [];
  let current = '';
  for (let i = start + 1; i < stop; i++) {
    const key = /^  (\S.*):( \{\})?$/.exec(lines[i]!);
    if (key) {
      current = key[1]!.replace(/^'(.*)'$/, '$1');
      keys.push({ line: i, key: current });
      continue;
    }
    const dependency = /^      (\S.*):$/.exec(lines[i]!);
    const specifier = /^        specifier: (.*)$/.exec(lines[i + 1] ?? '');
    const version = /^        version: (.*)$/.exec(lines[i + 2] ?? '');
    if (dependency && specifier && version && current.startsWith('functions/')) {
      twins.set(`${dependency[1]!.replace(/^'(.*)'$/, '$1')}\0${specifier[1]!.replace(/^'(.*)'$/, '$1')}`, lines.slice(i, i + 3));
    }
  }
  if (keys.some((k) => k.key === importer)) return undefined;
  const block = [`  ${importer}:`];
  for (const kind of ['dependencies', 'devDependencies'] as const) {
    const entries = Object.entries(pkg[kind] ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (entries.length === 0) continue;
    block.push(`    ${kind}:`);
    for (const [name, spec] of entries) {
      const twin = twins.get(`${name}\0${spec}`);
      if (!twin) return undefined;
      block.push(...twin);
    }
  }
  const next = keys.find((k) => k.key > importer);
  const at = next ? next.line : stop;
  return [...lines.slice(0, at), ...block, '', ...lines.slice(at)].join('\n');
}

/** Runs pnpm in the workspace; resolves to why it failed (its error line), or undefined. */
function pnpm(root: string, args: readonly string[]): string | undefined {
  const run = spawnSync('pnpm', args, { cwd: root, encoding: 'utf8', timeout: 300_000 });
  if (run.error) return run.error.message;
  if (run.status === 0) return undefined;
  const lines = `${run.stderr}\n${run.stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /ERR_PNPM|ERROR/.test(l)) ?? lines.at(-1) ?? `exit ${run.status}`;
}

/**
 * Links functions/<name> into the workspace offline: its importer written into the lockfile as the other
 * reflexes resolve the same dependencies, then `pnpm install --offline --frozen-lockfile`; else (or when
 * that fails, the lockfile put back) a plain `pnpm install --offline`. Resolves to why it failed, or undefined.
 */
function linkIntoWorkspace(root: string, name: string, pkg: Dependencies): string | undefined {
  const file = join(root, 'pnpm-lock.yaml');
  const lock = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  const locked = lock === undefined ? undefined : lockfileWithImporter(lock, `functions/${name}`, pkg);
  if (lock !== undefined && locked !== undefined) {
    writeFileSync(file, locked);
    if (pnpm(root, ['install', '--offline', '--frozen-lockfile']) === undefined) return undefined;
    writeFileSync(file, lock);
  }
  return pnpm(root, ['install', '--offline']);
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { 'no-install': { type: 'boolean', default: false } });
  if (positionals.length === 0) throw new UsageError('name the reflex: reflex new <name>', true);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`, true);
  const name = positionals[0]!;
  const root = repoRoot();
  const problem = nameProblem(root, name);
  if (problem) throw new UsageError(problem);

  const dir = join(root, 'functions', name);
  const files = scaffold(name, versions().ec2);
  const pkg = JSON.parse(files['package.json']!) as Dependencies;
  writePackage(dir, files);
  const shape = functionShapeProblems(dir);
  if (shape.length > 0) throw new Error(`the scaffold of functions/${name} is not in the function shape: ${shape.join('; ')}`);

  out(`created functions/${name} (@reflex/${name}): records each EC2 instance's latest state change in a tag`);
  for (const path of Object.keys(files)) out(`  ${path}`);
  if (values['no-install']) {
    out(`\nnot linked: run \`pnpm install --offline\` before its tests`);
  } else {
    const failed = linkIntoWorkspace(root, name, pkg);
    if (failed) {
      process.stderr.write(`reflex new: created functions/${name}, but \`pnpm install --offline\` failed: ${failed}; run \`pnpm install\` to link it\n`);
      return EXIT.failed;
    }
    out('linked into the workspace (pnpm install --offline)');
  }
  out(`
next:
  1. cd functions/${name} && pnpm test: its manifest and core tests pass as scaffolded
  2. make it yours: the trigger (src/manifest.ts), the decisions (src/core.ts), the AWS calls (src/adapters/)
  3. enable it in stacks/src/envs/<env>.ts: reflexes: { '${name}': { enabled: true, config: {} } }
  4. pnpm reflex graph into README.md's diagram (a test compares them), then pnpm synth`);
  return EXIT.ok;
}

export const newCommand: Command = {
  name: 'new',
  summary: 'scaffold a reflex package in functions/<name>, in the one function shape',
  help: HELP,
  run,
};

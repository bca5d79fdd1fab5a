// The `reflex` CLI, run as a child process from the repository root, as `pnpm reflex …` runs it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { instanceStates, launchInstances, type LocalAws, localClientConfig } from '@reflex/local-aws';
import { repoRoot } from '@reflex/manifest';
import { type Run, reflexInProcess } from './reflex-cli';
import { useMoto } from '@reflex/local-aws/testing';

const root = repoRoot();

/** Runs `reflex <args>` and resolves with its exit code and output (a non-zero exit is not an error here). */
const reflex = (...args: string[]): Promise<Run> => reflexInProcess(args, {}, 30_000);

const fixture = (path: string): Record<string, any> =>
  JSON.parse(readFileSync(join(root, 'packages', 'events', 'fixtures', path), 'utf8'));

let dir: string;
const write = (name: string, content: unknown): string => {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reflex-cli-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('reflex match', () => {
  it('names instance-guard and the IPAM enricher for an EC2 state change to "stopped" and exits 0', async () => {
    const event = structuredClone(fixture('ec2/instance-state-change.json'));
    event.detail.state = 'stopped';

    const run = await reflex('match', write('stopped.json', event));

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/matches 2 reflexes/);
    expect(run.stdout).toMatch(/^\s+instance-guard\s+trigger 0/m);
    expect(run.stdout).toMatch(/^\s+ipam-enricher\s+trigger 0/m);
  });

  it('names no reflex for a failed StopInstances CloudTrail call, explains the miss and exits 1', async () => {
    const event = structuredClone(fixture('cloudtrail/stop-instances.json'));
    event.detail.errorCode = 'Client.UnauthorizedOperation';

    const run = await reflex('match', write('stop-failed.json', event));

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('matches no reflex');
    expect(run.stdout).toMatch(/closest misses:\n\s+instance-guard/);
    expect(run.stdout).toMatch(/^\s+detail\.errorCode: expected \[\{"exists":false\}\], got "Client\.UnauthorizedOperation"/m);
  });

  it('prints the result as JSON with --json', async () => {
    const event = structuredClone(fixture('ec2/instance-state-change.json'));
    event.detail.state = 'stopped';

    const run = await reflex('match', write('stopped-json.json', event), '--json');

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      matched: true,
      matches: [
        { reflex: 'instance-guard', trigger: 0 },
        { reflex: 'ipam-enricher', trigger: 0 },
      ],
      misses: [
        { reflex: 'ip-blocker', trigger: 1 },
        { reflex: 'route-failover', trigger: 1 },
        { reflex: 'auto-heal', trigger: 1 },
        { reflex: 'resource-tagger', trigger: 0 },
      ],
    });
  });

  it('exits 2 naming the file when it does not exist', async () => {
    const run = await reflex('match', 'no-such-event.json');

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('reflex match: cannot read no-such-event.json: no such file');
  });

  it('exits 2 naming the file when it is not JSON', async () => {
    const file = write('not-json.json', '{"source": "aws.ec2",');

    const run = await reflex('match', file);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`reflex match: ${file} is not JSON: `);
  });
});

describe('reflex match, many events', () => {
  /** The documentation's samples, as a day of traffic might hold them: state changes, API calls, a finding. */
  const traffic = () => {
    const events: Record<string, any>[] = [];
    for (const state of ['stopped', 'running', 'pending', 'stopped', 'stopping', 'terminated']) {
      const event = structuredClone(fixture('ec2/instance-state-change.json'));
      event.detail.state = state;
      events.push(event);
    }
    const failedStop = structuredClone(fixture('cloudtrail/stop-instances.json'));
    failedStop.detail.errorCode = 'Client.UnauthorizedOperation';
    events.push(fixture('cloudtrail/stop-instances.json'), failedStop, fixture('cloudtrail/create-subnet.json'), fixture('guardduty/finding.json'));
    return events;
  };

  it('counts, from JSON Lines, the events that reach each reflex and each trigger, and those that reach none', async () => {
    const file = write('traffic.jsonl', `${traffic().map((e) => JSON.stringify(e)).join('\n')}\n`);

    const run = await reflex('match', file);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('10 events: 4 reflexes of the 6 with event rules reached');
    expect(run.stdout).toMatch(/^\s+instance-guard\s+3 events \(trigger 0: 2, trigger 1: 1\)$/m);
    expect(run.stdout).toMatch(/^\s+ip-blocker\s+1 event \(trigger 0: 1, trigger 1: 0\)$/m);
    expect(run.stdout).toMatch(/^\s+ipam-enricher\s+6 events$/m);
    expect(run.stdout).toMatch(/^\s+resource-tagger\s+1 event$/m);
    expect(run.stdout).toMatch(/^\s+route-failover\s+0 events \(trigger 0: 0, trigger 1: 0\)$/m);
    expect(run.stdout).toMatch(/^\s+auto-heal\s+0 events \(trigger 0: 0, trigger 1: 0\)$/m);
    expect(run.stdout).toContain('1 event reaches no reflex');
  });

  it('reads a JSON array too, and prints the counts as JSON with --json', async () => {
    const run = await reflex('match', write('traffic.json', traffic()), '--json');

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      events: 10,
      reflexes: [
        { reflex: 'auto-heal', events: 0, triggers: { 0: 0, 1: 0 } },
        { reflex: 'instance-guard', events: 3, triggers: { 0: 2, 1: 1 } },
        { reflex: 'ip-blocker', events: 1, triggers: { 0: 1, 1: 0 } },
        { reflex: 'ipam-enricher', events: 6, triggers: { 0: 6 } },
        { reflex: 'resource-tagger', events: 1, triggers: { 0: 1 } },
        { reflex: 'route-failover', events: 0, triggers: { 0: 0, 1: 0 } },
      ],
      unmatched: 1,
    });
  });

  it('exits 1 when no event of many reaches a reflex', async () => {
    // Scheduled events reach reflexes through their own schedule rules, never through event patterns.
    const scheduled = JSON.stringify(fixture('scheduled/scheduled-event.json'));
    const run = await reflex('match', write('scheduled.jsonl', `${scheduled}\n${scheduled}\n`));

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('2 events reach no reflex');
  });

  it('reads a pretty-printed event with a typo as one event, not as JSON Lines: the error is the whole text\'s', async () => {
    const file = write('typo.json', '{\n  "source": "aws.ec2",\n  "detail": {},\n}\n');

    const run = await reflex('match', file);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`reflex match: ${file} is not JSON: `);
    expect(run.stderr).not.toContain('line 1');
  });

  it('exits 2 naming the line of JSON Lines that is not JSON, or not an event', async () => {
    const good = JSON.stringify(fixture('ec2/instance-state-change.json'));
    const notJson = write('broken.jsonl', `${good}\n${good}\n{"source": "aws.ec2",\n`);
    const notEvent = write('array-line.jsonl', `${good}\n[1, 2]\n`);

    const [broken, array] = await Promise.all([reflex('match', notJson), reflex('match', notEvent)]);

    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`reflex match: ${notJson} line 3 is not JSON: `);
    expect(array.code).toBe(2);
    expect(array.stderr).toContain(`reflex match: ${notEvent} line 2 is not an EventBridge event: expected a JSON object, got an array`);
  });
});

describe('reflex invoke', () => {
  it('exits 2 for an unknown reflex, listing the known ones', async () => {
    const run = await reflex('invoke', 'no-such-reflex', write('any.json', fixture('ec2/instance-state-change.json')));

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown reflex "no-such-reflex" (known: auto-heal, instance-guard, instance-scheduler, ip-blocker, ipam-enricher, ipam-reconciler, ipam-sync, reaper, resource-tagger, route-api, route-failover)');
  });

  it('exits 2 for a reflex that answers HTTP requests, naming the command that calls it', async () => {
    const run = await reflex('invoke', 'route-api', write('any.json', fixture('ec2/instance-state-change.json')));

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('route-api answers signed HTTP requests, not events: call it with `reflex routes get|put|delete`');
  });
});

describe('reflex invoke against moto', () => {
  let aws: LocalAws;
  let ec2: EC2Client;

  useMoto(async (started) => {
    aws = started;
    ec2 = new EC2Client(localClientConfig(aws.endpoint));
    return ec2;
  });

  /** A protected instance, stopped, and the state-change event AWS would send for it, in a file. */
  const stoppedProtectedInstance = async (): Promise<{ id: string; file: string }> => {
    const [id] = (await launchInstances(ec2, [{ 'reflex:protect': 'true' }])) as [string];
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    const event = structuredClone(fixture('ec2/instance-state-change.json'));
    event.detail = { 'instance-id': id, state: 'stopped' };
    event.resources = [`arn:aws:ec2:us-east-1:123456789012:instance/${id}`];
    return { id, file: write(`stopped-${id}.json`, event) };
  };

  it('starts a protected stopped instance, prints the ec2:StartInstances action and exits 0', async () => {
    const { id, file } = await stoppedProtectedInstance();

    const run = await reflex('invoke', 'instance-guard', file, '--endpoint', aws.endpoint);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`action\\s+ec2:StartInstances ${id} → succeeded`));
    expect(run.stdout).toContain('record succeeded');
    expect((await instanceStates(ec2, [id])).get(id)).toBe('running');
  }, 30_000);

  it('with --dry-run prints a dry-run action and leaves the instance stopped', async () => {
    const { id, file } = await stoppedProtectedInstance();

    const run = await reflex('invoke', 'instance-guard', file, '--endpoint', aws.endpoint, '--dry-run');

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`action\\s+ec2:StartInstances ${id} → dry-run`));
    expect((await instanceStates(ec2, [id])).get(id)).toBe('stopped');
  }, 30_000);

  it('exits 1 with the logged reason when the record is not the event the reflex expects', async () => {
    const event = structuredClone(fixture('ec2/instance-state-change.json'));
    delete event.detail['instance-id'];

    const run = await reflex('invoke', 'instance-guard', write('no-instance-id.json', event), '--endpoint', aws.endpoint, '--json');

    expect(run.code).toBe(1);
    // The built bundle names the field in English (zod/mini's locale is a side effect the bundler must keep).
    expect(JSON.parse(run.stdout)).toMatchObject({
      failed: true,
      actions: [],
      reason: expect.stringContaining('MalformedEventError: malformed event: detail.instance-id: required (expected string)'),
    });
  }, 30_000);
});

describe('reflex graph', () => {
  it('draws the instance guard path: default bus → forwarding rule → reflex bus → rule → queue (DLQ) → function', async () => {
    const run = await reflex('graph');

    expect(run.code).toBe(0);
    expect(run.stdout.startsWith('flowchart LR\n')).toBe(true);
    for (const edge of [
      'defaultBus --> forward_ec2 --> reflexBus',
      'reflexBus --> rule_instance_guard_0 --> queue_instance_guard',
      'queue_instance_guard -->|"after 3 receives"| dlq_instance_guard',
      'queue_instance_guard -->|"batch 10, ReportBatchItemFailures"| fn_instance_guard',
      'fn_instance_guard -->|"Reflex Action"| reflexBus',
      'reflexBus --> actionsRule --> auditQueue',
    ]) {
      expect(run.stdout).toContain(edge);
    }
    expect(run.stdout).toMatch(/rule_instance_guard_0\{\{"rule instance-guard-0<br\/>source: aws\.ec2<br\/>detail-type: EC2 Instance State-change Notification<br\/>state: stopped"\}\}/);
  });
});

describe('help and usage', () => {
  it('prints the commands with --help and exits 0', async () => {
    const run = await reflex('--help');

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\s+match\s/m);
    expect(run.stdout).toMatch(/^\s+invoke\s/m);
    expect(run.stdout).toMatch(/^\s+graph\s/m);
  });

  it.each([
    ['match', 'reflex match <event.json|events.jsonl|->'],
    ['invoke', 'reflex invoke <reflex> <event.json|->'],
    ['graph', 'reflex graph'],
  ])('prints the usage of %s with --help and exits 0', async (command, usage) => {
    const run = await reflex(command, '--help');

    expect(run.code).toBe(0);
    expect(run.stdout.startsWith(usage)).toBe(true);
  });

  it('exits 2 with the usage for an unknown command', async () => {
    const run = await reflex('frobnicate');

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('reflex: unknown command "frobnicate"');
    expect(run.stderr).toContain('reflex <command> [options]');
  });
});

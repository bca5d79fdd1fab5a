// The CLI's errors: one line on stderr (`reflex <command>: <message> ← <cause> ← …`), exit code 2 for usage
// and input errors and 1 for failures at run time; the stack only with --debug or REFLEX_DEBUG=1.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INVALID_PATTERN_MANIFEST } from '@reflex/manifest/testing';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { repoRoot } from '@reflex/manifest';
import { type Run, reflexCli, tempCheckout } from './reflex-cli';

jest.setTimeout(60_000);

const root = repoRoot();
const dir = mkdtempSync(join(tmpdir(), 'reflex-cli-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const reflex = (...args: string[]) => reflexCli(args);
/** Nothing listens on port 1 of the loopback: connections are refused at once. */
const REFUSING = 'http://127.0.0.1:1';

const fixture = (path: string): Record<string, any> =>
  JSON.parse(readFileSync(join(root, 'packages', 'events', 'fixtures', path), 'utf8'));
const write = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

/** The EC2 sample state change for a stopped instance (the guard calls DescribeInstances for it). */
const stoppedEvent = () => {
  const event = structuredClone(fixture('ec2/instance-state-change.json'));
  event.detail.state = 'stopped';
  return event;
};

/** The stopped-instance event with `detail.deep` holding objects nested `levels` deep, as JSON text. */
const deepEvent = (levels: number) =>
  JSON.stringify({ ...stoppedEvent(), detail: { ...stoppedEvent().detail, deep: '@' } }).replace('"@"', `${'{"a":'.repeat(levels)}{}${'}'.repeat(levels)}`);

/** The run ended with exactly one line on stderr, and it matches. */
function expectOneLine(run: Run, line: RegExp | string): void {
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  if (typeof line === 'string') expect(lines[0]).toBe(line);
  else expect(lines[0]).toMatch(line);
}

describe('invalid CIDRs for reflex ipam show', () => {
  // The store is a server that refuses connections: the CIDR must be refused before it is opened.
  const show = (query: string) => reflexCli(['ipam', 'show', query], { DATABASE_URL: 'postgres://127.0.0.1:1/ipam' });

  it.each([
    ['10.0.0.0/33', 'reflex ipam: "10.0.0.0/33" is no CIDR: the prefix length of an IPv4 block is 0 to 32, got "33"'],
    ['10.0.0.0/abc', 'reflex ipam: "10.0.0.0/abc" is no CIDR: the prefix length of an IPv4 block is 0 to 32, got "abc"'],
    ['2001:db8::/129', 'reflex ipam: "2001:db8::/129" is no CIDR: the prefix length of an IPv6 block is 0 to 128, got "129"'],
    ['300.1.1.1', 'reflex ipam: "300.1.1.1" is no IP address, CIDR or instance id'],
    ['300.1.1.1/24', 'reflex ipam: "300.1.1.1/24" is no CIDR: "300.1.1.1" is no IPv4 or IPv6 address'],
  ])('refuses %s in one line with exit code 2, before opening the store', async (query, line) => {
    const run = await show(query);

    expect(run.code).toBe(2);
    expectOneLine(run, line);
  });
});

describe('an unreachable database', () => {
  it('names the database without its password and ECONNREFUSED, in one line, exit code 1', async () => {
    const run = await reflexCli(['ipam', 'subnets'], { DATABASE_URL: 'postgres://reflex:s3cret@127.0.0.1:1/x' });

    expect(run.code).toBe(1);
    expectOneLine(run, 'reflex ipam: cannot reach PostgreSQL at postgres://reflex:***@127.0.0.1:1/x ← connect ECONNREFUSED 127.0.0.1:1');
  });

  it('names a host that does not resolve (ENOTFOUND; EAI_AGAIN without DNS)', async () => {
    const run = await reflexCli(['ipam', 'subnets'], { DATABASE_URL: 'postgres://no-such-host.invalid/x' });

    expect(run.code).toBe(1);
    expectOneLine(run, /^reflex ipam: cannot reach PostgreSQL at postgres:\/\/no-such-host\.invalid\/x ← getaddrinfo (ENOTFOUND|EAI_AGAIN) no-such-host\.invalid$/);
  });
});

describe('an unreachable --endpoint', () => {
  const unreachable = /^reflex (schedule|tags|ipam): cannot reach the AWS API at http:\/\/127\.0\.0\.1:1 \(--endpoint\) ← .*ECONNREFUSED/;

  it.each([
    [['schedule', 'preview']],
    [['tags', 'audit']],
    [['ipam', 'reconcile']],
  ])('%j names the endpoint and ECONNREFUSED in one line, exit code 1', async (args) => {
    const run = await reflexCli([...args, '--endpoint', REFUSING], { IPAM_DATA_DIR: join(dir, 'ipam') });

    expect(run.code).toBe(1);
    expectOneLine(run, unreachable);
  });

  it('tags audit keeps the cause of its listing failure', async () => {
    const run = await reflex('tags', 'audit', '--endpoint', REFUSING);

    expect(run.stderr).toContain('listing VPCs failed ← connect ECONNREFUSED 127.0.0.1:1');
  });

  it('invoke fails the record naming the endpoint and ECONNREFUSED, exit code 1', async () => {
    const run = await reflex('invoke', 'instance-guard', write('stopped.json', JSON.stringify(stoppedEvent())), '--endpoint', REFUSING);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^record failed: cannot reach the AWS API at http:\/\/127\.0\.0\.1:1 \(--endpoint\) ← .*ECONNREFUSED.*$/m);
    expect(run.stderr).toBe('');
  });
});

describe('events nested 10,000 deep', () => {
  it.each([
    ['match', (file: string) => ['match', file]],
    ['invoke', (file: string) => ['invoke', 'instance-guard', file, '--endpoint', REFUSING]],
  ])('%s refuses them as an input error in one line, exit code 2', async (command, args) => {
    const file = write(`deep-${command}.json`, deepEvent(10_000));

    const run = await reflexCli(args(file));

    expect(run.code).toBe(2);
    expectOneLine(run, `reflex ${command}: ${file} is not an EventBridge event: the event is nested deeper than 1000 levels (at detail.deep.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a…)`);
  });
});

describe('an invalid event pattern in a manifest', () => {

  it('is one line naming the reflex and the pattern path, exit code 2', async () => {
    const checkout = tempCheckout(mkdtempSync(join(dir, 'bad-manifest-')), { bad: INVALID_PATTERN_MANIFEST });

    const run = await reflexCli(['match', write('any.json', JSON.stringify(stoppedEvent()))], {}, 60_000, checkout);

    expect(run.code).toBe(2);
    expectOneLine(run, 'reflex match: reflex "bad": triggers.0.pattern.detail.state: match values must be in an array, e.g. ["stopped"]');
  });
});

describe('an event the reflex cannot parse', () => {
  it('invoke names the field it misses: detail', async () => {
    const event = stoppedEvent();
    delete event.detail;

    // The record fails on parsing, before any AWS call: the endpoint is never asked.
    const run = await reflex('invoke', 'instance-guard', write('no-detail.json', JSON.stringify(event)), '--endpoint', REFUSING);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('record failed: MalformedEventError: malformed event: detail: required (expected object)');
  });
});

describe('--debug and REFLEX_DEBUG', () => {
  const refused = ['ipam', 'subnets'];
  const env = { DATABASE_URL: 'postgres://127.0.0.1:1/x' };

  it('prints only the one line without them', async () => {
    expectOneLine(await reflexCli(refused, env), /^reflex ipam: cannot reach PostgreSQL/);
  });

  it.each([
    ['--debug after the command', [...refused, '--debug'], {}],
    ['--debug before the command', ['--debug', ...refused], {}],
    ['REFLEX_DEBUG=1', refused, { REFLEX_DEBUG: '1' }],
  ])('with %s, adds the stack and the causes after the line, with the same exit code', async (_case, args, debug) => {
    const run = await reflexCli(args, { ...env, ...debug });

    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe('reflex ipam: cannot reach PostgreSQL at postgres://127.0.0.1:1/x ← connect ECONNREFUSED 127.0.0.1:1');
    expect(run.stderr).toMatch(/\n\s+at /);
    expect(run.stderr).toContain('[cause]:');
  });
});

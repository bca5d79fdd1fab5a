import { describe, expect, it } from '@jest/globals';
import * as z from '@reflex/events/zod';
import { describeError, describeIssues } from './describe';

describe('describeIssues', () => {
  const Schema = z.object({ protectTag: z.object({ key: z.string(), value: z.string() }) });

  it('names each failing field by its dotted path', () => {
    const error = Schema.safeParse({ protectTag: { key: 1, value: 'true' } }).error!;

    expect(describeIssues(error)).toMatch(/^protectTag\.key: \S/);
  });

  it('puts the prefix in front of the path', () => {
    const error = Schema.safeParse({ protectTag: { key: 1, value: 'true' } }).error!;

    expect(describeIssues(error, 'config')).toMatch(/^config\.protectTag\.key: \S/);
  });

  it('joins several issues with semicolons', () => {
    const error = Schema.safeParse({ protectTag: { key: 1, value: 2 } }).error!;

    expect(describeIssues(error).split('; ').map((part) => part.split(':')[0])).toEqual(['protectTag.key', 'protectTag.value']);
  });

  it('calls an issue on the value itself (root)', () => {
    const error = z.string().safeParse(1).error!;

    expect(describeIssues(error)).toMatch(/^\(root\): \S/);
  });

  it('calls a missing field required', () => {
    const error = Schema.safeParse({}).error!;

    expect(describeIssues(error)).toBe('protectTag: required (expected object)');
  });

  it('reports the closest branch of a union that matches none, with its paths', () => {
    const Event = (source: string) => z.object({ source: z.literal(source), detail: z.object({ id: z.string() }) });
    const error = z.union([Event('aws.ec2'), Event('aws.s3')]).safeParse({ source: 'aws.ec2' }).error!;

    expect(describeIssues(error)).toBe('detail: required (expected object)');
  });
});


describe('describeError', () => {
  const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });

  it('chains the causes after the message, each with its error name', () => {
    const error = new Error('listing VPCs failed', { cause: new TypeError('fetch failed', { cause: refused('127.0.0.1:1') }) });

    expect(describeError(error)).toBe('Error: listing VPCs failed ← TypeError: fetch failed ← Error: connect ECONNREFUSED 127.0.0.1:1');
  });

  it('leaves the names out with names: false', () => {
    const error = new Error('listing VPCs failed', { cause: refused('127.0.0.1:1') });

    expect(describeError(error, { names: false })).toBe('listing VPCs failed ← connect ECONNREFUSED 127.0.0.1:1');
  });

  it("lists an AggregateError's errors, and its code when its message is empty", () => {
    const both = Object.assign(new AggregateError([refused('::1:1'), refused('127.0.0.1:1')], ''), { code: 'ECONNREFUSED' });
    const error = new TypeError('fetch failed', { cause: both });

    expect(describeError(error, { names: false })).toBe('fetch failed ← connect ECONNREFUSED ::1:1; connect ECONNREFUSED 127.0.0.1:1');
  });

  it('adds the error code when the message lacks it', () => {
    const error = Object.assign(new Error('connection lost'), { code: 'ECONNRESET' });

    expect(describeError(error, { names: false })).toBe('connection lost (ECONNRESET)');
  });

  it("writes a ZodError as its issues by path, once when its wrapper quotes them", () => {
    const issues = z.object({ detail: z.object({}) }).safeParse({}).error!;
    const error = new Error(`malformed event: ${describeIssues(issues)}`, { cause: issues });

    expect(describeError(error, { names: false })).toBe('malformed event: detail: required (expected object)');
    expect(describeError(issues)).toBe('ZodError: detail: required (expected object)');
  });

  it('leaves out a cause whose substance, after its label, the wrapper already says', () => {
    const cause = new Error('invalid event pattern at detail.state: match values must be in an array');
    const error = new Error('reflex "bad": triggers.0.pattern.detail.state: match values must be in an array', { cause });

    expect(describeError(error, { names: false })).toBe('reflex "bad": triggers.0.pattern.detail.state: match values must be in an array');
  });

  it('writes a multi-line message on one line', () => {
    expect(describeError(new Error('first\n  second'), { names: false })).toBe('first second');
  });

  it('writes a thrown value that is not an Error, and a cause that is not one, as strings', () => {
    expect(describeError(42)).toBe('42');
    expect(describeError(new Error('record failed', { cause: 'throttled' }))).toBe('Error: record failed ← throttled');
  });

  it('stops at an error it has described already when causes form a cycle', () => {
    const error = new Error('loop');
    error.cause = error;

    expect(describeError(error)).toBe('Error: loop');
  });
});

import { describe, expect, it } from '@jest/globals';
import * as z from '@reflex/events/zod';
import { describeIssues, eventPatterns, permissionsOf } from '@reflex/manifest';
import { manifest, ReconcilerConfigSchema } from './manifest';

const problem = (input: unknown) => {
  const parsed = z.safeParse(ReconcilerConfigSchema, input);
  return parsed.success ? 'valid' : describeIssues(parsed.error);
};

describe('ipam-reconciler trigger', () => {
  it('runs on a schedule, not on events', () => {
    expect(manifest.triggers).toEqual([expect.objectContaining({ kind: 'schedule', expression: expect.stringMatching(/^(rate|cron)\(/) })]);
    expect(eventPatterns(manifest)).toEqual([]);
  });

  it('takes one run per invocation, with the time to list a large account', () => {
    expect(manifest.batchSize).toBe(1);
    expect(manifest.timeoutSeconds).toBeGreaterThanOrEqual(300);
  });
});

describe('ipam-reconciler permissions', () => {
  const statements = permissionsOf(manifest, ReconcilerConfigSchema.parse({ databaseUrl: 'postgres://ipam@db.internal:5432/ipam' }));

  it('may list what the snapshot needs: instances, subnets and VPCs', () => {
    expect(statements.flatMap((s) => s.actions)).toEqual(expect.arrayContaining(['ec2:DescribeInstances', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs']));
  });

  it('only describes: it never changes EC2', () => {
    expect(statements.flatMap((s) => s.actions).filter((a) => !a.startsWith('ec2:Describe'))).toEqual([]);
  });

  it('asks for the same permissions whether or not the function has a database URL', () => {
    expect(permissionsOf(manifest, ReconcilerConfigSchema.parse({}))).toEqual(statements);
  });
});

describe('ipam-reconciler config', () => {
  it('needs no database URL by default: an environment may leave the runs to `reflex ipam worker`', () => {
    expect(ReconcilerConfigSchema.parse({})).toEqual({});
  });

  it('names the field when the database URL is not a PostgreSQL one', () => {
    expect(problem({ databaseUrl: 'mysql://ipam@db.internal/ipam' })).toBe('databaseUrl: a postgres:// URL');
  });
});

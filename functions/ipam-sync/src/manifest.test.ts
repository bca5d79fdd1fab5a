import { describe, expect, it } from '@jest/globals';
import * as z from '@reflex/events/zod';
import { describeIssues, eventPatterns, permissionsOf } from '@reflex/manifest';
import { manifest, SyncConfigSchema } from './manifest';

const problem = (input: unknown) => {
  const parsed = z.safeParse(SyncConfigSchema, input);
  return parsed.success ? 'valid' : describeIssues(parsed.error);
};

describe('ipam-sync trigger', () => {
  it('is fed by its own queue alone: no rule, no schedule', () => {
    expect(manifest.triggers).toEqual([expect.objectContaining({ kind: 'queue' })]);
    expect(eventPatterns(manifest)).toEqual([]);
  });

  it('takes batches of 100 and keeps a message for a day, five receives before the dead-letter queue', () => {
    expect(manifest).toMatchObject({ batchSize: 100, retentionSeconds: 24 * 3600, maxReceiveCount: 5 });
  });
});

describe('ipam-sync permissions', () => {
  it('asks for no AWS permission beyond its queue (which the stacks grant), with or without a database URL', () => {
    expect(permissionsOf(manifest, SyncConfigSchema.parse({}))).toEqual([]);
    expect(permissionsOf(manifest, SyncConfigSchema.parse({ databaseUrl: 'postgres://ipam@db.internal:5432/ipam' }))).toEqual([]);
  });
});

describe('ipam-sync config', () => {
  it('needs no database URL by default: an environment may leave the queue to `reflex ipam worker`', () => {
    expect(SyncConfigSchema.parse({})).toEqual({});
  });

  it('takes a postgres:// or postgresql:// URL', () => {
    expect(problem({ databaseUrl: 'postgresql://ipam:secret@db.internal/ipam' })).toBe('valid');
  });

  it('names the field when the database URL is not a PostgreSQL one', () => {
    expect(problem({ databaseUrl: 'mysql://ipam@db.internal/ipam' })).toBe('databaseUrl: a postgres:// URL');
  });
});

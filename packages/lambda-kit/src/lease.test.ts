import { describe, expect, it } from '@jest/globals';
import { LeaseBusyError, type LeasePort, withLease } from './lease';

class MemoryLeases implements LeasePort {
  readonly held = new Map<string, { holder: string; until: number }>();
  async lease(key: string, holder: string, until: Date, now: Date): Promise<boolean> {
    const current = this.held.get(key);
    if (current && current.holder !== holder && current.until >= now.getTime()) return false;
    this.held.set(key, { holder, until: until.getTime() });
    return true;
  }
  async release(key: string, holder: string): Promise<void> {
    if (this.held.get(key)?.holder === holder) this.held.delete(key);
  }
}

const options = { holder: 'me', now: () => new Date('2025-01-01T00:00:00Z') };

describe('withLease', () => {
  it('runs the work holding the lease and releases it after', async () => {
    const leases = new MemoryLeases();

    const seen = await withLease(leases, 'acl-a', options, async () => leases.held.get('acl-a')?.holder);

    expect(seen).toBe('me');
    expect(leases.held.has('acl-a')).toBe(false);
  });

  it('releases the lease when the work fails', async () => {
    const leases = new MemoryLeases();

    await expect(withLease(leases, 'acl-a', options, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');

    expect(leases.held.has('acl-a')).toBe(false);
  });

  it('throws the given busy error when another holder keeps the lease past the wait', async () => {
    class NaclBusyError extends Error {}
    const leases = new MemoryLeases();
    leases.held.set('acl-a', { holder: 'other', until: Date.parse('2025-01-01T00:01:00Z') });

    const run = withLease(leases, 'acl-a', { ...options, waitMs: 0, busy: NaclBusyError }, async () => 'done');

    await expect(run).rejects.toThrow(new NaclBusyError('acl-a: another writer holds its lease; retrying later'));
    await expect(withLease(leases, 'acl-a', { ...options, waitMs: 0 }, async () => 'done')).rejects.toBeInstanceOf(LeaseBusyError);
    expect(leases.held.get('acl-a')?.holder).toBe('other');
  });
});

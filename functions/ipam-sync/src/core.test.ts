import { describe, expect, it } from '@jest/globals';
import type { BatchOutcome, QueueRecord } from '@reflex/ipam';
import type { SQSRecord } from 'aws-lambda';
import { syncBatch } from './core';
import type { GoldenRecordsPort } from './ports';
import { running } from './test-message';

const record = (messageId: string, body: string, receiveCount = 1) =>
  ({ messageId, body, attributes: { ApproximateReceiveCount: String(receiveCount) } }) as unknown as SQSRecord;

/** In-memory golden records: keeps what it was given; fails the records named in `refuse`. */
class MemoryRecords implements GoldenRecordsPort {
  readonly batches: QueueRecord[][] = [];
  constructor(private readonly refuse: Record<string, string> = {}) {}
  async apply(records: readonly QueueRecord[]): Promise<BatchOutcome> {
    this.batches.push([...records]);
    return {
      results: records.filter((r) => !this.refuse[r.id]).map((r) => ({ id: r.id, outcome: 'applied' }) as BatchOutcome['results'][number]),
      failures: records.filter((r) => this.refuse[r.id]).map((r) => ({ id: r.id, reason: this.refuse[r.id]! })),
    };
  }
}

describe('syncBatch', () => {
  it('applies the whole batch in one call, with each record\'s id and receive count', async () => {
    const records = new MemoryRecords();
    const body = JSON.stringify(running);

    await syncBatch([record('a', body), record('b', body, 3)], { records });

    expect(records.batches).toEqual([
      [
        { id: 'a', body, receiveCount: 1 },
        { id: 'b', body, receiveCount: 3 },
      ],
    ]);
  });

  it('names only the records the store could not apply, with the reason', async () => {
    const records = new MemoryRecords({ bad: 'not an IPAM instance message: instanceId: not an EC2 instance id' });

    const failures = await syncBatch([record('good', JSON.stringify(running)), record('bad', '{}')], { records });

    expect(failures).toEqual([{ id: 'bad', reason: 'not an IPAM instance message: instanceId: not an EC2 instance id' }]);
  });

  it('fails the whole batch when the store cannot be reached', async () => {
    const records: GoldenRecordsPort = { apply: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) };

    await expect(syncBatch([record('a', JSON.stringify(running))], { records })).rejects.toThrow('ECONNREFUSED');
  });
});

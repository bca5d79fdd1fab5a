import { describe, expect, it } from '@jest/globals';
import type { Db } from '../db';
import { show } from '../queries';
import { applyRecords } from './apply-records';
import { instanceMessage } from '../test-messages';
import { memoryLog } from './test-helpers';
import { backends, useStore } from '../test-store';

const record = (id: string, body: unknown, receiveCount?: number) => ({
  id,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  receiveCount,
});

describe.each(backends())('applyRecords on $name', (backend) => {
  let db: Db;

  useStore(backend, (opened) => (db = opened));

  it('applies every valid record and reports its outcome', async () => {
    const outcome = await applyRecords(db, [record('a', instanceMessage(1)), record('b', instanceMessage(2))]);

    expect(outcome.failures).toEqual([]);
    expect(outcome.results).toEqual([
      expect.objectContaining({ id: 'a', instanceId: instanceMessage(1).instanceId, outcome: 'applied' }),
      expect.objectContaining({ id: 'b', instanceId: instanceMessage(2).instanceId, outcome: 'applied' }),
    ]);
    expect((await show(db, instanceMessage(2).instanceId)).devices).toHaveLength(1);
  });

  it('reports a redelivered record as a duplicate and an older one as stale', async () => {
    await applyRecords(db, [record('new', instanceMessage(1, 60))]);

    const outcome = await applyRecords(db, [record('new', instanceMessage(1, 60)), record('old', instanceMessage(1, 0))]);

    expect(outcome.results.map((r) => [r.id, r.outcome])).toEqual([
      ['new', 'duplicate'],
      ['old', 'stale'],
    ]);
  });

  it('fails a body that is not JSON alone, and applies the others', async () => {
    const outcome = await applyRecords(db, [record('bad', '{"schemaVersion": 1,'), record('good', instanceMessage(1))]);

    expect(outcome.failures).toEqual([{ id: 'bad', reason: expect.stringContaining('body is not JSON') }]);
    expect(outcome.results.map((r) => r.id)).toEqual(['good']);
  });

  it('fails a message that breaks the schema, naming the field', async () => {
    const invalid = instanceMessage(1);
    invalid.interfaces[0]!.privateIps = ['10.0.1.999'];

    const outcome = await applyRecords(db, [record('bad', invalid)]);

    expect(outcome.failures).toEqual([{ id: 'bad', reason: expect.stringContaining('interfaces.0.privateIps.0') }]);
    expect(outcome.results).toEqual([]);
  });

  it('fails a record whose write fails alone, without throwing', async () => {
    // The batch's transaction fails, then the first message's own one: the second message still lands.
    let calls = 0;
    const failing: Db = {
      ...db,
      transaction: (fn) => (calls++ < 2 ? Promise.reject(new Error('connection reset')) : db.transaction(fn)),
    };

    const outcome = await applyRecords(failing, [record('a', instanceMessage(1)), record('b', instanceMessage(2))]);

    expect(outcome.failures).toEqual([{ id: 'a', reason: expect.stringMatching(/^apply failed: cannot apply i-\S+ version \d+ ← connection reset$/) }]);
    expect(outcome.results.map((r) => r.id)).toEqual(['b']);
  });

  it('logs each failure with the message id, receive count and reason', async () => {
    const log = memoryLog();

    await applyRecords(db, [record('bad', 'not json', 3)], { log });

    expect(log.entries).toEqual([
      {
        level: 'warn',
        message: expect.stringContaining('left on the queue'),
        extra: { messageId: 'bad', receiveCount: 3, reason: expect.stringContaining('not JSON') },
      },
    ]);
  });
});

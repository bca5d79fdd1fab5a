import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localClientConfig } from '@reflex/local-aws';
import { useMoto } from '@reflex/local-aws/testing';
import type { Db } from '../db';
import { show } from '../queries';
import { type QueueMessage, type QueueSource, SqsQueueSource } from './queue-source';
import { type BatchStats, IpamWorker, type IpamWorkerOptions } from './worker';
import { backends, useStore } from '../test-store';
import { instanceMessage } from '../test-messages';
import { countingDb, createQueues, memoryLog, memorySource, sendAll, slowDb, throttled, waitFor } from './test-helpers';

jest.setTimeout(60_000);

let sqs: SQSClient;
useMoto((aws) => (sqs = new SQSClient(localClientConfig(aws.endpoint))));

async function queueDepth(url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
}

async function bodiesIn(url: string): Promise<string[]> {
  const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  return (out.Messages ?? []).map((m) => m.Body!).sort();
}

describe('IpamWorker options', () => {
  it('refuses a visibility timeout SQS would reject', () => {
    const create = () => new IpamWorker({ db: {} as Db, source: {} as QueueSource, visibilityTimeoutSeconds: 0 });

    expect(create).toThrow('visibilityTimeoutSeconds must be 1–43200');
  });

  it('refuses a group-commit delay that is not a whole number of milliseconds', () => {
    const create = () => new IpamWorker({ db: {} as Db, source: {} as QueueSource, maxApplyDelayMs: 1.5 });

    expect(create).toThrow('maxApplyDelayMs must be a whole number of milliseconds');
  });
});

describe.each(backends())('IpamWorker on moto SQS and $name', (backend) => {
  let db: Db;
  const started: { worker: IpamWorker; running: Promise<void> }[] = [];

  /** Starts a worker with short polls; stopped after the test if the test does not. */
  function startWorker(options: Partial<IpamWorkerOptions> & { source: QueueSource }) {
    const worker = new IpamWorker({ db, waitSeconds: 1, ...options });
    const running = worker.start();
    started.push({ worker, running });
    return { worker, running };
  }

  async function count(table: string): Promise<number> {
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    return row!.n;
  }

  useStore(backend, (opened) => (db = opened));

  afterEach(async () => {
    for (const { worker, running } of started.splice(0)) {
      await worker.stop({ graceMs: 0 });
      await running;
    }
  });

  it('applies each message and then deletes it', async () => {
    const { url } = await createQueues(sqs);
    await sendAll(sqs, url, Array.from({ length: 25 }, (_, n) => instanceMessage(n)));

    const batches: BatchStats[] = [];

    const { worker } = startWorker({ source: new SqsQueueSource(sqs, url), onBatch: (b) => batches.push(b) });
    await waitFor('25 deletes', () => worker.stats.deleted === 25);
    const report = await worker.stop();

    expect(report).toMatchObject({ received: 25, applied: 25, failed: 0, deleted: 25, released: 0 });
    expect(batches.reduce((sum, b) => sum + b.deleted, 0)).toBe(25);
    expect(await count('devices')).toBe(25);
    expect(await queueDepth(url)).toBe(0);
  });

  it('changes nothing the second time the same message is delivered', async () => {
    const { url } = await createQueues(sqs);
    await sendAll(sqs, url, [instanceMessage(1), instanceMessage(1)]);

    const { worker } = startWorker({ source: new SqsQueueSource(sqs, url) });
    await waitFor('both deleted', () => worker.stats.deleted === 2);

    expect(worker.stats).toMatchObject({ applied: 1, duplicate: 1 });
    expect(await db.query('SELECT outcome FROM history')).toEqual([{ outcome: 'applied' }]);
  });

  it('keeps the newer state when an older message comes after it', async () => {
    const { url } = await createQueues(sqs);
    const newer = { ...instanceMessage(1, 60), state: 'stopped' };
    const { worker } = startWorker({ source: new SqsQueueSource(sqs, url) });

    await sendAll(sqs, url, [newer]);
    await waitFor('the newer applied', () => worker.stats.deleted === 1);
    await sendAll(sqs, url, [instanceMessage(1, 0)]);
    await waitFor('the older deleted', () => worker.stats.deleted === 2);

    expect(worker.stats).toMatchObject({ applied: 1, stale: 1 });
    const [device] = (await show(db, newer.instanceId)).devices;
    expect(device).toMatchObject({ state: 'stopped', version: newer.version });
  });

  it('sends poison messages to the DLQ after maxReceiveCount and applies the good ones beside them', async () => {
    const { url, dlqUrl } = await createQueues(sqs, 2);
    const notJson = '{"schemaVersion": 1, "account": ';
    const invalid = JSON.stringify({ ...instanceMessage(3), instanceId: 'web-1' });
    await sendAll(sqs, url, [instanceMessage(1), notJson, invalid, instanceMessage(2)]);
    const log = memoryLog();

    const { worker } = startWorker({ source: new SqsQueueSource(sqs, url), visibilityTimeoutSeconds: 1, log });
    await waitFor('both poison messages in the DLQ', async () => (await queueDepth(dlqUrl)) === 2 && (await queueDepth(url)) === 0);
    await worker.stop();

    expect(await bodiesIn(dlqUrl)).toEqual([invalid, notJson].sort());
    expect(await count('devices')).toBe(2);
    expect(worker.stats).toMatchObject({ applied: 2, failed: 4, deleted: 2 });
    const failures = log.entries.filter((e) => e.level === 'warn').map((e) => e.extra);
    expect(failures).toEqual(
      expect.arrayContaining([
        { messageId: expect.any(String), receiveCount: 2, reason: expect.stringContaining('body is not JSON') },
        { messageId: expect.any(String), receiveCount: 2, reason: expect.stringContaining('instanceId: not an EC2 instance id') },
      ]),
    );
  });

  it('loses nothing when stopped mid-batch: another worker applies what it released', async () => {
    const { url, dlqUrl } = await createQueues(sqs, 5);
    await sendAll(sqs, url, Array.from({ length: 10 }, (_, n) => instanceMessage(n)));
    const first = startWorker({ db: slowDb(db, 1500), source: new SqsQueueSource(sqs, url) });
    await waitFor('10 messages in flight', () => first.worker.stats.inFlight === 10);

    const report = await first.worker.stop({ graceMs: 100 });
    const second = startWorker({ source: new SqsQueueSource(sqs, url) });
    // Up to 45 s: on a loaded 2-core machine the second worker's first receives and PGlite writes are slow.
    await waitFor('the rest applied', async () => (await count('devices')) === 10 && (await queueDepth(url)) === 0, 45_000);
    await first.running;

    expect(report).toMatchObject({ applied: 0, deleted: 0, released: 10 });
    expect(second.worker.stats.deleted).toBe(10);
    expect(await queueDepth(dlqUrl)).toBe(0);
  }, 60_000);

  it('keeps a message hidden from other workers while its write is slow', async () => {
    const { url } = await createQueues(sqs);
    const slow = startWorker({ db: slowDb(db, 5000), source: new SqsQueueSource(sqs, url), visibilityTimeoutSeconds: 2 });
    await sendAll(sqs, url, [instanceMessage(1)]);
    await waitFor('the slow worker has it', () => slow.worker.stats.received === 1);

    const other = startWorker({ source: new SqsQueueSource(sqs, url), visibilityTimeoutSeconds: 2 });
    await waitFor('the slow write applied and deleted', () => slow.worker.stats.deleted === 1);

    expect(other.worker.stats.received).toBe(0);
    expect(await db.query('SELECT outcome FROM history')).toEqual([{ outcome: 'applied' }]);
    expect(await queueDepth(url)).toBe(0);
  });

  it('backs off and keeps going when receiving is throttled', async () => {
    const { url } = await createQueues(sqs);
    await sendAll(sqs, url, [instanceMessage(1), instanceMessage(2), instanceMessage(3)]);
    const source = throttled(new SqsQueueSource(sqs, url), 2);
    const log = memoryLog();

    const { worker } = startWorker({ source, log });
    await waitFor('3 deletes', () => worker.stats.deleted === 3);

    expect(source.throws).toBe(2);
    expect(worker.stats).toMatchObject({ receiveErrors: 2, applied: 3 });
    expect(log.entries.filter((e) => e.extra?.errorName === 'ThrottlingException')).toHaveLength(2);
  });
  it('writes the batches that arrive during a write together, in one transaction (group commit)', async () => {
    const { url } = await createQueues(sqs);
    await sendAll(sqs, url, Array.from({ length: 60 }, (_, n) => instanceMessage(n)));
    const counted = countingDb(slowDb(db, 1000));
    const sizes: number[] = [];
    const { worker } = startWorker({ db: counted, source: new SqsQueueSource(sqs, url), concurrency: 60, onBatch: (b) => sizes.push(b.size) });
    await waitFor('60 deletes', () => worker.stats.deleted === 60, 60_000);

    expect(await count('devices')).toBe(60);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(60);
    expect(sizes.length).toBeGreaterThan(1);
    expect(counted.transactions).toBeLessThan(sizes.length);
    expect(worker.stats).toMatchObject({ applied: 60, duplicate: 0, failed: 0 });
  }, 120_000);

  it('writes the batches of several workers on one store together', async () => {
    const counted = countingDb(slowDb(db, 500));
    let batches = 0;
    // Concurrency 10 and queues that return 10 at a time: a worker has one batch in flight at a time, so the
    // batches that go together come from different workers.
    const workers = [0, 1, 2].map((q) =>
      startWorker({
        db: counted,
        source: memorySource(Array.from({ length: 20 }, (_, n) => instanceMessage(100 * q + n))),
        concurrency: 10,
        onBatch: () => batches++,
      }),
    );
    await waitFor('60 applied', () => workers.every(({ worker }) => worker.stats.deleted === 20), 60_000);

    expect(batches).toBe(6);
    expect(counted.transactions).toBeLessThan(6);
    expect(await count('devices')).toBe(60);
    expect(workers.map(({ worker }) => worker.stats)).toEqual(Array(3).fill(expect.objectContaining({ applied: 20, duplicate: 0, failed: 0 })));
  }, 120_000);

  it('tells messages of different queues apart in one write even when their ids are alike', async () => {
    const counted = countingDb(db);
    // Three queues whose messages have the same ids (`0`, `1`); their batches wait for each other and go together.
    const logs = [memoryLog(), memoryLog(), memoryLog()];
    const workers = [0, 1, 2].map((q) =>
      startWorker({ db: counted, source: memorySource([instanceMessage(q), '{"not": "a message"}']), maxApplyDelayMs: 500, log: logs[q] }),
    );
    await waitFor('every message finished', () => workers.every(({ worker }) => worker.stats.applied + worker.stats.failed === 2));

    expect(counted.transactions).toBe(1);
    expect(workers.map(({ worker }) => worker.stats)).toEqual(Array(3).fill(expect.objectContaining({ applied: 1, failed: 1 })));
    expect(await count('devices')).toBe(3);
    for (const log of logs) {
      expect(log.entries.filter((e) => e.level === 'warn').map((e) => e.extra)).toEqual([
        { messageId: '1', receiveCount: 1, reason: expect.stringContaining('not an IPAM instance message') },
      ]);
    }
  });

  it('lets a batch wait up to maxApplyDelayMs for others when the store is free, the shortest delay first', async () => {
    const counted = countingDb(db);
    const patient = startWorker({ db: counted, source: memorySource([instanceMessage(1)]), maxApplyDelayMs: 30_000 });
    await waitFor('the first batch received', () => patient.worker.stats.received === 1);
    const started = performance.now();
    const hurried = startWorker({ db: counted, source: memorySource([instanceMessage(2)]), maxApplyDelayMs: 200 });
    await waitFor('both applied', () => patient.worker.stats.applied + hurried.worker.stats.applied === 2, 10_000);

    expect(counted.transactions).toBe(1);
    // Written after the hurried worker's delay, not the patient one's.
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("fails only the batch of a worker whose log throws, when batches of several workers go together", async () => {
    const counted = countingDb(db);
    const errors = memoryLog();
    const broken = {
      ...errors,
      warn: () => {
        throw new Error('log sink down');
      },
    };
    const bodies = (n: number) => [instanceMessage(n), '{"not": "a message"}'];
    const fine = startWorker({ db: counted, source: memorySource(bodies(1)), maxApplyDelayMs: 300 });
    const failing = startWorker({ db: counted, source: memorySource(bodies(2)), maxApplyDelayMs: 300, log: broken });
    await waitFor(
      'both batches finished',
      () => fine.worker.stats.applied + fine.worker.stats.failed === 2 && failing.worker.stats.received === 2 && failing.worker.stats.inFlight === 0,
    );

    expect(counted.transactions).toBe(1);
    expect(fine.worker.stats).toMatchObject({ applied: 1, failed: 1, deleted: 1 });
    expect(failing.worker.stats).toMatchObject({ applied: 0, deleted: 0 });
    expect(errors.entries.filter((e) => e.level === 'error')).toEqual([expect.objectContaining({ message: 'IPAM batch failed', extra: expect.objectContaining({ error: 'log sink down' }) })]);
  });

  it('does not write a batch that stop() released while it waited for others', async () => {
    const counted = countingDb(db);
    const source = memorySource([instanceMessage(1)]);
    const { worker } = startWorker({ db: counted, source, maxApplyDelayMs: 300 });
    await waitFor('the batch received', () => worker.stats.received === 1);

    const report = await worker.stop({ graceMs: 0 });
    await new Promise((r) => setTimeout(r, 600)); // past the delay the batch was waiting out

    expect(report).toMatchObject({ applied: 0, released: 1 });
    expect(counted.transactions).toBe(0);
    expect(await count('devices')).toBe(0);
    expect(await source.receive(10, 0, 30)).toEqual([expect.objectContaining({ id: '0', receiveCount: 2 })]);
  });

  it('writes at once when no more can come: the whole concurrency waits, or maxApplyDelayMs is 0', async () => {
    const counted = countingDb(db);
    const full = startWorker({ db: counted, source: memorySource([instanceMessage(1), instanceMessage(2)]), concurrency: 2, maxApplyDelayMs: 60_000 });
    await waitFor('applied long before the delay', () => full.worker.stats.applied === 2, 5000);
    const eager = startWorker({ db: counted, source: memorySource([instanceMessage(3)]), maxApplyDelayMs: 0 });
    await waitFor('applied at once', () => eager.worker.stats.applied === 1, 5000);

    expect(counted.transactions).toBe(2);
  });

  it('writes a message delivered twice at once only once, and counts the second delivery as a duplicate', async () => {
    const { url } = await createQueues(sqs);
    const real = new SqsQueueSource(sqs, url);
    // SQS redelivers a message whose visibility lapsed while it is still in flight: the same message id in
    // two batches at once. Here the next receive after one that got messages returns them again.
    let again: QueueMessage[] = [];
    const source: QueueSource = {
      async receive(max, wait, visibility, signal) {
        if (again.length > 0) return again.splice(0);
        const got = await real.receive(max, wait, visibility, signal);
        if (got.some((m) => m.body.includes('i-00000000000010002'))) again = got.map((m) => ({ ...m }));
        return got;
      },
      delete: (messages) => real.delete(messages),
      changeVisibility: (message, seconds) => real.changeVisibility(message, seconds),
    };
    await sendAll(sqs, url, [instanceMessage(1)]);
    // The first write is slow, so both deliveries of the next message arrive while it runs and go in one write.
    const { worker } = startWorker({ db: slowDb(db, 1500), source });
    await waitFor('the first message received', () => worker.stats.received === 1);
    await sendAll(sqs, url, [instanceMessage(2)]);
    await waitFor('both deliveries finished', () => worker.stats.applied + worker.stats.duplicate === 3);

    expect(worker.stats).toMatchObject({ received: 3, applied: 2, duplicate: 1, failed: 0 });
    expect(await db.query('SELECT instance_id, outcome FROM history ORDER BY instance_id')).toEqual([
      { instance_id: 'i-00000000000010001', outcome: 'applied' },
      { instance_id: 'i-00000000000010002', outcome: 'applied' },
    ]);
    expect(await queueDepth(url)).toBe(0);
  });
});

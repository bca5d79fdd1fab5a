import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { EC2Client } from '@aws-sdk/client-ec2';
import { DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { fixture } from '@reflex/events/fixtures';
import { launchInstances, localClientConfig } from '@reflex/local-aws';
import { useMoto } from '@reflex/local-aws/testing';
import { openStore } from '../adapters/store';
import { newDataDir } from '../test-cluster';
import { show } from '../queries';
import { instanceMessage } from '../test-messages';
import { type RunningWorker, runWorker, startWorker } from './run';
import { createQueues, sendAll, waitFor } from './test-helpers';

jest.setTimeout(60_000);

let sqs: SQSClient;
let ec2: EC2Client;
useMoto((aws) => {
  sqs = new SQSClient(localClientConfig(aws.endpoint));
  ec2 = new EC2Client(localClientConfig(aws.endpoint));
  return { destroy: () => (sqs.destroy(), ec2.destroy()) };
});

const dir = mkdtempSync(join(tmpdir(), 'reflex-ipam-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let stores = 0;
/** A new embedded store for one test: a copy of a new cluster, as its first open would make it (initdb costs seconds). */
const newStore = async () => ({ dataDir: await newDataDir(join(dir, `store-${++stores}`)) });

describe('runWorker', () => {
  it('applies the queue to an embedded store until stopped, then closes the store and reports the counts', async () => {
    const { url } = await createQueues(sqs);
    await sendAll(sqs, url, [instanceMessage(1), instanceMessage(2)]);
    const store = await newStore();
    const abort = new AbortController();
    let worker: RunningWorker | undefined;

    const done = runWorker({ store, sqs, queueUrl: url, waitSeconds: 1, signals: [], abortSignal: abort.signal, onStart: (w) => (worker = w) });
    // Generous: on a loaded 2-core machine (the suites run in parallel) the first receive can take a while.
    await waitFor('both messages', () => worker?.worker.stats.deleted === 2, 45_000);
    abort.abort();
    const stats = await done;

    expect(stats).toMatchObject({ received: 2, applied: 2, deleted: 2, failed: 0, inFlight: 0 });
    const reopened = await openStore(store, { lockTimeoutMs: 1000 }); // the worker let it go
    try {
      expect((await show(reopened, instanceMessage(1).instanceId)).devices).toHaveLength(1);
    } finally {
      await reopened.close();
    }
  });

  it('stops on the signals it was given, and no longer listens for them', async () => {
    const { url } = await createQueues(sqs);
    const before = process.listenerCount('SIGUSR2');
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));

    const done = runWorker({ store: await newStore(), sqs, queueUrl: url, waitSeconds: 1, signals: ['SIGUSR2'], onStart: () => started() });
    await running;
    process.emit('SIGUSR2', 'SIGUSR2');

    await expect(done).resolves.toMatchObject({ received: 0 });
    expect(process.listenerCount('SIGUSR2')).toBe(before);
  });
});

describe('startWorker', () => {
  it('runs the scheduled reconciliation from its queue: an instance no event announced is recorded', async () => {
    const { url } = await createQueues(sqs);
    const scheduled = await createQueues(sqs);
    const [unannounced] = (await launchInstances(ec2, [{ Name: 'never-announced' }])) as [string];
    await sendAll(sqs, scheduled.url, [{ ...fixture<object>('scheduled/scheduled-event.json'), account: '123456789012', region: 'us-east-1' }]);
    const lines: string[] = [];

    const worker = await startWorker({
      store: await newStore(),
      sqs,
      queueUrl: url,
      reconcile: { queueUrl: scheduled.url, ec2 },
      waitSeconds: 1,
      log: (line) => lines.push(line),
    });
    try {
      await waitFor('the reconciliation', async () => (await show(worker.db, unannounced)).devices.length === 1, 45_000);
    } finally {
      await worker.stop();
    }

    expect(lines).toContainEqual(expect.stringMatching(/^ipam reconcile: reconciled the IPAM with EC2 /));
  });

  it('closes the store when the worker options are invalid', async () => {
    const store = await newStore();

    await expect(startWorker({ store, sqs, queueUrl: 'unused', concurrency: 0 })).rejects.toThrow('concurrency must be a whole number');

    const reopened = await openStore(store, { lockTimeoutMs: 1000 });
    await reopened.close();
  });

  it('ends with the error of a receive loop that breaks on its own, and closes the store', async () => {
    const { url } = await createQueues(sqs);
    const store = await newStore();
    // The queue goes away under the worker, and its log sink fails on the warning that follows.
    const log = (line: string) => {
      if (/receive failed/.test(line)) throw new Error('log sink down');
    };
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));

    await expect(runWorker({ store, sqs, queueUrl: url, waitSeconds: 1, signals: [], log })).rejects.toThrow('log sink down');

    const reopened = await openStore(store, { lockTimeoutMs: 1000 }); // the worker let it go
    await reopened.close();
  });
});

import { describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import type { Db } from '../db';
import type { Ec2Snapshot } from '../ec2/inventory';
import { show } from '../queries';
import { running } from '../test-messages';
import { backends, useStore } from '../test-store';
import { ReconcileLoop } from './reconcile-loop';
import { memorySource, waitFor } from './test-helpers';

/** The sample Scheduled Event, fired in the fixture instance's account and region. */
function scheduledEvent(): Record<string, unknown> {
  return { ...fixture<object>('scheduled/scheduled-event.json'), account: running.account, region: running.region };
}

/** An inventory that lists the fixture instance, and remembers where it was asked to look. */
function fixtureInventory() {
  const asked: { account: string; region: string }[] = [];
  return {
    asked,
    async snapshot(where: { account: string; region: string }): Promise<Ec2Snapshot> {
      asked.push(where);
      const observedAt = running.eventTime;
      return { ...where, observedAt, vpcs: running.vpcs, subnets: running.subnets, messages: [structuredClone(running)] };
    },
  };
}

describe('ReconcileLoop', () => {
  let db: Db;
  const [pglite] = backends();
  useStore(pglite!, (opened) => (db = opened));

  /** Runs the loop over `bodies` until `log` has said something, then stops it. */
  async function runOver(bodies: readonly (string | object)[], inventory: ConstructorParameters<typeof ReconcileLoop>[0]['inventory']) {
    const source = memorySource(bodies);
    const lines: string[] = [];
    const loop = new ReconcileLoop({ source, db, inventory, log: (line) => lines.push(line), waitSeconds: 1 });
    loop.start();
    await waitFor('a run', () => lines.length > 0);
    await loop.stop();
    return { source, lines };
  }

  it('reconciles the account and region the Scheduled Event names, and deletes the event', async () => {
    const inventory = fixtureInventory();

    const { source, lines } = await runOver([scheduledEvent()], inventory);

    expect(inventory.asked).toEqual([{ account: running.account, region: running.region }]);
    expect((await show(db, running.instanceId)).devices).toHaveLength(1);
    expect(source.deleted).toBe(1);
    expect(lines).toEqual([expect.stringMatching(/^ipam reconcile: reconciled the IPAM with EC2 \{"instance-missing":1,/)]);
  });

  it('leaves a message that is no Scheduled Event on the queue, and says which', async () => {
    const { source, lines } = await runOver([{ not: 'an event' }], fixtureInventory());

    expect(source.deleted).toBe(0);
    expect(lines).toEqual([expect.stringMatching(/^ipam reconcile: run 0 failed \(receive 1\): /)]);
  });

  it('leaves a run whose listing failed on the queue, for a retry', async () => {
    const failing = { snapshot: () => Promise.reject(new Error('RequestLimitExceeded')) };

    const { source, lines } = await runOver([scheduledEvent()], failing);

    expect(source.deleted).toBe(0);
    expect(lines).toEqual(['ipam reconcile: run 0 failed (receive 1): RequestLimitExceeded']);
  });

  it('stops while it waits for a message', async () => {
    const loop = new ReconcileLoop({ source: memorySource([]), db, inventory: fixtureInventory(), waitSeconds: 20 });
    loop.start();
    const started = Date.now();

    await loop.stop();

    expect(Date.now() - started).toBeLessThan(5000);
  });
});

import { ScheduledEventSchema } from '@reflex/events';
import { type Db, Ec2Inventory, openStore, reconcile } from '@reflex/ipam';
import { ConfigError, lazySdk, reflexHandler } from '@reflex/lambda-kit';
import { reconcileOnSchedule } from './core';
import { manifest } from './manifest';

const inventory = lazySdk(
  () => import('@aws-sdk/client-ec2'),
  (sdk) => new Ec2Inventory(new sdk.EC2Client({})),
);

export const handler = reflexHandler({
  manifest,
  schema: ScheduledEventSchema,
  init: ({ config, dryRun, log }) => {
    const url = config.databaseUrl;
    if (!url) {
      throw new ConfigError(
        'reflex "ipam-reconciler" config: databaseUrl: required when the function runs (or set consumer: worker and run `reflex ipam worker`)',
      );
    }
    let db: Promise<Db> | undefined;
    const store = () =>
      (db ??= openStore({ url }).catch((error: unknown) => {
        db = undefined;
        throw error;
      }));
    return (event) =>
      reconcileOnSchedule(event, {
        snapshot: async (where) => (await inventory()).client.snapshot(where),
        reconcile: async (snapshot) => reconcile(await store(), snapshot, { dryRun }),
        log,
      });
  },
});

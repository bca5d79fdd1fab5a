import { ScheduledEventSchema } from '@reflex/events';
import { ConfigError, reflexHandler } from '@reflex/lambda-kit';
import { Ec2Snapshots } from './adapters/ec2';
import { IpamStore } from './adapters/ipam-store';
import { reconcileOnSchedule } from './core';
import { manifest } from './manifest';

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
    const ec2 = new Ec2Snapshots();
    const store = new IpamStore({ url }, dryRun);
    return (event) =>
      reconcileOnSchedule(event, {
        snapshot: (where) => ec2.snapshot(where),
        reconcile: (snapshot) => store.reconcile(snapshot),
        log,
      });
  },
});

import { defineReflex } from '@reflex/manifest';
import { type StoreConfig, StoreConfigSchema } from '@reflex/ipam/config';

/** The sync's configuration: where the golden records live when it runs as a Lambda function. */
export const SyncConfigSchema = StoreConfigSchema;
export type SyncConfig = StoreConfig;

export const manifest = defineReflex({
  name: 'ipam-sync',
  description: 'Applies IPAM messages to the golden records in PostgreSQL: idempotent, order-safe, terminations decommission.',
  triggers: [{ kind: 'queue', description: 'IpamInstanceMessage from the enricher (and anything else with credentials)' }],
  config: SyncConfigSchema,
  // It calls no AWS API beyond its own queue.
  permissions: () => [],
  // The reference design: the queue keeps a message for a day, long enough to outlast an IPAM outage.
  retentionSeconds: 24 * 3600,
  // One write of 100 messages costs the store about half per message what ten writes of 10 do; Lambda
  // gathers a batch larger than 10 for up to a second.
  batchSize: 100,
  maxConcurrency: 2,
  // A write that fails five times (database down for minutes) goes to the dead-letter queue for redrive.
  maxReceiveCount: 5,
});

import { applyRecords, type Db, openStore } from '@reflex/ipam';
import { ConfigError, queueHandler } from '@reflex/lambda-kit';
import { manifest } from './manifest';

export const handler = queueHandler({
  manifest,
  init: ({ config, logger }) => {
    const url = config.databaseUrl;
    if (!url) {
      throw new ConfigError(
        'reflex "ipam-sync" config: databaseUrl: required when the function consumes the queue (or set consumer: worker and run `reflex ipam worker`)',
      );
    }
    const log = {
      info: (message: string, extra: Record<string, unknown> = {}) => logger.info(message, extra),
      warn: (message: string, extra: Record<string, unknown> = {}) => logger.warn(message, extra),
      error: (message: string, extra: Record<string, unknown> = {}) => logger.error(message, extra),
    };
    let db: Promise<Db> | undefined;
    return async (records) => {
      // Connected (and migrated) on the first batch, once per cold start; a failed connect is retried next batch.
      db ??= openStore({ url }).catch((error: unknown) => {
        db = undefined;
        throw error;
      });
      const outcome = await applyRecords(
        await db,
        records.map((r) => ({ id: r.messageId, body: r.body, receiveCount: Number(r.attributes.ApproximateReceiveCount) })),
        { log },
      );
      return outcome.failures;
    };
  },
});

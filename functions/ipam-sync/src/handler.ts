import { ConfigError, queueHandler } from '@reflex/lambda-kit';
import { IpamStoreRecords } from './adapters/ipam-store';
import { syncBatch } from './core';
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
    const records = new IpamStoreRecords({ url }, log);
    return (batch) => syncBatch(batch, { records });
  },
});

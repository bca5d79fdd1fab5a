// What a reflex that writes the IPAM (ipam-sync, ipam-reconciler) is configured with. Its own export,
// `@reflex/ipam/config`, so that a manifest (read by the stacks and the CLI) loads no database client.
import * as z from '@reflex/events/zod';

/**
 * Where the golden records live when a reflex writes them as a Lambda function.
 *
 * @example
 * defineReflex({ name: 'ipam-sync', config: StoreConfigSchema, … });
 */
export const StoreConfigSchema = z.object({
  /**
   * The PostgreSQL server of the IPAM (`postgres://user:password@host:5432/ipam`). Required when the
   * function runs; an environment that leaves the work to `reflex ipam worker` sets none.
   */
  databaseUrl: z.optional(z.string().check(z.regex(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// URL'))),
});
export type StoreConfig = z.output<typeof StoreConfigSchema>;

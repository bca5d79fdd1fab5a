// Jest hooks for tests against a local moto server or PostgreSQL server. Tests only: it imports @jest/globals.
import { afterAll, beforeAll } from '@jest/globals';
import { type StartedMoto, startMoto } from './moto';
import { type PostgresServer, startPostgres } from './postgres';

/** What `useMoto`'s setup hands back to be released after the tests: an SDK client, say. */
export interface Destroyable {
  destroy(): void;
}

/**
 * Starts moto before the tests of the enclosing describe (or file) and stops it after them. `setup` runs
 * once moto answers (create clients, seed resources); what it returns is destroyed before moto stops.
 *
 * @example
 * let sqs: SQSClient;
 * useMoto((aws) => (sqs = new SQSClient(localClientConfig(aws.endpoint))));
 */
export function useMoto(setup: (aws: StartedMoto) => Destroyable | void | Promise<Destroyable | void>, timeoutMs = 60_000): void {
  let aws: StartedMoto | undefined;
  let held: Destroyable | void;
  beforeAll(async () => {
    aws = await startMoto();
    held = await setup(aws);
  }, timeoutMs);
  afterAll(async () => {
    held?.destroy();
    await aws?.stop();
  });
}

/**
 * Starts a PostgreSQL server before the tests of the enclosing describe (or file) and stops it after them,
 * once `release` (close the connections the tests opened) is done. Returns the running server.
 *
 * @example
 * const opened: Db[] = [];
 * const postgres = usePostgres(() => Promise.all(opened.map((db) => db.close())));
 * it('…', async () => opened.push(await openPostgres(postgres().url)));
 */
export function usePostgres(release?: () => unknown, timeoutMs = 60_000): () => PostgresServer {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, timeoutMs);
  afterAll(async () => {
    await release?.();
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('usePostgres: the server starts in beforeAll; ask for it inside a test');
    return server;
  };
}


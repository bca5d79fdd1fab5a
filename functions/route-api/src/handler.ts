import { randomUUID } from 'node:crypto';
import { ConfigError, httpHandler } from '@reflex/lambda-kit';
import { DynamoManagedRoutes } from './adapters/dynamodb';
import { Ec2RouteTables } from './adapters/ec2';
import { deleteRoute, listRoutes, putRoute, putRoutes, type RouteApiDeps } from './core';
import { manifest, ROUTE_KEYS } from './manifest';
import type { IpamPort } from './ports';

export const handler = httpHandler({
  manifest,
  idempotencyExpirySeconds: (config) => config.idempotencyHours * 3600,
  init: ({ config, dryRun, stateTable }) => {
    if (!stateTable) throw new ConfigError('reflex "route-api": REFLEX_STATE_TABLE is not set');
    const deps: RouteApiDeps = {
      tables: new Ec2RouteTables(dryRun),
      managed: new DynamoManagedRoutes(stateTable, dryRun),
      config,
      dryRun,
      holder: randomUUID(),
      now: () => new Date(),
      ...(config.ipam?.databaseUrl ? { ipam: lazyIpam(config.ipam.databaseUrl) } : {}),
    };
    return {
      [ROUTE_KEYS.list]: (request) => listRoutes(request, deps),
      [ROUTE_KEYS.putAll]: (request) => putRoutes(request, deps),
      [ROUTE_KEYS.putOne]: (request) => putRoute(request, deps),
      [ROUTE_KEYS.deleteOne]: (request) => deleteRoute(request, deps),
    };
  },
});

/** The IPAM adapter, loaded (with the PostgreSQL client) on first use: a function without an IPAM never loads it. */
function lazyIpam(databaseUrl: string): IpamPort {
  let ipam: Promise<IpamPort> | undefined;
  return {
    overlapping: async (cidrs) => {
      ipam ??= import('./adapters/ipam').then(({ PostgresIpam }) => new PostgresIpam(databaseUrl));
      return (await ipam).overlapping(cidrs);
    },
  };
}

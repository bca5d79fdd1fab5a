export { manifest, RouteApiConfigSchema, routeApiPermissions, ROUTE_KEYS, type RouteApiConfig } from './manifest';
export { listRoutes, putRoutes, putRoute, deleteRoute, planRoutes, viewOf, overlap, type RouteApiDeps, type Plan, type RouteSpec } from './core';
export type { TgwRoute, AttachedCidr, RouteTablePort, ManagedRoute, ManagedRoutesPort, RouteWrite, IpamPort, IpamOverlap } from './ports';
export { PostgresIpam } from './adapters/ipam';
export { Ec2RouteTables } from './adapters/ec2';
export { DynamoManagedRoutes } from './adapters/dynamodb';

export { listRoutes, putRoutes, putRoute, deleteRoute, type RouteApiDeps } from './route-api';
export { planRoutes, planRemoval, viewOf, changes, type Plan, type TableView, type Conflict } from './plan';
export { checkRoutes, checkOverlaps, checkTable, overlap, DesiredRoutesSchema, OneRouteSchema, type DesiredRoutes, type RouteSpec } from './validate';

import * as z from '@reflex/events/zod';
import { StoreConfigSchema } from '@reflex/ipam/config';
import { defineReflex, type Permission } from '@reflex/manifest';

const id = (prefix: string, what: string) => z.string().check(z.regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), `a ${what} id (${prefix}-…)`));

/** The route API's configuration: what callers may change, and how much at once. */
export const RouteApiConfigSchema = z.object({
  /** The Transit Gateway route tables callers may change (others answer 400). */
  routeTables: z._default(z.array(id('tgw-rtb', 'Transit Gateway route table')), []),
  /** The attachments routes may point at: on-prem's VPN, Direct Connect gateway or Connect attachments. */
  attachments: z._default(z.array(id('tgw-attach', 'Transit Gateway attachment')), []),
  /** The most routes one request may set. */
  maxRoutesPerRequest: z._default(z.int().check(z.gte(1), z.lte(1000)), 100),
  /** How long a write's response is kept for replays of its Idempotency-Key. */
  idempotencyHours: z._default(z.int().check(z.gte(1), z.lte(24 * 7)), 24),
  /**
   * The IPAM's PostgreSQL server (`{ databaseUrl }`): when set, routes overlapping any live VPC block of its
   * golden records — every account and Region it knows — are refused too. @default not checked
   */
  ipam: z.optional(StoreConfigSchema),
});
export type RouteApiConfig = z.output<typeof RouteApiConfigSchema>;

const ROUTES = '/route-tables/{id}/routes';
const ROUTE = '/route-tables/{id}/routes/{cidr}';

/** The route keys of the API. */
export const ROUTE_KEYS = {
  list: `GET ${ROUTES}`,
  putAll: `PUT ${ROUTES}`,
  putOne: `PUT ${ROUTE}`,
  deleteOne: `DELETE ${ROUTE}`,
} as const;

/** Reads of a route table's routes and attachments: scoped to the allowed tables. */
const TABLE_READS = ['ec2:SearchTransitGatewayRoutes', 'ec2:GetTransitGatewayRouteTableAssociations', 'ec2:GetTransitGatewayRouteTablePropagations'];
/** Describe calls, which have no resource-level permissions. */
const DESCRIBES = ['ec2:DescribeTransitGatewayRouteTables', 'ec2:DescribeTransitGatewayVpcAttachments', 'ec2:DescribeVpcs'];

/** Writes only in the allowed route tables, towards the allowed attachments. */
export function routeApiPermissions(config: RouteApiConfig): Permission[] {
  const tables = config.routeTables.map((t) => `arn:\${partition}:ec2:\${region}:\${account}:transit-gateway-route-table/${t}`);
  const attachments = config.attachments.map((a) => `arn:\${partition}:ec2:\${region}:\${account}:transit-gateway-attachment/${a}`);
  return [
    { sid: 'DescribeNetwork', actions: DESCRIBES, resources: ['*'] },
    ...(tables.length
      ? [
          { sid: 'ReadRouteTables', actions: TABLE_READS, resources: tables },
          { sid: 'DeleteRoutes', actions: ['ec2:DeleteTransitGatewayRoute'], resources: tables },
          ...(attachments.length
            ? [{ sid: 'SetRoutes', actions: ['ec2:CreateTransitGatewayRoute', 'ec2:ReplaceTransitGatewayRoute'], resources: [...tables, ...attachments] }]
            : []),
        ]
      : []),
  ];
}

export const manifest = defineReflex({
  name: 'route-api',
  description: 'Sets the static Transit Gateway routes that on-prem automation asks for over a signed HTTPS API: validated, idempotent, desired-state.',
  triggers: [
    { kind: 'http', method: 'GET', path: ROUTES, description: 'The routes Reflex manages in a route table, and the others' },
    { kind: 'http', method: 'PUT', path: ROUTES, description: 'The desired set of static routes Reflex manages in a route table' },
    { kind: 'http', method: 'PUT', path: ROUTE, description: 'One route: create or repoint it' },
    { kind: 'http', method: 'DELETE', path: ROUTE, description: 'One route: delete it' },
  ],
  permissions: routeApiPermissions,
  config: RouteApiConfigSchema,
  // API Gateway waits 30 s for an HTTP API integration.
  timeoutSeconds: 25,
  state: { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl' },
});

import { normalizeCidr, parseCidr } from '@reflex/ip';
import { HttpError, type Problem } from '@reflex/lambda-kit';
import * as z from '@reflex/events/zod';
import type { RouteApiConfig } from '../manifest';
import type { AttachedCidr, IpamOverlap } from '../ports';

/** The body of `PUT /route-tables/{id}/routes`: every static route Reflex is to manage in the table. */
export const DesiredRoutesSchema = z.strictObject({
  routes: z.array(z.strictObject({ cidr: z.string(), attachmentId: z.string() })),
});
export type DesiredRoutes = z.output<typeof DesiredRoutesSchema>;

/** The body of `PUT /route-tables/{id}/routes/{cidr}`. */
export const OneRouteSchema = z.strictObject({ attachmentId: z.string() });

/** One route as a caller asks for it. */
export interface RouteSpec {
  readonly cidr: string;
  readonly attachmentId: string;
}

/** Parses a body with a schema; each zod issue becomes a problem at `body.<path>`. */
export function parseBody<S extends z.core.$ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = z.safeParse(schema, body ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => ({
    path: ['body', ...issue.path.map(String)].join('.'),
    message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
  throw new HttpError(400, 'invalid-request', 'the body is not valid', problems);
}

/** The route table must be one the environment allows. */
export function checkTable(tableId: string | undefined, config: RouteApiConfig): string {
  if (tableId && config.routeTables.includes(tableId)) return tableId;
  throw new HttpError(400, 'invalid-request', 'this route table is not one Reflex may change', [
    { path: 'path.id', message: `${tableId ?? '(none)'} is not in the allow-list of route tables (${config.routeTables.join(', ') || 'empty'})` },
  ]);
}

/** `?dryRun=true|false`; anything else is a problem. */
export function dryRunOf(query: Readonly<Record<string, string>>): boolean {
  const value = query.dryRun;
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new HttpError(400, 'invalid-request', 'the request is not valid', [{ path: 'query.dryRun', message: 'true or false' }]);
}

/**
 * Checks routes as callers give them: canonical CIDRs (the network address, in the one spelling EC2 answers
 * with), allowed attachments, one route per CIDR, and no more than the configured batch.
 *
 * @throws HttpError 400 naming every problem (`routes.2.cidr: 10.0.0.1/16 is not canonical: 10.0.0.0/16`).
 */
export function checkRoutes(routes: readonly RouteSpec[], config: RouteApiConfig, at: (i: number) => string): void {
  const problems: Problem[] = [];
  if (routes.length > config.maxRoutesPerRequest) {
    problems.push({ path: 'body.routes', message: `${routes.length} routes: at most ${config.maxRoutesPerRequest} per request` });
  }
  const seen = new Map<string, number>();
  routes.forEach((route, i) => {
    const canonical = normalizeCidr(route.cidr);
    if (!canonical) problems.push({ path: `${at(i)}.cidr`, message: `${route.cidr} is not an IPv4 or IPv6 CIDR block` });
    else if (canonical !== route.cidr) problems.push({ path: `${at(i)}.cidr`, message: `${route.cidr} is not canonical: ${canonical}` });
    else if (seen.has(canonical)) problems.push({ path: `${at(i)}.cidr`, message: `${canonical} is given twice (also ${at(seen.get(canonical)!)})` });
    if (canonical) seen.set(canonical, i);
    if (!config.attachments.includes(route.attachmentId)) {
      problems.push({ path: `${at(i)}.attachmentId`, message: `${route.attachmentId} is not in the allow-list of attachments (${config.attachments.join(', ') || 'empty'})` });
    }
  });
  if (problems.length) throw new HttpError(400, 'invalid-request', 'the routes are not valid', problems);
}

/** Whether two CIDR blocks share an address: one contains the other. */
export function overlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y || x.version !== y.version) return false;
  const mask = x.bits < y.bits ? x.mask : y.mask;
  return (x.network & mask) === (y.network & mask);
}

/**
 * Routes must not overlap the VPC CIDRs attached to the table: such a route would pull a VPC's own traffic
 * (or part of it) towards on-prem.
 *
 * @throws HttpError 400 naming each route and the VPC it overlaps.
 */
export function checkOverlaps(routes: readonly RouteSpec[], attached: readonly AttachedCidr[], at: (i: number) => string): void {
  const problems: Problem[] = [];
  routes.forEach((route, i) => {
    for (const vpc of attached) {
      if (overlap(route.cidr, vpc.cidr)) {
        problems.push({ path: `${at(i)}.cidr`, message: `${route.cidr} overlaps ${vpc.cidr} of ${vpc.vpcId} (attachment ${vpc.attachmentId})` });
      }
    }
  });
  if (problems.length) throw new HttpError(400, 'invalid-request', 'routes overlap VPCs attached to the route table', problems);
}

/**
 * Routes must not overlap a live VPC block the IPAM knows, in any account or Region.
 *
 * @throws HttpError 400 naming each route and the block it overlaps.
 */
export function checkIpamOverlaps(routes: readonly RouteSpec[], found: readonly IpamOverlap[], at: (i: number) => string): void {
  const problems: Problem[] = [];
  routes.forEach((route, i) => {
    for (const o of found.filter((f) => f.cidr === route.cidr)) {
      problems.push({ path: `${at(i)}.cidr`, message: `${route.cidr} overlaps ${o.block} of ${o.vpcId} (account ${o.account}, ${o.region}) in the IPAM` });
    }
  });
  if (problems.length) throw new HttpError(400, 'invalid-request', "routes overlap VPC blocks in the IPAM's records", problems);
}

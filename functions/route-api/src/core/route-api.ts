import { type ActionReport, HttpError, type HttpRequest, type HttpResult, withLease } from '@reflex/lambda-kit';
import type { RouteApiConfig } from '../manifest';
import type { IpamPort, ManagedRoute, ManagedRoutesPort, RouteTablePort, RouteWrite } from '../ports';
import { changes, type Plan, planRemoval, planRoutes, type TableView, viewOf } from './plan';
import { checkIpamOverlaps, checkOverlaps, checkRoutes, checkTable, DesiredRoutesSchema, dryRunOf, OneRouteSchema, parseBody, type RouteSpec } from './validate';

/** What the route API's handlers need. */
export interface RouteApiDeps {
  readonly tables: RouteTablePort;
  readonly managed: ManagedRoutesPort;
  readonly config: RouteApiConfig;
  /** The environment's dry-run: writes are sent with `DryRun` and nothing is recorded. */
  readonly dryRun: boolean;
  /** A unique id for this function instance's leases. */
  readonly holder: string;
  readonly now: () => Date;
  /** The IPAM's records, when the config names its store: routes overlapping its VPC blocks are refused. */
  readonly ipam?: IpamPort;
  /** How long a write waits for another write to the same table. @default 5000 */
  readonly leaseWaitMs?: number;
}

/** A route Reflex manages, as the API answers it. */
interface ManagedView {
  readonly cidr: string;
  readonly attachmentId: string;
  /** `active`: the table has it as recorded; `changed`: someone repointed it; `missing`: someone deleted it. */
  readonly status: 'active' | 'changed' | 'missing';
  readonly setBy: string;
  readonly setAt: string;
  readonly idempotencyKey: string;
}

/** `GET /route-tables/{id}/routes`: Reflex's routes with who set them and when, and every other route of the table. */
export async function listRoutes(request: HttpRequest, deps: RouteApiDeps): Promise<HttpResult> {
  const tableId = checkTable(request.pathParameters.id, deps.config);
  const view = await readTable(tableId, deps);
  return { status: 200, body: { routeTableId: tableId, managed: managedViews(view), others: view.others } };
}

/** `PUT /route-tables/{id}/routes`: makes Reflex's routes in the table exactly the body's. */
export async function putRoutes(request: HttpRequest, deps: RouteApiDeps): Promise<HttpResult> {
  const tableId = checkTable(request.pathParameters.id, deps.config);
  const dryRun = dryRunOf(request.query);
  const { routes } = parseBody(DesiredRoutesSchema, request.body);
  checkRoutes(routes, deps.config, (i) => `body.routes.${i}`);
  return write(request, deps, tableId, dryRun, routes, (view) => planRoutes(view, routes, true));
}

/** `PUT /route-tables/{id}/routes/{cidr}`: creates or repoints one route. */
export async function putRoute(request: HttpRequest, deps: RouteApiDeps): Promise<HttpResult> {
  const tableId = checkTable(request.pathParameters.id, deps.config);
  const dryRun = dryRunOf(request.query);
  const { attachmentId } = parseBody(OneRouteSchema, request.body);
  const routes = [{ cidr: request.pathParameters.cidr ?? '', attachmentId }];
  checkRoutes(routes, deps.config, () => 'path');
  return write(request, deps, tableId, dryRun, routes, (view) => planRoutes(view, routes, false));
}

/** `DELETE /route-tables/{id}/routes/{cidr}`: deletes one route Reflex manages. */
export async function deleteRoute(request: HttpRequest, deps: RouteApiDeps): Promise<HttpResult> {
  const tableId = checkTable(request.pathParameters.id, deps.config);
  const dryRun = dryRunOf(request.query);
  const cidr = request.pathParameters.cidr ?? '';
  return write(request, deps, tableId, dryRun, [], (view) => {
    const plan = planRemoval(view, cidr);
    if (plan) return { plan, conflicts: [] };
    const theirs = view.others.find((r) => r.cidr === cidr);
    if (theirs) throw new HttpError(409, 'not-managed', `${cidr} in ${tableId} is a ${theirs.type} route Reflex did not create: it is never touched`);
    throw new HttpError(404, 'no-such-route', `Reflex manages no route to ${cidr} in ${tableId}`);
  });
}

/**
 * One write, under the route table's lease: reads the table, checks the routes against the VPCs attached to
 * it, plans, and (unless `dryRun`) applies the plan — adds and repoints before it removes, recording each
 * change as it succeeds, so that a failure halfway leaves records that match the table and a retry finishes.
 */
async function write(
  request: HttpRequest,
  deps: RouteApiDeps,
  tableId: string,
  dryRun: boolean,
  routes: readonly RouteSpec[],
  planFor: (view: TableView) => { plan: Plan; conflicts: { cidr: string; attachmentId?: string }[] },
): Promise<HttpResult> {
  const lease = { holder: deps.holder, now: deps.now, waitMs: deps.leaseWaitMs ?? 5000, busy: TableBusyError };
  try {
    return await withLease(deps.managed, `table#${tableId}`, lease, async () => {
      // The table, the VPCs attached to it and the IPAM are read at once: no read depends on another.
      const cidrs = routes.map((r) => r.cidr);
      const [view, attached, inIpam] = await Promise.all([
        readTable(tableId, deps),
        routes.length ? deps.tables.attachedCidrs(tableId) : [],
        routes.length && deps.ipam ? deps.ipam.overlapping(cidrs) : [],
      ]);
      const at = (i: number) => (request.routeKey.endsWith('{cidr}') ? 'path' : `body.routes.${i}`);
      checkOverlaps(routes, attached, at);
      checkIpamOverlaps(routes, inIpam, at);
      const { plan, conflicts } = planFor(view);
      if (conflicts.length) {
        throw new HttpError(
          409,
          'foreign-route',
          'the table has static routes Reflex did not create for these CIDRs; it never touches them',
          conflicts.map((c, i) => ({ path: `conflicts.${i}`, message: `${c.cidr} → ${c.attachmentId ?? '(no attachment)'} is not Reflex's` })),
        );
      }
      if (dryRun || changes(plan) === 0) {
        return { status: 200, body: { routeTableId: tableId, dryRun, plan, routes: managedViews(view) } };
      }
      return apply(request, deps, tableId, plan, view);
    });
  } catch (error) {
    if (error instanceof TableBusyError) {
      throw new HttpError(409, 'route-table-busy', `another write to ${tableId} is under way; retry in a moment`, [], { retryable: true });
    }
    throw error;
  }
}

class TableBusyError extends Error {
  override readonly name = 'TableBusyError';
}

async function apply(request: HttpRequest, deps: RouteApiDeps, tableId: string, plan: Plan, before: TableView): Promise<HttpResult> {
  const actions: ActionReport[] = [];
  const applied: { op: string; cidr: string; from?: string; to?: string; outcome: string }[] = [];
  const target = [{ id: tableId }];
  const record = (route: RouteSpec): ManagedRoute => ({
    tableId,
    cidr: route.cidr,
    attachmentId: route.attachmentId,
    setBy: request.caller.principal,
    setAt: request.receivedAt.toISOString(),
    idempotencyKey: request.idempotencyKey ?? '',
    requestId: request.requestId,
  });
  const steps: { op: 'add' | 'replace' | 'remove'; cidr: string; from?: string; to?: string; run: () => Promise<RouteWrite>; after: () => Promise<void> }[] = [
    ...plan.replace.map((r) => ({
      op: 'replace' as const,
      cidr: r.cidr,
      from: r.from,
      to: r.to,
      run: () => deps.tables.replace(tableId, r.cidr, r.to),
      after: () => deps.managed.put(record({ cidr: r.cidr, attachmentId: r.to })),
    })),
    ...plan.add.map((r) => ({
      op: 'add' as const,
      cidr: r.cidr,
      to: r.attachmentId,
      run: () => deps.tables.create(tableId, r.cidr, r.attachmentId),
      after: () => deps.managed.put(record(r)),
    })),
    ...plan.remove.map((r) => ({
      op: 'remove' as const,
      cidr: r.cidr,
      from: r.attachmentId,
      run: () => deps.tables.remove(tableId, r.cidr),
      after: () => deps.managed.remove(tableId, r.cidr),
    })),
  ];
  const CALL = { add: 'ec2:CreateTransitGatewayRoute', replace: 'ec2:ReplaceTransitGatewayRoute', remove: 'ec2:DeleteTransitGatewayRoute' };
  for (const [i, step] of steps.entries()) {
    const change = { key: step.cidr, ...(step.from ? { from: step.from } : {}), ...(step.to ? { to: step.to } : {}) };
    const reason = `${request.routeKey} by ${request.caller.principal}: ${step.cidr} ${step.from ?? '(none)'} → ${step.to ?? '(none)'}`;
    let outcome: RouteWrite;
    try {
      outcome = await step.run();
      // A route to remove that is gone already is as good as removed.
      if (outcome === 'conflict' && step.op === 'remove') outcome = 'done';
      if (outcome === 'conflict') throw new Error(`${CALL[step.op]}: the table's route to ${step.cidr} changed meanwhile`);
      if (outcome === 'done') await step.after();
    } catch (error) {
      const message = (error as Error).message;
      actions.push({ action: CALL[step.op], targets: target, reason, outcome: 'failed', severity: 'warning', change, error: message });
      const left = steps.slice(i + 1).map((s) => ({ op: s.op, cidr: s.cidr }));
      return {
        status: 502,
        body: { error: 'apply-failed', message: `${step.op} ${step.cidr} failed: ${message}`, routeTableId: tableId, applied, failed: { op: step.op, cidr: step.cidr }, notApplied: left },
        actions,
        retryable: true,
      };
    }
    applied.push({ op: step.op, cidr: step.cidr, ...(step.from ? { from: step.from } : {}), ...(step.to ? { to: step.to } : {}), outcome });
    actions.push({ action: CALL[step.op], targets: target, reason, outcome: outcome === 'dry-run' ? 'dry-run' : 'succeeded', severity: 'info', change });
  }
  // What the table holds now, from what was read under the lease and what was written since (no second read).
  const written = new Map<string, ManagedRoute | undefined>();
  for (const step of applied) {
    if (step.outcome !== 'done') continue;
    written.set(step.cidr, step.op === 'remove' ? undefined : record({ cidr: step.cidr, attachmentId: step.to! }));
  }
  const kept = before.managed.filter((m) => !written.has(m.record.cidr));
  const added = [...written.values()].filter((r): r is ManagedRoute => !!r).map((record) => ({ record, current: record.attachmentId }));
  const after: TableView = { managed: [...kept, ...added].sort((a, b) => a.record.cidr.localeCompare(b.record.cidr)), others: before.others };
  return { status: 200, body: { routeTableId: tableId, dryRun: deps.dryRun, plan, applied, routes: managedViews(after) }, actions };
}

async function readTable(tableId: string, deps: RouteApiDeps): Promise<TableView> {
  const [routes, records] = await Promise.all([deps.tables.routes(tableId), deps.managed.list(tableId)]);
  if (!routes) throw new HttpError(404, 'no-such-route-table', `${tableId} does not exist`);
  return viewOf(routes, records);
}

function managedViews(view: TableView): ManagedView[] {
  return view.managed.map(({ record, current }) => ({
    cidr: record.cidr,
    attachmentId: current ?? record.attachmentId,
    status: current === undefined ? 'missing' : current === record.attachmentId ? 'active' : 'changed',
    setBy: record.setBy,
    setAt: record.setAt,
    idempotencyKey: record.idempotencyKey,
  }));
}

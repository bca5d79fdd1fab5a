import type { ManagedRoute, TgwRoute } from '../ports';
import type { RouteSpec } from './validate';

/** What a write changes in a route table. Reflex only ever changes routes it manages. */
export interface Plan {
  readonly add: readonly RouteSpec[];
  readonly replace: readonly { readonly cidr: string; readonly from: string; readonly to: string }[];
  readonly remove: readonly RouteSpec[];
  readonly unchanged: readonly RouteSpec[];
}

/** A route of the table as Reflex sees it: managed (with its record) or another's. */
export interface TableView {
  /** Reflex's routes: the record, and the attachment the table's route points at now (undefined: the route is gone). */
  readonly managed: readonly { readonly record: ManagedRoute; readonly current?: string }[];
  /** Routes Reflex did not create: propagated ones, and static ones of others. Never touched. */
  readonly others: readonly TgwRoute[];
}

/** Splits a table's routes into Reflex's (by its records) and the others'. */
export function viewOf(routes: readonly TgwRoute[], records: readonly ManagedRoute[]): TableView {
  const statics = new Map(routes.filter((r) => r.type === 'static').map((r) => [r.cidr, r]));
  const recorded = new Set(records.map((r) => r.cidr));
  return {
    managed: records.map((record) => {
      const route = statics.get(record.cidr);
      return route ? { record, current: route.attachmentId ?? '' } : { record };
    }),
    others: routes.filter((r) => r.type !== 'static' || !recorded.has(r.cidr)),
  };
}

/** A CIDR another's static route holds: Reflex may not set it. */
export interface Conflict {
  readonly cidr: string;
  readonly attachmentId?: string;
}

/**
 * The plan that makes Reflex's routes in a table exactly `desired` (with `removeOthers`, the desired-state PUT)
 * or sets `desired` among them (the one-route PUT). A managed route whose table route is gone is added again
 * when desired, and only its record dropped when not. Desired CIDRs that another's static route holds are
 * conflicts; a propagated route of the same CIDR is fine (a static route wins over it).
 */
export function planRoutes(view: TableView, desired: readonly RouteSpec[], removeOthers: boolean): { plan: Plan; conflicts: Conflict[] } {
  const managed = new Map(view.managed.map((m) => [m.record.cidr, m]));
  const foreign = new Map(view.others.filter((r) => r.type === 'static').map((r) => [r.cidr, r]));
  const add: RouteSpec[] = [];
  const replace: { cidr: string; from: string; to: string }[] = [];
  const unchanged: RouteSpec[] = [];
  const conflicts: Conflict[] = [];
  for (const route of desired) {
    const mine = managed.get(route.cidr);
    if (!mine) {
      const theirs = foreign.get(route.cidr);
      if (theirs) conflicts.push({ cidr: route.cidr, ...(theirs.attachmentId ? { attachmentId: theirs.attachmentId } : {}) });
      else add.push(route);
    } else if (mine.current === undefined) add.push(route);
    else if (mine.current !== route.attachmentId) replace.push({ cidr: route.cidr, from: mine.current, to: route.attachmentId });
    else unchanged.push(route);
  }
  const wanted = new Set(desired.map((r) => r.cidr));
  const remove = removeOthers
    ? view.managed.filter((m) => !wanted.has(m.record.cidr)).map((m) => ({ cidr: m.record.cidr, attachmentId: m.current ?? m.record.attachmentId }))
    : [];
  return { plan: { add, replace, remove, unchanged }, conflicts };
}

/** The plan that deletes one managed route. */
export function planRemoval(view: TableView, cidr: string): Plan | undefined {
  const mine = view.managed.find((m) => m.record.cidr === cidr);
  return mine && { add: [], replace: [], remove: [{ cidr, attachmentId: mine.current ?? mine.record.attachmentId }], unchanged: [] };
}

/** Whether a plan changes anything. */
export const changes = (plan: Plan): number => plan.add.length + plan.replace.length + plan.remove.length;

import type { PathState } from './core/path-machine';

/** A route table Reflex may change: a Transit Gateway route table, or a VPC route table. */
export type RouteTableRef = { readonly kind: 'tgw'; readonly id: string } | { readonly kind: 'vpc'; readonly id: string };

/** One route of a route table, as read now. */
export interface RouteView {
  readonly destination: string;
  /** `static`: someone created it (Reflex or a person); `propagated`: learned (BGP over Direct Connect or VPN, a VPC attachment). */
  readonly origin: 'static' | 'propagated';
  readonly state: 'active' | 'blackhole';
  /** The attachment (TGW) or gateway (VPC) it points at. */
  readonly target?: string;
}

/** Result of changing a route. */
export type RouteWrite = 'done' | 'dry-run' | 'conflict';

/** Port: route tables, read and changed. The adapter knows dry-run. */
export interface RoutesPort {
  /** The routes for `prefix` and every more specific one, read now. */
  routesWithin(table: RouteTableRef, prefix: string): Promise<RouteView[]>;
  /** Creates a static route; `conflict` if the table has a route for that destination already. */
  addStatic(table: RouteTableRef, prefix: string, target: string): Promise<RouteWrite>;
  /** Deletes the static route for `prefix`; `conflict` if there is none. */
  removeStatic(table: RouteTableRef, prefix: string): Promise<RouteWrite>;
}

/** Port: the health of a VPN connection's tunnels, from its telemetry. */
export interface LinksPort {
  /** Tunnels up and in all; undefined if the connection does not exist. */
  vpnTunnels(vpnConnectionId: string): Promise<{ up: number; total: number } | undefined>;
}

/** A static route Reflex installed, as its state records it. Only these are ever removed. */
export interface InstalledRoute {
  readonly path: string;
  readonly table: RouteTableRef;
  readonly prefix: string;
  readonly target: string;
  readonly installedAt: string;
}

/** One journal record: a decision and what became of it. */
export interface JournalEntry {
  readonly path: string;
  readonly at: string;
  readonly decision: 'failover' | 'failback' | 'freeze' | 'alert' | 'skipped';
  readonly from: string;
  readonly to: string;
  readonly prefixes: readonly string[];
  readonly tables: readonly string[];
  readonly reason: string;
  /** Per table: what the route table said after the change. */
  readonly verification: readonly string[];
  readonly dryRun: boolean;
}

/** Port: the reflex's state table. */
export interface FailoverStatePort {
  /** A path's state and its version (for a conditional save); undefined if never saved. */
  path(name: string): Promise<{ readonly state: PathState; readonly version: number } | undefined>;
  /** Saves a path's state if its version is still `expected` (0: never saved); false if someone saved it since. */
  savePath(state: PathState, expected: number): Promise<boolean>;
  installed(path: string): Promise<InstalledRoute[]>;
  putInstalled(route: InstalledRoute): Promise<void>;
  deleteInstalled(route: Pick<InstalledRoute, 'path' | 'table' | 'prefix'>): Promise<void>;
  /** Takes a route table's write lease until `until`, unless another holder's runs past `now`. */
  lease(table: string, holder: string, until: Date, now: Date): Promise<boolean>;
  release(table: string, holder: string): Promise<void>;
  journal(entry: JournalEntry): Promise<void>;
  /** The newest entries of a path's journal, newest first. */
  journalOf(path: string, limit: number): Promise<JournalEntry[]>;
}

/** Port: the decision log (the kit hands one to `init`). */
export type { DecisionLog } from '@reflex/lambda-kit';

import type { PathState } from '../core/path-machine';
import type { FailoverStatePort, InstalledRoute, JournalEntry, LinksPort, RouteTableRef, RouteView, RoutesPort, RouteWrite } from '../ports';

/** In-memory route tables for tests of the core: static routes win over propagated ones, as in AWS. */
export class MemoryRoutes implements RoutesPort {
  readonly tables = new Map<string, RouteView[]>();
  readonly writes: string[] = [];
  /** As the EC2 adapter in dry-run: writes answer `dry-run` and change nothing. */
  dryRun = false;

  async routesWithin(table: RouteTableRef, prefix: string): Promise<RouteView[]> {
    const [net, bits] = prefix.split('/');
    const within = (d: string) => d === prefix || (d.startsWith(net!.split('.').slice(0, Math.floor(Number(bits) / 8)).join('.')) && Number(d.split('/')[1]) > Number(bits));
    return (this.tables.get(table.id) ?? []).filter((r) => within(r.destination)).map((r) => ({ ...r }));
  }

  async addStatic(table: RouteTableRef, prefix: string, target: string): Promise<RouteWrite> {
    const routes = this.tables.get(table.id) ?? [];
    if (routes.some((r) => r.destination === prefix && r.origin === 'static')) return 'conflict';
    if (this.dryRun) return 'dry-run';
    this.tables.set(table.id, [...routes, { destination: prefix, origin: 'static', state: 'active', target }]);
    this.writes.push(`add ${table.id} ${prefix} → ${target}`);
    return 'done';
  }

  async removeStatic(table: RouteTableRef, prefix: string): Promise<RouteWrite> {
    const routes = this.tables.get(table.id) ?? [];
    const kept = routes.filter((r) => !(r.destination === prefix && r.origin === 'static'));
    if (kept.length === routes.length) return 'conflict';
    if (this.dryRun) return 'dry-run';
    this.tables.set(table.id, kept);
    this.writes.push(`remove ${table.id} ${prefix}`);
    return 'done';
  }

  /** The route that wins for exactly `prefix`: static before propagated. */
  effective(table: string, prefix: string): string | undefined {
    const routes = (this.tables.get(table) ?? []).filter((r) => r.destination === prefix);
    const win = routes.find((r) => r.origin === 'static') ?? routes[0];
    return win && `${win.origin} ${win.target}`;
  }
}

/** In-memory VPN telemetry. */
export class MemoryLinks implements LinksPort {
  readonly tunnels = new Map<string, { up: number; total: number }>();
  async vpnTunnels(id: string) {
    return this.tunnels.get(id);
  }
}

/** An in-memory state table with the conditional semantics of the DynamoDB adapter. */
export class MemoryFailoverState implements FailoverStatePort {
  readonly paths = new Map<string, { state: PathState; version: number }>();
  readonly routes = new Map<string, InstalledRoute>();
  readonly leases = new Map<string, { holder: string; until: number }>();
  readonly entries: JournalEntry[] = [];

  async path(name: string) {
    return this.paths.get(name);
  }
  async savePath(state: PathState, expected: number) {
    if ((this.paths.get(state.path)?.version ?? 0) !== expected) return false;
    this.paths.set(state.path, { state, version: expected + 1 });
    return true;
  }
  async installed(path: string) {
    return [...this.routes.values()].filter((r) => r.path === path);
  }
  async putInstalled(route: InstalledRoute) {
    this.routes.set(`${route.path} ${route.table.id} ${route.prefix}`, route);
  }
  async deleteInstalled(route: Pick<InstalledRoute, 'path' | 'table' | 'prefix'>) {
    this.routes.delete(`${route.path} ${route.table.id} ${route.prefix}`);
  }
  async lease(table: string, holder: string, until: Date, now: Date) {
    const held = this.leases.get(table);
    if (held && held.holder !== holder && held.until >= now.getTime()) return false;
    this.leases.set(table, { holder, until: until.getTime() });
    return true;
  }
  async release(table: string, holder: string) {
    if (this.leases.get(table)?.holder === holder) this.leases.delete(table);
  }
  async journal(entry: JournalEntry) {
    this.entries.push(entry);
  }
  async journalOf(path: string, limit: number) {
    return this.entries.filter((e) => e.path === path).reverse().slice(0, limit);
  }
}

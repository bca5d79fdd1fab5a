import type { AttachedCidr, ManagedRoute, ManagedRoutesPort, RouteTablePort, RouteWrite, TgwRoute } from '../ports';

/** In-memory Transit Gateway route tables for tests of the core; `fail` makes the next write of a CIDR throw. */
export class MemoryRouteTables implements RouteTablePort {
  readonly tables = new Map<string, TgwRoute[]>();
  readonly attached = new Map<string, AttachedCidr[]>();
  readonly writes: string[] = [];
  readonly fail = new Set<string>();
  /** As the EC2 adapter in dry-run: writes answer `dry-run` and change nothing. */
  dryRun = false;

  async routes(tableId: string): Promise<TgwRoute[] | undefined> {
    return this.tables.get(tableId)?.map((r) => ({ ...r }));
  }

  async attachedCidrs(tableId: string): Promise<AttachedCidr[]> {
    return this.attached.get(tableId) ?? [];
  }

  async create(tableId: string, cidr: string, attachmentId: string): Promise<RouteWrite> {
    return this.write(tableId, cidr, `create ${tableId} ${cidr} → ${attachmentId}`, (routes) =>
      routes.some((r) => r.type === 'static' && r.cidr === cidr) ? undefined : [...routes, { cidr, type: 'static', state: 'active', attachmentId }],
    );
  }

  async replace(tableId: string, cidr: string, attachmentId: string): Promise<RouteWrite> {
    return this.write(tableId, cidr, `replace ${tableId} ${cidr} → ${attachmentId}`, (routes) =>
      routes.some((r) => r.type === 'static' && r.cidr === cidr)
        ? routes.map((r) => (r.type === 'static' && r.cidr === cidr ? { ...r, attachmentId } : r))
        : undefined,
    );
  }

  async remove(tableId: string, cidr: string): Promise<RouteWrite> {
    return this.write(tableId, cidr, `remove ${tableId} ${cidr}`, (routes) =>
      routes.some((r) => r.type === 'static' && r.cidr === cidr) ? routes.filter((r) => !(r.type === 'static' && r.cidr === cidr)) : undefined,
    );
  }

  private async write(tableId: string, cidr: string, what: string, change: (routes: TgwRoute[]) => TgwRoute[] | undefined): Promise<RouteWrite> {
    if (this.fail.delete(cidr)) throw new Error(`${what}: RequestLimitExceeded`);
    const next = change(this.tables.get(tableId) ?? []);
    if (!next) return 'conflict';
    if (this.dryRun) return 'dry-run';
    this.tables.set(tableId, next);
    this.writes.push(what);
    return 'done';
  }
}

/** In-memory records and leases. */
export class MemoryManagedRoutes implements ManagedRoutesPort {
  readonly records = new Map<string, ManagedRoute>();
  readonly leases = new Map<string, { holder: string; until: number }>();

  async list(tableId: string): Promise<ManagedRoute[]> {
    return [...this.records.values()].filter((r) => r.tableId === tableId);
  }
  async put(route: ManagedRoute): Promise<void> {
    this.records.set(`${route.tableId} ${route.cidr}`, route);
  }
  async remove(tableId: string, cidr: string): Promise<void> {
    this.records.delete(`${tableId} ${cidr}`);
  }
  async lease(key: string, holder: string, until: Date, now: Date): Promise<boolean> {
    const held = this.leases.get(key);
    if (held && held.holder !== holder && held.until >= now.getTime()) return false;
    this.leases.set(key, { holder, until: until.getTime() });
    return true;
  }
  async release(key: string, holder: string): Promise<void> {
    if (this.leases.get(key)?.holder === holder) this.leases.delete(key);
  }
}

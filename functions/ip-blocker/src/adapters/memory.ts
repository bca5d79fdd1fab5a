import { normalizeCidr } from '@reflex/ip';
import type { BlockRecord, EntryWrite, EventOutcome, Nacl, NaclEntry, NaclRef, NetworkPort, StatePort } from '../ports';

/** An in-memory network for tests of the core: NACLs with entries, instances with subnets, VPC CIDRs. */
export class MemoryNetwork implements NetworkPort {
  readonly nacls_ = new Map<string, { vpcId: string; subnetIds: string[]; tags: Record<string, string>; entries: NaclEntry[] }>();
  readonly instances = new Map<string, { vpcId: string; subnetIds: string[] }>();
  readonly vpcs = new Map<string, string[]>();
  /** Calls that wrote, in order: `add acl-1 #3 198.51.100.7/32`, `remove acl-1 #3`. */
  readonly writes: string[] = [];

  /** Adds a NACL with AWS's default entries (allow all at 100, the `*` deny), plus `entries`. */
  addNacl(id: string, vpcId: string, subnetIds: string[], entries: Partial<NaclEntry>[] = [], tags: Record<string, string> = {}): void {
    const defaults: Partial<NaclEntry>[] = [
      { ruleNumber: 100, action: 'allow', cidr: '0.0.0.0/0' },
      { ruleNumber: 32767, action: 'deny', cidr: '0.0.0.0/0' },
    ];
    this.nacls_.set(id, { vpcId, subnetIds, tags, entries: [...defaults, ...entries].map(entry) });
  }

  async instanceSubnets(instanceId: string) {
    const i = this.instances.get(instanceId);
    return i && { vpcId: i.vpcId, subnetIds: [...i.subnetIds] };
  }

  async naclsOfSubnets(subnetIds: readonly string[]): Promise<NaclRef[]> {
    return this.select(([, n]) => n.subnetIds.some((s) => subnetIds.includes(s))).map(({ id, vpcId, tags }) => ({ id, vpcId, tags }));
  }

  async naclsOfVpc(vpcId: string): Promise<NaclRef[]> {
    return this.select(([, n]) => n.vpcId === vpcId).map(({ id, vpcId, tags }) => ({ id, vpcId, tags }));
  }

  async nacls(ids: readonly string[]): Promise<Nacl[]> {
    return this.select(([id]) => ids.includes(id));
  }

  async vpcCidrs(vpcId: string): Promise<string[]> {
    return [...(this.vpcs.get(vpcId) ?? [])];
  }

  async addDeny(naclId: string, ruleNumber: number, cidr: string): Promise<EntryWrite> {
    const nacl = this.nacls_.get(naclId)!;
    if (nacl.entries.some((e) => !e.egress && e.ruleNumber === ruleNumber)) return 'conflict';
    nacl.entries.push(entry({ ruleNumber, action: 'deny', cidr }));
    this.writes.push(`add ${naclId} #${ruleNumber} ${cidr}`);
    return 'done';
  }

  async removeEntry(naclId: string, ruleNumber: number): Promise<EntryWrite> {
    const nacl = this.nacls_.get(naclId)!;
    const before = nacl.entries.length;
    nacl.entries = nacl.entries.filter((e) => e.egress || e.ruleNumber !== ruleNumber);
    if (nacl.entries.length === before) return 'conflict';
    this.writes.push(`remove ${naclId} #${ruleNumber}`);
    return 'done';
  }

  /** The inbound entries of a NACL as `#n action cidr`, by rule number, the default `*` left out. */
  inbound(naclId: string): string[] {
    return this.nacls_
      .get(naclId)!
      .entries.filter((e) => !e.egress && e.ruleNumber !== 32767)
      .sort((a, b) => a.ruleNumber - b.ruleNumber)
      .map((e) => `#${e.ruleNumber} ${e.action} ${e.cidr}`);
  }

  private select(keep: (entry: [string, { vpcId: string; subnetIds: string[] }]) => boolean): Nacl[] {
    return [...this.nacls_.entries()]
      .filter(keep)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, n]) => ({ id, vpcId: n.vpcId, tags: { ...n.tags }, entries: n.entries.map((e) => ({ ...e })) }));
  }
}

const entry = (e: Partial<NaclEntry>): NaclEntry => {
  const cidr = normalizeCidr(e.cidr ?? '0.0.0.0/0')!;
  return { ruleNumber: e.ruleNumber ?? 1, egress: e.egress ?? false, action: e.action ?? 'deny', protocol: e.protocol ?? '-1', cidr, family: cidr.includes(':') ? 6 : 4 };
};

/** An in-memory state table with the same conditional semantics as the DynamoDB adapter. */
export class MemoryState implements StatePort {
  readonly blocks = new Map<string, BlockRecord>();
  readonly leases = new Map<string, { holder: string; until: number }>();
  readonly budgets = new Map<string, number>();
  readonly outcomes = new Map<string, EventOutcome>();

  async blocksOf(naclId: string) {
    return [...this.blocks.values()].filter((r) => r.naclId === naclId);
  }
  async allBlocks() {
    return [...this.blocks.values()];
  }
  async putBlock(record: BlockRecord) {
    this.blocks.set(`${record.naclId} ${record.cidr}`, record);
  }
  async deleteBlock(naclId: string, cidr: string) {
    this.blocks.delete(`${naclId} ${cidr}`);
  }
  async lease(naclId: string, holder: string, until: Date, now: Date) {
    const held = this.leases.get(naclId);
    if (held && held.holder !== holder && held.until >= now.getTime()) return false;
    this.leases.set(naclId, { holder, until: until.getTime() });
    return true;
  }
  async release(naclId: string, holder: string) {
    if (this.leases.get(naclId)?.holder === holder) this.leases.delete(naclId);
  }
  async takeWrites(minute: string, n: number, cap: number) {
    const used = this.budgets.get(minute) ?? 0;
    if (used + n > cap) return false;
    this.budgets.set(minute, used + n);
    return true;
  }
  async recordOutcome(outcome: EventOutcome) {
    this.outcomes.set(outcome.eventId, outcome);
  }
  async outcomeOf(eventId: string) {
    return this.outcomes.get(eventId);
  }
}

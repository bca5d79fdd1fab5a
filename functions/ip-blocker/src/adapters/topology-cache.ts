import type { EntryWrite, Nacl, NaclRef, NetworkPort } from '../ports';

/** How long the topology is remembered: long enough for a burst of findings, short enough to follow changes. */
export const TOPOLOGY_TTL_MS = 10_000;

/** Past this many remembered answers, the expired ones (else the oldest) are dropped. */
const PRUNE_ABOVE = 1000;

/**
 * A network that remembers for `ttlMs` what every finding asks and what rarely changes: the subnets of an
 * instance, which NACLs its subnets (or its VPC) have, their tags, and the VPC's CIDRs. It never remembers a
 * NACL's entries — `nacls` reads them live every time, under the lease — and writes go straight through. An
 * instance, NACL list or VPC not found is not remembered: it may be new.
 */
export class TopologyCache implements NetworkPort {
  private readonly remembered = new Map<string, { until: number; value: unknown }>();

  constructor(
    private readonly network: NetworkPort,
    private readonly ttlMs = TOPOLOGY_TTL_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  instanceSubnets(instanceId: string): Promise<{ vpcId: string; subnetIds: string[] } | undefined> {
    return this.remember(`instance ${instanceId}`, () => this.network.instanceSubnets(instanceId));
  }

  naclsOfSubnets(subnetIds: readonly string[]): Promise<NaclRef[]> {
    return this.remember(`subnets ${[...subnetIds].sort().join(' ')}`, () => this.network.naclsOfSubnets(subnetIds));
  }

  naclsOfVpc(vpcId: string): Promise<NaclRef[]> {
    return this.remember(`nacls ${vpcId}`, () => this.network.naclsOfVpc(vpcId));
  }

  vpcCidrs(vpcId: string): Promise<string[]> {
    return this.remember(`cidrs ${vpcId}`, () => this.network.vpcCidrs(vpcId));
  }

  nacls(ids: readonly string[]): Promise<Nacl[]> {
    return this.network.nacls(ids);
  }

  addDeny(naclId: string, ruleNumber: number, cidr: string): Promise<EntryWrite> {
    return this.network.addDeny(naclId, ruleNumber, cidr);
  }

  removeEntry(naclId: string, ruleNumber: number): Promise<EntryWrite> {
    return this.network.removeEntry(naclId, ruleNumber);
  }

  private async remember<T>(key: string, ask: () => Promise<T>): Promise<T> {
    const now = this.clock();
    const kept = this.remembered.get(key);
    if (kept && kept.until > now) return structuredClone(kept.value) as T;
    const value = await ask();
    if (value === undefined || (Array.isArray(value) && value.length === 0)) {
      this.remembered.delete(key);
      return value;
    }
    if (this.remembered.size >= PRUNE_ABOVE) {
      for (const [k, v] of this.remembered) if (v.until <= now) this.remembered.delete(k);
      // All still fresh: the oldest goes.
      if (this.remembered.size >= PRUNE_ABOVE) this.remembered.delete(this.remembered.keys().next().value!);
    }
    this.remembered.set(key, { until: now + this.ttlMs, value: structuredClone(value) });
    return value;
  }
}

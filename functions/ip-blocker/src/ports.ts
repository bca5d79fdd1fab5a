/** One entry of a network ACL, as DescribeNetworkAcls reports it (CIDR in canonical text). */
export interface NaclEntry {
  readonly ruleNumber: number;
  readonly egress: boolean;
  readonly action: 'allow' | 'deny';
  /** `-1` for all protocols. */
  readonly protocol: string;
  readonly cidr: string;
  readonly family: 4 | 6;
}

/** Which network ACL: its id, VPC and tags, without its entries (those are read live, under the lease). */
export interface NaclRef {
  readonly id: string;
  readonly vpcId: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** A network ACL, read live. */
export interface Nacl extends NaclRef {
  readonly entries: readonly NaclEntry[];
}

/** Result of writing or deleting an entry. */
export type EntryWrite =
  /** EC2 did it. */
  | 'done'
  /** Dry-run: EC2 confirmed the call would have succeeded (`DryRunOperation`). */
  | 'dry-run'
  /** Create: the rule number is taken already (someone wrote it since the NACL was read). Delete: no such entry. */
  | 'conflict';

/** Port: the network, read and its NACL entries written. The adapter knows dry-run. */
export interface NetworkPort {
  /** The VPC and the subnets of every network interface of an instance; undefined if it does not exist. */
  instanceSubnets(instanceId: string): Promise<{ vpcId: string; subnetIds: string[] } | undefined>;
  /** The NACLs associated with these subnets (which ones, not their entries). */
  naclsOfSubnets(subnetIds: readonly string[]): Promise<NaclRef[]>;
  /** The NACLs of a VPC (which ones, not their entries). */
  naclsOfVpc(vpcId: string): Promise<NaclRef[]>;
  /** These NACLs, read now; ids that do not exist are left out. */
  nacls(ids: readonly string[]): Promise<Nacl[]>;
  /** The IPv4 and IPv6 CIDR blocks of a VPC (none if it does not exist). */
  vpcCidrs(vpcId: string): Promise<string[]>;
  /** Adds an inbound deny entry for all protocols. */
  addDeny(naclId: string, ruleNumber: number, cidr: string): Promise<EntryWrite>;
  /** Deletes an inbound entry. */
  removeEntry(naclId: string, ruleNumber: number): Promise<EntryWrite>;
}

/** Where a block came from. */
export type BlockOrigin = 'guardduty' | 'request' | 'adopted';

/** Reflex's record of one block in one NACL: the entry it owns there. */
export interface BlockRecord {
  readonly naclId: string;
  readonly vpcId: string;
  /** Canonical CIDR (`198.51.100.7/32`, `2001:db8::7/128`). */
  readonly cidr: string;
  readonly ruleNumber: number;
  /** Eviction ranks by it, lowest first (GuardDuty severity, or the request's). */
  readonly severity: number;
  readonly reason: string;
  readonly origin: BlockOrigin;
  /** The findings (or request events) that made or extended it, newest last, at most ten. */
  readonly findingIds: readonly string[];
  readonly requestedBy?: string;
  /** ISO time. */
  readonly createdAt: string;
  /** ISO time. */
  readonly expiresAt: string;
}

/** What became of one event, kept a week for `reflex blocks add` and for people asking why. */
export interface EventOutcome {
  readonly eventId: string;
  readonly at: string;
  /** One line per decision. */
  readonly lines: readonly string[];
  readonly blocked: number;
  readonly refused: number;
}

/** Port: the reflex's state table. The adapter knows dry-run (it then writes no blocks). */
export interface StatePort {
  blocksOf(naclId: string): Promise<BlockRecord[]>;
  allBlocks(): Promise<BlockRecord[]>;
  putBlock(record: BlockRecord): Promise<void>;
  deleteBlock(naclId: string, cidr: string): Promise<void>;
  /** Takes (or renews) the write lease of a NACL until `until`, unless another holder's lease runs past `now`. */
  lease(naclId: string, holder: string, until: Date, now: Date): Promise<boolean>;
  release(naclId: string, holder: string): Promise<void>;
  /** Counts `n` writes against the minute's budget; false (and counts nothing) if that would pass `cap`. */
  takeWrites(minute: string, n: number, cap: number): Promise<boolean>;
  recordOutcome(outcome: EventOutcome): Promise<void>;
  outcomeOf(eventId: string): Promise<EventOutcome | undefined>;
}

/** Port: the decision log (the kit hands one to `init`). */
export type { DecisionLog } from '@reflex/lambda-kit';

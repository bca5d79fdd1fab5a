import { type ActionReport, withLease as withKeyLease } from '@reflex/lambda-kit';
import type { BlockerConfig } from '../manifest';
import type { BlockOrigin, BlockRecord, DecisionLog, Nacl, NaclEntry, NetworkPort, StatePort } from '../ports';
import { familyOf } from './addresses';
import { allowsBeforeRange, chooseSlot, driftOf } from './slots';

/** What the NACL writer needs. */
export interface WriterDeps {
  readonly network: NetworkPort;
  readonly state: StatePort;
  readonly config: BlockerConfig;
  readonly log: DecisionLog;
  /** The clock: leases, budgets and `createdAt`. */
  readonly now: () => Date;
  /** A unique id for this writer's leases. */
  readonly holder: string;
  /** How long to wait for another writer's lease of a NACL. @default 20000 */
  readonly leaseWaitMs?: number;
  /** ARN of a NACL, for the Reflex Action targets. */
  readonly naclArn: (naclId: string) => string;
}

/** One block to place: what, how severe, why, until when. */
export interface BlockIntent {
  readonly cidr: string;
  readonly severity: number;
  readonly reason: string;
  readonly origin: BlockOrigin;
  /** The finding or request event. */
  readonly eventId: string;
  readonly requestedBy?: string;
  readonly expiresAt: Date;
}

/** What writing to NACLs did: the Reflex Actions, and one line per decision. */
export interface WriteResult {
  readonly reports: ActionReport[];
  readonly lines: string[];
  blocked: number;
  refused: number;
}

export const emptyResult = (): WriteResult => ({ reports: [], lines: [], blocked: 0, refused: 0 });

/** A lease outlives a writer that dies mid-write by this much at most. */
const LEASE_MS = 30_000;
const MAX_FINDING_IDS = 10;

/** Another writer kept a NACL's lease past the wait; the record is retried. */
export class NaclBusyError extends Error {
  override readonly name = 'NaclBusyError';
}

/**
 * Runs `work` holding the NACL's write lease (a conditional write in the state table), so that two
 * concurrent writers never pick the same rule number. Waits for another holder up to `leaseWaitMs`.
 */
export function withLease<T>(naclId: string, deps: WriterDeps, work: () => Promise<T>): Promise<T> {
  return withKeyLease(deps.state, naclId, { holder: deps.holder, now: deps.now, leaseMs: LEASE_MS, waitMs: deps.leaseWaitMs, busy: NaclBusyError }, work);
}

/** A NACL as read under its lease, with Reflex's records of it; kept current as the writer changes it. */
export class NaclSession {
  private entries: NaclEntry[];
  readonly records = new Map<string, BlockRecord>();

  private constructor(
    readonly nacl: Nacl,
    records: readonly BlockRecord[],
    private readonly deps: WriterDeps,
    private readonly result: WriteResult,
  ) {
    this.entries = [...nacl.entries];
    for (const r of records) this.records.set(r.cidr, r);
  }

  /** Reads the NACL and its records now (under the lease) and repairs drift between them. Undefined if the NACL is gone. */
  static async open(naclId: string, deps: WriterDeps, result: WriteResult): Promise<NaclSession | undefined> {
    // Both read under the lease: nothing Reflex writes can change either meanwhile.
    const [[nacl], records] = await Promise.all([deps.network.nacls([naclId]), deps.state.blocksOf(naclId)]);
    if (!nacl) {
      for (const r of records) await deps.state.deleteBlock(naclId, r.cidr);
      if (records.length) result.lines.push(`${naclId} is gone: dropped its ${records.length} record(s)`);
      return undefined;
    }
    const session = new NaclSession(nacl, records, deps, result);
    await session.repair();
    return session;
  }

  private get view(): Nacl {
    return { ...this.nacl, entries: this.entries };
  }

  private target() {
    return [{ id: this.nacl.id, arn: this.deps.naclArn(this.nacl.id) }];
  }

  private say(line: string, extra: Record<string, unknown> = {}) {
    this.result.lines.push(line);
    this.deps.log.info(line, { naclId: this.nacl.id, ...extra });
  }

  /** Adopts orphan entries of the range, rewrites (or drops, if expired) records whose entry vanished, reports strangers. */
  private async repair(): Promise<void> {
    const { config, state } = this.deps;
    const now = this.deps.now();
    const drift = driftOf(this.view, [...this.records.values()], config);
    for (const record of drift.vanished) {
      this.records.delete(record.cidr);
      if (new Date(record.expiresAt) <= now) {
        await state.deleteBlock(record.naclId, record.cidr);
        this.say(`drift: the entry of ${record.cidr} (rule ${record.ruleNumber}) in ${this.nacl.id} vanished after its expiry; record dropped`);
        continue;
      }
      await state.deleteBlock(record.naclId, record.cidr);
      this.say(`drift: the entry of ${record.cidr} (rule ${record.ruleNumber}) in ${this.nacl.id} vanished; writing it again`);
      await this.place({
        cidr: record.cidr,
        severity: record.severity,
        reason: record.reason,
        origin: record.origin,
        eventId: record.findingIds.at(-1) ?? 'drift',
        ...(record.requestedBy ? { requestedBy: record.requestedBy } : {}),
        expiresAt: new Date(record.expiresAt),
      }, { createdAt: record.createdAt, findingIds: record.findingIds, rewrite: true });
    }
    for (const entry of drift.orphans) {
      const record: BlockRecord = {
        naclId: this.nacl.id,
        vpcId: this.nacl.vpcId,
        cidr: entry.cidr,
        ruleNumber: entry.ruleNumber,
        severity: 0,
        reason: `adopted: a deny entry in Reflex's range ${config.ruleRange.first}–${config.ruleRange.last} that its state did not know`,
        origin: 'adopted',
        findingIds: [],
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + config.ttlMinutes * 60_000).toISOString(),
      };
      await state.putBlock(record);
      this.records.set(record.cidr, record);
      this.say(`drift: adopted the unknown deny of ${entry.cidr} at rule ${entry.ruleNumber} in ${this.nacl.id}; it expires at ${record.expiresAt}`);
    }
    for (const entry of drift.strangers) {
      this.say(`${this.nacl.id}: rule ${entry.ruleNumber} (${entry.action} ${entry.cidr}, protocol ${entry.protocol}) is in Reflex's range but not Reflex's: left alone, its number is taken`);
    }
    const before = allowsBeforeRange(this.view, config);
    if (before.length) {
      const list = before.map((e) => `${e.ruleNumber} (allow ${e.cidr})`).join(', ');
      this.say(`${this.nacl.id}: inbound allow ${list} precede Reflex's range ${config.ruleRange.first}–${config.ruleRange.last}: traffic they allow is not denied`);
      this.result.reports.push({
        action: 'ip-blocker:CheckRuleOrder',
        targets: this.target(),
        reason: `inbound allow rule(s) ${list} come before Reflex's deny range ${config.ruleRange.first}–${config.ruleRange.last}: blocks do not stop what they allow`,
        outcome: 'alert',
        severity: 'warning',
      });
    }
  }

  /** Blocks a source here: extends Reflex's block of it, or writes a deny in a free (or evicted) slot, or refuses. */
  async place(intent: BlockIntent, carry?: { createdAt: string; findingIds: readonly string[]; rewrite: true }): Promise<void> {
    const { state, config } = this.deps;
    const existing = this.records.get(intent.cidr);
    if (existing) {
      const expiresAt = new Date(Math.max(new Date(existing.expiresAt).getTime(), intent.expiresAt.getTime())).toISOString();
      const findingIds = [...existing.findingIds.filter((id) => id !== intent.eventId), intent.eventId].slice(-MAX_FINDING_IDS);
      const record = { ...existing, expiresAt, findingIds, severity: Math.max(existing.severity, intent.severity) };
      await state.putBlock(record);
      this.records.set(record.cidr, record);
      this.say(`${intent.cidr} is blocked in ${this.nacl.id} already (rule ${existing.ruleNumber}): until ${expiresAt}`, { cidr: intent.cidr, decision: 'extend' });
      this.result.blocked++;
      return;
    }
    const family = familyOf(intent.cidr);
    const choice = chooseSlot(this.view, [...this.records.values()], family, intent.severity, config);
    if (choice.kind === 'full') {
      this.refuse(intent, `${this.nacl.id} has no room: ${choice.reason}`, 'warning');
      return;
    }
    if (!(await state.takeWrites(minuteOf(this.deps.now()), 1, config.maxEntriesPerMinute))) {
      this.refuse(intent, `the write budget of ${config.maxEntriesPerMinute} NACL entries per minute is spent`, 'critical');
      return;
    }
    let ruleNumber: number;
    if (choice.kind === 'evict') {
      const victim = choice.victim;
      const removed = await this.deps.network.removeEntry(this.nacl.id, victim.ruleNumber);
      await state.deleteBlock(victim.naclId, victim.cidr);
      this.records.delete(victim.cidr);
      this.entries = this.entries.filter((e) => e.egress || e.ruleNumber !== victim.ruleNumber);
      this.say(`evicted ${victim.cidr} (severity ${victim.severity}, since ${victim.createdAt}) from rule ${victim.ruleNumber} of ${this.nacl.id} for ${intent.cidr} (severity ${intent.severity})`, { decision: 'evict' });
      this.result.reports.push({
        action: 'ec2:DeleteNetworkAclEntry',
        targets: this.target(),
        reason: `evicted the block of ${victim.cidr} (severity ${victim.severity}, since ${victim.createdAt}) from rule ${victim.ruleNumber} to make room for ${intent.cidr} (severity ${intent.severity}): ${intent.reason}`,
        outcome: removed === 'dry-run' ? 'dry-run' : 'succeeded',
        severity: 'warning',
      });
      ruleNumber = victim.ruleNumber;
    } else {
      ruleNumber = choice.ruleNumber;
    }
    const written = await this.deps.network.addDeny(this.nacl.id, ruleNumber, intent.cidr);
    if (written === 'conflict') {
      // Someone wrote that number since the NACL was read (not Reflex: it holds the lease). Read again, once.
      const [fresh] = await this.deps.network.nacls([this.nacl.id]);
      this.entries = [...(fresh?.entries ?? this.entries)];
      if (carry?.rewrite || !fresh) throw new NaclBusyError(`${this.nacl.id}: rule ${ruleNumber} was taken while Reflex wrote it; retrying later`);
      return this.place(intent, { createdAt: this.deps.now().toISOString(), findingIds: [], rewrite: true });
    }
    const now = this.deps.now().toISOString();
    const record: BlockRecord = {
      naclId: this.nacl.id,
      vpcId: this.nacl.vpcId,
      cidr: intent.cidr,
      ruleNumber,
      severity: intent.severity,
      reason: intent.reason,
      origin: intent.origin,
      findingIds: carry?.findingIds.length ? carry.findingIds : [intent.eventId],
      ...(intent.requestedBy ? { requestedBy: intent.requestedBy } : {}),
      createdAt: carry?.createdAt ?? now,
      expiresAt: intent.expiresAt.toISOString(),
    };
    await state.putBlock(record);
    this.records.set(record.cidr, record);
    this.entries.push({ ruleNumber, egress: false, action: 'deny', protocol: '-1', cidr: intent.cidr, family });
    this.result.blocked++;
    this.say(`${written === 'dry-run' ? 'would deny' : 'denied'} ${intent.cidr} inbound at rule ${ruleNumber} of ${this.nacl.id} until ${record.expiresAt}`, { cidr: intent.cidr, ruleNumber, decision: 'block' });
    this.result.reports.push({
      action: 'ec2:CreateNetworkAclEntry',
      targets: this.target(),
      reason: `${carry?.rewrite ? 'wrote again the vanished deny of' : 'denied'} ${intent.cidr} inbound (all protocols) at rule ${ruleNumber} until ${record.expiresAt}: ${intent.reason}`,
      outcome: written === 'dry-run' ? 'dry-run' : 'succeeded',
      severity: 'info',
    });
  }

  /** Removes Reflex's block of a source here, entry and record; false if Reflex has none. */
  async remove(cidr: string, why: string): Promise<boolean> {
    const record = this.records.get(cidr);
    if (!record) return false;
    const entry = this.entries.find((e) => !e.egress && e.ruleNumber === record.ruleNumber);
    const removed = entry && entry.cidr === cidr ? await this.deps.network.removeEntry(this.nacl.id, record.ruleNumber) : 'conflict';
    await this.deps.state.deleteBlock(record.naclId, cidr);
    this.records.delete(cidr);
    this.entries = this.entries.filter((e) => e.egress || e.ruleNumber !== record.ruleNumber);
    this.say(`${removed === 'dry-run' ? 'would remove' : 'removed'} the deny of ${cidr} at rule ${record.ruleNumber} of ${this.nacl.id}: ${why}`, { cidr, decision: 'unblock' });
    this.result.reports.push({
      action: 'ec2:DeleteNetworkAclEntry',
      targets: this.target(),
      reason: `removed the deny of ${cidr} at rule ${record.ruleNumber}: ${why}`,
      outcome: removed === 'dry-run' ? 'dry-run' : 'succeeded',
      severity: 'info',
    });
    return true;
  }

  private refuse(intent: BlockIntent, why: string, severity: 'warning' | 'critical'): void {
    this.result.refused++;
    this.say(`not blocking ${intent.cidr} in ${this.nacl.id}: ${why}`, { cidr: intent.cidr, decision: 'refuse' });
    this.result.reports.push({
      action: 'ec2:CreateNetworkAclEntry',
      targets: this.target(),
      reason: `did not deny ${intent.cidr}: ${why} (${intent.reason})`,
      outcome: 'alert',
      severity,
    });
  }
}

/** The budget's key: the minute, in UTC. */
export const minuteOf = (at: Date) => at.toISOString().slice(0, 16);

import type { BlockRecord, Nacl, NaclEntry } from '../ports';
import { familyOf } from './addresses';

/** Reflex's rule-number range and the NACL quota, from the config. */
export interface SlotSettings {
  readonly ruleRange: { readonly first: number; readonly last: number };
  /** Inbound entries per address family a NACL may hold. */
  readonly entryQuota: number;
}

/** The default entries (`*`: 32767 for IPv4, 32768 for IPv6) are no one's to change, but the quota counts them. */
const inRange = (n: number, { ruleRange }: SlotSettings) => n >= ruleRange.first && n <= ruleRange.last;
const inbound = (nacl: Nacl) => nacl.entries.filter((e) => !e.egress);
/** An entry Reflex could have written: inbound, deny, all protocols. */
const reflexShaped = (e: NaclEntry) => !e.egress && e.action === 'deny' && e.protocol === '-1';

/** How Reflex's state and a NACL read now disagree within Reflex's range. */
export interface Drift {
  /** Entries in the range Reflex could have written, that no record claims: adopted (they expire like blocks). */
  readonly orphans: NaclEntry[];
  /** Other entries in the range (allows, single-protocol denies): someone else's, never touched, reported. */
  readonly strangers: NaclEntry[];
  /** Records whose entry is not in the NACL any more (deleted, or replaced by another). */
  readonly vanished: BlockRecord[];
}

/** Compares a NACL, read now, with Reflex's records of it. */
export function driftOf(nacl: Nacl, records: readonly BlockRecord[], settings: SlotSettings): Drift {
  const live = new Map(inbound(nacl).map((e) => [e.ruleNumber, e]));
  const vanished = records.filter((r) => {
    const entry = live.get(r.ruleNumber);
    return !entry || !reflexShaped(entry) || entry.cidr !== r.cidr;
  });
  const claimed = new Set(records.filter((r) => !vanished.includes(r)).map((r) => r.ruleNumber));
  const unclaimed = inbound(nacl).filter((e) => inRange(e.ruleNumber, settings) && !claimed.has(e.ruleNumber));
  return { orphans: unclaimed.filter(reflexShaped), strangers: unclaimed.filter((e) => !reflexShaped(e)), vanished };
}

/** Inbound allow entries numbered before Reflex's range: traffic they allow never reaches Reflex's denies. */
export function allowsBeforeRange(nacl: Nacl, settings: SlotSettings): NaclEntry[] {
  return inbound(nacl).filter((e) => e.action === 'allow' && e.ruleNumber < settings.ruleRange.first);
}

/** Where a new block goes in a NACL. */
export type SlotChoice =
  | { readonly kind: 'free'; readonly ruleNumber: number }
  /** No room: this record's entry goes first, and its rule number is reused. */
  | { readonly kind: 'evict'; readonly victim: BlockRecord }
  | { readonly kind: 'full'; readonly reason: string };

/**
 * Chooses a rule number for a new block of `family` and `severity` in a NACL read now, given Reflex's live
 * records of it: the lowest free number of the range while the family's entries (Reflex's and others') stay
 * under the quota; otherwise the record to evict — lowest severity, then oldest, and never one more severe
 * than the new block; otherwise full.
 */
export function chooseSlot(nacl: Nacl, records: readonly BlockRecord[], family: 4 | 6, severity: number, settings: SlotSettings): SlotChoice {
  const entries = inbound(nacl);
  const used = new Set(entries.map((e) => e.ruleNumber));
  const count = entries.filter((e) => e.family === family).length;
  const atQuota = count >= settings.entryQuota;
  if (!atQuota) {
    for (let n = settings.ruleRange.first; n <= settings.ruleRange.last; n++) {
      if (!used.has(n)) return { kind: 'free', ruleNumber: n };
    }
  }
  // Evicting an entry of the other family frees a number but not the quota.
  const candidates = records
    .filter((r) => !atQuota || familyOf(r.cidr) === family)
    .toSorted((a, b) => a.severity - b.severity || a.createdAt.localeCompare(b.createdAt) || a.ruleNumber - b.ruleNumber);
  const victim = candidates[0];
  const why = atQuota
    ? `the NACL holds ${count} inbound IPv${family} entries, its quota of ${settings.entryQuota}`
    : `every rule number of Reflex's range ${settings.ruleRange.first}–${settings.ruleRange.last} is taken`;
  if (!victim) return { kind: 'full', reason: `${why}, none of them Reflex's to evict` };
  if (victim.severity > severity) {
    return { kind: 'full', reason: `${why}, and Reflex's least severe block there (${victim.cidr}, severity ${victim.severity}) outranks this one (severity ${severity})` };
  }
  return { kind: 'evict', victim };
}

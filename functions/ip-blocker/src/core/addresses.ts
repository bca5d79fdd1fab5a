import { type Cidr, normalizeCidr, parseCidr, parseIp } from '@reflex/ip';

/** Space Reflex never blocks unless told otherwise: RFC 1918, shared (RFC 6598), loopback, link-local, ULA. */
export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', 'fc00::/7', 'fe80::/10', '::1/128'] as const;

/** The widest block Reflex writes, per family: never a default route's worth of the internet. */
export const WIDEST = { 4: 8, 6: 32 } as const;

/** One named allow-list range. */
export interface AllowedRange {
  readonly cidr: Cidr;
  readonly text: string;
  /** Why it is allowed: "allow-list", "private space", "VPC vpc-…". */
  readonly why: string;
}

/**
 * The block for an address or CIDR: an address widened to `prefixLength` of its family, a CIDR as given;
 * canonical text. Undefined if it is neither.
 *
 * @example
 * blockFor('198.51.100.7', { ipv4: 24, ipv6: 128 }); // '198.51.100.0/24'
 */
export function blockFor(source: string, prefixLength: { readonly ipv4: number; readonly ipv6: number }): string | undefined {
  if (source.includes('/')) return normalizeCidr(source);
  const ip = parseIp(source);
  if (!ip) return undefined;
  return normalizeCidr(`${source}/${ip.version === 4 ? prefixLength.ipv4 : prefixLength.ipv6}`);
}

/** Whether two blocks share an address: one contains the other. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.version !== b.version) return false;
  const mask = a.bits < b.bits ? a.mask : b.mask;
  return (a.network & mask) === (b.network & mask);
}

/** Parses allow-list CIDR blocks, each with why it is there; text that is no CIDR block is left out. */
export function allowedRanges(entries: readonly { text: string; why: string }[]): AllowedRange[] {
  return entries.flatMap(({ text, why }) => {
    const cidr = parseCidr(text);
    return cidr ? [{ cidr, text: normalizeCidr(text)!, why }] : [];
  });
}

/** The first allowed range a block would touch (containing it or contained in it), or undefined. */
export function allowedBy(block: string, allowed: readonly AllowedRange[]): AllowedRange | undefined {
  const cidr = parseCidr(block);
  if (!cidr) return undefined;
  return allowed.find((range) => overlaps(cidr, range.cidr));
}

/** The address family of a canonical block. */
export const familyOf = (block: string): 4 | 6 => (block.includes(':') ? 6 : 4);

/** Why a block is too wide to write, or undefined. */
export function tooWide(block: string): string | undefined {
  const cidr = parseCidr(block);
  if (!cidr) return `${block} is no CIDR block`;
  const widest = WIDEST[cidr.version];
  return cidr.bits < widest ? `${block} is wider than /${widest}: Reflex denies attackers, not address space` : undefined;
}

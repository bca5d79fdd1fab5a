import { type IpValue, parseCidr, parseIp } from './ip';

const dotted = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/**
 * An address as text, the way PostgreSQL's `host(inet)` prints it: IPv4 in dotted decimal; IPv6 in the
 * RFC 5952 form (lowercase, no leading zeros, the longest run of two or more zero groups — the first of
 * equals — as `::`), except that IPv4-mapped (`::ffff:1.2.3.4`) and IPv4-compatible (`::1.2.3.4`) addresses
 * end in a dotted quad.
 *
 * @example
 * formatIp(parseIp('2001:0DB8:0:0:1:0:0:1')!); // '2001:db8::1:0:0:1'
 * @see https://www.rfc-editor.org/rfc/rfc5952#section-4
 */
export function formatIp(ip: IpValue): string {
  if (ip.version === 4) return dotted(Number(ip.value));
  const words = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let length = 0;
  for (let i = 0; i < 8; ) {
    let end = i;
    while (end < 8 && words[end] === 0) end++;
    if (end - i > length) [best, length] = [i, end - i];
    i = Math.max(end, i + 1);
  }
  if (length < 2) return words.map((w) => w.toString(16)).join(':');
  // As PostgreSQL (after BIND's inet_ntop): six leading zero groups, or five and ffff, carry an IPv4 address.
  if (best === 0 && (length === 6 || (length === 5 && words[5] === 0xffff))) {
    return `::${length === 5 ? 'ffff:' : ''}${dotted(Number(ip.value & 0xffffffffn))}`;
  }
  const hex = (from: number, to: number) => words.slice(from, to).map((w) => w.toString(16)).join(':');
  return `${hex(0, best)}::${hex(best + length, 8)}`;
}

/**
 * One spelling per address (see `formatIp`), so that text from EC2 and from PostgreSQL compares equal;
 * undefined if the text is no IPv4 or IPv6 address (IPv4 with leading zeros and IPv6 zone ids included).
 *
 * @example
 * normalizeIp('2600:1F18:04E2:C100:0:0:0:A'); // '2600:1f18:4e2:c100::a'
 */
export function normalizeIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip && formatIp(ip);
}

/**
 * One spelling per CIDR block: its network address (host bits cleared, as PostgreSQL's `network()` does) in
 * `formatIp`'s form, and the prefix length; undefined if the text is no CIDR block.
 *
 * @example
 * normalizeCidr('2600:1F18:04E2:C100:0:0:0:0/56'); // '2600:1f18:4e2:c100::/56'
 */
export function normalizeCidr(text: string): string | undefined {
  const cidr = parseCidr(text);
  return cidr && `${formatIp({ version: cidr.version, value: cidr.network })}/${cidr.bits}`;
}

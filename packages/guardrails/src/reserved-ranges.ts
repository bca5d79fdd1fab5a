import { type Cidr, normalizeCidr, parseCidr, parseIp } from '@reflex/ip';

/** An address range no VPC may use: on-prem networks, a partner's, a VPN pool. */
export interface ReservedRange {
  readonly cidr: string;
  readonly name: string;
}

/** A reserved-ranges file that cannot be read as one: the message names the line or entry. */
export class ReservedRangesError extends Error {
  override readonly name = 'ReservedRangesError';
}

const DEFAULT_NAME = 'reserved';

/**
 * A CIDR block as text, parsed, with its canonical spelling and whether its address has host bits set
 * (`10.0.0.1/16`); undefined when the text is no CIDR block.
 *
 * @example
 * readCidr('10.0.0.1/16'); // { cidr: {…}, canonical: '10.0.0.0/16', hostBits: true }
 */
export function readCidr(text: string): { cidr: Cidr; canonical: string; hostBits: boolean } | undefined {
  const cidr = parseCidr(text);
  if (!cidr) return undefined;
  return { cidr, canonical: normalizeCidr(text)!, hostBits: parseIp(text.slice(0, text.indexOf('/')))!.value !== cidr.network };
}

function range(cidr: unknown, name: unknown, where: string): ReservedRange {
  if (typeof cidr !== 'string') throw new ReservedRangesError(`${where}: expected a "cidr" string`);
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) throw new ReservedRangesError(`${where}: "name" is a non-empty string when given`);
  const parsed = readCidr(cidr);
  if (!parsed) throw new ReservedRangesError(`${where}: "${cidr}" is no IPv4 or IPv6 CIDR block`);
  if (parsed.hostBits) throw new ReservedRangesError(`${where}: "${cidr}" has host bits set: did you mean ${parsed.canonical}?`);
  return { cidr: parsed.canonical, name: typeof name === 'string' ? name.trim() : DEFAULT_NAME };
}

/**
 * Reads reserved ranges: a JSON array of `{ "cidr": "10.0.0.0/8", "name": "on-prem DC1" }`, or text with one
 * range a line, a CIDR block and an optional name after white space (`#` starts a comment). A block with
 * host bits set is an error: it is most likely a typo.
 *
 * @example
 * parseReservedRanges('10.0.0.0/8  on-prem DC1\n# partners\n192.168.10.0/24 Acme VPN\n', 'reserved.txt');
 * // [{ cidr: '10.0.0.0/8', name: 'on-prem DC1' }, { cidr: '192.168.10.0/24', name: 'Acme VPN' }]
 * @throws ReservedRangesError naming the file and the line (text) or the index (JSON) of a bad entry.
 */
export function parseReservedRanges(text: string, label: string): ReservedRange[] {
  if (text.trimStart().startsWith('[')) {
    let entries: unknown;
    try {
      entries = JSON.parse(text);
    } catch (cause) {
      throw new ReservedRangesError(`${label} is not JSON: ${(cause as Error).message}`, { cause });
    }
    if (!Array.isArray(entries)) throw new ReservedRangesError(`${label}: expected a JSON array of { "cidr", "name" }`);
    return entries.map((entry, i) => {
      const where = `${label}[${i}]`;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ReservedRangesError(`${where}: expected an object { "cidr", "name" }`);
      const { cidr, name } = entry as { cidr?: unknown; name?: unknown };
      return range(cidr, name, where);
    });
  }
  return text.split('\n').flatMap((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return [];
    const [cidr, ...name] = line.split(/\s+/);
    return [range(cidr, name.length ? name.join(' ') : undefined, `${label} line ${i + 1}`)];
  });
}

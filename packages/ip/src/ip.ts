/** An IP address as a number, with its family. */
export interface IpValue {
  readonly version: 4 | 6;
  readonly value: bigint;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function ipv4ToBigInt(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** Parses an IPv4 or IPv6 address (compressed, full, or with an embedded IPv4 tail); undefined if it is not one. */
export function parseIp(text: string): IpValue | undefined {
  if (IPV4.test(text)) return { version: 4, value: ipv4ToBigInt(text) };
  if (!text.includes(':') || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let head = text;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    // An embedded IPv4 tail (`::ffff:192.0.2.1`) is two hex groups.
    const v4 = text.slice(lastColon + 1);
    if (!IPV4.test(v4)) return undefined;
    const n = ipv4ToBigInt(v4);
    head = `${text.slice(0, lastColon + 1)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s === '' ? [] : s.split(':'));
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  if ([...left, ...right].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const groups = left.length + right.length;
  if (halves.length === 1 ? groups !== 8 : groups > 7) return undefined;
  const all = [
    ...left.map((g) => BigInt(parseInt(g, 16))),
    ...Array<bigint>(8 - groups).fill(0n),
    ...right.map((g) => BigInt(parseInt(g, 16))),
  ];
  return { version: 6, value: all.reduce((acc, g) => (acc << 16n) | g, 0n) };
}

/** A CIDR block: the network and its mask. */
export interface Cidr {
  readonly version: 4 | 6;
  readonly network: bigint;
  readonly mask: bigint;
  /** The prefix length: 0–32 for IPv4, 0–128 for IPv6. */
  readonly bits: number;
  /** IPv4 network and mask as unsigned 32-bit numbers (no BigInt on the hot path). */
  readonly network4: number;
  readonly mask4: number;
}

/** Parses `10.0.0.0/24` or `2001:db8::/32`; undefined if it is not a CIDR block. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(bitsText)) return undefined;
  const width = ip.version === 4 ? 32 : 128;
  const bits = Number(bitsText);
  if (bits > width) return undefined;
  const all = (1n << BigInt(width)) - 1n;
  const mask = bits === 0 ? 0n : (all >> BigInt(width - bits)) << BigInt(width - bits);
  const network = ip.value & mask;
  return { version: ip.version, network, mask, bits, network4: Number(network & 0xffffffffn), mask4: Number(mask & 0xffffffffn) };
}

// Many CIDR conditions test the same event value in a row: parse it once.
let lastAddress: string | undefined;
let lastIp: IpValue | undefined;
let lastV4 = -1;

/** Whether an address string lies in the block; false for text that is no address, or one of the other family. */
export function inCidr(cidr: Cidr, address: string): boolean {
  if (address !== lastAddress) {
    lastAddress = address;
    lastIp = parseIp(address);
    lastV4 = lastIp?.version === 4 ? Number(lastIp.value) : -1;
  }
  if (!lastIp || lastIp.version !== cidr.version) return false;
  if (cidr.version === 4) return ((lastV4 & cidr.mask4) >>> 0) === cidr.network4;
  return (lastIp.value & cidr.mask) === cidr.network;
}

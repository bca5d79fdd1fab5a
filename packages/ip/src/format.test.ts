import { describe, expect, it } from '@jest/globals';
import { formatIp, normalizeCidr, normalizeIp } from './format';

// Expected spellings are what PostgreSQL 15's host(inet) prints for the same input (checked on PGlite; the
// IPAM's store tests compare the two on many more).
describe('normalizeIp', () => {
  it.each([
    ['10.0.1.10', '10.0.1.10'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2600:1f18:04e2:c100:0:0:0:a', '2600:1f18:4e2:c100::a'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:1::', '0:0:1::'],
    ['1:0::', '1::'],
    ['::', '::'],
    ['::1', '::1'],
    ['::2', '::2'],
    ['0:0:0:0:0:1:0:0', '::1:0:0'],
    ['::ffff', '::ffff'],
    ['::ffff:ffff:0:0', '::ffff:ffff:0:0'],
    ['::fffe:1:2', '::fffe:1:2'],
    ['64:ff9b::1.2.3.4', '64:ff9b::102:304'],
    // IPv4-mapped and IPv4-compatible addresses end in a dotted quad.
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::ffff:102:304', '::ffff:1.2.3.4'],
    ['::ffff:0:0', '::ffff:0.0.0.0'],
    ['::1:2', '::0.1.0.2'],
    ['::0:1:0', '::0.1.0.0'],
    ['::0.0.0.1', '::1'],
  ])('spells %s as %s', (text, spelled) => {
    expect(normalizeIp(text)).toBe(spelled);
  });

  it.each(['10.0.01.1', '2001:db8::1%eth0', 'not-an-ip'])('is undefined for %j', (text) => {
    expect(normalizeIp(text)).toBeUndefined();
  });
});

describe('formatIp', () => {
  it('writes an IPv4 value in dotted decimal', () => {
    expect(formatIp({ version: 4, value: 0xc0000201n })).toBe('192.0.2.1');
  });
});

describe('normalizeCidr', () => {
  it('spells the network address as normalizeIp does, with the prefix length', () => {
    expect(normalizeCidr('2600:1F18:04E2:C100:0:0:0:0/56')).toBe('2600:1f18:4e2:c100::/56');
  });

  it('clears host bits', () => {
    expect(normalizeCidr('10.0.1.5/16')).toBe('10.0.0.0/16');
  });

  it('is undefined for text that is no CIDR block', () => {
    expect(normalizeCidr('10.0.0.0/33')).toBeUndefined();
  });
});

import { describe, expect, it } from '@jest/globals';
import { parseReservedRanges, readCidr, ReservedRangesError } from './reserved-ranges';

describe('parseReservedRanges', () => {
  it('reads text: a block and a name a line, comments and blank lines skipped, IPv6 in one spelling', () => {
    const text = '# on-prem\n10.0.0.0/8   on-prem DC1\n\n192.168.10.0/24\tAcme partner VPN  # since 2024\n2001:DB8:0::/32\n';

    expect(parseReservedRanges(text, 'reserved.txt')).toEqual([
      { cidr: '10.0.0.0/8', name: 'on-prem DC1' },
      { cidr: '192.168.10.0/24', name: 'Acme partner VPN' },
      { cidr: '2001:db8::/32', name: 'reserved' },
    ]);
  });

  it('reads a JSON array of { cidr, name }', () => {
    const json = JSON.stringify([{ cidr: '172.16.0.0/12', name: 'on-prem DC2' }, { cidr: '100.64.0.0/10' }]);

    expect(parseReservedRanges(json, 'reserved.json')).toEqual([
      { cidr: '172.16.0.0/12', name: 'on-prem DC2' },
      { cidr: '100.64.0.0/10', name: 'reserved' },
    ]);
  });

  it.each([
    ['10.0.0.0/8 ok\nten-dot/8 bad\n', 'reserved.txt line 2: "ten-dot/8" is no IPv4 or IPv6 CIDR block'],
    ['\n\n10.0.0.1/8 DC1\n', 'reserved.txt line 3: "10.0.0.1/8" has host bits set: did you mean 10.0.0.0/8?'],
    ['10.0.0.0/33', 'reserved.txt line 1: "10.0.0.0/33" is no IPv4 or IPv6 CIDR block'],
    ['[{"cidr": "10.0.0.0/8"}, {"name": "x"}]', 'reserved.txt[1]: expected a "cidr" string'],
    ['[{"cidr": "10.0.0.0/8", "name": ""}]', 'reserved.txt[0]: "name" is a non-empty string when given'],
    ['["10.0.0.0/8"]', 'reserved.txt[0]: expected an object { "cidr", "name" }'],
    ['[{"cidr": "10.0.0.0/8",}]', 'reserved.txt is not JSON: '],
  ])('rejects %j naming the entry', (text, message) => {
    expect(() => parseReservedRanges(text, 'reserved.txt')).toThrow(ReservedRangesError);
    expect(() => parseReservedRanges(text, 'reserved.txt')).toThrow(message);
  });
});

describe('readCidr', () => {
  it('tells a block written with host bits from its network', () => {
    expect(readCidr('10.0.0.1/16')).toMatchObject({ canonical: '10.0.0.0/16', hostBits: true });
    expect(readCidr('2600:1F18:4E2:C100::/56')).toMatchObject({ canonical: '2600:1f18:4e2:c100::/56', hostBits: false });
    expect(readCidr('10.0.0.0')).toBeUndefined();
  });
});

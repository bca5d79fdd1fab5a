import { describe, expect, it } from '@jest/globals';
import { inCidr, parseCidr, parseIp } from './ip';

describe('parseIp', () => {
  it.each([
    ['10.0.1.10', 4, 0x0a00010an],
    ['0.0.0.0', 4, 0n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['2001:db8::1', 6, 0x20010db8000000000000000000000001n],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', 6, 0x20010db8000000000000000000000001n],
    ['::', 6, 0n],
    ['::ffff:192.0.2.1', 6, 0xffffc0000201n],
  ])('reads %s', (text, version, value) => {
    expect(parseIp(text)).toEqual({ version, value });
  });

  it.each(['10.0.01.1', '256.0.0.1', '10.0.0', '1:2:3:4:5:6:7', '1::2::3', '12345::', 'fe80::1%eth0', '::1.2.3', 'not-an-ip', ''])(
    'is undefined for %j',
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );
});

describe('parseCidr', () => {
  it('clears the host bits and keeps the prefix length', () => {
    expect(parseCidr('10.0.1.5/24')).toMatchObject({ version: 4, network: 0x0a000100n, bits: 24, network4: 0x0a000100, mask4: 0xffffff00 });
  });

  it('reads an IPv6 block', () => {
    expect(parseCidr('2001:db8::/32')).toMatchObject({ version: 6, network: 0x20010db8n << 96n, bits: 32 });
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '2001:db8::/129', '10.0.0.0/abc', 'not-an-ip/8', '300.0.0.0/8'])('is undefined for %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe('inCidr', () => {
  const v4 = parseCidr('10.0.0.0/24')!;
  const v6 = parseCidr('2001:db8::/32')!;

  it('holds for the first and last address of the block', () => {
    expect([inCidr(v4, '10.0.0.0'), inCidr(v4, '10.0.0.255')]).toEqual([true, true]);
  });

  it('does not hold for the next block', () => {
    expect(inCidr(v4, '10.0.1.0')).toBe(false);
  });

  it('holds for an IPv6 address in any spelling', () => {
    expect([inCidr(v6, '2001:db8::1'), inCidr(v6, '2001:0DB8:ffff:ffff:ffff:ffff:ffff:ffff')]).toEqual([true, true]);
  });

  it('does not hold across families, nor for text that is no address', () => {
    expect([inCidr(v6, '10.0.0.1'), inCidr(v4, '::ffff:10.0.0.1'), inCidr(v4, 'ec2.amazonaws.com')]).toEqual([false, false, false]);
  });

  it('answers each block on its own when one address is tested against several in a row', () => {
    expect([inCidr(v4, '10.0.0.7'), inCidr(parseCidr('10.0.1.0/24')!, '10.0.0.7'), inCidr(parseCidr('0.0.0.0/0')!, '10.0.0.7')]).toEqual([
      true,
      false,
      true,
    ]);
  });
});

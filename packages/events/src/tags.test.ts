import { describe, expect, it } from '@jest/globals';
import { formatStamp, parseStamp, parseTagTime } from './tags';

describe('stamps', () => {
  it('round-trips a reflex name and a time', () => {
    const stamp = { by: 'instance-scheduler', at: new Date('2026-11-23T08:50:00Z') };
    expect(parseStamp(formatStamp(stamp))).toEqual(stamp);
  });

  it('keeps an ARN with colons and slashes as the author', () => {
    const by = 'arn:aws:sts::123456789012:assumed-role/ops-admin/alice@example.com';
    const parsed = parseStamp(`${by}@2026-11-23T08:50:00.000Z`);
    expect(parsed?.by).toBe(by);
  });

  it('rejects a value without a time', () => {
    expect(parseStamp('instance-scheduler')).toBeUndefined();
    expect(parseStamp('instance-scheduler@yesterday')).toBeUndefined();
  });
});

describe('parseTagTime', () => {
  it('reads an ISO time and ignores anything else', () => {
    expect(parseTagTime('2026-11-23T22:00:00Z')).toEqual(new Date('2026-11-23T22:00:00Z'));
    expect(parseTagTime('tonight')).toBeUndefined();
    expect(parseTagTime(undefined)).toBeUndefined();
  });
});

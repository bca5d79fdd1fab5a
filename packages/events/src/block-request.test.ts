import { describe, expect, it } from '@jest/globals';
import { BlockRequestSchema } from './block-request';

// A Reflex event: no AWS sample exists. Shaped as PutEvents delivers one (envelope fields of the EventBridge docs).
const request = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'Reflex Block Request',
  source: 'reflex',
  account: '123456789012',
  time: '2026-12-06T10:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { source: '203.0.113.7', reason: 'flow logs: 4,000 SYNs/min to tcp/22', requestedBy: 'siem/rule-17', target: { vpcId: 'vpc-0a1b2c3d' } },
};

describe('BlockRequestSchema', () => {
  it('parses a block request and fills in action and severity', () => {
    const detail = BlockRequestSchema.parse(request).detail;

    expect(detail).toMatchObject({ action: 'block', severity: 5, source: '203.0.113.7', target: { vpcId: 'vpc-0a1b2c3d' } });
  });

  it.each(['198.51.100.0/24', '2001:db8::7', '2001:db8::/64'])('accepts %s as a source', (source) => {
    const event = structuredClone(request);
    event.detail.source = source;

    expect(BlockRequestSchema.safeParse(event).success).toBe(true);
  });

  it.each(['203.0.113.300', 'example.com', '10.0.0.0/33', ''])('rejects %j as a source', (source) => {
    const event = structuredClone(request);
    event.detail.source = source;

    expect(BlockRequestSchema.safeParse(event).success).toBe(false);
  });

  it('rejects a block without a target, naming the field', () => {
    const event = structuredClone(request) as { detail: Record<string, unknown> };
    delete event.detail.target;

    const parsed = BlockRequestSchema.safeParse(event);

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['detail', 'target']);
  });

  it('accepts an unblock without a target (every NACL)', () => {
    const event = structuredClone(request) as { detail: Record<string, unknown> };
    delete event.detail.target;
    event.detail.action = 'unblock';

    expect(BlockRequestSchema.safeParse(event).success).toBe(true);
  });

  it('rejects a target with two kinds at once', () => {
    const event = structuredClone(request) as { detail: Record<string, unknown> };
    event.detail.target = { vpcId: 'vpc-0a1b2c3d', instanceId: 'i-0123456789abcdef0' };

    expect(BlockRequestSchema.safeParse(event).success).toBe(false);
  });
});

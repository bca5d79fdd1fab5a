import { describe, expect, it } from '@jest/globals';
import { RouteOverrideSchema } from './route-override';

// A Reflex event: no AWS sample exists. Shaped as PutEvents delivers one (envelope fields of the EventBridge docs).
const override = {
  version: '0',
  id: '0d5c3a4e-7b1f-4c2a-9e8d-3f6a1b2c4d5e',
  'detail-type': 'Reflex Route Override',
  source: 'reflex',
  account: '123456789012',
  time: '2026-12-06T10:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { path: 'dc1', to: 'backup', requestedBy: 'alice' } as Record<string, unknown>,
};

describe('RouteOverrideSchema', () => {
  it('parses an override and fills in an empty reason', () => {
    const detail = RouteOverrideSchema.parse(override).detail;

    expect(detail).toEqual({ path: 'dc1', to: 'backup', requestedBy: 'alice', reason: '' });
  });

  it('keeps a given reason', () => {
    const event = structuredClone(override);
    event.detail.reason = 'DX maintenance in Seattle, 08:30–12:30 UTC';

    expect(RouteOverrideSchema.parse(event).detail.reason).toBe('DX maintenance in Seattle, 08:30–12:30 UTC');
  });

  it.each(['backup', 'primary', 'auto'])('accepts to: %s', (to) => {
    const event = structuredClone(override);
    event.detail.to = to;

    expect(RouteOverrideSchema.safeParse(event).success).toBe(true);
  });

  it('rejects to: "sideways", naming the field', () => {
    const event = structuredClone(override);
    event.detail.to = 'sideways';

    const parsed = RouteOverrideSchema.safeParse(event);

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['detail', 'to']);
  });

  it('rejects an empty path, naming the field', () => {
    const event = structuredClone(override);
    event.detail.path = '';

    const parsed = RouteOverrideSchema.safeParse(event);

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['detail', 'path']);
  });

  it('rejects an override without requestedBy, naming the field', () => {
    const event = structuredClone(override);
    delete event.detail.requestedBy;

    const parsed = RouteOverrideSchema.safeParse(event);

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['detail', 'requestedBy']);
  });

  it('rejects a reason longer than 256 characters', () => {
    const event = structuredClone(override);
    event.detail.reason = 'x'.repeat(257);

    expect(RouteOverrideSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an event whose detail-type is not Reflex Route Override', () => {
    const event = structuredClone(override);
    event['detail-type'] = 'Reflex Block Request';

    expect(RouteOverrideSchema.safeParse(event).success).toBe(false);
  });
});

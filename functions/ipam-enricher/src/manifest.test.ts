import { describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import { compilePattern } from '@reflex/event-patterns';
import { Ec2InstanceStateSchema } from '@reflex/events';
import { eventPatterns } from '@reflex/manifest';
import { manifest } from './manifest';

const stateChange = fixture('ec2/instance-state-change.json');
const [pattern] = eventPatterns(manifest).map((p) => compilePattern(p));

describe('ipam-enricher manifest', () => {
  it.each(Ec2InstanceStateSchema.options)('matches a state change to %s', (state) => {
    const event = structuredClone(stateChange);
    event.detail.state = state;

    expect(pattern!.matches(event)).toBe(true);
  });

  it('does not match other EC2 events', () => {
    const event = structuredClone(stateChange);
    event['detail-type'] = 'EC2 Spot Instance Interruption Warning';

    expect(pattern!.matches(event)).toBe(false);
  });

  it('sends to the IPAM sync queue and may only describe', () => {
    expect(manifest.sendsTo).toEqual(['ipam-sync']);
    expect(manifest.permissions({}).flatMap((p) => p.actions).every((a) => a.startsWith('ec2:Describe'))).toBe(true);
  });
});

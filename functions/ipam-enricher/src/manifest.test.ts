import { describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import { compilePattern } from '@reflex/event-patterns';
import { Ec2InstanceStateSchema } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { describeIssues, eventPatterns, permissionsOf } from '@reflex/manifest';
import { EnricherConfigSchema, manifest } from './manifest';

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
    expect(permissionsOf(manifest, EnricherConfigSchema.parse({})).flatMap((p) => p.actions).every((a) => a.startsWith('ec2:Describe'))).toBe(true);
  });
});

describe('ipam-enricher config', () => {
  it('has nothing to configure', () => {
    expect(EnricherConfigSchema.parse({})).toEqual({});
  });

  it('says so when the config is not an object', () => {
    const parsed = z.safeParse(EnricherConfigSchema, ['describe']);
    expect(parsed.success ? 'valid' : describeIssues(parsed.error)).toBe('(root): Invalid input: expected object, received array');
  });
});

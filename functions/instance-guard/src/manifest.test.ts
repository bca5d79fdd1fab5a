import { describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import { compilePattern } from '@reflex/event-patterns';
import { eventPatterns } from '@reflex/manifest';
import { manifest } from './manifest';

// Real sample events (packages/events/fixtures/SOURCES.md), cloned and changed for near-misses.
const [pattern, stopCall] = eventPatterns(manifest).map((p) => compilePattern(p));
const stopped = () => {
  const event = fixture('ec2/instance-state-change.json');
  event.detail.state = 'stopped';
  return event;
};

describe('instance guard trigger', () => {
  it('matches the documented EC2 state change once the instance is stopped', () => {
    expect(pattern!.matches(stopped())).toBe(true);
  });

  it('does not match the documented event as published (state "pending")', () => {
    expect(pattern!.matches(fixture('ec2/instance-state-change.json'))).toBe(false);
  });

  it('does not match a stopped state from another source', () => {
    const event = stopped();
    event.source = 'aws.autoscaling';
    expect(pattern!.matches(event)).toBe(false);
  });

  it('does not match the StopInstances API call (CloudTrail) with the state-change trigger', () => {
    expect(pattern!.matches(fixture('cloudtrail/stop-instances.json'))).toBe(false);
  });

  it('names the failing field for a near-miss', () => {
    const event = stopped();
    event.detail.state = 'stopping';
    expect(pattern!.explain(event).failures.map((f) => f.path)).toEqual(['detail.state']);
  });
});

describe('instance guard StopInstances trigger', () => {
  it('matches the documented StopInstances call', () => {
    expect(stopCall!.matches(fixture('cloudtrail/stop-instances.json'))).toBe(true);
  });

  it('does not match a failed StopInstances call', () => {
    const event = fixture('cloudtrail/stop-instances.json');
    event.detail.errorCode = 'Client.UnauthorizedOperation';
    expect(stopCall!.matches(event)).toBe(false);
  });

  it('does not match StartInstances', () => {
    expect(stopCall!.matches(fixture('cloudtrail/start-instances.json'))).toBe(false);
  });
});

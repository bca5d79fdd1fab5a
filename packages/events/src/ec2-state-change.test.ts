import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { Ec2StateChangeSchema } from './ec2-state-change';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/ec2/instance-state-change.json', import.meta.url), 'utf8'));

describe('Ec2StateChangeSchema', () => {
  it('parses the sample event from the EC2 documentation', () => {
    const event = Ec2StateChangeSchema.parse(fixture);
    expect(event.detail['instance-id']).toBe('i-abcd1111');
    expect(event.detail.state).toBe('pending');
  });

  it('rejects the detail when instance-id is spelled instance_id', () => {
    const event = structuredClone(fixture);
    event.detail = { instance_id: 'i-abcd1111', state: 'stopped' };
    expect(Ec2StateChangeSchema.safeParse(event).success).toBe(false);
  });

  it('rejects a state EC2 does not have', () => {
    const event = structuredClone(fixture);
    event.detail.state = 'paused';
    expect(Ec2StateChangeSchema.safeParse(event).success).toBe(false);
  });
});

describe('Ec2StateChangeSchema near-misses', () => {
  it('rejects an event whose source is not aws.ec2', () => {
    const event = structuredClone(fixture);
    event.source = 'aws.autoscaling';

    expect(Ec2StateChangeSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an event whose detail-type is not EC2 Instance State-change Notification', () => {
    const event = structuredClone(fixture);
    event['detail-type'] = 'EC2 Spot Instance Interruption Warning';

    expect(Ec2StateChangeSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an event without instance-id', () => {
    const event = structuredClone(fixture);
    delete event.detail['instance-id'];

    expect(Ec2StateChangeSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an instance-id that is not an EC2 instance id', () => {
    const event = structuredClone(fixture);
    event.detail['instance-id'] = 'vol-abcd1111';

    expect(Ec2StateChangeSchema.safeParse(event).success).toBe(false);
  });
});

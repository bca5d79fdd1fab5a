import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ScheduledEventSchema } from './scheduled';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/scheduled/scheduled-event.json', import.meta.url), 'utf8'));

describe('ScheduledEventSchema', () => {
  it('parses the sample scheduled event from the Lambda documentation', () => {
    const event = ScheduledEventSchema.parse(fixture);

    expect(event.resources).toEqual(['arn:aws:events:us-east-2:123456789012:rule/my-schedule']);
    expect(event.detail).toEqual({});
  });

  it('rejects an event whose source is not aws.events', () => {
    const event = structuredClone(fixture);
    event.source = 'aws.ec2';

    expect(ScheduledEventSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an event whose detail-type is not Scheduled Event', () => {
    const event = structuredClone(fixture);
    event['detail-type'] = 'Scheduled Events';

    expect(ScheduledEventSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an event without detail', () => {
    const event = structuredClone(fixture);
    delete event.detail;

    expect(ScheduledEventSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an event whose time is not an ISO date-time', () => {
    const event = structuredClone(fixture);
    event.time = '01/03/2019 01:23';

    expect(ScheduledEventSchema.safeParse(event).success).toBe(false);
  });
});

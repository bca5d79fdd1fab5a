import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { AwsHealthEventSchema } from './aws-health';

// The AWS Health User Guide's "Lambda Planned Lifecycle Event" sample (SOURCES.md): a scheduledChange with four affected entities.
const fixture = JSON.parse(readFileSync(new URL('../fixtures/health/lambda-planned-lifecycle.json', import.meta.url), 'utf8'));

/**
 * No AWS-published Direct Connect maintenance event exists, so this is the sample above with the fields a DX maintenance
 * changes. Changed: `region`/`eventRegion`, `resources`, `eventArn`, `service`, `eventTypeCode`, `statusCode`, `startTime`,
 * `endTime` (added), `eventDescription` and `affectedEntities`. Kept from the sample: the rest (id, account, time,
 * eventScopeCode, communicationId, lastUpdatedTime, eventMetadata, pages, personas, actionability).
 * - service, code and category: `aws/aws-health-tools` `all_events.json` (DIRECTCONNECT, AWS_DIRECTCONNECT_MAINTENANCE_SCHEDULED, scheduledChange).
 * - region, start/end time, resources and description: the sample notification of `aws/aws-health-tools`
 *   `dx-maintenance-notifier/README.md`, whose Lambda prints `event.resources`, `detail.startTime` and `detail.endTime`.
 * - eventArn: made up, in the `arn:aws:health:<region>::event/<SERVICE>/<EVENT_TYPE_CODE>/<EVENT_TYPE_PLUS_ID>` form of the Health API reference.
 * - statusCode `upcoming`: a documented value (EventBridge schema page) for an event that has not started.
 */
function dxMaintenance() {
  const event = structuredClone(fixture);
  event.region = 'us-west-2';
  event.resources = ['dxcon-xxxxxxxx', 'dxvif-xxxxxxxx'];
  Object.assign(event.detail, {
    eventArn: 'arn:aws:health:us-west-2::event/DIRECTCONNECT/AWS_DIRECTCONNECT_MAINTENANCE_SCHEDULED/AWS_DIRECTCONNECT_MAINTENANCE_SCHEDULED_EXAMPLE',
    service: 'DIRECTCONNECT',
    eventTypeCode: 'AWS_DIRECTCONNECT_MAINTENANCE_SCHEDULED',
    statusCode: 'upcoming',
    eventRegion: 'us-west-2',
    startTime: 'Thu, 6 Jul 2017 08:30:00 GMT',
    endTime: 'Thu, 6 Jul 2017 12:30:00 GMT',
    eventDescription: [
      {
        language: 'en_US',
        latestDescription:
          'Planned maintenance has been scheduled on an AWS Direct Connect router in Seattle, WA. During this maintenance window, your AWS Direct Connect services associated with this event may become unavailable.',
      },
    ],
    affectedEntities: [{ entityValue: 'dxcon-xxxxxxxx' }, { entityValue: 'dxvif-xxxxxxxx' }],
  });
  return event;
}

describe('AwsHealthEventSchema', () => {
  it('parses the published scheduled change', () => {
    const detail = AwsHealthEventSchema.parse(fixture).detail;

    expect(detail).toMatchObject({
      service: 'LAMBDA',
      eventTypeCode: 'AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT',
      eventTypeCategory: 'scheduledChange',
      startTime: 'Thu, 27 Aug 2026 13:19:03 GMT',
    });
    expect(detail.endTime).toBeUndefined();
  });

  it('reads the affected entities, and keeps the fields it does not name', () => {
    const detail = AwsHealthEventSchema.parse(fixture).detail;

    expect(detail.affectedEntities?.map((e) => e.entityValue)).toEqual([
      'arn:lambda-1-101002929',
      'arn:lambda-1-101002930',
      'arn:lambda-1-101002931',
      'arn:lambda-1-101002932',
    ]);
    expect(detail.affectedEntities?.[3]).toMatchObject({ status: 'RESOLVED' });
    expect(detail).toMatchObject({ statusCode: 'open', eventScopeCode: 'ACCOUNT_SPECIFIC', totalPages: '10' });
  });

  it('parses a Direct Connect maintenance (the sample, changed) with its window and connections', () => {
    const detail = AwsHealthEventSchema.parse(dxMaintenance()).detail;

    expect(detail).toMatchObject({
      service: 'DIRECTCONNECT',
      eventTypeCode: 'AWS_DIRECTCONNECT_MAINTENANCE_SCHEDULED',
      eventTypeCategory: 'scheduledChange',
      startTime: 'Thu, 6 Jul 2017 08:30:00 GMT',
      endTime: 'Thu, 6 Jul 2017 12:30:00 GMT',
    });
    expect(detail.affectedEntities?.map((e) => e.entityValue)).toEqual(['dxcon-xxxxxxxx', 'dxvif-xxxxxxxx']);
  });

  it('parses an event without affected entities', () => {
    const event = structuredClone(fixture);
    delete event.detail.affectedEntities;

    expect(AwsHealthEventSchema.parse(event).detail.affectedEntities).toBeUndefined();
  });

  it('rejects an affected entity without entityValue', () => {
    const event = structuredClone(fixture);
    delete event.detail.affectedEntities[0].entityValue;

    expect(AwsHealthEventSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an event whose source is not aws.health', () => {
    const event = structuredClone(fixture);
    event.source = 'aws.directconnect';

    expect(AwsHealthEventSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an event whose detail-type is not AWS Health Event', () => {
    const event = structuredClone(fixture);
    event['detail-type'] = 'AWS Health Abuse Event';

    expect(AwsHealthEventSchema.safeParse(event).success).toBe(false);
  });

  it.each(['service', 'eventTypeCategory'])('rejects a detail without %s, naming the field', (field) => {
    const event = structuredClone(fixture);
    delete event.detail[field];

    const parsed = AwsHealthEventSchema.safeParse(event);

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['detail', field]);
  });
});

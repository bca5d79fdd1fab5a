import { describe, expect, it } from '@jest/globals';
import { type ReflexAction, ReflexActionSchema } from './reflex-action';

// No AWS sample exists for our own event: this one is written the way EventBridgeEmitter publishes it.
const action: ReflexAction = {
  version: '0',
  id: '3b9f4c1e-8f1a-4d2b-9c55-0a6c1f0e2d71',
  'detail-type': 'Reflex Action',
  source: 'reflex',
  account: '123456789012',
  time: '2021-11-11T21:29:58Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: {
    reflex: 'instance-guard',
    env: 'dev',
    action: 'ec2:StartInstances',
    targets: [{ id: 'i-abcd1111', arn: 'arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111' }],
    reason: 'the instance is tagged reflex:protect=true and was stopped',
    dryRun: false,
    outcome: 'succeeded',
    severity: 'info',
    cause: { eventId: '7bf73129-1428-4cd3-a780-95db273d1602', source: 'aws.ec2', detailType: 'EC2 Instance State-change Notification' },
  },
};

describe('ReflexActionSchema', () => {
  it('parses a complete Reflex Action event', () => {
    const event = ReflexActionSchema.parse(action);

    expect(event.detail).toEqual(action.detail);
  });

  it('rejects an action without targets', () => {
    const event = structuredClone(action);
    event.detail.targets = [];

    expect(ReflexActionSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an outcome that is not one of succeeded, dry-run, failed, alert', () => {
    const event: { detail: { outcome: string } } = structuredClone(action);
    event.detail.outcome = 'skipped';

    expect(ReflexActionSchema.safeParse(event).success).toBe(false);
  });

  it('rejects a target ARN that does not start with arn:', () => {
    const event = structuredClone(action);
    event.detail.targets = [{ id: 'i-abcd1111', arn: 'i-abcd1111' }];

    expect(ReflexActionSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an event whose source is not reflex', () => {
    const event: { source: string } = structuredClone(action);
    event.source = 'aws.ec2';

    expect(ReflexActionSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an action without a cause', () => {
    const event: { detail: Partial<ReflexAction['detail']> } = structuredClone(action);
    delete event.detail.cause;

    expect(ReflexActionSchema.safeParse(event).success).toBe(false);
  });
});

import { describe, expect, it } from '@jest/globals';
import { eventsOfAction, isReadOnlyAction } from './action-events';

const summaries = (action: string, scope = {}) => eventsOfAction(action, scope).map((e) => e.summary);

describe('eventsOfAction', () => {
  it('gives a start its CloudTrail record and the state changes pending and running', () => {
    expect(summaries('ec2:StartInstances')).toEqual(['CloudTrail StartInstances', 'state pending', 'state running']);
    const [call] = eventsOfAction('ec2:StartInstances');
    expect(call).toEqual(
      expect.objectContaining({
        source: 'aws.ec2',
        detailType: 'AWS API Call via CloudTrail',
        detail: { eventSource: 'ec2.amazonaws.com', eventName: 'StartInstances' },
        namesCaller: true,
      }),
    );
  });

  it('gives a stop stopping and stopped, a terminate shutting-down and terminated, a reboot no state change', () => {
    expect(summaries('ec2:StopInstances')).toEqual(['CloudTrail StopInstances', 'state stopping', 'state stopped']);
    expect(summaries('ec2:TerminateInstances')).toEqual(['CloudTrail TerminateInstances', 'state shutting-down', 'state terminated']);
    expect(summaries('ec2:RebootInstances')).toEqual(['CloudTrail RebootInstances']);
  });

  it('gives a tag write one tag change per key and resource type the statement allows', () => {
    expect(summaries('ec2:CreateTags', { tagKeys: ['a', 'b'], resourceTypes: ['instance'] })).toEqual([
      'CloudTrail CreateTags',
      'tag change a on instance',
      'tag change b on instance',
    ]);
    const [, change] = eventsOfAction('ec2:DeleteTags', { tagKeys: ['a'] });
    expect(change).toEqual(
      expect.objectContaining({ source: 'aws.tag', detailType: 'Tag Change on Resource', detail: { service: 'ec2', 'changed-tag-keys': ['a'] }, namesCaller: false }),
    );
    expect(change!.known).toEqual(['detail.service', 'detail.changed-tag-keys']);
  });

  it('leaves the event name of a wildcard unknown, and gives it what every call it allows causes', () => {
    const events = eventsOfAction('ec2:St*Instances');
    expect(events[0]!.detail).toEqual({ eventSource: 'ec2.amazonaws.com' });
    expect(events[0]!.known).not.toContain('detail.eventName');
    expect(events.map((e) => e.summary)).toEqual(['CloudTrail St*Instances', 'state pending', 'state running', 'state stopping', 'state stopped']);
  });

  it("uses CloudWatch's event source, monitoring.amazonaws.com", () => {
    expect(eventsOfAction('cloudwatch:PutMetricAlarm')[0]!.detail).toEqual({ eventSource: 'monitoring.amazonaws.com', eventName: 'PutMetricAlarm' });
  });

  it('gives read-only calls nothing: Reflex rules do not receive them', () => {
    for (const action of ['ec2:DescribeInstances', 'dynamodb:GetItem', 'sqs:ListQueues']) {
      expect(isReadOnlyAction(action)).toBe(true);
      expect(eventsOfAction(action)).toEqual([]);
    }
    // Not Describe, Get or List: EventBridge delivers it like a write.
    expect(summaries('ec2:SearchTransitGatewayRoutes')).toEqual(['CloudTrail SearchTransitGatewayRoutes']);
  });

  it('gives an Auto Scaling replacement the termination and the launch', () => {
    expect(summaries('autoscaling:SetInstanceHealth')).toEqual([
      'CloudTrail SetInstanceHealth',
      'state shutting-down',
      'state terminated',
      'state pending',
      'state running',
      'EC2 Instance Terminate Successful',
      'EC2 Instance Launch Successful',
    ]);
  });
});

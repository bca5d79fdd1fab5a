import { describe, expect, it } from '@jest/globals';
import { forwardingPatterns } from '../src/constructs/forwarding';

describe('forwardingPatterns', () => {
  it('forwards each AWS source with the detail-types its patterns name', () => {
    const patterns = [
      { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] },
      { source: ['aws.ec2'], 'detail-type': ['AWS API Call via CloudTrail'] },
    ];
    expect(forwardingPatterns(patterns)).toEqual(
      new Map([['aws.ec2', ['AWS API Call via CloudTrail', 'EC2 Instance State-change Notification']]]),
    );
  });

  it('forwards the whole source when a pattern does not pin the detail-type', () => {
    const patterns = [{ source: ['aws.ec2'], 'detail-type': ['X'] }, { source: ['aws.ec2'] }];
    expect(forwardingPatterns(patterns)).toEqual(new Map([['aws.ec2', undefined]]));
  });

  it('forwards the whole source when a detail-type is a matcher rather than an exact value', () => {
    const patterns = [{ source: ['aws.ec2'], 'detail-type': ['A', { prefix: 'EC2 Instance' }] }];
    expect(forwardingPatterns(patterns)).toEqual(new Map([['aws.ec2', undefined]]));
  });

  it('does not forward sources that are not AWS services', () => {
    expect(forwardingPatterns([{ source: ['reflex'], 'detail-type': ['Reflex Action'] }])).toEqual(new Map());
  });

  it('rejects a source given as a matcher, naming the pattern', () => {
    expect(() => forwardingPatterns([{ source: [{ prefix: 'aws.' }] }])).toThrow('"source" must list exact values');
  });
});

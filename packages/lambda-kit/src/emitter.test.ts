import { describe, expect, it } from '@jest/globals';
import type { ReflexActionDetail } from '@reflex/events';
import { MemoryEmitter } from './emitter';

const action: ReflexActionDetail = {
  reflex: 'tiny',
  env: 'test',
  action: 'ec2:StartInstances',
  targets: [{ id: 'i-abcd1111' }],
  reason: 'protected',
  dryRun: false,
  outcome: 'succeeded',
  severity: 'info',
  cause: { eventId: 'e1', source: 'aws.ec2', detailType: 'EC2 Instance State-change Notification' },
};

describe('MemoryEmitter', () => {
  it('keeps every emitted action in order', async () => {
    const emitter = new MemoryEmitter();

    await emitter.emit([action]);
    await emitter.emit([{ ...action, reason: 'again' }]);

    expect(emitter.emitted.map((a) => a.reason)).toEqual(['protected', 'again']);
  });
});

import { describe, expect, it } from '@jest/globals';
import { formatDriftReport } from './report';

describe('formatDriftReport', () => {
  const base = {
    account: '111111111111',
    region: 'eu-west-1',
    observedAt: '2026-03-01T10:01:00.000Z',
    dryRun: false,
    checked: { instances: 2, networks: 3 },
    counts: { 'instance-missing': 0, 'instance-changed': 1, 'instance-gone': 0, 'network-missing': 0, 'network-deleted': 1 },
    corrected: 1,
    skipped: 1,
    failed: 0,
  };

  it('says there is no drift in one line', () => {
    const none = { ...base, items: [], counts: { ...base.counts, 'instance-changed': 0, 'network-deleted': 0 }, corrected: 0, skipped: 0 };

    expect(formatDriftReport(none)).toBe(
      'No drift in 111111111111/eu-west-1 at 2026-03-01T10:01:00.000Z: 2 instances and 3 network blocks checked.',
    );
  });

  it('lists each item with what differed and what was done', () => {
    const text = formatDriftReport({
      ...base,
      items: [
        { kind: 'instance-changed', id: 'i-0aaaaaaaaaaaaaaa1', differences: ['state running → stopped'], action: 'corrected' },
        {
          kind: 'network-deleted',
          id: 'vpc-0bbbbbbbbbbbbbbb2',
          differences: ['vpc block 10.0.128.0/17 no longer in EC2'],
          action: 'skipped',
        },
      ],
    });

    expect(text).toBe(
      [
        'Drift in 111111111111/eu-west-1 at 2026-03-01T10:01:00.000Z: 2 instances and 3 network blocks checked; ' +
          '2 differences (1 instance-changed, 1 network-deleted): 1 corrected, 1 skipped (the store holds a newer event).',
        '  instance-changed  i-0aaaaaaaaaaaaaaa1  [corrected]',
        '    state running → stopped',
        '  network-deleted   vpc-0bbbbbbbbbbbbbbb2  [skipped]',
        '    vpc block 10.0.128.0/17 no longer in EC2',
      ].join('\n'),
    );
  });
});

// RuleSet: many named patterns, one event, the ids of every matching rule.
//
// Sources:
// - aws/event-ruler README.md, "Matching with a Machine" / "addRule()" / "rulesForEvent() / rulesForJSONEvent()":
//   a Machine holds many rules and returns the names of all rules matching an event; array-consistent matching
//   applies as in rulesForJSONEvent().
// - Amazon EventBridge User Guide, "Amazon EventBridge event patterns": each rule on a bus evaluates its own
//   pattern against every event, so one event can match several rules.
//   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
//
// Events are the AWS-published samples in packages/events/fixtures (see fixtures/SOURCES.md).

import { describe, expect, it } from '@jest/globals';
import { fixtureText } from '@reflex/events/fixtures';
import { compilePattern, InvalidPatternError, RuleSet } from './index';
import { events as benchEvents, rules as benchRules } from '../bench/workload';


const EC2_TEXT = fixtureText('ec2/instance-state-change.json');
const CLOUDTRAIL_TEXT = fixtureText('cloudtrail/start-instances.json');
const GUARDDUTY_TEXT = fixtureText('guardduty/finding.json');

// The samples are arbitrary JSON; tests mutate them freely.
type Event = any;
const ec2 = (): Event => JSON.parse(EC2_TEXT);

const sorted = <T>(ids: T[]): T[] => [...ids].sort();

/** A small set of Reflex-like rules over EC2, CloudTrail and GuardDuty events. */
function reflexRules(): RuleSet<string> {
  const rules = new RuleSet<string>();
  rules.add('ec2-any-state', { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] });
  rules.add('ec2-pending', { source: ['aws.ec2'], detail: { state: ['pending'] } });
  rules.add('ec2-stopped', { source: ['aws.ec2'], detail: { state: ['stopped'] } });
  rules.add('cloudtrail-ec2-start-stop', {
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['StartInstances', 'StopInstances'] },
  });
  rules.add('any-aws-source', { source: [{ prefix: 'aws.' }] });
  rules.add(
    'guardduty-low-severity-inbound',
    '{"source":["aws.guardduty"],"detail":{"severity":[{"numeric":[">",0,"<",4]}],"service":{"action":{"networkConnectionAction":{"connectionDirection":["INBOUND"]}}}}}',
  );
  rules.add('us-east-region', { region: [{ prefix: 'us-east-' }], detail: { state: [{ 'anything-but': 'terminated' }] } });
  return rules;
}

describe('RuleSet', () => {
  it('returns exactly the ids of the rules matching the EC2 state-change sample', () => {
    expect(sorted(reflexRules().matches(ec2()))).toEqual(['any-aws-source', 'ec2-any-state', 'ec2-pending', 'us-east-region']);
  });

  it('returns a different set once the instance is stopped in another region', () => {
    const event = ec2();
    event.detail.state = 'stopped';
    event.region = 'eu-west-1';
    expect(sorted(reflexRules().matches(event))).toEqual(['any-aws-source', 'ec2-any-state', 'ec2-stopped']);
  });

  it('matches the CloudTrail StartInstances sample given as JSON text', () => {
    // us-east-region needs detail.state, which the CloudTrail record does not have (anything-but needs a value).
    expect(sorted(reflexRules().matches(CLOUDTRAIL_TEXT))).toEqual(['any-aws-source', 'cloudtrail-ec2-start-stop']);
  });

  it('matches the GuardDuty finding sample', () => {
    expect(sorted(reflexRules().matches(GUARDDUTY_TEXT))).toEqual(['any-aws-source', 'guardduty-low-severity-inbound']);
  });

  it('returns no ids for an event no rule matches', () => {
    const event = ec2();
    event.source = 'com.example.orders';
    event['detail-type'] = 'Order Placed';
    event.region = 'eu-west-1';
    expect(reflexRules().matches(event)).toEqual([]);
  });

  it('returns no ids from an empty rule set', () => {
    expect(new RuleSet<string>().matches(ec2())).toEqual([]);
  });

  it('returns both ids when the same pattern is added under two ids', () => {
    const rules = new RuleSet<string>();
    const pattern = { source: ['aws.ec2'], detail: { state: ['pending'] } };
    rules.add('notify-slack', pattern);
    rules.add('tag-instance', pattern);
    expect(sorted(rules.matches(ec2()))).toEqual(['notify-slack', 'tag-instance']);
  });

  it('returns both ids when equal patterns are added as object and as JSON text', () => {
    const rules = new RuleSet<string>();
    rules.add('as-object', { detail: { 'instance-id': ['i-abcd1111'] } });
    rules.add('as-text', '{"detail":{"instance-id":["i-abcd1111"]}}');
    expect(sorted(rules.matches(EC2_TEXT))).toEqual(['as-object', 'as-text']);
  });

  it('returns neither id of a shared pattern for a near-miss event', () => {
    const rules = new RuleSet<string>();
    const pattern = { source: ['aws.ec2'], detail: { state: ['pending'] } };
    rules.add('notify-slack', pattern);
    rules.add('tag-instance', pattern);
    const event = ec2();
    event.detail.state = 'running';
    expect(rules.matches(event)).toEqual([]);
  });

  it('keeps non-string ids as given', () => {
    const rules = new RuleSet<number>();
    rules.add(1, { source: ['aws.ec2'] });
    rules.add(2, { source: ['aws.guardduty'] });
    rules.add(3, { detail: { state: [{ exists: true }] } });
    expect(rules.matches(ec2()).sort((a, b) => a - b)).toEqual([1, 3]);
  });

  it('applies array-consistent matching per rule', () => {
    const rules = new RuleSet<string>();
    const tag = (key: string, value: string) => ({ detail: { resource: { instanceDetails: { tags: { key: [key], value: [value] } } } } });
    rules.add('tag1-own-value', tag('GeneratedFindingInstaceTag1', 'GeneratedFindingInstaceValue1'));
    rules.add('tag1-other-value', tag('GeneratedFindingInstaceTag1', 'GeneratedFindingInstaceTagValue2'));
    expect(rules.matches(GUARDDUTY_TEXT)).toEqual(['tag1-own-value']);
  });

  it('keeps rules on a literal no double holds apart from rules on its nearest double (9007199254740993, 1e400)', () => {
    const rules = new RuleSet<string>();
    rules.add('double', '{"n": [9007199254740992]}');
    rules.add('literal', '{"n": [9007199254740993]}');
    rules.add('null', '{"n": [null]}');
    rules.add('beyond', '{"n": [1e400]}');

    expect(rules.matches('{"n": 9007199254740993}')).toEqual(['literal']);
    expect(rules.matches('{"n": 9007199254740992}')).toEqual(['double']);
    expect(rules.matches('{"n": 1e400}')).toEqual(['beyond']);
    expect(rules.matches('{"n": null}')).toEqual(['null']);
  });

  it('rejects an invalid pattern with InvalidPatternError', () => {
    const rules = new RuleSet<string>();
    expect(() => rules.add('broken', { source: 'aws.ec2' })).toThrow(InvalidPatternError);
  });

  it('reads a key given again later in the text (both values count), though the first value matches no rule', () => {
    const rules = new RuleSet<string>();
    rules.add('ec2', { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] });
    rules.add('ec2-pending', { source: ['aws.ec2'], detail: { state: ['pending'] } });
    const text = EC2_TEXT.replace('"source": "aws.ec2"', '"source": "aws.s3"');
    expect(rules.matches(text)).toEqual([]);
    expect(sorted(rules.matches(text.replace(/}\s*$/, ', "source": "aws.ec2"}')))).toEqual(['ec2', 'ec2-pending']);
  });

  it('reads an event key "detail.state" as detail.state, in objects and text', () => {
    const rules = new RuleSet<string>();
    rules.add('pending', { source: ['aws.ec2'], detail: { state: ['pending'] } });
    rules.add('dotted-stopped', { 'detail.state': ['stopped'] });
    const event = ec2();
    event['detail.state'] = 'stopped';
    expect(sorted(rules.matches(event))).toEqual(['dotted-stopped', 'pending']);
    expect(sorted(rules.matches(JSON.stringify(event)))).toEqual(['dotted-stopped', 'pending']);
  });

  it('reads JSON text (skipping unread fields, stopping early when no rule can match) as the full matcher reads objects', () => {
    // The benchmark's workload: 1,000 events, compact and pretty-printed, against 1 and 200 rules.
    const patterns = benchRules(200);
    const compiled = patterns.map((p) => compilePattern(p));
    for (const count of [1, 200]) {
      const rules = new RuleSet<number>();
      patterns.slice(0, count).forEach((p, i) => rules.add(i, p));
      for (const text of benchEvents(1000)) {
        const event = JSON.parse(text);
        const expected = compiled.slice(0, count).flatMap((c, i) => (c.matches(event) ? [i] : []));
        expect([rules.matches(text), rules.matches(JSON.stringify(event, null, 2))].map((ids) => ids.sort((a, b) => a - b))).toEqual([expected, expected]);
      }
    }
  });
});

// Matching semantics of @reflex/event-patterns: every case here is what Amazon EventBridge does, and where the
// AWS docs are silent or ambiguous, what aws/event-ruler (the library EventBridge is built on) does.
//
// Sources:
// - Amazon EventBridge User Guide, "Content filtering in Amazon EventBridge event patterns" and
//   "Comparison operators for use in event patterns in Amazon EventBridge"
//   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
//   (prefix, prefix/equals-ignore-case, suffix, suffix/equals-ignore-case, equals-ignore-case, anything-but and
//   its prefix/suffix/wildcard/equals-ignore-case forms, numeric, exists, cidr, wildcard, $or).
// - Amazon EventBridge User Guide, "Arrays in Amazon EventBridge event patterns"
//   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
//   (a value matches when the pattern array and the event array intersect).
// - Amazon EventBridge User Guide, "Matching null values and empty strings in Amazon EventBridge event patterns"
//   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
// - aws/event-ruler README.md: "Ruler by Example" (Simple, Prefix, Suffix, Equals-ignore-case, Wildcard,
//   Anything-but, Numeric, IP Address, Exists matching), "And and Or Relationship among fields with Ruler"
//   ($or), "JSON text matching", "JSON Array Matching" (rulesForJSONEvent array-consistent matching).
// - aws/event-ruler src/main/.../JsonRuleCompiler.java (a number in a pattern matches both as literal text and
//   as a ComparableNumber, so 5 matches 5.0 and 3e2 matches 300; ComparableNumber takes any literal that is
//   exactly a double, so others — 2^53 + 1, 1E-325 — match only by their exact text and never `numeric`) and
//   CIDR.java (IPv4/IPv6 parsing of event strings).
// - Cases marked "event-ruler 2.0.1" were run on event-ruler 2.0.1 (built from source, Jackson 2.22) with the
//   same pattern and event, and give the same answer there.
//
// Events are the AWS-published samples in packages/events/fixtures (see fixtures/SOURCES.md), cloned and
// mutated per test.

import { describe, expect, it, jest } from '@jest/globals';
import { fixtureText } from '@reflex/events/fixtures';
import { compilePattern } from './index';


const EC2_TEXT = fixtureText('ec2/instance-state-change.json');
const CLOUDTRAIL_TEXT = fixtureText('cloudtrail/start-instances.json');
const GUARDDUTY_TEXT = fixtureText('guardduty/finding.json');

// Fresh, mutable copies of the published samples.
// The samples are arbitrary JSON; tests mutate them freely.
type Event = any;
const ec2 = (): Event => JSON.parse(EC2_TEXT);
const cloudtrail = (): Event => JSON.parse(CLOUDTRAIL_TEXT);
const guardduty = (): Event => JSON.parse(GUARDDUTY_TEXT);

/** The EC2 sample as JSON text, with `detail[field]` set to a raw JSON number literal (kept verbatim). */
const ec2TextWithNumber = (field: string, literal: string): string => {
  const event = ec2();
  event.detail[field] = '__RAW_NUMBER__';
  return JSON.stringify(event).replace('"__RAW_NUMBER__"', literal);
};

const matches = (pattern: string | object, event: string | object): boolean => compilePattern(pattern).matches(event);

describe('exact string matching', () => {
  it('matches the EC2 sample on source, detail-type and detail.state', () => {
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['pending'] },
    };
    expect(matches(pattern, ec2())).toBe(true);
  });

  it('matches when any value in the pattern array equals the event value', () => {
    expect(matches({ detail: { state: ['running', 'pending'] } }, ec2())).toBe(true);
  });

  it('does not match a different state', () => {
    const event = ec2();
    event.detail.state = 'stopped';
    expect(matches({ detail: { state: ['running', 'pending'] } }, event)).toBe(false);
  });

  it('is case-sensitive', () => {
    expect(matches({ detail: { state: ['Pending'] } }, ec2())).toBe(false);
  });

  it('requires every field named in the pattern to match (AND)', () => {
    expect(matches({ source: ['aws.ec2'], detail: { state: ['running'] } }, ec2())).toBe(false);
  });

  it('ignores event fields the pattern does not name', () => {
    expect(matches({ region: ['us-east-1'] }, ec2())).toBe(true);
  });

  it('does not match when the field is missing from the event', () => {
    expect(matches({ detail: { reason: ['User initiated'] } }, ec2())).toBe(false);
  });

  it('matches an empty string only against an empty string', () => {
    const event = cloudtrail();
    event.detail.eventVersion = '';
    expect(matches({ detail: { eventVersion: [''] } }, event)).toBe(true);
  });

  it('does not match an empty-string pattern against a non-empty value', () => {
    expect(matches({ detail: { eventVersion: [''] } }, cloudtrail())).toBe(false);
  });
});

describe('exact number matching', () => {
  it('matches an integer against the same integer', () => {
    expect(matches({ detail: { severity: [2] } }, guardduty())).toBe(true);
  });

  it('does not match a different number', () => {
    expect(matches({ detail: { severity: [3] } }, guardduty())).toBe(false);
  });

  it('matches pattern 5 against event 5.0 (numbers compare by value, not text)', () => {
    const event = ec2TextWithNumber('attempt', '5.0');
    expect(matches('{"detail":{"attempt":[5]}}', event)).toBe(true);
  });

  it('matches pattern 300 against event 3e2', () => {
    const event = ec2TextWithNumber('attempt', '3e2');
    expect(matches('{"detail":{"attempt":[300]}}', event)).toBe(true);
  });

  it('matches pattern 3e2 against event 300', () => {
    const event = ec2();
    event.detail.attempt = 300;
    expect(matches('{"detail":{"attempt":[3e2]}}', event)).toBe(true);
  });

  it('does not match pattern 300 against event 300.5', () => {
    const event = ec2TextWithNumber('attempt', '300.5');
    expect(matches('{"detail":{"attempt":[300]}}', event)).toBe(false);
  });

  it('does not match the string "5" in the event against the number 5', () => {
    const event = ec2();
    event.detail.attempt = '5';
    expect(matches({ detail: { attempt: [5] } }, event)).toBe(false);
  });

  it('does not match the number 5 in the event against the string "5"', () => {
    const event = ec2();
    event.detail.attempt = 5;
    expect(matches({ detail: { attempt: ['5'] } }, event)).toBe(false);
  });

  it('does not match the string "-1" (GuardDuty asn) against the number -1', () => {
    expect(matches({ detail: { service: { action: { networkConnectionAction: { remoteIpDetails: { organization: { asn: [-1] } } } } } } }, guardduty())).toBe(false);
  });
});

describe('boolean matching', () => {
  const blocked = (value: unknown) => ({
    detail: { service: { action: { networkConnectionAction: { blocked: [value] } } } },
  });

  it('matches false against GuardDuty blocked: false', () => {
    expect(matches(blocked(false), guardduty())).toBe(true);
  });

  it('does not match true against blocked: false', () => {
    expect(matches(blocked(true), guardduty())).toBe(false);
  });

  it('does not match the string "false" against the boolean false', () => {
    expect(matches(blocked('false'), guardduty())).toBe(false);
  });

  it('matches true once the finding is blocked', () => {
    const event = guardduty();
    event.detail.service.action.networkConnectionAction.blocked = true;
    expect(matches(blocked(true), event)).toBe(true);
  });
});

describe('null matching', () => {
  const platform = (value: unknown) => ({ detail: { resource: { instanceDetails: { platform: [value] } } } });

  it('matches [null] against a null field (GuardDuty platform: null)', () => {
    expect(matches(platform(null), guardduty())).toBe(true);
  });

  it('does not match [null] when the field is missing', () => {
    const event = guardduty();
    delete event.detail.resource.instanceDetails.platform;
    expect(matches(platform(null), event)).toBe(false);
  });

  it('does not match [null] against a string value', () => {
    const event = guardduty();
    event.detail.resource.instanceDetails.platform = 'windows';
    expect(matches(platform(null), event)).toBe(false);
  });

  it('does not match [""] against null (null and empty string are not interchangeable)', () => {
    expect(matches(platform(''), guardduty())).toBe(false);
  });

  it('does not match the string "null" against null', () => {
    expect(matches(platform('null'), guardduty())).toBe(false);
  });
});

describe('event arrays', () => {
  const arn1 = 'arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111';
  const arn2 = 'arn:aws:ec2:us-east-1:123456789012:instance/i-abcd2222';

  it('matches when the pattern value equals one element of the event array', () => {
    expect(matches({ resources: [arn1] }, ec2())).toBe(true);
  });

  it('matches when any element of a multi-element event array matches any pattern value', () => {
    const event = ec2();
    event.resources = ['arn:aws:ec2:us-east-1:123456789012:volume/vol-0123', arn2];
    expect(matches({ resources: ['arn:aws:ec2:us-east-1:111122223333:instance/i-x', arn2] }, event)).toBe(true);
  });

  it('does not match when no element of the event array matches', () => {
    const event = ec2();
    event.resources = [arn2];
    expect(matches({ resources: [arn1] }, event)).toBe(false);
  });

  it('applies operators to each element (prefix on resources)', () => {
    const event = ec2();
    event.resources = ['arn:aws:s3:::example-bucket', arn1];
    expect(matches({ resources: [{ prefix: 'arn:aws:ec2:' }] }, event)).toBe(true);
  });

  it('empty event array does not match an exact value', () => {
    expect(matches({ resources: ['arn:aws:ec2:us-east-2:123456789012:instance/i-ebeaf9e2'] }, cloudtrail())).toBe(false);
  });

  it('empty event array does not match a prefix', () => {
    expect(matches({ resources: [{ prefix: 'arn:' }] }, cloudtrail())).toBe(false);
  });

  it('empty event array does not match anything-but', () => {
    expect(matches({ resources: [{ 'anything-but': 'arn:aws:s3:::example-bucket' }] }, cloudtrail())).toBe(false);
  });

  it('empty event array does not match exists: true', () => {
    expect(matches({ resources: [{ exists: true }] }, cloudtrail())).toBe(false);
  });

  it('empty event array matches exists: false', () => {
    expect(matches({ resources: [{ exists: false }] }, cloudtrail())).toBe(true);
  });

  it('matches values inside an array of objects (GuardDuty privateIpAddresses)', () => {
    const pattern = {
      detail: {
        resource: {
          instanceDetails: { networkInterfaces: { privateIpAddresses: { privateIpAddress: ['10.0.0.1'] } } },
        },
      },
    };
    expect(matches(pattern, guardduty())).toBe(true);
  });

  it('does not match a value absent from every object in the array', () => {
    const pattern = {
      detail: {
        resource: {
          instanceDetails: { networkInterfaces: { privateIpAddresses: { privateIpAddress: ['10.0.0.2'] } } },
        },
      },
    };
    expect(matches(pattern, guardduty())).toBe(false);
  });
});

describe('prefix', () => {
  it('matches the start of a string', () => {
    expect(matches({ time: [{ prefix: '2021-11-11' }] }, ec2())).toBe(true);
  });

  it('does not match a different start', () => {
    expect(matches({ time: [{ prefix: '2021-11-12' }] }, ec2())).toBe(false);
  });

  it('is case-sensitive', () => {
    expect(matches({ detail: { 'instance-id': [{ prefix: 'I-' }] } }, ec2())).toBe(false);
  });

  it('does not match a number', () => {
    expect(matches({ detail: { severity: [{ prefix: '2' }] } }, guardduty())).toBe(false);
  });

  it('with equals-ignore-case matches the start regardless of case', () => {
    expect(matches({ 'detail-type': [{ prefix: { 'equals-ignore-case': 'ec2 INSTANCE' } }] }, ec2())).toBe(true);
  });

  it('with equals-ignore-case does not match a different start', () => {
    expect(matches({ 'detail-type': [{ prefix: { 'equals-ignore-case': 'ec2 spot' } }] }, ec2())).toBe(false);
  });
});

describe('suffix', () => {
  it('matches the end of a string', () => {
    expect(matches({ source: [{ suffix: '.ec2' }] }, ec2())).toBe(true);
  });

  it('does not match a different end', () => {
    expect(matches({ source: [{ suffix: '.s3' }] }, ec2())).toBe(false);
  });

  it('is case-sensitive', () => {
    expect(matches({ source: [{ suffix: '.EC2' }] }, ec2())).toBe(false);
  });

  it('with equals-ignore-case matches the end regardless of case', () => {
    expect(matches({ resources: [{ suffix: { 'equals-ignore-case': '/I-ABCD1111' } }] }, ec2())).toBe(true);
  });

  it('with equals-ignore-case does not match a different end', () => {
    expect(matches({ resources: [{ suffix: { 'equals-ignore-case': '/I-ABCD2222' } }] }, ec2())).toBe(false);
  });
});

describe('equals-ignore-case', () => {
  it('matches the same string in another case', () => {
    expect(matches({ detail: { state: [{ 'equals-ignore-case': 'PENDING' }] } }, ec2())).toBe(true);
  });

  it('does not match a different string', () => {
    expect(matches({ detail: { state: [{ 'equals-ignore-case': 'PENDIN' }] } }, ec2())).toBe(false);
  });

  it('folds non-ASCII letters: ÉTÉ matches été', () => {
    const event = guardduty();
    event.detail.resource.instanceDetails.tags[0].value = 'été';
    const pattern = { detail: { resource: { instanceDetails: { tags: { value: [{ 'equals-ignore-case': 'ÉTÉ' }] } } } } };
    expect(matches(pattern, event)).toBe(true);
  });

  it('does not treat accented and unaccented letters as equal: ETE does not match été', () => {
    const event = guardduty();
    event.detail.resource.instanceDetails.tags[0].value = 'été';
    const pattern = { detail: { resource: { instanceDetails: { tags: { value: [{ 'equals-ignore-case': 'ETE' }] } } } } };
    expect(matches(pattern, event)).toBe(false);
  });
});

describe('anything-but', () => {
  it('single string matches any other value', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'running' }] } }, ec2())).toBe(true);
  });

  it('single string does not match that value', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'pending' }] } }, ec2())).toBe(false);
  });

  it('list of strings matches a value outside the list', () => {
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, ec2())).toBe(true);
  });

  it('list of strings does not match a value in the list', () => {
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'pending'] }] } }, ec2())).toBe(false);
  });

  it('single number does not match that number', () => {
    expect(matches({ detail: { severity: [{ 'anything-but': 2 }] } }, guardduty())).toBe(false);
  });

  it('single number matches another number', () => {
    expect(matches({ detail: { severity: [{ 'anything-but': 8 }] } }, guardduty())).toBe(true);
  });

  it('list of numbers matches a number outside the list', () => {
    expect(matches({ detail: { severity: [{ 'anything-but': [5, 8] }] } }, guardduty())).toBe(true);
  });

  it('list of numbers does not match a number in the list', () => {
    expect(matches({ detail: { severity: [{ 'anything-but': [2, 5, 8] }] } }, guardduty())).toBe(false);
  });

  it('list of numbers does not match a number equal in value but written differently (2.0)', () => {
    const text = GUARDDUTY_TEXT.replace('"severity": 2,', '"severity": 2.0,');
    expect(text).toContain('"severity": 2.0,');
    expect(matches({ detail: { severity: [{ 'anything-but': [2, 5, 8] }] } }, text)).toBe(false);
  });

  it('prefix matches a value without that prefix', () => {
    expect(matches({ region: [{ 'anything-but': { prefix: 'eu-' } }] }, ec2())).toBe(true);
  });

  it('prefix does not match a value with that prefix', () => {
    expect(matches({ region: [{ 'anything-but': { prefix: 'us-' } }] }, ec2())).toBe(false);
  });

  it('suffix matches a value without that suffix', () => {
    expect(matches({ source: [{ 'anything-but': { suffix: '.s3' } }] }, ec2())).toBe(true);
  });

  it('suffix does not match a value with that suffix', () => {
    expect(matches({ source: [{ 'anything-but': { suffix: '.ec2' } }] }, ec2())).toBe(false);
  });

  it('wildcard matches a value the wildcard does not cover', () => {
    expect(matches({ 'detail-type': [{ 'anything-but': { wildcard: '*Spot*' } }] }, ec2())).toBe(true);
  });

  it('wildcard does not match a value the wildcard covers', () => {
    expect(matches({ 'detail-type': [{ 'anything-but': { wildcard: 'EC2 * Notification' } }] }, ec2())).toBe(false);
  });

  it('equals-ignore-case (string) does not match the value in another case', () => {
    expect(matches({ detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'PENDING' } }] } }, ec2())).toBe(false);
  });

  it('equals-ignore-case (string) matches a different value', () => {
    expect(matches({ detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'RUNNING' } }] } }, ec2())).toBe(true);
  });

  it('equals-ignore-case (list) does not match a value in the list in another case', () => {
    const pattern = { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'PenDing'] } }] } };
    expect(matches(pattern, ec2())).toBe(false);
  });

  it('equals-ignore-case (list) matches a value outside the list', () => {
    const pattern = { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'Running'] } }] } };
    expect(matches(pattern, ec2())).toBe(true);
  });

  it('does not match a missing field', () => {
    expect(matches({ detail: { reason: [{ 'anything-but': 'User initiated' }] } }, ec2())).toBe(false);
  });

  it('prefix does not match a missing field', () => {
    expect(matches({ detail: { reason: [{ 'anything-but': { prefix: 'User' } }] } }, ec2())).toBe(false);
  });

  it('a number list matches an event number no double holds (9007199254740993 is not 5; event-ruler 2.0.1)', () => {
    expect(matches({ detail: { sequence: [{ 'anything-but': [5] }] } }, ec2TextWithNumber('sequence', '9007199254740993'))).toBe(true);
  });

  it('a list of prefixes matches a value with none of them (event-ruler 2.0.1)', () => {
    expect(matches({ region: [{ 'anything-but': { prefix: ['eu-', 'ap-'] } }] }, ec2())).toBe(true);
  });

  it('a list of prefixes does not match a value with any of them', () => {
    expect(matches({ region: [{ 'anything-but': { prefix: ['eu-', 'us-'] } }] }, ec2())).toBe(false);
  });

  it('a list of suffixes matches a value with none of them', () => {
    expect(matches({ source: [{ 'anything-but': { suffix: ['.s3', '.rds'] } }] }, ec2())).toBe(true);
  });

  it('a list of suffixes does not match a value with any of them', () => {
    expect(matches({ source: [{ 'anything-but': { suffix: ['.s3', '.ec2'] } }] }, ec2())).toBe(false);
  });

  it('a list of prefixes matches an event array with one value outside them', () => {
    const event = ec2();
    event.resources = ['arn:aws:ec2:us-east-1:123456789012:instance/i-1', 'arn:aws:s3:::bucket'];
    expect(matches({ resources: [{ 'anything-but': { prefix: ['arn:aws:ec2:', 'arn:aws:rds:'] } }] }, event)).toBe(true);
  });

  it('prefix, suffix, equals-ignore-case and wildcard match a number: it is not a string they exclude (event-ruler 2.0.1)', () => {
    for (const operator of [{ prefix: '2' }, { suffix: ['2'] }, { 'equals-ignore-case': '2' }, { wildcard: '*' }]) {
      expect(matches({ detail: { severity: [{ 'anything-but': operator }] } }, guardduty())).toBe(true);
    }
  });

  it('a prefix matches true and null (event-ruler 2.0.1)', () => {
    const event = guardduty();
    event.detail.service.archived = true;
    expect(matches({ detail: { service: { archived: [{ 'anything-but': { prefix: 't' } }] } } }, event)).toBe(true);
    expect(matches({ detail: { resource: { instanceDetails: { platform: [{ 'anything-but': { prefix: 'n' } }] } } } }, guardduty())).toBe(true);
  });
});

describe('numeric', () => {
  const severity = (expr: unknown[]) => ({ detail: { severity: [{ numeric: expr }] } });
  const localPort = (expr: unknown[]) => ({
    detail: { service: { action: { networkConnectionAction: { localPortDetails: { port: [{ numeric: expr }] } } } } },
  });

  it('= matches an equal number', () => {
    expect(matches(localPort(['=', 22]), guardduty())).toBe(true);
  });

  it('= does not match a different number', () => {
    expect(matches(localPort(['=', 23]), guardduty())).toBe(false);
  });

  it('< matches a smaller number', () => {
    expect(matches(localPort(['<', 1024]), guardduty())).toBe(true);
  });

  it('< does not match an equal number', () => {
    expect(matches(localPort(['<', 22]), guardduty())).toBe(false);
  });

  it('<= matches an equal number', () => {
    expect(matches(localPort(['<=', 22]), guardduty())).toBe(true);
  });

  it('<= does not match a larger number', () => {
    expect(matches(localPort(['<=', 21]), guardduty())).toBe(false);
  });

  it('> matches a larger number', () => {
    expect(matches(localPort(['>', 21]), guardduty())).toBe(true);
  });

  it('> does not match an equal number', () => {
    expect(matches(localPort(['>', 22]), guardduty())).toBe(false);
  });

  it('>= matches an equal number', () => {
    expect(matches(localPort(['>=', 22]), guardduty())).toBe(true);
  });

  it('>= does not match a smaller number', () => {
    expect(matches(localPort(['>=', 23]), guardduty())).toBe(false);
  });

  it('range > 0, <= 5 matches severity 2', () => {
    expect(matches(severity(['>', 0, '<=', 5]), guardduty())).toBe(true);
  });

  it('range > 0, <= 5 matches its closed upper bound 5', () => {
    const event = guardduty();
    event.detail.severity = 5;
    expect(matches(severity(['>', 0, '<=', 5]), event)).toBe(true);
  });

  it('range > 0, <= 5 does not match its open lower bound 0', () => {
    const event = guardduty();
    event.detail.severity = 0;
    expect(matches(severity(['>', 0, '<=', 5]), event)).toBe(false);
  });

  it('range > 0, <= 5 does not match 5.5', () => {
    const event = guardduty();
    event.detail.severity = 5.5;
    expect(matches(severity(['>', 0, '<=', 5]), event)).toBe(false);
  });

  it('range >= 1024, < 65536 matches the ephemeral remote port', () => {
    const pattern = {
      detail: {
        service: {
          action: { networkConnectionAction: { remotePortDetails: { port: [{ numeric: ['>=', 1024, '<', 65536] }] } } },
        },
      },
    };
    expect(matches(pattern, guardduty())).toBe(true);
  });

  it('matches a negative number', () => {
    const event = guardduty();
    event.detail.service.action.networkConnectionAction.remoteIpDetails.organization.asn = -1;
    const pattern = {
      detail: { service: { action: { networkConnectionAction: { remoteIpDetails: { organization: { asn: [{ numeric: ['<', 0] }] } } } } } },
    };
    expect(matches(pattern, event)).toBe(true);
  });

  it('does not match a numeric-looking string (GuardDuty asn "-1")', () => {
    const pattern = {
      detail: { service: { action: { networkConnectionAction: { remoteIpDetails: { organization: { asn: [{ numeric: ['<', 0] }] } } } } } },
    };
    expect(matches(pattern, guardduty())).toBe(false);
  });

  it('does not match a non-numeric string', () => {
    expect(matches({ detail: { state: [{ numeric: ['>', 0] }] } }, ec2())).toBe(false);
  });

  it('does not match a missing field', () => {
    expect(matches({ detail: { attempt: [{ numeric: ['>=', 0] }] } }, ec2())).toBe(false);
  });

  it('= 3e2 in pattern text matches event 300', () => {
    const event = ec2();
    event.detail.attempt = 300;
    expect(matches('{"detail":{"attempt":[{"numeric":["=",3e2]}]}}', event)).toBe(true);
  });

  it('= 300 matches event text 3e2', () => {
    expect(matches({ detail: { attempt: [{ numeric: ['=', 300] }] } }, ec2TextWithNumber('attempt', '3e2'))).toBe(true);
  });

  it('> 3e2 does not match event text 3e2', () => {
    expect(matches('{"detail":{"attempt":[{"numeric":[">",3e2]}]}}', ec2TextWithNumber('attempt', '3e2'))).toBe(false);
  });

  it('<= 301.8 matches the decimal 301.8', () => {
    const event = ec2();
    event.detail['x-limit'] = 301.8;
    expect(matches({ detail: { 'x-limit': [{ numeric: ['<=', 301.8] }] } }, event)).toBe(true);
  });

  it('> 301.8 does not match the decimal 301.8', () => {
    const event = ec2();
    event.detail['x-limit'] = 301.8;
    expect(matches({ detail: { 'x-limit': [{ numeric: ['>', 301.8] }] } }, event)).toBe(false);
  });

  it('takes the bounds event-ruler takes: 2^53, 0.1, the largest double (event-ruler 2.0.1)', () => {
    const event = ec2TextWithNumber('attempt', '0.2');
    expect(matches('{"detail":{"attempt":[{"numeric":[">",0.1,"<",9007199254740992]}]}}', event)).toBe(true);
    expect(matches('{"detail":{"attempt":[{"numeric":["<",1.7976931348623157e308]}]}}', event)).toBe(true);
  });

  it('does not match an event number no double holds (9007199254740993 is not > 0; event-ruler 2.0.1)', () => {
    const event = ec2TextWithNumber('sequence', '9007199254740993');
    expect(matches({ detail: { sequence: [{ numeric: ['>', 0] }] } }, event)).toBe(false);
  });

  it('does not match an event number that underflows (1E-325 is not = 0; event-ruler 2.0.1)', () => {
    expect(matches({ detail: { attempt: [{ numeric: ['=', 0] }] } }, ec2TextWithNumber('attempt', '1E-325'))).toBe(false);
  });

  it('does not match an event number beyond the largest double (1e400 is not > 0)', () => {
    expect(matches({ detail: { attempt: [{ numeric: ['>', 0] }] } }, ec2TextWithNumber('attempt', '1e400'))).toBe(false);
  });

  it('matches if any element of a numeric event array is in range', () => {
    const event = ec2();
    event.detail.ports = [8080, 22];
    expect(matches({ detail: { ports: [{ numeric: ['<', 1024] }] } }, event)).toBe(true);
  });
});

describe('exists', () => {
  it('exists: true matches a present field', () => {
    expect(matches({ detail: { state: [{ exists: true }] } }, ec2())).toBe(true);
  });

  it('exists: true does not match a missing field', () => {
    expect(matches({ detail: { reason: [{ exists: true }] } }, ec2())).toBe(false);
  });

  it('exists: false matches a missing field', () => {
    expect(matches({ detail: { reason: [{ exists: false }] } }, ec2())).toBe(true);
  });

  it('exists: false does not match a present field', () => {
    expect(matches({ detail: { state: [{ exists: false }] } }, ec2())).toBe(false);
  });

  it('exists: false matches when the whole parent object is missing', () => {
    const event = ec2();
    delete event.detail;
    expect(matches({ detail: { state: [{ exists: false }] } }, event)).toBe(true);
  });

  it('exists: true matches a field whose value is null (the value is not considered)', () => {
    expect(matches({ detail: { resource: { instanceDetails: { platform: [{ exists: true }] } } } }, guardduty())).toBe(true);
  });

  it('exists: false does not match a field whose value is null', () => {
    expect(matches({ detail: { resource: { instanceDetails: { platform: [{ exists: false }] } } } }, guardduty())).toBe(false);
  });

  it('exists: true matches a field whose value is an empty string', () => {
    const event = cloudtrail();
    event.detail.eventVersion = '';
    expect(matches({ detail: { eventVersion: [{ exists: true }] } }, event)).toBe(true);
  });

  // EventBridge: "Exists matching only works on leaf nodes. It does not work on intermediate nodes."
  // aws/event-ruler README ("Exists matching", Note): exists: false matches an event where the field's value is an
  // object, because that field is not a leaf. So an object-valued field counts as NOT existing for `exists`.
  it('exists: true does not match a field whose value is an object (exists works on leaves only)', () => {
    expect(matches({ detail: { resource: { instanceDetails: [{ exists: true }] } } }, guardduty())).toBe(false);
  });

  it('exists: false matches a field whose value is an object (exists works on leaves only)', () => {
    expect(matches({ detail: { resource: { instanceDetails: [{ exists: false }] } } }, guardduty())).toBe(true);
  });

  it('exists: false on an object-valued field matches the event-ruler README example (c-count: {c1: 100})', () => {
    const event = ec2();
    event.detail['c-count'] = { c1: 100 };
    expect(matches({ detail: { 'c-count': [{ exists: false }] } }, event)).toBe(true);
  });

  it('exists: true matches a field holding a non-empty array of strings', () => {
    expect(matches({ resources: [{ exists: true }] }, ec2())).toBe(true);
  });
});

describe('cidr', () => {
  const sourceIp = (cidr: string) => ({ detail: { sourceIPAddress: [{ cidr }] } });
  const withIp = (ip: string): Event => {
    const event = cloudtrail();
    event.detail.sourceIPAddress = ip;
    return event;
  };

  it('IPv4: 10.0.0.0/24 matches 10.0.0.255', () => {
    expect(matches(sourceIp('10.0.0.0/24'), withIp('10.0.0.255'))).toBe(true);
  });

  it('IPv4: 10.0.0.0/24 matches 10.0.0.0', () => {
    expect(matches(sourceIp('10.0.0.0/24'), withIp('10.0.0.0'))).toBe(true);
  });

  it('IPv4: 10.0.0.0/24 does not match 10.0.1.0', () => {
    expect(matches(sourceIp('10.0.0.0/24'), withIp('10.0.1.0'))).toBe(false);
  });

  it('IPv4: 205.251.233.0/24 matches the CloudTrail sample sourceIPAddress', () => {
    expect(matches(sourceIp('205.251.233.0/24'), cloudtrail())).toBe(true);
  });

  it('IPv4: 10.0.0.0/8 does not match the CloudTrail sample sourceIPAddress', () => {
    expect(matches(sourceIp('10.0.0.0/8'), cloudtrail())).toBe(false);
  });

  it('IPv4: matches the GuardDuty remote IP 198.51.100.0 with 198.51.100.0/24', () => {
    const pattern = {
      detail: { service: { action: { networkConnectionAction: { remoteIpDetails: { ipAddressV4: [{ cidr: '198.51.100.0/24' }] } } } } },
    };
    expect(matches(pattern, guardduty())).toBe(true);
  });

  it('IPv6: 2001:db8::/32 matches the compressed form 2001:db8::1', () => {
    expect(matches(sourceIp('2001:db8::/32'), withIp('2001:db8::1'))).toBe(true);
  });

  it('IPv6: 2001:db8::/32 matches the full form 2001:0db8:0000:0000:0000:0000:0000:0001', () => {
    expect(matches(sourceIp('2001:db8::/32'), withIp('2001:0db8:0000:0000:0000:0000:0000:0001'))).toBe(true);
  });

  it('IPv6: a full-form CIDR 2001:0db8:0000:0000:0000:0000:0000:0000/32 matches the compressed 2001:db8::1', () => {
    expect(matches(sourceIp('2001:0db8:0000:0000:0000:0000:0000:0000/32'), withIp('2001:db8::1'))).toBe(true);
  });

  it('IPv6: 2001:db8::/32 matches the top of the range', () => {
    expect(matches(sourceIp('2001:db8::/32'), withIp('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'))).toBe(true);
  });

  it('IPv6: 2001:db8::/32 does not match 2001:db9::1', () => {
    expect(matches(sourceIp('2001:db8::/32'), withIp('2001:db9::1'))).toBe(false);
  });

  it('does not match a non-IP string (a service principal)', () => {
    expect(matches(sourceIp('10.0.0.0/8'), withIp('ec2.amazonaws.com'))).toBe(false);
  });

  it('IPv6 CIDR does not match a non-IP string', () => {
    expect(matches(sourceIp('2001:db8::/32'), withIp('not-an-ip'))).toBe(false);
  });

  it('does not match a missing field', () => {
    expect(matches({ detail: { clientIp: [{ cidr: '10.0.0.0/8' }] } }, cloudtrail())).toBe(false);
  });
});

describe('wildcard', () => {
  it('* at the end matches any suffix', () => {
    expect(matches({ resources: [{ wildcard: 'arn:aws:ec2:us-east-1:123456789012:instance/*' }] }, ec2())).toBe(true);
  });

  it('* at the start matches any prefix', () => {
    expect(matches({ detail: { 'instance-id': [{ wildcard: '*1111' }] } }, ec2())).toBe(true);
  });

  it('* in the middle matches any infix', () => {
    expect(matches({ 'detail-type': [{ wildcard: 'EC2 * Notification' }] }, ec2())).toBe(true);
  });

  it('multiple stars match across the ARN', () => {
    expect(matches({ resources: [{ wildcard: 'arn:aws:ec2:*:123456789012:instance/*' }] }, ec2())).toBe(true);
  });

  it('multiple stars do not match when a literal part is absent', () => {
    expect(matches({ resources: [{ wildcard: 'arn:aws:ec2:*:111122223333:instance/*' }] }, ec2())).toBe(false);
  });

  it('* matches the empty string', () => {
    expect(matches({ detail: { 'instance-id': [{ wildcard: 'i-*abcd1111' }] } }, ec2())).toBe(true);
  });

  it('without stars is an exact match', () => {
    expect(matches({ detail: { state: [{ wildcard: 'pend' }] } }, ec2())).toBe(false);
  });

  it('\\* matches a literal star', () => {
    const event = cloudtrail();
    event.detail.requestParameters.filter = 'Name=tag:*';
    expect(matches({ detail: { requestParameters: { filter: [{ wildcard: 'Name=tag:\\*' }] } } }, event)).toBe(true);
  });

  it('\\* does not match a character other than a star', () => {
    const event = cloudtrail();
    event.detail.requestParameters.filter = 'Name=tag:x';
    expect(matches({ detail: { requestParameters: { filter: [{ wildcard: 'Name=tag:\\*' }] } } }, event)).toBe(false);
  });

  it('does not match a number', () => {
    expect(matches({ detail: { severity: [{ wildcard: '*' }] } }, guardduty())).toBe(false);
  });

  it('a lone * matches any string', () => {
    expect(matches({ detail: { type: [{ wildcard: '*' }] } }, guardduty())).toBe(true);
  });
});

describe('$or', () => {
  it('top-level $or matches when one alternative matches', () => {
    const pattern = {
      $or: [{ detail: { state: ['running'] } }, { 'detail-type': ['EC2 Instance State-change Notification'] }],
    };
    expect(matches(pattern, ec2())).toBe(true);
  });

  it('top-level $or does not match when no alternative matches', () => {
    const pattern = { $or: [{ detail: { state: ['running'] } }, { region: ['eu-west-1'] }] };
    expect(matches(pattern, ec2())).toBe(false);
  });

  it('is ANDed with sibling keys: sibling fails, alternative matches', () => {
    const pattern = {
      source: ['aws.guardduty'],
      $or: [{ detail: { state: ['pending'] } }, { region: ['eu-west-1'] }],
    };
    expect(matches(pattern, ec2())).toBe(false);
  });

  it('is ANDed with sibling keys: both match', () => {
    const pattern = {
      source: ['aws.ec2'],
      $or: [{ detail: { state: ['running'] } }, { region: ['us-east-1'] }],
    };
    expect(matches(pattern, ec2())).toBe(true);
  });

  it('nested inside detail matches when one alternative matches', () => {
    const pattern = {
      source: ['aws.ec2'],
      detail: { $or: [{ state: ['stopped'] }, { 'instance-id': [{ prefix: 'i-abcd' }] }] },
    };
    expect(matches(pattern, ec2())).toBe(true);
  });

  it('nested inside detail does not match when no alternative matches', () => {
    const pattern = {
      source: ['aws.ec2'],
      detail: { $or: [{ state: ['stopped'] }, { 'instance-id': [{ prefix: 'i-ffff' }] }] },
    };
    expect(matches(pattern, ec2())).toBe(false);
  });

  it('an alternative with several keys requires all of them', () => {
    const pattern = {
      $or: [{ source: ['aws.ec2'], detail: { state: ['running'] } }, { region: ['eu-west-1'] }],
    };
    expect(matches(pattern, ec2())).toBe(false);
  });

  it('nested $or inside an $or alternative', () => {
    const pattern = {
      source: ['aws.ec2'],
      $or: [
        { region: ['eu-west-1'] },
        { account: ['123456789012'], $or: [{ detail: { state: ['running'] } }, { detail: { state: ['pending'] } }] },
      ],
    };
    expect(matches(pattern, ec2())).toBe(true);
  });

  it('two parallel $or (top level and in detail) must both be satisfied', () => {
    const pattern = {
      $or: [{ source: ['aws.ec2'] }, { source: ['aws.autoscaling'] }],
      detail: { $or: [{ state: ['running'] }, { state: ['stopping'] }] },
    };
    expect(matches(pattern, ec2())).toBe(false);
  });
});

describe('nested objects and array-consistent matching', () => {
  it('matches a deeply nested field', () => {
    const pattern = {
      source: ['aws.guardduty'],
      detail: { service: { action: { networkConnectionAction: { connectionDirection: ['INBOUND'] } } } },
    };
    expect(matches(pattern, guardduty())).toBe(true);
  });

  it('does not match a deeply nested field with another value', () => {
    const pattern = { detail: { service: { action: { networkConnectionAction: { connectionDirection: ['OUTBOUND'] } } } } };
    expect(matches(pattern, guardduty())).toBe(false);
  });

  it('does not match when the pattern descends into an object but the event has a string', () => {
    expect(matches({ detail: { state: { name: ['pending'] } } }, ec2())).toBe(false);
  });

  it('does not match a leaf pattern against an object-valued event field', () => {
    expect(matches({ detail: { resource: ['Instance'] } }, guardduty())).toBe(false);
  });

  it('matches two fields of the same array element: {"a":{"b":["1"],"c":["2"]}} vs {"a":[{"b":"1","c":"2"}]}', () => {
    const event = ec2();
    event.a = [{ b: '1', c: '2' }];
    expect(matches({ a: { b: ['1'], c: ['2'] } }, event)).toBe(true);
  });

  it('does not match fields split across array elements: {"a":{"b":["1"],"c":["2"]}} vs {"a":[{"b":"1"},{"c":"2"}]}', () => {
    const event = ec2();
    event.a = [{ b: '1' }, { c: '2' }];
    expect(matches({ a: { b: ['1'], c: ['2'] } }, event)).toBe(false);
  });

  it('matches a GuardDuty tag key with its own value', () => {
    const pattern = {
      detail: {
        resource: {
          instanceDetails: {
            tags: { key: ['GeneratedFindingInstaceTag2'], value: ['GeneratedFindingInstaceTagValue2'] },
          },
        },
      },
    };
    expect(matches(pattern, guardduty())).toBe(true);
  });

  it('does not match a GuardDuty tag key with the value of another tag', () => {
    const pattern = {
      detail: {
        resource: {
          instanceDetails: {
            tags: { key: ['GeneratedFindingInstaceTag2'], value: ['GeneratedFindingInstaceTagValue3'] },
          },
        },
      },
    };
    expect(matches(pattern, guardduty())).toBe(false);
  });
});

/** Whether the pattern matches the event, given as an object and as JSON text: both must agree. */
const matchesBoth = (pattern: string | object, event: object): boolean => {
  const asObject = matches(pattern, event);
  expect(matches(pattern, JSON.stringify(event))).toBe(asObject);
  return asObject;
};

// event-ruler flattens patterns and events to dotted field names ("a.b"), so a key with a dot and nested keys
// name the same field; a pattern naming one field twice keeps the later one (each combination of $or
// alternatives is one flat rule); an event giving one field twice has both values. Every case below gives
// the same answer on event-ruler 2.0.1.
describe('dotted field names and fields named twice (event-ruler 2.0.1)', () => {
  it('pattern {"detail.state": [...]} matches the nested event field detail.state', () => {
    expect(matchesBoth({ source: ['aws.ec2'], 'detail.state': ['pending'] }, ec2())).toBe(true);
  });

  it('pattern {"detail.state": [...]} does not match another state', () => {
    expect(matchesBoth({ 'detail.state': ['stopped'] }, ec2())).toBe(false);
  });

  it('pattern {"detail.state": [...]} matches an event key "detail.state"', () => {
    const event = ec2();
    delete event.detail;
    event['detail.state'] = 'pending';
    expect(matchesBoth({ 'detail.state': ['pending'] }, event)).toBe(true);
  });

  it('nested pattern {"detail": {"state": [...]}} matches an event key "detail.state"', () => {
    const event = ec2();
    delete event.detail;
    event['detail.state'] = 'pending';
    expect(matchesBoth({ detail: { state: ['pending'] } }, event)).toBe(true);
  });

  it('an event giving detail.state twice (nested and dotted) matches either value', () => {
    const event = ec2();
    event['detail.state'] = 'stopped';
    expect(matchesBoth({ detail: { state: ['stopped'] } }, event)).toBe(true);
    expect(matchesBoth({ detail: { state: ['pending'] } }, event)).toBe(true);
  });

  it('pattern {"a.b": [...]} matches inside an array of objects', () => {
    const pattern = { 'detail.resource.instanceDetails.tags.key': ['GeneratedFindingInstaceTag2'] };
    expect(matchesBoth(pattern, guardduty())).toBe(true);
  });

  it('a dotted key and a nested key with the same prefix are one object: array-consistent together', () => {
    const tags = (value: string) => ({
      'detail.resource.instanceDetails.tags.key': ['GeneratedFindingInstaceTag2'],
      detail: { resource: { instanceDetails: { tags: { value: [value] } } } },
    });
    expect(matchesBoth(tags('GeneratedFindingInstaceTagValue2'), guardduty())).toBe(true);
    expect(matchesBoth(tags('GeneratedFindingInstaceTagValue3'), guardduty())).toBe(false);
  });

  it('a field named twice in a pattern ("detail.state" and detail.state) keeps the later one', () => {
    const laterPending = '{"detail.state":["stopped"],"detail":{"state":["pending"]}}';
    const laterStopped = '{"detail":{"state":["pending"]},"detail.state":["stopped"]}';
    expect(matchesBoth(laterPending, ec2())).toBe(true);
    expect(matchesBoth(laterStopped, ec2())).toBe(false);
  });

  it('exists: false on "detail.state" does not match an event key "detail.state"', () => {
    const event = ec2();
    delete event.detail;
    event['detail.state'] = 'pending';
    expect(matchesBoth({ 'detail.state': [{ exists: false }] }, event)).toBe(false);
  });

  it('a field outside $or and again inside it: the inner one replaces the outer in its alternative', () => {
    // {source: guardduty} or {source: ec2, region: eu-west-1}
    const pattern = { source: ['aws.ec2'], $or: [{ source: ['aws.guardduty'] }, { region: ['eu-west-1'] }] };
    const event = ec2();
    expect(matchesBoth(pattern, event)).toBe(false);
    event.source = 'aws.guardduty';
    expect(matchesBoth(pattern, event)).toBe(true);
    event.source = 'aws.ec2';
    event.region = 'eu-west-1';
    expect(matchesBoth(pattern, event)).toBe(true);
  });

  it('a field inside $or and again after it: the later, outer one replaces it in every alternative', () => {
    // {source: ec2} or {region: eu-west-1, source: ec2}
    const pattern = '{"$or":[{"source":["aws.guardduty"]},{"region":["eu-west-1"]}],"source":["aws.ec2"]}';
    const event = ec2();
    expect(matchesBoth(pattern, event)).toBe(true);
    event.source = 'aws.guardduty';
    expect(matchesBoth(pattern, event)).toBe(false);
  });

  it('a nested field inside $or and as a dotted key outside it', () => {
    // {detail.state: stopped} or {detail.state: pending, region: eu-west-1}
    const pattern = '{"detail.state":["pending"],"detail":{"$or":[{"state":["stopped"]},{"x":["y"]}]}}';
    const event = ec2();
    event.detail.x = 'y';
    expect(matchesBoth(pattern, event)).toBe(true);
    event.detail.state = 'stopped';
    delete event.detail.x;
    expect(matchesBoth(pattern, event)).toBe(true);
    event.detail.state = 'pending';
    expect(matchesBoth(pattern, event)).toBe(false);
  });

  it('the same field in two alternatives of one $or is no override: either may match', () => {
    const pattern = { source: ['aws.ec2'], $or: [{ 'detail.state': ['pending'] }, { detail: { state: ['stopped'] } }] };
    expect(matchesBoth(pattern, ec2())).toBe(true);
  });
});

describe('pattern and event as JSON text', () => {
  it('accepts the pattern as JSON text', () => {
    expect(matches('{"source":["aws.ec2"],"detail":{"state":["pending"]}}', ec2())).toBe(true);
  });

  it('accepts the event as JSON text (the fixture file verbatim)', () => {
    expect(matches({ source: ['aws.ec2'], detail: { state: ['pending'] } }, EC2_TEXT)).toBe(true);
  });

  it('does not match JSON text of a non-matching event', () => {
    expect(matches('{"source":["aws.ec2"]}', GUARDDUTY_TEXT)).toBe(false);
  });

  it('compiled once, matches object and text forms of the same event alike', () => {
    const compiled = compilePattern({ detail: { 'instance-id': ['i-abcd1111'] } });
    expect(compiled.matches(EC2_TEXT)).toBe(true);
    expect(compiled.matches(ec2())).toBe(true);
  });

  it('a literal beyond 2^53 in event text matches the same literal in the pattern text', () => {
    const event = ec2TextWithNumber('sequence', '9007199254740993');
    expect(matches('{"detail":{"sequence":[9007199254740993]}}', event)).toBe(true);
  });

  it('reads a key given twice in the text with both values, as event-ruler does (JSON.parse keeps the last)', () => {
    const text = EC2_TEXT.replace('"source": "aws.ec2"', '"source": "aws.s3"').replace(/}\s*$/, ', "source": "aws.ec2"}');
    expect(text).toContain('"source": "aws.s3"');
    const pattern = compilePattern({ source: ['aws.ec2'], detail: { state: ['pending'] } });
    expect(pattern.matches(text)).toBe(true);
    expect(pattern.explain(text).matched).toBe(true);
  });

  it('reads a key written with escapes ("sourc\\u0065" is source), also after a value that cannot match', () => {
    const text = EC2_TEXT.replace('"source": "aws.ec2"', '"source": "aws.s3"').replace(/}\s*$/, ', "sourc\\u0065": "aws.ec2"}');
    expect(matches({ source: ['aws.ec2'] }, text)).toBe(true);
    expect(matches({ source: ['aws.ec2'] }, EC2_TEXT.replace('"source"', '"\\u0073ource"'))).toBe(true);
  });

  it('reads string values with escapes', () => {
    const event = ec2();
    event.detail.note = 'a "quoted" \\ été\n';
    const text = JSON.stringify(event).replace('été', '\\u00e9t\\u00e9');
    expect(matches({ detail: { note: ['a "quoted" \\ été\n'] } }, text)).toBe(true);
  });

  it('reads a key "__proto__" as a field', () => {
    const text = EC2_TEXT.replace(/}\s*$/, ', "__proto__": "x"}');
    expect(matches({ ['__proto__']: ['x'] }, text)).toBe(true);
  });

  it('throws SyntaxError for text that is not JSON, also where no pattern reads', () => {
    expect(() => matches({ source: ['aws.ec2'] }, '{"source": "aws.ec2", "detail": {"a": }')).toThrow(SyntaxError);
    expect(() => matches({ source: ['aws.ec2'] }, EC2_TEXT.slice(0, -20))).toThrow(SyntaxError);
  });

  it('throws TypeError for JSON text that is not an object', () => {
    expect(() => matches({ source: ['aws.ec2'] }, '["aws.ec2"]')).toThrow(TypeError);
  });

  it('reads strings of 16+ digits (instance id i-00000000000000059) with plain JSON.parse, not the 5x slower reviver', () => {
    const event = ec2();
    event.detail['instance-id'] = 'i-00000000000000059';
    event.detail.owner = '0000000000000000123';
    const text = JSON.stringify(event);
    const parse = jest.spyOn(JSON, 'parse');
    try {
      expect(compilePattern({ detail: { 'instance-id': ['i-00000000000000059'] } }).explain(text).matched).toBe(true);
      expect(parse.mock.calls.map((call) => call.length)).toEqual([1]);
    } finally {
      parse.mockRestore();
    }
  });

  it('keeps a 16+ digit number exact next to strings of digits, and a string with ":" and 16 digits a string', () => {
    const event = ec2TextWithNumber('sequence', '9007199254740993').replace('"pending"', '"x:12345678901234567"');
    const pattern = compilePattern({ detail: { sequence: [{ numeric: ['>', 0] }], state: ['x:12345678901234567'] } });
    expect(pattern.explain(event).failures.map((f) => f.path)).toEqual(['detail.sequence']);
  });

  it('a literal beyond 2^53 matches only the same text: not 9007199254740993.0 (event-ruler 2.0.1)', () => {
    const event = ec2TextWithNumber('sequence', '9007199254740993.0');
    expect(matches('{"detail":{"sequence":[9007199254740993]}}', event)).toBe(false);
  });

  it('a literal beyond 2^53 in the pattern does not match its double-rounded neighbour 9007199254740992', () => {
    const event = ec2TextWithNumber('sequence', '9007199254740992');
    expect(matches('{"detail":{"sequence":[9007199254740993]}}', event)).toBe(false);
  });
});

describe('explain', () => {
  it('reports matched: true for a matching event', () => {
    const result = compilePattern({ source: ['aws.ec2'], detail: { state: ['pending'] } }).explain(ec2());
    expect(result.matched).toBe(true);
  });

  it('reports the failing dotted path detail.state for a near-miss', () => {
    const event = ec2();
    event.detail.state = 'running';
    const result = compilePattern({ source: ['aws.ec2'], detail: { state: ['pending'] } }).explain(event);
    expect(result.matched).toBe(false);
    expect(result.failures.map((f) => f.path)).toContain('detail.state');
  });

  it('gives a non-empty reason for each failure', () => {
    const result = compilePattern({ detail: { state: ['stopped'] } }).explain(EC2_TEXT);
    expect(result.failures.length).toBeGreaterThan(0);
    for (const failure of result.failures) expect(failure.reason.length).toBeGreaterThan(0);
  });

  it('reports a missing field by its dotted path', () => {
    const result = compilePattern({ detail: { reason: [{ exists: true }] } }).explain(ec2());
    expect(result.matched).toBe(false);
    expect(result.failures.map((f) => f.path)).toContain('detail.reason');
  });

  it('agrees with matches() on a deep GuardDuty near-miss', () => {
    const compiled = compilePattern({
      detail: { service: { action: { networkConnectionAction: { localPortDetails: { port: [{ numeric: ['>', 1024] }] } } } } },
    });
    const result = compiled.explain(guardduty());
    expect(result.matched).toBe(compiled.matches(guardduty()));
    expect(result.failures.map((f) => f.path)).toContain('detail.service.action.networkConnectionAction.localPortDetails.port');
  });
});

import { describe, expect, it } from '@jest/globals';
import { diffPolicies, documentStatements, InvalidPolicyError, policyStatements, statementText } from './iam-diff';

/** A policy document's JSON from its statements, as IAM writes it. */
const doc = (...statements: Record<string, unknown>[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** The texts of the widened and narrowed findings of old → new. */
function diff(before: Record<string, unknown>[], after: Record<string, unknown>[]) {
  const { widened, narrowed } = diffPolicies(policyStatements(doc(...before)), policyStatements(doc(...after)));
  return { widened: widened.map((f) => [f.kind, f.text]), narrowed: narrowed.map((f) => [f.kind, f.text]), findings: [...widened, ...narrowed] };
}

const start = { Sid: 'Start', Effect: 'Allow', Action: 'ec2:StartInstances', Resource: 'arn:aws:ec2:*:111111111111:instance/*' };
const protectedOnly = { StringEquals: { 'aws:ResourceTag/reflex:protect': 'true' } };

describe('policyStatements', () => {
  it('reads a single Action string and an Action array alike', () => {
    const [one] = policyStatements(doc({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }));
    const [many] = policyStatements(doc({ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: ['*'] }));
    expect(one).toEqual(many);
    expect(one).toEqual({ effect: 'Allow', actions: ['sqs:SendMessage'], resources: ['*'], conditions: [] });
  });

  it('reads a Statement object that is not in a list', () => {
    expect(policyStatements(JSON.stringify({ Statement: { Effect: 'Deny', NotAction: 'iam:*', Resource: '*' } }))).toEqual([
      { effect: 'Deny', notActions: ['iam:*'], resources: ['*'], conditions: [] },
    ]);
  });

  it('writes principals as Type:identifier, anyone as *', () => {
    const [s] = policyStatements(doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['lambda.amazonaws.com'], AWS: '*' } }));
    expect(s!.principals).toEqual(['*', 'Service:lambda.amazonaws.com']);
  });

  it('writes condition values as strings, one condition per operator and key', () => {
    const [s] = policyStatements(doc({ Effect: 'Allow', Action: 'sqs:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': false }, NumericLessThan: { 's3:max-keys': [10] } } }));
    expect(s!.conditions).toEqual([
      { operator: 'Bool', key: 'aws:SecureTransport', values: ['false'] },
      { operator: 'NumericLessThan', key: 's3:max-keys', values: ['10'] },
    ]);
  });

  it('refuses text that is not a policy document', () => {
    expect(() => policyStatements('not json')).toThrow(InvalidPolicyError);
    expect(() => policyStatements('{"Version":"2012-10-17"}')).toThrow('no Statement');
    expect(() => policyStatements(doc({ Effect: 'Maybe', Action: '*' }))).toThrow('Effect must be Allow or Deny');
  });
});

describe('documentStatements', () => {
  it('reads aws_iam_policy_document blocks as the same statements as their JSON', () => {
    const blocks = documentStatements([
      {
        sid: 'AllowRules',
        actions: ['sqs:SendMessage'],
        resources: ['arn:aws:sqs:eu-central-1:111111111111:q'],
        principals: [{ type: 'Service', identifiers: ['events.amazonaws.com'] }],
        condition: [{ test: 'ArnEquals', variable: 'aws:SourceArn', values: ['arn:r'] }],
      },
    ]);
    const json = policyStatements(
      doc({
        Sid: 'AllowRules',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: 'arn:aws:sqs:eu-central-1:111111111111:q',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': 'arn:r' } },
      }),
    );
    expect(blocks).toEqual(json);
  });
});

describe('diffPolicies', () => {
  it('finds nothing between the same statements written differently', () => {
    expect(diff([{ ...start, Action: ['ec2:StartInstances'] }], [start]).findings).toEqual([]);
  });

  it('names a new action, and a new wildcard action as a wildcard', () => {
    const { findings } = diff([start], [{ ...start, Action: ['ec2:StartInstances', 'ec2:StopInstances', 'ec2:Describe*'] }]);
    expect(findings.map((f) => [f.kind, f.values, f.wildcard])).toEqual([['action-added', ['ec2:Describe*', 'ec2:StopInstances'], true]]);
  });

  it('does not count an action a wildcard already allowed, whatever its case', () => {
    expect(diff([{ ...start, Action: 'ec2:*' }], [{ ...start, Action: ['ec2:*', 'EC2:StopInstances'] }]).findings).toEqual([]);
  });

  it('narrows when a wildcard gives way to one action', () => {
    const { widened, narrowed } = diff([{ ...start, Action: 'ec2:*' }], [start]);
    expect(widened).toEqual([]);
    expect(narrowed).toEqual([['action-removed', 'action `ec2:*` removed']]);
  });

  it('names a new resource', () => {
    const { widened } = diff([start], [{ ...start, Resource: [start.Resource, 'arn:aws:ec2:*:111111111111:volume/*'] }]);
    expect(widened).toEqual([['resource-added', 'new resource `arn:aws:ec2:*:111111111111:volume/*`']]);
  });

  it('reads Action turned NotAction as widening to every other action', () => {
    const { widened } = diff([start], [{ ...start, Action: undefined, NotAction: 'iam:*' }]);
    expect(widened).toEqual([['action-added', 'every action except `iam:*` (NotAction), was `ec2:StartInstances`']]);
  });

  it('reads a NotAction that excludes less as widening, and more as narrowing', () => {
    const all = { Effect: 'Allow', Resource: '*' };
    expect(diff([{ ...all, NotAction: ['iam:*', 'kms:*'] }], [{ ...all, NotAction: ['iam:*'] }]).widened).toEqual([['exclusion-removed', 'NotAction no longer excludes `kms:*`']]);
    expect(diff([{ ...all, NotAction: ['iam:*'] }], [{ ...all, NotAction: ['iam:*', 'kms:*'] }]).narrowed).toEqual([['exclusion-added', 'NotAction now excludes `kms:*`']]);
  });

  it('names a removed condition', () => {
    const { widened } = diff([{ ...start, Condition: protectedOnly }], [start]);
    expect(widened).toEqual([['condition-removed', 'condition removed: `StringEquals aws:ResourceTag/reflex:protect = true`']]);
  });

  it('reads more values of StringEquals as loosened, fewer as tightened', () => {
    const two = { ...start, Condition: { StringEquals: { 'aws:ResourceTag/team': ['a', 'b'] } } };
    const one = { ...start, Condition: { StringEquals: { 'aws:ResourceTag/team': ['a'] } } };
    expect(diff([one], [two]).widened).toEqual([['condition-loosened', 'condition `StringEquals aws:ResourceTag/team` now also `b`']]);
    expect(diff([two], [one]).narrowed).toEqual([['condition-tightened', 'condition `StringEquals aws:ResourceTag/team` no longer `b`']]);
  });

  it('reads StringEquals turned StringLike as loosened, and back as tightened', () => {
    const equals = { ...start, Condition: { StringEquals: { 'aws:ResourceTag/team': 'net' } } };
    const like = { ...start, Condition: { StringLike: { 'aws:ResourceTag/team': 'net*' } } };
    expect(diff([equals], [like]).widened.map(([k]) => k)).toEqual(['condition-loosened']);
    expect(diff([{ ...like, Condition: { StringLike: { 'aws:ResourceTag/team': 'net' } } }], [{ ...equals }]).narrowed.map(([k]) => k)).toEqual(['condition-tightened']);
  });

  it('reads a changed Bool condition as loosened: it cannot tell which way', () => {
    const secure = (v: string) => ({ ...start, Condition: { Bool: { 'aws:SecureTransport': v } } });
    expect(diff([secure('true')], [secure('false')]).widened.map(([k]) => k)).toEqual(['condition-loosened']);
  });

  it('names an added condition as narrowing', () => {
    expect(diff([start], [{ ...start, Condition: protectedOnly }]).narrowed.map(([k]) => k)).toEqual(['condition-added']);
  });

  it('names a new principal, and anyone as a wildcard', () => {
    const trust = { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } };
    const { findings } = diff([trust], [{ ...trust, Principal: { Service: 'lambda.amazonaws.com', AWS: 'arn:aws:iam::222222222222:root' } }]);
    expect(findings.map((f) => [f.kind, f.values])).toEqual([['principal-added', ['AWS:arn:aws:iam::222222222222:root']]]);
    expect(diff([trust], [{ ...trust, Principal: '*' }]).findings.find((f) => f.kind === 'principal-added')!.wildcard).toBe(true);
  });

  it('widens when a Deny is removed', () => {
    const deny = { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
    const { widened } = diff([start, deny], [start]);
    expect(widened).toEqual([['deny-removed', 'Deny removed: Deny `sqs:*` on `*` to `*` if `Bool aws:SecureTransport = false`']]);
  });

  it('widens when a Deny covers fewer actions or gains a condition', () => {
    const deny = { Sid: 'NoIam', Effect: 'Deny', Action: ['iam:*', 'kms:*'], Resource: '*' };
    expect(diff([deny], [{ ...deny, Action: 'iam:*' }]).widened).toEqual([['deny-narrowed', 'Deny: action `kms:*` removed']]);
    expect(diff([deny], [{ ...deny, Condition: protectedOnly }]).widened.map(([k]) => k)).toEqual(['deny-narrowed']);
  });

  it('names a new statement as widening and a removed one as narrowing', () => {
    const read = { Sid: 'Read', Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' };
    expect(diff([start], [start, read]).widened).toEqual([['statement-added', 'new statement: Allow `ec2:DescribeInstances` on `*`']]);
    expect(diff([start, read], [start]).narrowed.map(([k]) => k)).toEqual(['statement-removed']);
  });

  it('pairs statements without Sid by what they share', () => {
    const a = { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:q' };
    const b = { Effect: 'Allow', Action: 'sns:Publish', Resource: 'arn:t' };
    const { findings } = diff([a, b], [b, { ...a, Action: ['sqs:SendMessage', 'sqs:DeleteMessage'] }]);
    expect(findings.map((f) => [f.kind, f.statement, f.values])).toEqual([['action-added', '#2 Allow', ['sqs:DeleteMessage']]]);
  });

  it('takes a renamed Sid for a new statement', () => {
    const { widened, narrowed } = diff([start], [{ ...start, Sid: 'StartAll' }]);
    expect(widened.map(([k]) => k)).toEqual(['statement-added']);
    expect(narrowed.map(([k]) => k)).toEqual(['statement-removed']);
  });

  it('never takes a value known only after apply for a known one', () => {
    const [known] = policyStatements(doc({ Sid: 'S', Effect: 'Allow', Action: 'sqs:ReceiveMessage', Resource: 'arn:aws:sqs:eu-central-1:1:q' }));
    const later = { ...known!, resources: ['(known after apply) ‹arn of aws_sqs_queue q›'] };
    expect(diffPolicies([known!], [later]).widened.map((f) => f.values)).toEqual([['(known after apply) ‹arn of aws_sqs_queue q›']]);
  });
});

describe('statementText', () => {
  it('says a statement in one line', () => {
    const [s] = policyStatements(doc({ ...start, Condition: protectedOnly }));
    expect(statementText(s!)).toBe('Allow `ec2:StartInstances` on `arn:aws:ec2:*:111111111111:instance/*` if `StringEquals aws:ResourceTag/reflex:protect = true`');
  });
});

import { describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import { causedByOwnRole, roleNameOf } from './loop-guard';

const stopInstances = fixture('cloudtrail/stop-instances.json');
const stateChange = fixture('ec2/instance-state-change.json');

describe('roleNameOf', () => {
  it('is the name of a role ARN', () => {
    expect(roleNameOf('arn:aws:iam::123456789012:role/reflex-dev-guard')).toBe('reflex-dev-guard');
  });

  it('is the last segment of a role ARN with a path', () => {
    expect(roleNameOf('arn:aws:iam::123456789012:role/service-role/reflex/reflex-dev-guard')).toBe('reflex-dev-guard');
  });

  it('is the role, not the session, of an assumed-role ARN', () => {
    expect(roleNameOf('arn:aws:sts::123456789012:assumed-role/reflex-dev-guard/1636666194000')).toBe('reflex-dev-guard');
  });

  it('reads ARNs of other partitions', () => {
    expect(roleNameOf('arn:aws-us-gov:sts::123456789012:assumed-role/reflex-dev-guard/session')).toBe('reflex-dev-guard');
  });

  it('is undefined for an IAM user ARN', () => {
    expect(roleNameOf('arn:aws:iam::123456789012:user/Alice')).toBeUndefined();
  });

  it('is undefined for a user whose path contains role', () => {
    expect(roleNameOf('arn:aws:iam::123456789012:user/role/Alice')).toBeUndefined();
  });

  it('is undefined for an ARN of another service', () => {
    expect(roleNameOf('arn:aws:lambda:us-east-1:123456789012:function:reflex-dev-guard')).toBeUndefined();
  });
});

describe('causedByOwnRole', () => {
  const callBy = (userIdentity: unknown) => {
    const event = structuredClone(stopInstances);
    event.detail.userIdentity = userIdentity;
    return event;
  };
  const assumedRole = (role: string, path = '') => ({
    type: 'AssumedRole',
    arn: `arn:aws:sts::123456789012:assumed-role/${role}/session`,
    sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::123456789012:role/${path}${role}`, userName: role } },
  });

  it('is true for a call by an assumed role whose name has the prefix', () => {
    expect(causedByOwnRole(callBy(assumedRole('reflex-dev-scheduler')), 'reflex-dev-')).toBe(true);
  });

  it('is true for an assumed role with a path whose name has the prefix', () => {
    expect(causedByOwnRole(callBy(assumedRole('reflex-dev-scheduler', 'reflex/')), 'reflex-dev-')).toBe(true);
  });

  it('is true for an assumed role without a recorded session issuer', () => {
    const { sessionContext: _none, ...identity } = assumedRole('reflex-dev-scheduler');

    expect(causedByOwnRole(callBy(identity), 'reflex-dev-')).toBe(true);
  });

  it('is false for a role whose name lacks the prefix', () => {
    expect(causedByOwnRole(callBy(assumedRole('ops-admin')), 'reflex-dev-')).toBe(false);
  });

  it('is false for an IAM user', () => {
    expect(causedByOwnRole(stopInstances, 'reflex-dev-')).toBe(false);
  });

  it('is false for an event without userIdentity', () => {
    expect(causedByOwnRole(stateChange, 'reflex-dev-')).toBe(false);
  });

  it('is false for an event without detail', () => {
    expect(causedByOwnRole({}, 'reflex-dev-')).toBe(false);
  });
});

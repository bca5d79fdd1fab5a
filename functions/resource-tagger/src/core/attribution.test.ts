import { describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import { UserIdentitySchema } from '@reflex/events';
import { attributeCreator } from './attribution';

// The userIdentity cases of packages/events/fixtures/cloudtrail/user-identity (SOURCES.md says which are
// documented as published and which were composed from documented parts).
const identityCase = (name: string) => {
  const raw = fixture(`cloudtrail/user-identity/${name}.json`);
  return { ...raw, userIdentity: UserIdentitySchema.parse(raw.userIdentity) };
};

describe('attributeCreator', () => {
  it('names an IAM user by user name', () => {
    expect(attributeCreator(identityCase('iam-user'))).toEqual({
      kind: 'iam-user',
      label: 'user/Alice',
      arn: 'arn:aws:iam::123456789012:user/Alice',
    });
  });

  it('names an assumed role by role and session', () => {
    expect(attributeCreator(identityCase('assumed-role'))).toMatchObject({
      kind: 'assumed-role',
      label: 'role/RoleToBeAssumed/MySessionName',
      role: 'RoleToBeAssumed',
      session: 'MySessionName',
    });
  });

  it('names the person behind an IAM Identity Center role by the session name', () => {
    expect(attributeCreator(identityCase('identity-center-user'))).toMatchObject({
      kind: 'identity-center-user',
      label: 'sso-user/alice@example.com',
      role: 'AWSReservedSSO_NetworkAdmin_0123456789abcdef',
    });
  });

  it('names the AWS service and the CloudFormation stack that acted for a principal', () => {
    expect(attributeCreator(identityCase('aws-service-cloudformation'))).toMatchObject({
      kind: 'assumed-role',
      label: 'role/RoleToBeAssumed/MySessionName via cloudformation.amazonaws.com stack/network-core',
      service: 'cloudformation.amazonaws.com',
      stack: 'network-core',
    });
  });

  it("takes the stack from the resource's tags when the request does not name it", () => {
    const detail = { ...identityCase('aws-service-cloudformation'), requestParameters: {} };
    expect(attributeCreator(detail, { 'aws:cloudformation:stack-name': 'edge' }).label).toBe(
      'role/RoleToBeAssumed/MySessionName via cloudformation.amazonaws.com stack/edge',
    );
  });

  it('names the service when it is the caller itself', () => {
    expect(attributeCreator(identityCase('aws-service'))).toMatchObject({ kind: 'aws-service', label: 'service/ec2.amazonaws.com' });
  });

  it('names root as root', () => {
    expect(attributeCreator(identityCase('root'))).toMatchObject({ kind: 'root', label: 'root' });
  });

  it('adds the source identity an assumed role carries', () => {
    const detail = structuredClone(identityCase('assumed-role'));
    detail.userIdentity.sessionContext.sourceIdentity = 'DiegoRamirez';
    expect(attributeCreator(detail).label).toBe('role/RoleToBeAssumed/MySessionName source/DiegoRamirez');
  });

  it('keeps the label within the 256 characters of an EC2 tag value', () => {
    const detail = structuredClone(identityCase('assumed-role'));
    detail.userIdentity.arn = `arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/${'s'.repeat(300)}`;
    expect(attributeCreator(detail).label.length).toBe(256);
  });
});

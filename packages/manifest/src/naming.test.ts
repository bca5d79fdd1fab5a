import { describe, expect, it } from '@jest/globals';
import { awsName, NAME_PATTERN, ownRolePrefix, stateKey } from './naming';

describe('awsName', () => {
  it('is reflex-<env>-<name>', () => {
    expect(awsName('dev', 'instance-guard')).toBe('reflex-dev-instance-guard');
  });

  it('appends the suffix after the name', () => {
    expect(awsName('prod', 'instance-guard', 'dlq')).toBe('reflex-prod-instance-guard-dlq');
  });

  it('leaves out an empty suffix', () => {
    expect(awsName('dev', 'instance-guard', '')).toBe('reflex-dev-instance-guard');
  });
});

describe('ownRolePrefix', () => {
  it('is the prefix every role name of the environment starts with', () => {
    expect(ownRolePrefix('dev')).toBe('reflex-dev-');
  });

  it('is a prefix of the AWS names of that environment', () => {
    expect(awsName('dev', 'instance-guard').startsWith(ownRolePrefix('dev'))).toBe(true);
  });

  it('does not match the names of an environment whose name extends it', () => {
    expect(awsName('dev2', 'instance-guard').startsWith(ownRolePrefix('dev'))).toBe(false);
  });
});

describe('stateKey', () => {
  it('is reflex/<env>/<stack>.tfstate', () => {
    expect(stateKey('dev', 'network')).toBe('reflex/dev/network.tfstate');
  });
});

describe('NAME_PATTERN', () => {
  it.each(['instance-guard', 'dev', 'vpc2'])('accepts %s', (name) => {
    expect(NAME_PATTERN.test(name)).toBe(true);
  });

  it.each(['Dev', '2dev', 'dev-', 'dev_1', 'dev guard'])('rejects %s', (name) => {
    expect(NAME_PATTERN.test(name)).toBe(false);
  });
});

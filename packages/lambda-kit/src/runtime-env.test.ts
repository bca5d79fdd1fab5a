import { describe, expect, it } from '@jest/globals';
import { defineReflex } from '@reflex/manifest';
import * as z from '@reflex/events/zod';
import { ConfigError } from './errors';
import { readRuntimeSettings } from './runtime-env';

const manifest = defineReflex({
  name: 'tiny',
  description: 'A reflex for tests.',
  triggers: [{ kind: 'schedule', expression: 'rate(5 minutes)' }],
  permissions: () => [],
  config: z.object({
    protectTag: z._default(z.object({ key: z.string().check(z.minLength(1)), value: z.string() }), { key: 'reflex:protect', value: 'true' }),
  }),
});

const env = { REFLEX_ENV: 'test', REFLEX_BUS_NAME: 'bus', REFLEX_DRY_RUN: 'false', REFLEX_CONFIG: '{}' };

/** The ConfigError that reading `source` throws. */
const configError = (source: Record<string, string | undefined>): ConfigError => {
  try {
    readRuntimeSettings(manifest, source);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
};

const sender = defineReflex({
  name: 'sender',
  description: 'A reflex that sends to another one.',
  triggers: [{ kind: 'schedule', expression: 'rate(5 minutes)' }],
  permissions: () => [],
  config: z.object({}),
  sendsTo: ['ipam-sync'],
});

describe('readRuntimeSettings: queues to send to', () => {
  it('reads the URL of each queue the manifest sends to from REFLEX_SEND_QUEUES', () => {
    const url = 'https://sqs.us-east-1.amazonaws.com/123456789012/reflex-test-ipam-sync';

    const settings = readRuntimeSettings(sender, { ...env, REFLEX_SEND_QUEUES: JSON.stringify({ 'ipam-sync': url }) });

    expect(settings.sendQueues).toEqual({ 'ipam-sync': url });
  });

  it('throws a ConfigError naming the reflex sent to when its URL is missing', () => {
    expect(() => readRuntimeSettings(sender, env)).toThrow(/REFLEX_SEND_QUEUES has no queue URL for ipam-sync/);
  });

  it('throws a ConfigError naming REFLEX_SEND_QUEUES when it is not JSON', () => {
    expect(() => readRuntimeSettings(sender, { ...env, REFLEX_SEND_QUEUES: '{' })).toThrow(/REFLEX_SEND_QUEUES is not JSON/);
  });
});

const stateful = defineReflex({
  name: 'stateful',
  description: 'A reflex that keeps state.',
  triggers: [{ kind: 'schedule', expression: 'rate(5 minutes)' }],
  permissions: () => [],
  config: z.object({}),
  state: { partitionKey: 'pk', ttlAttribute: 'expiresAt' },
});

describe('readRuntimeSettings: state table', () => {
  it('reads the table name from REFLEX_STATE_TABLE', () => {
    const settings = readRuntimeSettings(stateful, { ...env, REFLEX_STATE_TABLE: 'reflex-test-stateful' });

    expect(settings.stateTable).toBe('reflex-test-stateful');
  });

  it('throws a ConfigError naming REFLEX_STATE_TABLE when a manifest with state has none', () => {
    expect(() => readRuntimeSettings(stateful, env)).toThrow(ConfigError);
    expect(() => readRuntimeSettings(stateful, env)).toThrow('reflex "stateful": REFLEX_STATE_TABLE is not set, but the manifest declares state');
  });

  it('throws a ConfigError naming REFLEX_STATE_TABLE when it is empty', () => {
    expect(() => readRuntimeSettings(stateful, { ...env, REFLEX_STATE_TABLE: '' })).toThrow(/REFLEX_STATE_TABLE/);
  });

  it('leaves stateTable out for a reflex without state', () => {
    expect(readRuntimeSettings(manifest, env)).not.toHaveProperty('stateTable');
  });
});

describe('readRuntimeSettings', () => {
  it('reads env, bus, dry-run, the parsed config and the own role prefix', () => {
    const settings = readRuntimeSettings(manifest, env);

    expect(settings).toEqual({
      env: 'test',
      busName: 'bus',
      dryRun: false,
      config: { protectTag: { key: 'reflex:protect', value: 'true' } },
      ownRolePrefix: 'reflex-test-',
      actionsSink: 'eventbridge',
      sendQueues: {},
      apiPrincipals: [],
    });
  });

  it('reads the principals allowed to call an http reflex, and names a bad one', () => {
    const principals = ['arn:aws:iam::123456789012:role/onprem-automation'];

    expect(readRuntimeSettings(manifest, { ...env, REFLEX_API_PRINCIPALS: JSON.stringify(principals) }).apiPrincipals).toEqual(principals);
    expect(() => readRuntimeSettings(manifest, { ...env, REFLEX_API_PRINCIPALS: '["alice"]' })).toThrow(
      /REFLEX_API_PRINCIPALS: 0: an IAM principal ARN/,
    );
  });

  it('reads REFLEX_ACTIONS_SINK "log" as log-only actions', () => {
    expect(readRuntimeSettings(manifest, { ...env, REFLEX_ACTIONS_SINK: 'log' }).actionsSink).toBe('log');
  });

  it('reads REFLEX_DRY_RUN "true" as dry-run', () => {
    expect(readRuntimeSettings(manifest, { ...env, REFLEX_DRY_RUN: 'true' }).dryRun).toBe(true);
  });

  it('parses the config with defaults when REFLEX_CONFIG is not set', () => {
    const { REFLEX_CONFIG: _unset, ...withoutConfig } = env;

    expect(readRuntimeSettings(manifest, withoutConfig).config).toEqual({ protectTag: { key: 'reflex:protect', value: 'true' } });
  });

  it('takes the own role prefix from REFLEX_OWN_ROLE_PREFIX when set', () => {
    const settings = readRuntimeSettings(manifest, { ...env, REFLEX_OWN_ROLE_PREFIX: 'acme-reflex-test-' });

    expect(settings.ownRolePrefix).toBe('acme-reflex-test-');
  });

  it('throws a ConfigError naming REFLEX_DRY_RUN when it is neither "true" nor "false"', () => {
    const error = configError({ ...env, REFLEX_DRY_RUN: 'yes' });

    expect(error.message).toMatch(/^reflex "tiny" environment: REFLEX_DRY_RUN: /);
  });

  it('throws a ConfigError naming REFLEX_ENV when it is missing', () => {
    const { REFLEX_ENV: _unset, ...withoutEnv } = env;

    expect(configError(withoutEnv).message).toContain('REFLEX_ENV: ');
  });

  it('throws a ConfigError naming the config field that fails the manifest schema', () => {
    const error = configError({ ...env, REFLEX_CONFIG: '{"protectTag":{"key":"","value":"true"}}' });

    expect(error.message).toMatch(/^reflex "tiny" config: protectTag\.key: /);
  });

  it('throws a ConfigError with the parse error as cause when REFLEX_CONFIG is not JSON', () => {
    const error = configError({ ...env, REFLEX_CONFIG: '{protectTag:' });

    expect(error.message).toBe('reflex "tiny": REFLEX_CONFIG is not JSON');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});

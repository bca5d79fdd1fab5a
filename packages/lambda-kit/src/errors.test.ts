import { describe, expect, it } from '@jest/globals';
import { ConfigError, describeError, EmitError, MalformedEventError, ReflexError } from './errors';

describe('describeError', () => {
  it('chains the causes after the message, each with its error name', () => {
    const error = new EmitError('PutEvents to bus failed', {
      cause: new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:4566') }),
    });

    expect(describeError(error)).toBe(
      'EmitError: PutEvents to bus failed ← TypeError: fetch failed ← Error: connect ECONNREFUSED 127.0.0.1:4566',
    );
  });

  it('writes a cause that is not an Error as a string', () => {
    const error = new ReflexError('record failed', { cause: 'throttled' });

    expect(describeError(error)).toBe('ReflexError: record failed ← throttled');
  });

  it('writes a thrown value that is not an Error as a string', () => {
    expect(describeError(42)).toBe('42');
  });

  it('stops at an error it has described already when causes form a cycle', () => {
    const error = new Error('loop', { cause: new Error('back') });
    (error.cause as Error).cause = error;

    expect(describeError(error)).toBe('Error: loop ← Error: back');
  });
});

describe('Reflex errors', () => {
  it.each([
    [new MalformedEventError('m'), 'MalformedEventError'],
    [new ConfigError('c'), 'ConfigError'],
    [new EmitError('e'), 'EmitError'],
  ])('%s is a ReflexError named %s', (error, name) => {
    expect(error).toBeInstanceOf(ReflexError);
    expect(error.name).toBe(name);
  });

  it('keeps the cause it was given', () => {
    const cause = new Error('underneath');

    expect(new ConfigError('wrong', { cause }).cause).toBe(cause);
  });
});

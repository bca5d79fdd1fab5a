// Inputs the text reader (view.ts) once read otherwise than the object path does, or than event-ruler does.

import { describe, expect, it } from '@jest/globals';
import { compilePattern } from './index';

describe('invalid JSON text', () => {
  // Checking each string it reads costs ~5% of the 1-rule speed, and events from AWS are valid JSON.
  it('takes a raw control character in a string it reads as it is (README)', () => {
    const pattern = compilePattern({ source: ['aws\tec2'] });

    expect(pattern.matches('{"source": "aws\tec2"}')).toBe(true);
    expect(() => pattern.explain('{"source": "aws\tec2"}')).toThrow(SyntaxError);
  });
});

describe('inputs once misread', () => {
  it('reads a key starting with a dot (".a") as the empty name, then a, as the object path does', () => {
    const pattern = compilePattern({ '.a': [5], b: { '': { c: ['x'] } } });
    const text = '{".a": 5, "b": {".c": "x"}}';

    expect([pattern.matches(text), pattern.matches(JSON.parse(text))]).toEqual([true, true]);
  });

  it('reads a gated field given again whose name has a lone surrogate, which JSON text may hold unescaped', () => {
    const pattern = compilePattern({ '\ud800': ['yes'] });
    const text = '{"\ud800": "no", "x": 1, "\ud800": "yes"}';

    expect([pattern.matches(text), pattern.matches({ '\ud800': ['no', 'yes'], x: 1 })]).toEqual([true, true]);
  });

  it('throws SyntaxError for a key it reads holding a raw control character (a name JSON must escape)', () => {
    expect(() => compilePattern({ 'a\tb': [1] }).matches('{"a\tb": 1}')).toThrow(SyntaxError);
  });

  it('throws SyntaxError for a bracket closed by the other kind in a part it skips, as JSON.parse does', () => {
    const pattern = compilePattern({ source: ['aws.ec2'] });

    expect(() => pattern.matches('{"x": [1}, "source": "aws.ec2"}')).toThrow(SyntaxError);
    expect(() => pattern.matches('{"x": {"a": [1}], "source": "aws.ec2"}')).toThrow(SyntaxError);
  });
});

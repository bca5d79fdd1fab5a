// Inputs the text reader (view.ts) once read otherwise than the object path does, or than event-ruler does.

import { describe, expect, it } from '@jest/globals';
import { compilePattern, RuleSet } from './index';

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

  it('pairs a dotted key with the objects of nested arrays under the same name, as event-ruler does', () => {
    const text = '{"k": [[{"x": 1}]], "k.a": false}';
    const both = compilePattern({ k: { x: [1], a: [false] } });
    const absent = compilePattern({ k: { x: [{ exists: false }], a: [false] } });

    expect([both.matches(text), both.matches(JSON.parse(text)), absent.matches(text), absent.matches(JSON.parse(text))]).toEqual([true, true, false, false]);
  });

  it('answers for a rule of a RuleSet as for the rule alone, whatever the other rules read', () => {
    const rules = new RuleSet<string>();
    rules.add('x absent', { k: { x: [{ exists: false }] } });
    rules.add('a', { k: { a: [false] } });

    expect(rules.matches('{"k": [[{"x": 1}]], "k.a": false}')).toEqual(['a']);
  });
});

describe('a field given an object and an array of objects (a key given again, or a dotted key)', () => {
  // The object is in no element of the array, so event-ruler pairs it with each (checked on event-ruler 2.0.1-13).
  const pattern = compilePattern({ k: { x: [1], y: [2] } });

  it.each([
    ['{"k": {"x": 1}, "k": [{"y": 2}, {"z": 3}]}'],
    ['{"k": [{"y": 2}, {"z": 3}], "k": {"x": 1}}'],
    ['{"k": [{"y": 2}, {"z": 3}], "k.x": 1}'],
    ['{"k": {"x": 1}, "k": 5, "k": [{"y": 2}]}'],
    ['{"k": 5, "k": {"x": 1}, "k": [{"y": 2}]}'],
    ['{"k": [{"y": 2}], "k": 5, "k": {"x": 1}}'],
    ['{"k": 5, "k.x": 1, "k": [[{"y": 2}]]}'],
  ])('matches fields of the object with fields of an element, in any order: %s', (text) => {
    expect(pattern.matches(text)).toBe(true);
    expect(pattern.explain(text).matched).toBe(true);
  });

  it('still keeps the elements of the array apart', () => {
    const apart = compilePattern({ k: { y: [2], z: [3] } });

    expect(apart.matches('{"k": {"x": 1}, "k": [{"y": 2}, {"z": 3}]}')).toBe(false);
    expect(apart.matches('{"k": 5, "k.x": 1, "k": [[{"y": 2}, {"z": 3}]]}')).toBe(false);
  });
});

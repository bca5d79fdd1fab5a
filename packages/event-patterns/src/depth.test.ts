// Deeply nested events and patterns: refused with a named error at MAX_EVENT_DEPTH levels, never a stack
// overflow. JSON.parse takes any depth; the walks over the event (and V8's reviver) recurse per level.

import { describe, expect, it } from '@jest/globals';
import { checkEventDepth, compilePattern, EventTooDeepError, InvalidPatternError, MAX_EVENT_DEPTH, RuleSet } from './index';

/** `{"source": "aws.ec2", "<field>": <value nested in `levels` arrays>}` as JSON text. */
const nestedArrays = (field: string, levels: number, inner = '"x"') =>
  `{"source":"aws.ec2","${field}":${'['.repeat(levels)}${inner}${']'.repeat(levels)}}`;
/** `{"detail": {"a": {"a": … {} }}}`, the event `levels` deep in all. */
const nestedObjects = (levels: number) => `{"detail":${'{"a":'.repeat(levels - 2)}{}${'}'.repeat(levels - 2)}}`;

describe('events nested deeper than MAX_EVENT_DEPTH', () => {
  it('explain refuses an event 10,000 levels deep with EventTooDeepError, naming where', () => {
    const pattern = compilePattern({ source: ['aws.ec2'] });

    expect(() => pattern.explain(nestedObjects(10_000))).toThrow(EventTooDeepError);
    expect(() => pattern.explain(nestedObjects(10_000))).toThrow(/nested deeper than 1000 levels \(at detail\.a\.a/);
  });

  it('explain takes an event exactly MAX_EVENT_DEPTH levels deep', () => {
    expect(compilePattern({ source: ['aws.ec2'] }).explain(nestedObjects(MAX_EVENT_DEPTH)).matched).toBe(false);
  });

  it('matches refuses arrays nested 10,000 deep in a field it reads, instead of overflowing the stack', () => {
    const event = nestedArrays('state', 10_000);

    expect(() => compilePattern({ state: ['x'] }).matches(event)).toThrow(EventTooDeepError);
    expect(() => compilePattern({ state: { a: ['x'] } }).matches(event)).toThrow(EventTooDeepError);
  });

  it('RuleSet refuses arrays nested 10,000 deep in a field it reads', () => {
    const rules = new RuleSet<string>();
    rules.add('r', { source: ['aws.ec2'], state: [{ prefix: 'x' }] });

    expect(() => rules.matches(nestedArrays('state', 10_000))).toThrow(EventTooDeepError);
  });

  it('still matches values in arrays nested within the limit', () => {
    expect(compilePattern({ state: ['x'] }).matches(nestedArrays('state', 50))).toBe(true);
  });

  it('refuses a deep event with a long number (parsed with a reviver) as too deep, not with a RangeError', () => {
    expect(() => compilePattern({ state: ['x'] }).matches(nestedArrays('state', 10_000, '12345678901234567890'))).toThrow(EventTooDeepError);
  });

  it('checkEventDepth takes a normal event and refuses one a level too deep', () => {
    expect(() => checkEventDepth({ source: 'aws.ec2', detail: { a: [[1]] } })).not.toThrow();
    expect(() => checkEventDepth({ detail: { a: [[1]] } }, 3)).toThrow(new EventTooDeepError('detail.a[0]', 3));
  });
});

describe('patterns nested deeper than MAX_EVENT_DEPTH', () => {
  it('are invalid patterns', () => {
    const deep = `${'{"a":'.repeat(10_000)}["x"]${'}'.repeat(10_000)}`;

    expect(() => compilePattern(deep)).toThrow(InvalidPatternError);
    expect(() => compilePattern(deep)).toThrow(/nested deeper than an event may be/);
  });
});

// Invalid event patterns: compilePattern throws InvalidPatternError naming the dotted path and the reason.
//
// Sources:
// - Amazon EventBridge User Guide, "Amazon EventBridge event patterns" ("each value in a pattern is an array"),
//   and "Comparison operators for use in event patterns in Amazon EventBridge" (operator syntax; wildcard:
//   "consecutive wildcard characters are not allowed")
//   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
// - aws/event-ruler README.md, "Wildcard matching" (no consecutive `*`; a backslash may only escape `*` or `\`),
//   "Anything-but matching" (lists are all strings or all numbers), "The "$or" Primitive" (an array of 2+
//   objects), "Compiling and checking rules".
// - aws/event-ruler src/main/.../JsonRuleCompiler.java, which is what Machine.addRule uses. It rejects:
//   "Filter is not an object", "\"x\" must be an object or an array", "Empty arrays are not allowed",
//   "Empty objects are not allowed", "Unrecognized match type", "Only one key allowed in match expression",
//   "Unrecognized numeric range operator", "Value of > must be numeric", "Bad numeric range operator",
//   "Too many elements in numeric expression" (a lower bound after an upper one), Range.java's "Bottom must be
//   less than top" (a range whose bounds are reversed or equal), ComparableNumber.java's "Cannot compare
//   number" (a literal no double holds exactly: 1E-325, 2^53 + 1, 1e309; checked against event-ruler 2.0.1),
//   "exists match pattern must be either true or false.", "It must be an Array followed with $or.",
//   "There must have at least 2 Objects in $or relationship.", "Only JSON object is allowed in array of $or",
//   "Inside anything but list, either all values are number or string", "Null prefix/suffix not allowed",
//   "Match value must be String, number, true, false, or null"; CIDR.java rejects a CIDR without exactly one
//   '/', with non-integer or out-of-range mask bits, or with a base that is not an IP address literal;
//   WildcardParser.java rejects "Consecutive wildcard characters" and "Invalid escape character".

import { describe, expect, it } from '@jest/globals';
import { compilePattern, InvalidPatternError } from './index';

/** Compiles the pattern and returns the InvalidPatternError it must throw. */
function compileError(pattern: string | object): InvalidPatternError {
  try {
    compilePattern(pattern);
  } catch (error) {
    if (error instanceof InvalidPatternError) return error;
    throw new Error(`expected InvalidPatternError, got ${String(error)}`);
  }
  throw new Error(`expected InvalidPatternError for ${typeof pattern === 'string' ? pattern : JSON.stringify(pattern)}`);
}

/**
 * Asserts the error names the failing field (its dotted path, optionally refined to the spot inside the field's
 * pattern, e.g. `detail.state[0].prefixx`), carries a non-empty reason, and that the message includes both.
 */
function expectNamed(error: InvalidPatternError, field: string): void {
  expect(error).toBeInstanceOf(Error);
  expect(error.path).toMatch(new RegExp(`^${escapeRegExp(field)}([.[].*)?$`));
  expect(error.reason.length).toBeGreaterThan(0);
  expect(error.message).toContain(error.path);
  expect(error.message).toContain(error.reason);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('InvalidPatternError', () => {
  it('is not thrown for a valid pattern (the EC2 state-change rule)', () => {
    expect(() =>
      compilePattern({ source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['stopped'] } }),
    ).not.toThrow();
  });

  it('is an Error subclass whose message contains path and reason', () => {
    expectNamed(compileError({ source: 'aws.ec2' }), 'source');
  });
});

describe('leaf values must be non-empty arrays', () => {
  it('rejects a leaf that is a string, not an array ({"source":"aws.ec2"})', () => {
    expectNamed(compileError({ source: 'aws.ec2' }), 'source');
  });

  it('rejects a nested leaf that is a number, not an array', () => {
    expectNamed(compileError({ detail: { severity: 2 } }), 'detail.severity');
  });

  it('rejects a leaf that is null, not an array', () => {
    expectNamed(compileError({ detail: { state: null } }), 'detail.state');
  });

  it('rejects an empty array', () => {
    expectNamed(compileError({ detail: { state: [] } }), 'detail.state');
  });

  it('rejects a nested array as a match value', () => {
    expectNamed(compileError({ resources: [['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111']] }), 'resources');
  });

  it('rejects an empty object as a nested pattern', () => {
    expectNamed(compileError({ source: ['aws.ec2'], detail: {} }), 'detail');
  });
});

describe('operators', () => {
  it('rejects an unknown operator ({"prefixx":"a"}) and names it in the reason', () => {
    const error = compileError({ detail: { state: [{ prefixx: 'a' }] } });
    expectNamed(error, 'detail.state');
    expect(error.reason).toContain('prefixx');
  });

  it('rejects an operator object with two operators', () => {
    expectNamed(compileError({ source: [{ prefix: 'aws.', suffix: '.ec2' }] }), 'source');
  });

  it('rejects an empty operator object', () => {
    expectNamed(compileError({ source: [{}] }), 'source');
  });

  it('rejects prefix with a non-string value', () => {
    expectNamed(compileError({ detail: { state: [{ prefix: 5 }] } }), 'detail.state');
  });

  it('rejects equals-ignore-case with a non-string value', () => {
    expectNamed(compileError({ detail: { state: [{ 'equals-ignore-case': true }] } }), 'detail.state');
  });

  it('rejects exists with a string instead of a boolean', () => {
    expectNamed(compileError({ detail: { state: [{ exists: 'true' }] } }), 'detail.state');
  });

  it('rejects exists with a number instead of a boolean', () => {
    expectNamed(compileError({ detail: { state: [{ exists: 1 }] } }), 'detail.state');
  });
});

describe('numeric', () => {
  it('rejects an unknown operator', () => {
    expectNamed(compileError({ detail: { severity: [{ numeric: ['~', 5] }] } }), 'detail.severity');
  });

  it('rejects a string where a number is required', () => {
    expectNamed(compileError({ detail: { severity: [{ numeric: ['>', '5'] }] } }), 'detail.severity');
  });

  it('rejects a numeric value that is not an array', () => {
    expectNamed(compileError({ detail: { severity: [{ numeric: '>5' }] } }), 'detail.severity');
  });

  it('rejects a range whose upper operator is not < or <=', () => {
    expectNamed(compileError({ detail: { severity: [{ numeric: ['>', 0, '>', 5] }] } }), 'detail.severity');
  });

  it('rejects a range whose upper bound is not a number', () => {
    expectNamed(compileError({ detail: { severity: [{ numeric: ['>', 0, '<=', 'five'] }] } }), 'detail.severity');
  });

  it('rejects = followed by more terms', () => {
    expectNamed(compileError({ detail: { severity: [{ numeric: ['=', 5, '<', 10] }] } }), 'detail.severity');
  });

  it('rejects an operator with no operand', () => {
    expectNamed(compileError({ detail: { severity: [{ numeric: ['>'] }] } }), 'detail.severity');
  });

  it('rejects a range whose bounds are in the wrong order ([">", 30, "<", 1])', () => {
    const error = compileError({ detail: { severity: [{ numeric: ['>', 30, '<', 1] }] } });
    expectNamed(error, 'detail.severity');
    expect(error.reason).toContain('empty');
  });

  it('rejects a range whose bounds are equal ([">", 1, "<", 1])', () => {
    expectNamed(compileError({ detail: { severity: [{ numeric: ['>', 1, '<', 1] }] } }), 'detail.severity');
  });

  it('rejects equal bounds even when both are closed ([">=", 1, "<=", 1])', () => {
    expectNamed(compileError({ detail: { severity: [{ numeric: ['>=', 1, '<=', 1] }] } }), 'detail.severity');
  });

  it('rejects a lower bound given after an upper one (["<", 5, ">", 1])', () => {
    const error = compileError({ detail: { severity: [{ numeric: ['<', 5, '>', 1] }] } });
    expectNamed(error, 'detail.severity');
    expect(error.reason).toContain('lower bound');
  });

  it('rejects two upper bounds (["<", 5, "<=", 6])', () => {
    expectNamed(compileError({ detail: { severity: [{ numeric: ['<', 5, '<=', 6] }] } }), 'detail.severity');
  });

  it('rejects 1E-325, which no double holds (it would round to 0)', () => {
    const error = compileError('{"detail":{"severity":[{"numeric":["<",1E-325]}]}}');
    expectNamed(error, 'detail.severity');
    expect(error.reason).toContain('1E-325');
  });

  it('rejects an integer beyond 2^53 that no double holds (9007199254740993)', () => {
    expectNamed(compileError('{"detail":{"severity":[{"numeric":["=",9007199254740993]}]}}'), 'detail.severity');
  });

  it('rejects a number beyond the largest double (1e309)', () => {
    expectNamed(compileError('{"detail":{"severity":[{"numeric":[">",0,"<",1e309]}]}}'), 'detail.severity');
  });

  it('rejects more decimals than a double holds (0.3000000000000000444)', () => {
    expectNamed(compileError('{"detail":{"severity":[{"numeric":[">",0.3000000000000000444]}]}}'), 'detail.severity');
  });
});

describe('cidr', () => {
  const sourceIp = (cidr: unknown) => ({ detail: { sourceIPAddress: [{ cidr }] } });

  it('rejects an address without a mask', () => {
    expectNamed(compileError(sourceIp('10.0.0.0')), 'detail.sourceIPAddress');
  });

  it('rejects non-integer mask bits', () => {
    expectNamed(compileError(sourceIp('10.0.0.0/abc')), 'detail.sourceIPAddress');
  });

  it('rejects IPv4 mask bits above 32', () => {
    expectNamed(compileError(sourceIp('10.0.0.0/33')), 'detail.sourceIPAddress');
  });

  it('rejects a base that is not an IP address', () => {
    expectNamed(compileError(sourceIp('not-an-ip/8')), 'detail.sourceIPAddress');
  });

  it('rejects an IPv4 octet above 255', () => {
    expectNamed(compileError(sourceIp('300.0.0.0/8')), 'detail.sourceIPAddress');
  });

  it('rejects a non-string cidr', () => {
    expectNamed(compileError(sourceIp(10)), 'detail.sourceIPAddress');
  });
});

describe('wildcard', () => {
  it('rejects consecutive wildcard characters (**)', () => {
    expectNamed(compileError({ resources: [{ wildcard: 'arn:aws:ec2:**' }] }), 'resources');
  });

  it('rejects consecutive wildcard characters inside anything-but', () => {
    expectNamed(compileError({ resources: [{ 'anything-but': { wildcard: '**/lib/*' } }] }), 'resources');
  });

  it('rejects a backslash escaping a character other than * or \\', () => {
    expectNamed(compileError({ resources: [{ wildcard: 'arn:aws:ec2:\\d*' }] }), 'resources');
  });

  it('rejects a non-string wildcard', () => {
    expectNamed(compileError({ resources: [{ wildcard: 5 }] }), 'resources');
  });
});

describe('anything-but', () => {
  it('rejects a list mixing strings and numbers', () => {
    expectNamed(compileError({ detail: { state: [{ 'anything-but': ['stopped', 5] }] } }), 'detail.state');
  });

  it('rejects null', () => {
    expectNamed(compileError({ detail: { state: [{ 'anything-but': null }] } }), 'detail.state');
  });

  // event-ruler JsonRuleCompiler: "Null prefix/suffix not allowed" (an empty anything-but prefix/suffix would
  // exclude every string).
  it('rejects an empty prefix', () => {
    expectNamed(compileError({ region: [{ 'anything-but': { prefix: '' } }] }), 'region');
  });

  it('rejects an empty suffix', () => {
    expectNamed(compileError({ region: [{ 'anything-but': { suffix: '' } }] }), 'region');
  });

  it('rejects a number no double holds (9007199254740993) in a numeric list', () => {
    expectNamed(compileError('{"detail":{"severity":[{"anything-but":[1,9007199254740993]}]}}'), 'detail.severity');
  });

  it('rejects an empty list of prefixes', () => {
    expectNamed(compileError({ region: [{ 'anything-but': { prefix: [] } }] }), 'region');
  });

  it('rejects an empty prefix in a list of prefixes', () => {
    const error = compileError({ region: [{ 'anything-but': { prefix: ['us-', ''] } }] });
    expectNamed(error, 'region');
    expect(error.path).toBe('region[0].anything-but.prefix[1]');
  });

  it('rejects a non-string in a list of suffixes', () => {
    expectNamed(compileError({ source: [{ 'anything-but': { suffix: ['.ec2', 5] } }] }), 'source');
  });

  it('rejects an operator anything-but does not support (numeric)', () => {
    expectNamed(compileError({ detail: { severity: [{ 'anything-but': { numeric: ['>', 5] } }] } }), 'detail.severity');
  });
});

describe('$or', () => {
  it('rejects $or whose value is a string, not an array', () => {
    const error = compileError({ source: ['aws.ec2'], $or: 'detail' });
    expect(error.path).toMatch(/^(\$or\b.*)?$/);
    expect(error.reason.length).toBeGreaterThan(0);
    expect(error.message).toContain(error.reason);
  });

  // event-ruler's JsonRuleCompiler: "There must have at least 2 Objects in $or relationship."
  it('rejects $or with a single alternative', () => {
    const error = compileError({ source: ['aws.ec2'], $or: [{ detail: { state: ['running'] } }] });
    expect(error.path).toMatch(/^(\$or\b.*)?$/);
    expect(error.reason.length).toBeGreaterThan(0);
    expect(error.message).toContain(error.reason);
  });

  it('rejects an empty $or', () => {
    const error = compileError({ source: ['aws.ec2'], $or: [] });
    expect(error.path).toMatch(/^(\$or\b.*)?$/);
  });

  it('rejects a nested $or with a single alternative and names the enclosing path', () => {
    const error = compileError({ detail: { $or: [{ state: ['running'] }] } });
    expect(error.path).toMatch(/^detail(\.\$or\b.*)?$/);
    expect(error.message).toContain('detail');
  });

  it('rejects $or alternatives that are not objects', () => {
    const error = compileError({ detail: { $or: ['running', 'stopped'] } });
    expect(error.path).toMatch(/^detail(\.\$or\b.*)?$/);
    expect(error.message).toContain('detail');
  });
});

describe('the pattern as a whole', () => {
  it('rejects JSON text that is not valid JSON', () => {
    expect(() => compilePattern('{"source": ["aws.ec2"]')).toThrow(InvalidPatternError);
  });

  it('rejects JSON text that is an array, not an object', () => {
    expect(() => compilePattern('["aws.ec2"]')).toThrow(InvalidPatternError);
  });

  it('rejects JSON text that is a string, not an object', () => {
    expect(() => compilePattern('"aws.ec2"')).toThrow(InvalidPatternError);
  });

  it('rejects JSON text null', () => {
    expect(() => compilePattern('null')).toThrow(InvalidPatternError);
  });

  it('rejects an array given as the pattern object', () => {
    expect(() => compilePattern([{ source: ['aws.ec2'] }])).toThrow(InvalidPatternError);
  });

  it('reports the field path for an error found in JSON text', () => {
    expectNamed(compileError('{"source":["aws.ec2"],"detail":{"state":[]}}'), 'detail.state');
  });
});

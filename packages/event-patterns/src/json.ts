import { EventTooDeepError } from './errors';

/**
 * A JSON number whose literal a double cannot hold exactly (more than 15 significant digits): kept as its
 * canonical decimal form for equality, and as the nearest double for numeric ranges.
 */
export class ExactNumber {
  constructor(
    readonly value: number,
    readonly canonical: string,
  ) {}
}

/**
 * The canonical form of a decimal literal: `[-]digits e exponent` with no leading or trailing zeros,
 * so that `300`, `3e2`, `300.0` and `3.00E+2` are the same number. Undefined for non-numbers.
 */
export function canonicalNumber(literal: string): string | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal.trim());
  if (!m) return undefined;
  const [, sign, int, frac = '', exp = '0'] = m;
  let digits = int! + frac;
  let exponent = Number(exp) + int!.length;
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead);
  exponent -= lead;
  digits = digits.replace(/0+$/, '');
  if (digits === '') return '0';
  return `${sign}${digits}e${exponent}`;
}

/** A double's canonical form, comparable with {@link canonicalNumber} of a literal. */
export function canonicalOf(n: number): string {
  return canonicalNumber(Number.isInteger(n) && Math.abs(n) < 1e21 ? BigInt(n).toString() : String(n))!;
}

const SIGNIFICANT = /\d{16,}/;

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;
const keepExact: Reviver = (_key, value, context) => {
  if (typeof value !== 'number' || !context?.source) return value;
  const canonical = canonicalNumber(context.source)!;
  return canonical === canonicalOf(value) ? value : new ExactNumber(value, canonical);
};

/**
 * Parses JSON text; number literals a double cannot hold exactly become {@link ExactNumber}. The fast path
 * (plain `JSON.parse`) is taken when no literal has 16 or more digits in a row.
 */
export function parseJson(text: string): unknown {
  if (!SIGNIFICANT.test(text)) return JSON.parse(text);
  try {
    return (JSON.parse as (text: string, reviver: Reviver) => unknown)(text, keepExact);
  } catch (error) {
    // JSON.parse without a reviver takes any depth; with one, V8 recurses per level.
    if (error instanceof RangeError) throw new EventTooDeepError();
    throw error;
  }
}

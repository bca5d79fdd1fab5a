// One-line descriptions of failures, for messages that name the field and for logs and CLI errors that
// keep the cause chain on one line.
import type * as z from '@reflex/events/zod';

type Issue = z.core.$ZodIssue;

/** Zod's "expected object, received undefined": the field is missing. */
const MISSING = /^Invalid input: expected (.+), received undefined$/;

/** The issues of a union's closest branch: the fewest issues, and among those the fewest literal mismatches. */
function closestBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] {
  const mismatches = (issues: readonly Issue[]) => issues.filter((i) => i.code === 'invalid_value').length;
  return branches.reduce((best, branch) =>
    branch.length < best.length || (branch.length === best.length && mismatches(branch) < mismatches(best)) ? branch : best,
  );
}

/** Each issue with its full path; a union that failed as a whole speaks through its closest branch. */
function flatten(issues: readonly Issue[], base: readonly PropertyKey[], out: { path: PropertyKey[]; message: string }[]): void {
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      flatten(closestBranch(issue.errors), path, out);
      continue;
    }
    const missing = issue.code === 'invalid_type' ? MISSING.exec(issue.message) : null;
    out.push({ path, message: missing ? `required (expected ${missing[1]})` : issue.message });
  }
}

/**
 * Formats zod issues as `path: message; …` for error messages that name the field. A missing field reads
 * `required`; a union that matches no branch reports the branch that came closest.
 *
 * @example
 * describeIssues(EnvConfigSchema.safeParse(input).error!); // "account: an AWS account id is 12 digits"
 */
export function describeIssues(error: { readonly issues: readonly Issue[] }, prefix = ''): string {
  const flat: { path: PropertyKey[]; message: string }[] = [];
  flatten(error.issues, [], flat);
  return flat
    .map(({ path, message }) => {
      const at = [prefix, ...path.map(String)].filter(Boolean).join('.');
      return `${at || '(root)'}: ${message}`;
    })
    .join('; ');
}

/** Options of {@link describeError}. */
export interface DescribeErrorOptions {
  /** Prefix each message with its error's name (`TypeError: fetch failed`). @default true */
  readonly names?: boolean;
}

/** At most this many errors are described: causes may form long chains, or cycles. */
const MAX_ERRORS = 12;

/** A ZodError of the classic API (`ZodError`) or of zod/mini (`$ZodError`). */
const isZodError = (e: object): e is { issues: Issue[] } =>
  /^\$?ZodError$/.test(String((e as Error).name)) && Array.isArray((e as { issues?: unknown }).issues);

/** One error's own text, on one line: its message (a ZodError's issues), its `code` when the message lacks it. */
function own(error: unknown, options: DescribeErrorOptions, seen: Set<unknown>): { name: string; message: string } {
  if (typeof error !== 'object' || error === null) return { name: '', message: String(error) };
  const e = error as { name?: unknown; message?: unknown; code?: unknown };
  const zod = isZodError(error);
  const name = zod ? 'ZodError' : typeof e.name === 'string' ? e.name : '';
  let message = zod ? describeIssues(error) : typeof e.message === 'string' ? e.message : String(error);
  message = message.replace(/\s*\n\s*/g, ' ').trim();
  if (error instanceof AggregateError && error.errors.length > 0) {
    // Node's connection attempts to every address of a host (::1 and 127.0.0.1) fail as one AggregateError.
    const inner = error.errors.map((each: unknown) => chain(each, options, seen)).join('; ');
    message = message ? `${message}: ${inner}` : inner;
  }
  // Node puts ECONNREFUSED, ENOTFOUND… in `code`; an AggregateError of them has no message at all.
  if (typeof e.code === 'string' && e.code && !message.includes(e.code)) message = message ? `${message} (${e.code})` : e.code;
  return { name, message };
}

/**
 * Whether a cause's message says nothing its wrapper's does not: the wrapper quotes it, or quotes what follows
 * its label (`invalid event pattern at detail.state: <reason>` under `…pattern.detail.state: <reason>`).
 */
function repeats(wrapper: string, cause: string): boolean {
  if (!wrapper || !cause) return false;
  const colon = cause.indexOf(': ');
  const tail = colon < 0 ? '' : cause.slice(colon + 2);
  return wrapper.includes(cause) || (tail.length >= 12 && wrapper.includes(tail));
}

function chain(error: unknown, options: DescribeErrorOptions, seen: Set<unknown>): string {
  const parts: string[] = [];
  let previous = '';
  for (let current = error; current !== undefined && !seen.has(current) && seen.size < MAX_ERRORS; ) {
    seen.add(current);
    const { name, message } = own(current, options, seen);
    // A wrapper that already quotes its cause (`malformed event: detail: required`) says it once.
    if (!repeats(previous, message)) {
      parts.push(options.names === false || !name ? message || name : `${name}: ${message}`);
      previous = message;
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' ← ');
}

/**
 * One line for logs and error messages: the error's message followed by its causes' (`a ← b ← c`), with the
 * errors of an AggregateError, a ZodError's issues by path, and Node's error `code` (ECONNREFUSED…) when the
 * message lacks it. A cause that repeats what its wrapper says is left out; cycles end.
 *
 * @example
 * describeError(new Error('listing VPCs failed', { cause: econnrefused }), { names: false });
 * // "listing VPCs failed ← connect ECONNREFUSED 127.0.0.1:4566"
 */
export function describeError(error: unknown, options: DescribeErrorOptions = {}): string {
  return chain(error, options, new Set());
}

/**
 * A count and its noun: `1 reflex`, `2 reflexes`, `3 addresses` (`many` when adding an s is wrong).
 *
 * @example
 * plural(2, 'address', 'addresses'); // "2 addresses"
 */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

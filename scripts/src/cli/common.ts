import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { checkEventDepth, EventTooDeepError } from '@reflex/event-patterns';
import type { ReflexManifest } from '@reflex/manifest';

/** The command line is wrong, or names something that is not there: exit code 2, message on stderr. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
  constructor(
    message: string,
    /** Print the command's usage after the message. */
    readonly showUsage = false,
  ) {
    super(message);
  }
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Errors that mean the input is wrong (exit code 2), by name, so that their packages need not be loaded
 * to tell: a manifest or environment config that does not validate, an invalid event pattern, an event
 * nested too deeply.
 */
const INPUT_ERRORS = new Set(['InvalidManifestError', 'InvalidEnvConfigError', 'InvalidPatternError', 'EventTooDeepError']);

/** The exit code for an error a command threw: 2 for usage and input errors, 1 for failures at run time. */
export function exitCodeOf(error: unknown): number {
  return error instanceof UsageError || INPUT_ERRORS.has((error as Error | undefined)?.name ?? '') ? EXIT.usage : EXIT.failed;
}

/** One `reflex` command. */
export interface Command {
  readonly name: string;
  /** One line for `reflex --help`. */
  readonly summary: string;
  /** The text of `reflex <name> --help`. */
  readonly help: string;
  /** Runs the command; resolves to the exit code. Throws UsageError for exit code 2. */
  run(args: string[]): Promise<number>;
}

/** node:util parseArgs with positionals allowed, turning its errors into a UsageError. */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // "Unknown option '--x'. To specify a positional argument starting with a '-', …": the first sentence is enough.
    const message = (error as Error).message.split('. ')[0] ?? String(error);
    throw new UsageError(message, true);
  }
}

/** An event read from a file or stdin: the text as given, and the parsed object. */
export interface EventInput {
  /** How the CLI calls the source in messages: the path as given, or `<stdin>`. */
  readonly label: string;
  readonly text: string;
  readonly event: Record<string, unknown>;
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  ENOTDIR: 'no such file (a part of the path is not a directory)',
};

/** The text of `path` (`-` for stdin), and how to name it in messages. */
function readInput(path: string): { label: string; text: string } {
  const label = path === '-' ? '<stdin>' : path;
  try {
    if (path === '-' && process.stdin.isTTY) throw new UsageError('- reads the event from stdin, which is a terminal: pipe an event in');
    return { label, text: readFileSync(path === '-' ? 0 : path, 'utf8') };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new UsageError(`cannot read ${label}: ${READ_ERRORS[code] ?? (error as Error).message}`);
  }
}

/** A parsed value as an EventBridge event: a JSON object no deeper than MAX_EVENT_DEPTH, else a UsageError. */
function asEvent(value: unknown, label: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${label} is not an EventBridge event: expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'null' : `a ${typeof value}`}`);
  }
  try {
    // Matching, explaining and the handler's schemas walk the event: bound its depth before any of them.
    checkEventDepth(value);
  } catch (error) {
    if (error instanceof EventTooDeepError) throw new UsageError(`${label} is not an EventBridge event: ${error.message}`);
    throw error;
  }
  return value as Record<string, unknown>;
}

/** Whether a line is a JSON object by itself. */
function isJsonObject(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

const notJson = (label: string, error: unknown) => new UsageError(`${label} is not JSON: ${(error as Error).message.replace(/\s+/g, ' ')}`);

/**
 * Reads an EventBridge event from `path` (`-` for stdin) and parses it.
 *
 * @throws UsageError when it cannot be read, is not JSON, is not a JSON object, or nests deeper than
 * MAX_EVENT_DEPTH (`@reflex/event-patterns`).
 */
export function readEvent(path: string): EventInput {
  const { label, text } = readInput(path);
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (error) {
    throw notJson(label, error);
  }
  return { label, text, event: asEvent(event, label) };
}

/**
 * Reads one event or many from `path` (`-` for stdin): a JSON object, a JSON array of them, or JSON Lines (one
 * event per line, as EventBridge archives and most log exports write them).
 *
 * @throws UsageError naming the file, and the line or array index of a bad event.
 */
export function readEvents(path: string): {
  label: string;
  events: Record<string, unknown>[];
  /** JSON Lines: each event's own text, for matchers that read text exactly (integers beyond 2^53 stay exact). */
  texts?: string[];
  batch: boolean;
} {
  const { label, text } = readInput(path);
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch (error) {
    const lines = text.split('\n').map((line, i) => ({ line: line.trim(), at: i + 1 })).filter((l) => l.line !== '');
    // Not one JSON value: JSON Lines, when there are several lines and the first is a JSON object of its own
    // (a pretty-printed event with a typo is not: its error is the whole text's).
    if (lines.length < 2 || !isJsonObject(lines[0]!.line)) throw notJson(label, error);
    const events = lines.map(({ line, at }) => {
      try {
        return asEvent(JSON.parse(line), `${label} line ${at}`);
      } catch (lineError) {
        throw lineError instanceof UsageError ? lineError : notJson(`${label} line ${at}`, lineError);
      }
    });
    return { label, events, texts: lines.map((l) => l.line), batch: true };
  }
  if (Array.isArray(whole)) return { label, events: whole.map((each, i) => asEvent(each, `${label}[${i}]`)), batch: true };
  return { label, events: [asEvent(whole, label)], batch: false };
}

/**
 * The manifest named `name`.
 *
 * @throws UsageError listing the known reflexes.
 */
export function findReflex(manifests: readonly ReflexManifest[], name: string): ReflexManifest {
  const manifest = manifests.find((m) => m.name === name);
  if (!manifest) throw new UsageError(`unknown reflex "${name}" (known: ${manifests.map((m) => m.name).join(', ') || 'none'})`);
  return manifest;
}

export { plural } from '@reflex/manifest';

/** Writes a line to stdout. */
export const out = (line = '') => process.stdout.write(`${line}\n`);

/** Prints rows (a header first, if any) as columns padded to their widest cell, two spaces apart. */
export function table(rows: readonly (readonly string[])[]): void {
  if (rows.length === 0) return;
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const row of rows) out(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
}

/** Inventories beyond this size get a progress line even when stderr is not a terminal. */
const LARGE_INVENTORY = 200;

/** A progress line on stderr, rewritten in place on a terminal; quiet for small inventories elsewhere. */
export function progressLine(stream: NodeJS.WriteStream = process.stderr) {
  let shown = false;
  return {
    update(text: string, count: number) {
      if (!stream.isTTY && count <= LARGE_INVENTORY) return;
      shown = true;
      stream.write(stream.isTTY ? `\r\x1b[K${text}` : `${text}\n`);
    },
    done() {
      if (shown && stream.isTTY) stream.write('\r\x1b[K');
    },
  };
}

/** The units `--wait` takes, each with its length in ms. */
export const WAIT_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000 };

/**
 * A duration such as `90m`, `2h`, `1d` (units from `units`, each with its length in ms), in ms.
 *
 * @throws UsageError naming the option.
 */
export function parseDuration(text: string, option: string, units: Readonly<Record<string, number>>, examples: string): number {
  const match = /^(\d+)([a-z]+)$/.exec(text.trim());
  const unit = match && Object.hasOwn(units, match[2]!) ? units[match[2]!] : undefined;
  if (!match || unit === undefined) throw new UsageError(`${option} takes a whole number and a unit (${examples}), got "${text}"`);
  return Number(match[1]) * unit;
}

/** `--wait` as given (`500ms`, `30s`, `2m`), in ms. */
export const parseWait = (text: string) => parseDuration(text, '--wait', WAIT_UNITS, '500ms, 30s, 2m');

/** The default requester (`--by`): the user of this machine. */
export function whoAsks(): string | undefined {
  const fromEnv = process.env.USER || process.env.LOGNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads until `done` says so or `waitMs` have passed, every `intervalMs`; resolves to the last reading and
 * whether it was done.
 */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, waitMs: number, intervalMs: number): Promise<{ value: T; done: boolean }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const value = await read();
    if (done(value)) return { value, done: true };
    if (Date.now() >= deadline) return { value, done: false };
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

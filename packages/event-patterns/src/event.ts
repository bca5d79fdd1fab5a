import { EventTooDeepError, MAX_EVENT_DEPTH } from './errors';
import { ExactNumber, parseJson } from './json';

/** Events must be JSON objects; text is parsed keeping long number literals exact. */
export function toEvent(event: string | object): Record<string, unknown> {
  const parsed = typeof event === 'string' ? parseJson(event) : event;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TypeError('an event is a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** Paths in messages stop after this many characters: the path to level 1001 is long. */
const PATH_SHOWN = 60;

/**
 * Checks that an event (an object, or JSON text) nests objects and arrays at most `limit` levels deep,
 * without recursion. `explain` checks every event; `matches` only bounds the parts it walks (a full walk
 * of every event would cost as much as parsing it).
 *
 * @throws EventTooDeepError naming where the event passes the limit.
 * @example
 * checkEventDepth('{"detail": {"a": [[1]]}}'); // fine: 4 levels
 */
export function checkEventDepth(event: string | object, limit = MAX_EVENT_DEPTH): void {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: toEvent(event), depth: 1, path: '' }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null || value instanceof ExactNumber) continue;
    if (depth > limit) throw new EventTooDeepError(path, limit);
    const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v]) : Object.entries(value);
    for (const [key, child] of entries) {
      if (typeof child !== 'object' || child === null) continue;
      const step = key.startsWith('[') ? key : path ? `.${key}` : key;
      stack.push({ value: child, depth: depth + 1, path: path.length < PATH_SHOWN ? path + step : path.endsWith('…') ? path : `${path}…` });
    }
  }
}

import { InvalidPatternError } from './errors';
import { parseJson } from './json';

/** Events must be JSON objects; text is parsed keeping long number literals exact. */
export function toEvent(event: string | object): Record<string, unknown> {
  const parsed = typeof event === 'string' ? parseJson(event) : event;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TypeError('an event is a JSON object');
  }
  return parsed as Record<string, unknown>;
}


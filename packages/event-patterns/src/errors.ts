/**
 * A pattern EventBridge would refuse (its `InvalidEventPatternException`); names the path and the reason.
 *
 * @example
 * try { compilePattern({ source: 'aws.ec2' }); } catch (e) { (e as InvalidPatternError).path; } // "source"
 */
export class InvalidPatternError extends Error {
  override readonly name = 'InvalidPatternError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`invalid event pattern at ${path || '(root)'}: ${reason}`);
  }
}

/**
 * How deeply objects and arrays may nest in an event (the event object itself is level 1). AWS documents no
 * nesting limit for matching (255 levels for schema discovery only); aws/event-ruler, which EventBridge
 * matches with, parses events with Jackson, whose default (`StreamReadConstraints`, since 2.15) refuses JSON
 * nested deeper than 1000 levels. Real AWS events nest fewer than 20.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
 */
export const MAX_EVENT_DEPTH = 1000;

/**
 * An event nested deeper than {@link MAX_EVENT_DEPTH}: refused rather than walked without limit.
 *
 * @example
 * try { checkEventDepth(event); } catch (e) { if (e instanceof EventTooDeepError) console.error(e.message); }
 */
export class EventTooDeepError extends Error {
  override readonly name = 'EventTooDeepError';
  constructor(
    /** Where the event passes the limit (its first segments), when known. */
    readonly path?: string,
    readonly limit = MAX_EVENT_DEPTH,
  ) {
    super(`the event is nested deeper than ${limit} levels${path ? ` (at ${path})` : ''}`);
  }
}

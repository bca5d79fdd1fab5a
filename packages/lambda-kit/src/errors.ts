/** Base of the errors a reflex raises; `cause` keeps what went wrong underneath. */
export class ReflexError extends Error {
  override readonly name: string = 'ReflexError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A record whose body is not the event the reflex expects. It fails alone and, after retries, lands in the DLQ. */
export class MalformedEventError extends ReflexError {
  override readonly name = 'MalformedEventError';
}

/** The function's environment or config is wrong: fails the cold start, naming the variable and field. */
export class ConfigError extends ReflexError {
  override readonly name = 'ConfigError';
}

/** Emitting Reflex Action events failed; the record is retried. */
export class EmitError extends ReflexError {
  override readonly name = 'EmitError';
}

/** One line for logs: the error's name and message followed by its causes' (the shared formatter of `@reflex/manifest`). */
export { describeError } from '@reflex/manifest';

/** The `name` of an AWS SDK error (`IncorrectInstanceState`, `DryRunOperation`…), if it has one. */
export function awsErrorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

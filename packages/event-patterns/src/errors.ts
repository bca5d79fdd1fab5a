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

export { synthAll, type SynthOptions } from './app';
export * from './envs';
export { ReflexStack, STACK_NAME } from './stacks/reflex-stack';
export { ReflexFunction, VISIBILITY_TIMEOUT_FACTOR, LAMBDA_RUNTIME, queueTimings } from './constructs/reflex-function';
export { ReflexBus } from './constructs/reflex-bus';
export { forwardingPatterns, forwardEvents } from './constructs/forwarding';
export { SecureQueue, queueArn, ruleArn } from './constructs/secure-queue';
export { CHECKS, runChecks, checkSynthesized, formatViolations, readSynthesized, type Violation } from './checks';
export { SpokeStack, spokeStackName } from './stacks/spoke-stack';

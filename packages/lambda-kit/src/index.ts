export { reflexHandler, type ActionReport, type DecisionLog, type EventHandler, type ReflexHandlerOptions, type ReflexRuntime } from './handler';
export { type ActionEmitter, MemoryEmitter } from './emitter';
export { EventBridgeEmitter, defaultEventBridge, type LoadEventBridge } from './adapters/eventbridge';
export { lazySdk, type LoadedSdk } from './lazy-sdk';
export { ReflexError, MalformedEventError, ConfigError, EmitError, describeError, awsErrorName } from './errors';
export { causedByOwnRole, roleNameOf } from './loop-guard';
export { readRuntimeSettings, RuntimeEnvSchema, type RuntimeSettings } from './runtime-env';
export { tagRecord, tagList, chunks, type AwsTag } from './aws-tags';

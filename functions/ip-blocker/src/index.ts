export { manifest, BlockerConfigSchema, blockerTriggers, DEFAULT_FINDING_TYPES, SWEEP_SCHEDULE, type BlockerConfig } from './manifest';
export { ipBlocker, chooseSlot, driftOf, allowsBeforeRange, blockFor, allowedBy, allowedRanges, PRIVATE_RANGES } from './core';
export type { BlockerDeps, BlockerEvent, SlotChoice, Drift, SlotSettings } from './core';
export { DynamoBlockState } from './adapters/dynamodb';
export { Ec2Network } from './adapters/ec2';
export type { BlockRecord, EventOutcome, Nacl, NaclEntry, NaclRef, NetworkPort, StatePort } from './ports';

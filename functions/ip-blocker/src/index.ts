export { manifest, BlockerConfigSchema, blockerTriggers, DEFAULT_FINDING_TYPES, SWEEP_SCHEDULE, type BlockerConfig } from './manifest';
export { ipBlocker, type BlockerDeps, type BlockerEvent } from './core/ip-blocker';
export { chooseSlot, driftOf, allowsBeforeRange, type SlotChoice, type Drift } from './core/slots';
export { blockFor, allowedBy, allowedRanges, PRIVATE_RANGES } from './core/addresses';
export { DynamoBlockState } from './adapters/dynamodb';
export { Ec2Network } from './adapters/ec2';
export type { BlockRecord, EventOutcome, Nacl, NaclEntry, NetworkPort, StatePort } from './ports';

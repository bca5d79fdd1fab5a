export { ipBlocker, type BlockerDeps, type BlockerEvent } from './ip-blocker';
export { chooseSlot, driftOf, allowsBeforeRange, type SlotChoice, type Drift, type SlotSettings } from './slots';
export { blockFor, allowedBy, allowedRanges, PRIVATE_RANGES } from './addresses';

// Applying enricher messages to the store: planning a batch into rounds, networks, devices and addresses.
export { applyMessage, applyMessages, type ApplyFailure } from './messages';
export { type ApplyResult } from './plan';
export { upsertNetworks, type NetworkSighting } from './networks';

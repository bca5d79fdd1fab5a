export { reaper } from './reaper';
export { Run, type ReaperDeps, REMOVE_ACTION, resourceArn, withDryRunTags } from './run';
export { decide, REAPER, type Decision, type Step } from './lifecycle';
export { neverTouch, ownerOf } from './never-touch';
export { idleVerdict, idleWindow, type IdleVerdict } from './idle';
export { STAGES, remaining, teardownBlockers, tearDown } from './lab';
export {
  DAY,
  HOUR,
  describeExpiry,
  displayTime,
  effectiveExpiry,
  formatExpiry,
  formatNotices,
  formatSpan,
  invalidKey,
  leadToken,
  noticesFor,
  parseExpiry,
  parseTtl,
  plannedExpiry,
  relative,
  type ExpiryLimits,
  type ExpiryRequest,
  type PlannedExpiry,
} from './expiry';

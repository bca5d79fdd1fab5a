export { compilePattern, CompiledPattern, RuleSet } from './rule-set';
export { InvalidPatternError, EventTooDeepError, MAX_EVENT_DEPTH } from './errors';
export { checkEventDepth } from './event';
export { parseIp, parseCidr, type IpValue, type Cidr } from '@reflex/ip';
export type { MatchFailure } from './match';

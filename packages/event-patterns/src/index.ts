export { compilePattern, CompiledPattern, RuleSet } from './rule-set';
export { InvalidPatternError } from './errors';
export type { MatchFailure } from './match';

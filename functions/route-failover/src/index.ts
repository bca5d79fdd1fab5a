export { manifest, FailoverConfigSchema, PathSchema, failoverTriggers, linkAlarm, type FailoverConfig, type PathConfig } from './manifest';
export { routeFailover, PathBusyError, decide, observeAlarm, applied, newPath, type FailoverDeps, type FailoverEvent, type Decision, type PathState, type Timers } from './core';
export type { RouteTableRef, RouteView, RoutesPort, LinksPort, FailoverStatePort, InstalledRoute, JournalEntry } from './ports';
export { DynamoFailoverState } from './adapters/dynamodb';
export { Ec2Routes, Ec2Links } from './adapters/ec2';

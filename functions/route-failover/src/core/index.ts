export { routeFailover, PathBusyError, type FailoverDeps, type FailoverEvent } from './failover';
export { decide, observeAlarm, applied, newPath, type Decision, type PathState, type Timers, type LinkState, type RoutedVia, type Override } from './path-machine';

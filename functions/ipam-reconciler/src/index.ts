export { manifest, ReconcilerConfigSchema } from './manifest';
export { reconcileOnSchedule, type ReconcilerDeps } from './core';

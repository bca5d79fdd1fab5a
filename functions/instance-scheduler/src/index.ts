export { manifest, SchedulerConfigSchema, type SchedulerConfig } from './manifest';
export { plan, preview, type Decision, type PreviewRow } from './core';
export { Ec2ScheduledInstances } from './adapters/ec2';

export { manifest, ReaperConfigSchema, reaperPermissions, reaperTriggers, DEFAULT_MANAGED_TAGS, type ReaperConfig, type ReaperScope, type IdleInstancesConfig } from './manifest';
export * from './core';
export type { Resource, ResourceKind, WriteResult, VpcContents, InventoryPort, ActionsPort, MetricsPort, InstanceMetrics, HourlyPoint, ReaperStatePort, PendingSnapshot, RunSummary } from './ports';
export { AwsResources } from './adapters/aws';
export { Ec2Resources, type LoadEc2 } from './adapters/ec2';
export { Elbv2Resources, type LoadElb } from './adapters/elbv2';
export { CloudWatchMetrics, type LoadCloudWatch } from './adapters/cloudwatch';
export { DynamoReaperState, type LoadDynamo } from './adapters/dynamodb';

export { manifest, AutoHealConfigSchema, healTriggers, healPermissions, statusCheckAlarmName, TIMER, type AutoHealConfig } from './manifest';
export { autoHeal, type HealDeps, type HealEvent, type Ladder, type Episode, type Step } from './core';
export type { InstancesPort, AlarmsPort, GroupsPort, HealStatePort, InstanceView, InstanceStatusView, AlarmView, HealthRecord, ActResult } from './ports';
export { Ec2Instances } from './adapters/ec2';
export { CloudWatchAlarms } from './adapters/cloudwatch';
export { AutoScalingGroups } from './adapters/autoscaling';
export { DynamoHealState } from './adapters/dynamodb';

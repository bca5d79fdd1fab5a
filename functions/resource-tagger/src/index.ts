export { manifest, TaggerConfigSchema, type TaggerConfig } from './manifest';
export { auditInventory, planTags, TagPolicySchema, writableKeys, type AuditRow, type NetworkResource, type TagPlan, type TagPolicy } from './policy';
export { attributeCreator, type Creator } from './attribution';
export { createdResources, CREATE_CALL_NAMES } from './created';
export { tagCreated } from './core';
export { NETWORK_RESOURCE_TYPES, type ResourceType } from './resources';
export { Ec2NetworkInventory, Ec2NetworkTags } from './adapters/ec2';

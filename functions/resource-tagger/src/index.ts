export { manifest, TaggerConfigSchema, type TaggerConfig } from './manifest';
export {
  attributeCreator,
  auditInventory,
  CREATE_CALL_NAMES,
  createdResources,
  NETWORK_RESOURCE_TYPES,
  planTags,
  tagCreated,
  TagPolicySchema,
  writableKeys,
  type AuditRow,
  type Creator,
  type NetworkResource,
  type ResourceType,
  type TagPlan,
  type TagPolicy,
} from './core';
export { Ec2NetworkInventory, Ec2NetworkTags } from './adapters/ec2';

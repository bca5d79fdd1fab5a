// The resource tagger's pure decisions: which resources a call created (created.ts), who created them
// (attribution.ts), which tags they lack (policy.ts, over the resource types of resources.ts), and the
// handler's core that ties them to the tags port (tag-created.ts).
export { attributeCreator, type Creator } from './attribution';
export { CREATE_CALL_NAMES, createdResources, isCreateCall, type CreatedResource } from './created';
export { auditInventory, planTags, TagPolicySchema, writableKeys, type AuditRow, type NetworkResource, type TagPlan, type TagPolicy, type ValueSource } from './policy';
export { DEPTH, NETWORK_RESOURCE_TYPES, resourceArn, type ResourceType, type Tags } from './resources';
export { tagCreated, type TaggerDeps } from './tag-created';

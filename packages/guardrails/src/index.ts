// The guardrails that run before a deploy, on Terraform JSON: see README.md.
export {
  readTerraformJson,
  toTerraformDocument,
  isTerraformPlan,
  addressSteps,
  interpolationReferences,
  TerraformJsonError,
  type TerraformDocument,
  type TerraformResource,
  type TerraformPlan,
  type PlanResourceChange,
  type PlanChange,
  type PlanExpression,
  type PlanConfigModule,
  type PlanConfigResource,
  type PlanModuleCall,
  type ModuleLinks,
  type UnexpandedModule,
} from './terraform-json';
export {
  checkCidrs,
  plannedBlocks,
  type CidrReport,
  type CidrFinding,
  type CidrCheckOptions,
  type PlannedBlock,
  type UncheckedBlock,
  type IpamLookup,
  type IpamVpcBlock,
} from './cidrs';
export { parseReservedRanges, readCidr, ReservedRangesError, type ReservedRange } from './reserved-ranges';
export { summarizePlans, SHARED, type PlanInput, type PlanSummaryOptions } from './plan-summary';
export { planSummaryMarkdown } from './markdown';
export { asTerraformPlan, NotAPlanError, type PlanJson } from './plan-input';
export { diffPolicies, documentStatements, policyStatements, statementText, InvalidPolicyError, type PolicyDiff } from './iam-diff';
export {
  PlanSummarySchema,
  planSummaryJsonSchema,
  PLAN_SUMMARY_SCHEMA_PATH,
  type PlanSummary,
  type PolicyStatement,
  type PolicyFinding,
} from './plan-summary-schema';

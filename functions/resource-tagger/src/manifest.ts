import { AWS_API_CALL_DETAIL_TYPE, EC2_API_CALL, REFLEX_TAGS } from '@reflex/events';
import { defineReflex } from '@reflex/manifest';
import * as z from '@reflex/events/zod';
import { CREATE_CALL_NAMES } from './core/created';
import { TagPolicySchema, writableKeys } from './core/policy';
import { NETWORK_RESOURCE_TYPES } from './core/resources';

/** The resource tagger's configuration. */
export const TaggerConfigSchema = z.object({
  /** Mandatory tags: key → `{ default }` or `{ inherit: true, default? }`. */
  mandatoryTags: z._default(TagPolicySchema, {}),
  /**
   * A default time to live: new resources (of `types`, default every type the tagger knows) get
   * `reflex:expires-at` = their creation time + `hours`, unless they carry one or belong to a CloudFormation
   * stack. The reaper acts on it (functions/reaper). @default none
   */
  defaultTtl: z.optional(
    z.strictObject({
      hours: z.int().check(z.gte(1), z.lte(24 * 366)),
      types: z.optional(z.array(z.enum(NETWORK_RESOURCE_TYPES)).check(z.minLength(1))),
    }),
  ),
});
export type TaggerConfig = z.output<typeof TaggerConfigSchema>;

/** Every IAM role Reflex creates is named `reflex-<env>-…`; calls they make are never triggers. */
const OWN_ROLE_NAMES = 'reflex-';

export const manifest = defineReflex({
  name: 'resource-tagger',
  // Tags what was created in the account of the CloudTrail event.
  spokes: 'events',
  description: 'Tags new network resources (CloudTrail create calls) with mandatory tags, inherited or default, and their real creator.',
  triggers: [
    {
      kind: 'event',
      description: 'a successful create call for a network resource, not made by a Reflex role',
      pattern: {
        source: [EC2_API_CALL.source],
        'detail-type': [AWS_API_CALL_DETAIL_TYPE],
        detail: {
          eventSource: ['ec2.amazonaws.com'],
          eventName: [...CREATE_CALL_NAMES],
          errorCode: [{ exists: false }],
          // anything-but never matches a missing field: IAM users and root have no session issuer, and must match.
          $or: [
            { userIdentity: { sessionContext: { sessionIssuer: { userName: [{ 'anything-but': { prefix: OWN_ROLE_NAMES } }] } } } },
            { userIdentity: { sessionContext: { sessionIssuer: { userName: [{ exists: false }] } } } },
          ],
        },
      },
    },
  ],
  config: TaggerConfigSchema,
  permissions: (config) => [
    // DescribeTags and DescribeInstances have no resource-level permissions: "*" is the only resource they take.
    { sid: 'ReadTagsAndInstances', actions: ['ec2:DescribeTags', 'ec2:DescribeInstances'], resources: ['*'] },
    {
      sid: 'TagNetworkResources',
      actions: ['ec2:CreateTags'],
      resources: NETWORK_RESOURCE_TYPES.map((type) => `arn:\${partition}:ec2:\${region}:\${account}:${type}/*`),
      conditions: [
        { test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: [...writableKeys(config.mandatoryTags), ...(config.defaultTtl ? [REFLEX_TAGS.expiresAt] : [])] },
      ],
    },
  ],
  memoryMb: 256,
  timeoutSeconds: 60,
  batchSize: 10,
  maxConcurrency: 5,
  maxReceiveCount: 3,
});

import * as z from './zod';
import { eventSchema, type EventKind } from './envelope';

/** Source and detail-type of a request to block (or unblock) a source address at the network edge. */
export const REFLEX_BLOCK_REQUEST = { source: 'reflex', detailType: 'Reflex Block Request' } as const satisfies EventKind;

const address = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]);

/** Where a block goes: the NACLs of an instance's subnets, of a VPC, or named NACLs. */
export const BlockTargetSchema = z.union([
  z.strictObject({ instanceId: z.string().check(z.regex(/^i-[0-9a-f]{8,17}$/, 'an instance id (i-…)')) }),
  z.strictObject({ vpcId: z.string().check(z.regex(/^vpc-[0-9a-f]{8,17}$/, 'a VPC id (vpc-…)')) }),
  z.strictObject({
    naclIds: z.array(z.string().check(z.regex(/^acl-[0-9a-f]{8,17}$/, 'a network ACL id (acl-…)'))).check(z.minLength(1), z.maxLength(50)),
  }),
]);
export type BlockTarget = z.infer<typeof BlockTargetSchema>;

/** The `detail` of a Reflex Block Request. */
export const BlockRequestDetailSchema = z.object({
  /** `block` (the default) adds or extends a block; `unblock` removes the source's entries. */
  action: z._default(z.enum(['block', 'unblock']), 'block'),
  /** An IPv4 or IPv6 address or CIDR block. */
  source: address,
  /** Why; it is kept with the block and shown by `reflex blocks list`. */
  reason: z.string().check(z.minLength(1), z.maxLength(256)),
  /** Who asks: a person, a flow-log analyser, a SIEM rule. */
  requestedBy: z.string().check(z.minLength(1), z.maxLength(256)),
  /** Where: required to block; an unblock without one removes the source from every NACL. */
  target: z.optional(BlockTargetSchema),
  /** How long the block lasts. @default the reflex's configured expiry */
  ttlMinutes: z.optional(z.int().check(z.gte(1), z.lte(30 * 24 * 60))),
  /** Ranks blocks for eviction when a NACL is full (lowest first), as GuardDuty severities do. @default 5 */
  severity: z._default(z.number().check(z.gte(0), z.lte(10)), 5),
}).check(
  z.refine((d) => d.action === 'unblock' || d.target !== undefined, { message: 'a block needs a target (instanceId, vpcId or naclIds)', path: ['target'] }),
);
export type BlockRequestDetail = z.infer<typeof BlockRequestDetailSchema>;

/**
 * Reflex Block Request: a flow-log analyser, a SIEM or a person (`reflex blocks add`) asks the IP blocker,
 * through the reflex bus, to deny a source in network ACLs.
 *
 * @example
 * BlockRequestSchema.parse(event).detail.source; // "203.0.113.7/32"
 */
export const BlockRequestSchema = eventSchema(REFLEX_BLOCK_REQUEST, BlockRequestDetailSchema);
export type BlockRequest = z.infer<typeof BlockRequestSchema>;

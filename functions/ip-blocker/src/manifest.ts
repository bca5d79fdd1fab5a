import { GUARDDUTY_FINDING, REFLEX_BLOCK_REQUEST } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { defineReflex, type Trigger } from '@reflex/manifest';

/** The GuardDuty finding types that name attackers of an instance: brute force and port probes against it. */
export const DEFAULT_FINDING_TYPES = [
  'UnauthorizedAccess:EC2/SSHBruteForce',
  'UnauthorizedAccess:EC2/RDPBruteForce',
  'Recon:EC2/PortProbeUnprotectedPort',
  'Recon:EC2/PortProbeEMRUnprotectedPort',
] as const;

const cidr = z.union([z.cidrv4(), z.cidrv6()]);
const int = (min: number, max: number) => z.int().check(z.gte(min), z.lte(max));

/** The IP blocker's configuration. */
export const BlockerConfigSchema = z.object({
  /** GuardDuty finding types that lead to a block. */
  findingTypes: z._default(z.array(z.string().check(z.minLength(1))).check(z.minLength(1)), [...DEFAULT_FINDING_TYPES]),
  /**
   * The lowest finding severity that leads to a block. GuardDuty rates brute force against an instance Low
   * (2): the default, 1, takes every finding of the chosen types.
   */
  minSeverity: z._default(z.number().check(z.gte(0), z.lte(10)), 1),
  /** Which NACLs a finding's block goes into: those of the subnets of every interface of the instance, or every NACL of its VPC. */
  scope: z._default(z.enum(['instance-subnets', 'vpc']), 'instance-subnets'),
  /**
   * The inbound rule numbers Reflex owns in every NACL it writes to. Low numbers, so that its denies are
   * evaluated before the NACL's allows.
   */
  ruleRange: z._default(
    z
      .object({ first: int(1, 32766), last: int(1, 32766) })
      .check(z.refine((r) => r.first <= r.last, { message: 'first must not be greater than last', path: ['last'] })),
    { first: 1, last: 99 },
  ),
  /** The prefix length of a block made from a finding's address, per family (e.g. 24 to deny the neighbours too). */
  prefixLength: z._default(z.object({ ipv4: z._default(int(8, 32), 32), ipv6: z._default(int(32, 128), 128) }), { ipv4: 32, ipv6: 128 }),
  /**
   * Inbound entries a NACL may hold per address family, Reflex's and others', the default deny included
   * (AWS's default quota: 20; it can be raised to 40).
   */
  entryQuota: z._default(int(1, 40), 20),
  /** How long a block lasts; a repeat finding extends it. */
  ttlMinutes: z._default(int(1, 30 * 24 * 60), 12 * 60),
  /** Sources never blocked (offices, VPNs, partners), by CIDR containment either way. */
  allowList: z._default(z.array(cidr), []),
  /** Never block private space (RFC 1918, 100.64.0.0/10, ULA fc00::/7, loopback, link-local). */
  allowPrivate: z._default(z.boolean(), true),
  /** NACL entries written per minute, all NACLs together; past it, Reflex alerts instead of writing. */
  maxEntriesPerMinute: z._default(int(1, 1000), 30),
  /**
   * Only NACLs with this tag are written to (and the role may write only to them). Without it, every NACL
   * of the account and Region is eligible.
   */
  optInTag: z.optional(z.object({ key: z.string().check(z.minLength(1), z.maxLength(128)), value: z.string().check(z.maxLength(256)) })),
});
export type BlockerConfig = z.output<typeof BlockerConfigSchema>;

/** The sweep's schedule: expired blocks go within five minutes of their expiry. */
export const SWEEP_SCHEDULE = 'rate(5 minutes)';

/** The triggers for one config: its finding types and severity decide the GuardDuty rule. */
export function blockerTriggers(config: Pick<BlockerConfig, 'findingTypes' | 'minSeverity'>): Trigger[] {
  return [
    {
      kind: 'event',
      description: 'GuardDuty found an attacker of an EC2 instance (brute force, port probe)',
      pattern: {
        source: [GUARDDUTY_FINDING.source],
        'detail-type': [GUARDDUTY_FINDING.detailType],
        detail: {
          type: [...config.findingTypes],
          severity: [{ numeric: ['>=', config.minSeverity] }],
          resource: { resourceType: ['Instance'] },
        },
      },
    },
    {
      kind: 'event',
      description: 'a person, a SIEM or a flow-log analyser asks for a block (reflex blocks add)',
      pattern: { source: [REFLEX_BLOCK_REQUEST.source], 'detail-type': [REFLEX_BLOCK_REQUEST.detailType] },
    },
    { kind: 'schedule', expression: SWEEP_SCHEDULE, description: 'sweep: remove expired blocks, repair drift' },
  ];
}

const defaults = z.parse(BlockerConfigSchema, {});

export const manifest = defineReflex({
  name: 'ip-blocker',
  description: 'Denies attackers GuardDuty finds (and requested sources) in network ACLs, with expiry, slots, allow-lists and no lock-outs.',
  triggers: blockerTriggers(defaults),
  triggersFor: (config: BlockerConfig) => blockerTriggers(config),
  config: BlockerConfigSchema,
  state: { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl' },
  permissions: (config) => [
    // Describe calls have no resource-level permissions: "*" is the only resource they take.
    { sid: 'ReadNetwork', actions: ['ec2:DescribeInstances', 'ec2:DescribeNetworkAcls', 'ec2:DescribeVpcs'], resources: ['*'] },
    {
      sid: 'WriteNetworkAclEntries',
      actions: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAclEntry'],
      resources: ['arn:${partition}:ec2:${region}:${account}:network-acl/*'],
      ...(config.optInTag
        ? { conditions: [{ test: 'StringEquals', variable: `aws:ResourceTag/${config.optInTag.key}`, values: [config.optInTag.value] }] }
        : {}),
    },
  ],
  memoryMb: 256,
  timeoutSeconds: 60,
  batchSize: 10,
  maxConcurrency: 5,
  maxReceiveCount: 3,
});

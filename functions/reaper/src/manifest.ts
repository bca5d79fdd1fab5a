import { REFLEX_TAGS } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { defineReflex, type Permission, type Trigger } from '@reflex/manifest';
import { ScheduleSchema } from '@reflex/schedules';

const int = (min: number, max: number, fallback: number) => z._default(z.int().check(z.gte(min), z.lte(max)), fallback);
const HOURS_PER_DAY = 24;
const YEAR_HOURS = 366 * HOURS_PER_DAY;

/** A tag that marks a resource as someone else's: `key` with one of `values` (compared case-insensitively). */
const ManagedTagSchema = z.object({
  key: z.string().check(z.minLength(1), z.maxLength(128)),
  values: z.array(z.string().check(z.minLength(1), z.maxLength(256))).check(z.minLength(1)),
});

/** Idle detection for running instances: every present hour below both thresholds, enough hours present. */
const IdleInstancesSchema = z.object({
  /** An hour's average CPU must stay below this, in percent. */
  cpuPercentBelow: z._default(z.number().check(z.gt(0), z.lte(100)), 2),
  /** An hour's NetworkIn + NetworkOut must stay below this, in MB (10^6 bytes). */
  networkMbPerHourBelow: z._default(z.number().check(z.gt(0)), 5),
  /** The window looked at, in hours back from the run (whole hours). */
  windowHours: int(24, 14 * HOURS_PER_DAY, 72),
  /** The share of the window's hourly datapoints that must be present (CPU and network each); missing data is never idle. */
  minCoverage: z._default(z.number().check(z.gt(0), z.lte(1)), 0.9),
  /** An idle instance expires this long after it was found idle (and is warned now). */
  graceHours: int(1, 90 * HOURS_PER_DAY, 72),
});
export type IdleInstancesConfig = z.output<typeof IdleInstancesSchema>;

/** Which kinds of resources the reaper looks at; each is off when `false`. */
const ScopeSchema = z.object({
  instances: z._default(z.boolean(), true),
  volumes: z._default(z.boolean(), true),
  /** EBS snapshots owned by this account, older than `snapshotMinAgeDays`. */
  snapshots: z._default(z.boolean(), true),
  /** Elastic IPs that are not associated. */
  addresses: z._default(z.boolean(), true),
  natGateways: z._default(z.boolean(), true),
  /** Application, network and gateway load balancers (elbv2). */
  loadBalancers: z._default(z.boolean(), true),
  /** VPCs tagged `reflex:lab=true`, deleted whole with what is in them. */
  labVpcs: z._default(z.boolean(), true),
});
export type ReaperScope = z.output<typeof ScopeSchema>;

const ALL_IN_SCOPE: ReaperScope = { instances: true, volumes: true, snapshots: true, addresses: true, natGateways: true, loadBalancers: true, labVpcs: true };

/** The common conventions for "Terraform (or Reflex) manages this": Terraform itself leaves no tag. */
export const DEFAULT_MANAGED_TAGS = [
  { key: 'managed-by', values: ['terraform', 'reflex', 'opentofu', 'pulumi', 'cloudformation'] },
  { key: 'ManagedBy', values: ['terraform', 'reflex', 'opentofu', 'pulumi'] },
  { key: 'managed_by', values: ['terraform', 'opentofu'] },
  { key: 'terraform', values: ['true'] },
];

/** The reaper's configuration. */
export const ReaperConfigSchema = z
  .object({
    /** When the reaper runs: overdue resources are acted on at the first run after their expiry. */
    schedule: z._default(
      z.string().check(z.regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/, 'a schedule expression: rate(1 hour) or cron(…)')),
      'rate(1 hour)',
    ),
    /**
     * Act-nothing mode on top of the environment's dry-run: warnings, marks and actions are reported as
     * `dry-run`, and what they would have written is kept in the reaper's table. Switch it off per environment.
     */
    dryRun: z._default(z.boolean(), true),
    /** The IANA time zone warnings and `reflex ttl list` show times in (next to UTC). */
    displayTimeZone: z._default(ScheduleSchema.shape.timezone, 'UTC'),
    /** Warn once at each of these lead times before the expiry, in hours. */
    warnBeforeHours: z._default(
      z
        .array(z.int().check(z.gte(1), z.lte(90 * HOURS_PER_DAY)))
        .check(z.maxLength(8), z.refine((leads) => new Set(leads).size === leads.length, 'lead times must differ')),
      [72, 24],
    ),
    scope: z._default(ScopeSchema, ALL_IN_SCOPE),
    /** Instances: stop at the expiry, terminate at a later run once `stopGraceHours` have passed. */
    stopFirst: z._default(z.boolean(), true),
    stopGraceHours: int(0, 30 * HOURS_PER_DAY, 24),
    /** Volumes: snapshot before deleting, and delete only once the snapshot is completed. */
    snapshotVolumes: z._default(z.boolean(), true),
    /** Snapshots younger than this are left alone, expired or not. */
    snapshotMinAgeDays: int(0, 3650, 7),
    /** Own snapshots older than `olderThanDays` with no expiry get one, `graceHours` from now, and a warning. @default never */
    markSnapshots: z.optional(z.object({ olderThanDays: z.int().check(z.gte(1), z.lte(3650)), graceHours: int(1, 90 * HOURS_PER_DAY, 72) })),
    /** `reflex ttl set|extend` never puts an expiry further than this from now. */
    maxExtensionHours: int(1, YEAR_HOURS, 14 * HOURS_PER_DAY),
    /** No expiry later than this after the resource's creation (the reaper acts at the earlier). @default no limit */
    maxLifetimeHours: z.optional(z.int().check(z.gte(1), z.lte(10 * YEAR_HOURS))),
    /** Idle detection; off unless configured. */
    idle: z.optional(z.object({ instances: IdleInstancesSchema })),
    /** Tags that say Terraform, Reflex or another tool manages a resource: never touched. */
    managedTags: z._default(z.array(ManagedTagSchema), DEFAULT_MANAGED_TAGS),
    /** Tag keys whose presence alone means "never touch" (beside CloudFormation's and Auto Scaling's). */
    neverTouchTagKeys: z._default(z.array(z.string().check(z.minLength(1), z.maxLength(128))), []),
    /** Tags naming a resource's owner, first found wins (reports and `reflex ttl list`). */
    ownerTags: z._default(z.array(z.string().check(z.minLength(1))), ['owner', 'Owner', REFLEX_TAGS.createdBy]),
  })
  .check(
    z.refine((c) => c.maxLifetimeHours === undefined || c.warnBeforeHours.every((lead) => lead < c.maxLifetimeHours!), {
      message: 'every lead time must be shorter than maxLifetimeHours',
      path: ['warnBeforeHours'],
    }),
  );
export type ReaperConfig = z.output<typeof ReaperConfigSchema>;

/** The tag keys the reaper writes on resources that already carry an expiry. */
export const BOOKKEEPING_TAGS = [REFLEX_TAGS.expiryWarned, REFLEX_TAGS.stopIntent] as const;
/** The tag keys it writes when it gives a resource an expiry (idle or old, or a lab VPC's dependents). */
export const MARKING_TAGS = [REFLEX_TAGS.expiresAt, REFLEX_TAGS.expiryWarned, REFLEX_TAGS.idleMarked] as const;

/** The triggers for one config: the schedule. */
export function reaperTriggers(config: Pick<ReaperConfig, 'schedule'>): Trigger[] {
  return [{ kind: 'schedule', expression: config.schedule, description: 'warn before expiries, mark idle resources, act on overdue ones' }];
}

const ec2Arn = (type: string) => `arn:\${partition}:ec2:\${region}:\${account}:${type}/*`;

// Every destructive statement carries this: IAM lets the role act only on resources that carry the expiry tag
// (the Null test: the key is not absent). All the EC2 and elbv2 actions below support aws:ResourceTag on
// the resource they act on; where a call also authorizes against another resource, the comment says how
// that one is scoped.
const EXPIRING = { test: 'Null', variable: `aws:ResourceTag/${REFLEX_TAGS.expiresAt}`, values: ['false'] };
const ONLY_KEYS = (keys: readonly string[]) => ({ test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: [...keys] });
/**
 * What the reaper never touches, in IAM too: not only its code's never-touch rules but its role refuses
 * resources kept or protected, or owned by a CloudFormation stack or an Auto Scaling group (a negated test
 * holds when the tag is absent). So a role that may write the expiry tag still cannot reap what is kept.
 */
const NEVER_TOUCHED = [
  { test: 'StringNotEquals', variable: `aws:ResourceTag/${REFLEX_TAGS.keep}`, values: ['true'] },
  { test: 'StringNotEquals', variable: `aws:ResourceTag/${REFLEX_TAGS.protect}`, values: ['true'] },
  { test: 'Null', variable: 'aws:ResourceTag/aws:cloudformation:stack-name', values: ['true'] },
  { test: 'Null', variable: 'aws:ResourceTag/aws:autoscaling:groupName', values: ['true'] },
];

/** The lab VPC's dependents the reaper deletes, by the EC2 resource type of their ARNs. */
const LAB_TYPES = ['subnet', 'route-table', 'internet-gateway', 'security-group', 'vpc-endpoint'];

/** The role's permissions for one config: reads on `*`, and writes only for the kinds in scope. */
export function reaperPermissions(config: ReaperConfig): Permission[] {
  const { scope } = config;
  const lab = scope.labVpcs;
  const instances = scope.instances || lab;
  const addresses = scope.addresses || lab;
  const natGateways = scope.natGateways || lab;
  const marksInstances = config.idle !== undefined;
  const marksSnapshots = config.markSnapshots !== undefined && scope.snapshots;
  const ec2Types = [
    ...(instances ? ['instance'] : []),
    ...(scope.volumes ? ['volume'] : []),
    ...(scope.snapshots ? ['snapshot'] : []),
    ...(addresses ? ['elastic-ip'] : []),
    ...(natGateways ? ['natgateway'] : []),
    ...(lab ? ['vpc', ...LAB_TYPES] : []),
  ];
  const reads = [
    'ec2:DescribeInstances',
    ...(scope.volumes ? ['ec2:DescribeVolumes'] : []),
    ...(scope.snapshots || scope.volumes ? ['ec2:DescribeSnapshots'] : []),
    ...(addresses ? ['ec2:DescribeAddresses'] : []),
    ...(natGateways ? ['ec2:DescribeNatGateways'] : []),
    ...(lab
      ? ['ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeRouteTables', 'ec2:DescribeInternetGateways', 'ec2:DescribeSecurityGroups', 'ec2:DescribeVpcEndpoints', 'ec2:DescribeNetworkInterfaces']
      : []),
  ];
  const statements: Permission[] = [
    // Describe calls have no resource-level permissions: "*" is the only resource they take. The reaper
    // reads to find what carries an expiry (or is idle), never to act on what it finds without one.
    { sid: 'ReadInventory', actions: reads, resources: ['*'] },
  ];
  if (scope.loadBalancers) {
    // elbv2's Describe calls take no resource-level permissions either.
    statements.push({ sid: 'ReadLoadBalancers', actions: ['elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeTags'], resources: ['*'] });
  }
  if (config.idle) {
    // CloudWatch's metric reads take no resource-level permissions: "*" only.
    statements.push({ sid: 'ReadInstanceMetrics', actions: ['cloudwatch:GetMetricStatistics'], resources: ['*'] });
  }
  if (instances) {
    statements.push({ sid: 'StopAndTerminateExpiringInstances', actions: ['ec2:StopInstances', 'ec2:TerminateInstances'], resources: [ec2Arn('instance')], conditions: [EXPIRING] });
  }
  if (scope.volumes) {
    statements.push({ sid: 'DeleteExpiringVolumes', actions: ['ec2:DeleteVolume'], resources: [ec2Arn('volume')], conditions: [EXPIRING] });
    if (config.snapshotVolumes) {
      // CreateSnapshot authorizes against the volume (expiring) and the new snapshot, which has no tags yet:
      // that one is scoped by the tag the request must put on it (reflex:snapshot-of), and only by this call.
      statements.push({ sid: 'SnapshotExpiringVolumes', actions: ['ec2:CreateSnapshot'], resources: [ec2Arn('volume')], conditions: [EXPIRING] });
      statements.push({
        sid: 'CreateFinalSnapshots',
        actions: ['ec2:CreateSnapshot'],
        resources: ['arn:${partition}:ec2:${region}::snapshot/*'],
        conditions: [{ test: 'Null', variable: `aws:RequestTag/${REFLEX_TAGS.snapshotOf}`, values: ['false'] }],
      });
      statements.push({
        sid: 'TagFinalSnapshotsOnCreate',
        actions: ['ec2:CreateTags'],
        resources: ['arn:${partition}:ec2:${region}::snapshot/*'],
        conditions: [{ test: 'StringEquals', variable: 'ec2:CreateAction', values: ['CreateSnapshot'] }],
      });
    }
  }
  if (scope.snapshots) {
    statements.push({ sid: 'DeleteExpiringSnapshots', actions: ['ec2:DeleteSnapshot'], resources: ['arn:${partition}:ec2:${region}::snapshot/*'], conditions: [EXPIRING] });
  }
  if (addresses) {
    statements.push({ sid: 'ReleaseExpiringAddresses', actions: ['ec2:ReleaseAddress'], resources: [ec2Arn('elastic-ip')], conditions: [EXPIRING] });
  }
  if (natGateways) {
    statements.push({ sid: 'DeleteExpiringNatGateways', actions: ['ec2:DeleteNatGateway'], resources: [ec2Arn('natgateway')], conditions: [EXPIRING] });
  }
  if (lab) {
    // DetachInternetGateway authorizes against the gateway and the VPC: both carry the expiry (the VPC's own,
    // the gateway's written by the reaper from the VPC's before the teardown).
    statements.push({
      sid: 'TearDownExpiringLabVpcs',
      actions: [
        'ec2:DeleteSubnet',
        'ec2:DeleteRouteTable',
        'ec2:DetachInternetGateway',
        'ec2:DeleteInternetGateway',
        'ec2:DeleteSecurityGroup',
        'ec2:DeleteVpcEndpoints',
        'ec2:DeleteVpc',
      ],
      resources: ['vpc', ...LAB_TYPES].map(ec2Arn),
      conditions: [EXPIRING],
    });
  }
  const snapshotArn = 'arn:${partition}:ec2:${region}::snapshot/*';
  const arnsOf = (types: readonly string[]) => types.map((t) => (t === 'snapshot' ? snapshotArn : ec2Arn(t)));
  statements.push({
    // Its notices and stop intent, only on resources that carry an expiry.
    sid: 'RecordNoticesOnExpiring',
    actions: ['ec2:CreateTags'],
    resources: arnsOf(ec2Types),
    conditions: [EXPIRING, ONLY_KEYS(BOOKKEEPING_TAGS)],
  });
  // Giving an expiry to what has none: a tag condition cannot require the tag the call writes, so these are
  // scoped by type and by tag key. Idle instances and old snapshots, when configured; a lab VPC's dependents
  // (which must carry the expiry before the teardown statement lets the reaper delete them).
  const markTypes = [
    ...(marksInstances || lab ? ['instance'] : []),
    ...(marksSnapshots ? ['snapshot'] : []),
    ...(lab ? [...LAB_TYPES, 'natgateway', 'elastic-ip'] : []),
  ];
  if (markTypes.length) {
    statements.push({ sid: 'MarkExpiry', actions: ['ec2:CreateTags'], resources: arnsOf([...new Set(markTypes)]), conditions: [ONLY_KEYS(MARKING_TAGS)] });
  }
  if (scope.loadBalancers) {
    const loadBalancers = ['arn:${partition}:elasticloadbalancing:${region}:${account}:loadbalancer/*'];
    statements.push({ sid: 'DeleteExpiringLoadBalancers', actions: ['elasticloadbalancing:DeleteLoadBalancer'], resources: loadBalancers, conditions: [EXPIRING] });
    statements.push({ sid: 'RecordNoticesOnExpiringLoadBalancers', actions: ['elasticloadbalancing:AddTags'], resources: loadBalancers, conditions: [EXPIRING, ONLY_KEYS([REFLEX_TAGS.expiryWarned])] });
  }
  // Every statement that destroys, or writes the expiry that lets it destroy, refuses what is never touched.
  return statements.map((st) =>
    st.conditions?.includes(EXPIRING) || st.sid === 'MarkExpiry' ? { ...st, conditions: [...st.conditions!, ...NEVER_TOUCHED] } : st,
  );
}

const defaults = z.parse(ReaperConfigSchema, {});

export const manifest = defineReflex({
  name: 'reaper',
  // Each hourly run reaps the hub and, through its spoke role there, every member account (one lease per account).
  spokes: 'events-and-timers',
  description: 'Decommissions resources whose expiry tag passed or that sat idle: warns once per lead time, stops before terminating, snapshots before deleting.',
  triggers: reaperTriggers(defaults),
  triggersFor: (config: ReaperConfig) => reaperTriggers(config),
  config: ReaperConfigSchema,
  // Pending snapshots, the run lease, run summaries, and in dry-run the tags it would have written.
  state: { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl' },
  permissions: reaperPermissions,
  memoryMb: 256,
  timeoutSeconds: 300,
  batchSize: 1,
  maxConcurrency: 2,
  maxReceiveCount: 3,
});

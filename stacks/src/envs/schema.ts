import { ENV_NAME_PATTERN } from '@reflex/manifest';
import { z } from 'zod';
import { closestRegion, PARTITIONS, partitionOf } from './regions';

/** Retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const AccountSchema = z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits');

/** A Region of some partition (which one the environment's partition allows is checked on the whole). */
const RegionSchema = z.string().superRefine((code, ctx) => {
  if (partitionOf(code)) return;
  const closest = closestRegion(code);
  ctx.addIssue({ code: 'custom', message: `"${code}" is not an AWS Region${closest ? ` — did you mean ${closest}?` : ' (e.g. eu-central-1)'}` });
});

/** An IAM principal: a user, a role (its sessions match), or an account's root (anyone of that account). */
const PrincipalSchema = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(root|user\/.+|role\/.+)$/, 'an IAM user, role or account root ARN (arn:aws:iam::<account>:role/<name>)');

/** An IAM role ARN. */
const RoleArnSchema = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)');

/** A member account: its id, or its id and the role Terraform assumes there to deploy its spoke stack. */
const MemberAccountSchema = z.union([
  AccountSchema,
  z.object({
    account: AccountSchema,
    /** @default `arn:<partition>:iam::<account>:role/<spokes.deploymentRoleName>` */
    deploymentRoleArn: RoleArnSchema.optional(),
  }).strict(),
]);

/**
 * The trust between the hub and its spokes. A spoke role trusts one function role of the hub, and only with
 * the external id or from inside the organization (at least one of them is required).
 */
export const SpokeSettingsSchema = z.object({
  /** Passed as `sts:ExternalId` by every hub function that assumes a spoke role; the roles require it. */
  externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, '2–1224 characters of letters, digits and +=,.@:/-').optional(),
  /** The AWS Organization of hub and spokes: spoke roles require `aws:PrincipalOrgID`, the hub bus admits the organization. */
  organizationId: z.string().regex(/^o-[a-z0-9]{10,32}$/, 'an organization id (o-xxxxxxxxxx)').optional(),
  /** The role in each member account that Terraform assumes to deploy the spoke stack (the one Organizations creates by default). */
  deploymentRoleName: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'an IAM role name').default('OrganizationAccountAccessRole'),
}).strict();

/** Requests per second and burst that API Gateway lets through before it answers 429. */
const ThrottleSchema = z.object({
  rateLimit: z.number().positive().max(10000),
  burstLimit: z.number().int().min(1).max(5000),
});

/**
 * The environment's HTTP API (API Gateway), built when an enabled reflex has http triggers: who may call it
 * and how fast.
 */
export const ApiSettingsSchema = z.object({
  /**
   * The IAM principals allowed to call the API; the functions refuse any other caller (403), whatever IAM let
   * through. Empty: any caller whose IAM policy allows `execute-api:Invoke` (the stack's invoke policy).
   */
  allowedPrincipals: z.array(PrincipalSchema).default([]),
  /** Every route's throttling. */
  throttle: ThrottleSchema.default({ rateLimit: 10, burstLimit: 20 }),
  /** Per-route throttling, by route key (`PUT /route-tables/{id}/routes`), over `throttle`. */
  routeThrottles: z.record(z.string(), ThrottleSchema).default({}),
});
export type ApiSettings = z.output<typeof ApiSettingsSchema>;

/** Per-reflex settings of one environment; the reflex's own config is validated by its manifest's schema. */
export const ReflexSettingsSchema = z.object({
  enabled: z.boolean().default(true),
  /** Overrides the environment's dry-run for this reflex. */
  dryRun: z.boolean().optional(),
  config: z.unknown().optional(),
  memoryMb: z.number().int().min(128).max(10240).optional(),
  timeoutSeconds: z.number().int().min(1).max(900).optional(),
  /**
   * Who consumes a reflex's queue: its `function` (Lambda, or the local runner), or an external long-running
   * `worker` (`reflex ipam worker` next to an on-prem IPAM consumes `ipam-sync` and `ipam-reconciler`), for
   * which the stack deploys no function but a managed IAM policy to attach to the worker's principal.
   */
  consumer: z.enum(['function', 'worker']).default('function'),
});
export type ReflexSettings = z.output<typeof ReflexSettingsSchema>;

/**
 * One environment: where it deploys, how its state is kept, and which reflexes run how.
 *
 * @example
 * EnvConfigSchema.parse({ name: 'dev', account: '111111111111', region: 'eu-central-1', state: { bucket: 'acme-tfstate' } });
 */
export const EnvConfigSchema = z.object({
  name: z.string().max(12, 'at most 12 characters (AWS names are reflex-<env>-<reflex>)').regex(ENV_NAME_PATTERN, 'a lower-case letter, then letters and digits (no dashes)'),
  account: AccountSchema,
  /** A Region of the partition, e.g. eu-central-1. */
  region: RegionSchema,
  partition: z.enum(PARTITIONS).default('aws'),
  /** Act-nothing mode for every reflex (EC2 calls are sent with DryRun). */
  dryRun: z.boolean(),
  /** `lambda` deploys functions; `local-runner` leaves them to the local runner (moto cannot invoke Lambda). */
  compute: z.enum(['lambda', 'local-runner']).default('lambda'),
  /** A local AWS API (moto server, LocalStack) that every service and the state backend use. */
  endpoint: z.url().optional(),
  state: z.object({
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
    /** Where the state bucket is. @default the environment's region */
    region: RegionSchema.optional(),
  }),
  logRetentionDays: z
    .number()
    .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `one of ${LOG_RETENTION_DAYS.join(', ')}`)
    .default(30),
  /**
   * Member (spoke) accounts: each gets a spoke stack that forwards its events to this environment's reflex
   * bus (the hub) and holds a spoke role per acting reflex. An account id, or an object naming the role
   * Terraform assumes to deploy the spoke.
   */
  memberAccounts: z.array(MemberAccountSchema).default([]),
  /** How hub and spokes trust each other; required once there are member accounts. */
  spokes: SpokeSettingsSchema.default({ deploymentRoleName: 'OrganizationAccountAccessRole' }),
  /** Tags on every resource (the provider's default tags); Reflex adds `reflex:env` and `managed-by`. */
  tags: z.record(z.string(), z.string()).default({}),
  reflexes: z.record(z.string(), ReflexSettingsSchema).default({}),
  api: ApiSettingsSchema.default({ allowedPrincipals: [], throttle: { rateLimit: 10, burstLimit: 20 }, routeThrottles: {} }),
}).superRefine((env, ctx) => {
  const members = env.memberAccounts.map((m) => (typeof m === 'string' ? m : m.account));
  members.forEach((account, i) => {
    if (account === env.account) ctx.addIssue({ code: 'custom', path: ['memberAccounts', i], message: `${account} is the hub account itself` });
    else if (members.indexOf(account) !== i) ctx.addIssue({ code: 'custom', path: ['memberAccounts', i], message: `${account} is listed twice` });
    const role = env.memberAccounts[i];
    const roleAccount = typeof role === 'string' ? undefined : role?.deploymentRoleArn?.split(':')[4];
    if (roleAccount && roleAccount !== account) {
      ctx.addIssue({
        code: 'custom',
        path: ['memberAccounts', i, 'deploymentRoleArn'],
        message: `a role of account ${roleAccount}, not of ${account}: the spoke's provider may act in ${account} only`,
      });
    }
  });
  if (members.length > 0 && !env.spokes.externalId && !env.spokes.organizationId) {
    ctx.addIssue({
      code: 'custom',
      path: ['spokes'],
      message: 'member accounts need spokes.externalId or spokes.organizationId: a spoke role never trusts a hub role without one of them',
    });
  }
  // Both Regions must be of the environment's partition: cn-north-1 only with aws-cn.
  const regions: [string[], string | undefined][] = [[['region'], env.region], [['state', 'region'], env.state.region]];
  for (const [path, code] of regions) {
    const partition = code === undefined ? undefined : partitionOf(code);
    if (!partition || partition === env.partition) continue;
    ctx.addIssue({
      code: 'custom',
      path,
      message: `${code} is a Region of partition ${partition}, not ${env.partition} (set partition: '${partition}', or choose a Region of ${env.partition})`,
    });
  }
});
export type EnvConfigInput = z.input<typeof EnvConfigSchema>;
export type EnvConfig = z.output<typeof EnvConfigSchema>;

/** A member account with the role Terraform assumes there. */
export interface MemberAccount {
  readonly account: string;
  readonly deploymentRoleArn: string;
}

/** The environment's member accounts, each with its deployment role (the default one where none is named). */
export function memberAccountsOf(env: EnvConfig): MemberAccount[] {
  return env.memberAccounts.map((m) => {
    const account = typeof m === 'string' ? m : m.account;
    const named = typeof m === 'string' ? undefined : m.deploymentRoleArn;
    return { account, deploymentRoleArn: named ?? `arn:${env.partition}:iam::${account}:role/${env.spokes.deploymentRoleName}` };
  });
}

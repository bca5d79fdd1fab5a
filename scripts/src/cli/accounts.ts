// `--accounts all|<id,id…>` for the commands that read (or write) per account: the hub with the caller's own
// credentials, each member through a role assumed there (its deployment role, or `--role-name`), a bounded
// number at once. One account's failure (a role that cannot be assumed, a call that fails there) skips that
// account only: the others' results are printed, then the skipped accounts with their reasons, and the exit
// code says that some were skipped.
import { describeError } from '@reflex/manifest';
import { type EnvConfig, memberAccountsOf } from '@reflex/stacks';
import type { AwsTarget, SessionCredentials } from './aws';
import { EXIT, out, plural, UsageError, whoAsks } from './common';

/** The options of a command that spans accounts, for parseCommandArgs. */
export const ACCOUNTS_OPTIONS = {
  accounts: { type: 'string' },
  'role-name': { type: 'string' },
  concurrency: { type: 'string' },
} as const;

/** How many accounts are worked on at once, unless `--concurrency` says otherwise. */
export const DEFAULT_ACCOUNT_CONCURRENCY = 4;
const MAX_ACCOUNT_CONCURRENCY = 64;

/** The help lines of {@link ACCOUNTS_OPTIONS} (indented as the commands' options are). */
export const ACCOUNTS_HELP = `  --accounts all|ID,ID…
                  the accounts to work in: all (the hub and every member account of --env) or a comma
                  list of their 12-digit ids; the hub with the caller's credentials (skipped if they are
                  another account's), each member through its deployment role (the environment's
                  memberAccounts), assumed with STS as reflex-cli-$USER (with spokes.externalId, if the
                  environment has one). Without --accounts: the account of the credentials only, with
                  the output and JSON as they always were
  --role-name NAME
                  with --accounts, assume this role in every member account instead (a read-only role)
  --concurrency N with --accounts, how many accounts at once (default ${DEFAULT_ACCOUNT_CONCURRENCY})`;

/** The accounts of an environment, as `--accounts` needs them. */
export interface EnvAccounts {
  readonly name: string;
  /** The hub. */
  readonly account: string;
  readonly partition: string;
  readonly members: readonly { readonly account: string; readonly deploymentRoleArn: string }[];
  /** Passed as ExternalId when assuming a member's role (harmless when its trust does not require one). */
  readonly externalId?: string;
}

/** The hub, the members and their deployment roles of a resolved environment. */
export function envAccounts(env: EnvConfig): EnvAccounts {
  return {
    name: env.name,
    account: env.account,
    partition: env.partition,
    members: memberAccountsOf(env),
    ...(env.spokes.externalId ? { externalId: env.spokes.externalId } : {}),
  };
}

/** One account a command works in. */
export interface TargetAccount {
  readonly account: string;
  /** The hub: the caller's own credentials. */
  readonly hub: boolean;
  /** A member: the role assumed there. */
  readonly roleArn?: string;
}

/** Where and how a command spans accounts. */
export interface AccountsPlan {
  readonly targets: readonly TargetAccount[];
  readonly concurrency: number;
  /** RoleSessionName of the member sessions: `reflex-cli-<user>`. */
  readonly sessionName: string;
  readonly externalId?: string;
}

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * The accounts of `--accounts`: `all` (the hub, then every member in the environment's order), or a comma list
 * of ids, each the hub or a member (in the order given, once each). A member's role is its deployment role, or
 * `roleName` in it.
 *
 * @throws UsageError naming an id that is no account id, or is neither the hub nor a member of the environment.
 */
export function parseAccounts(text: string, env: EnvAccounts, roleName?: string): TargetAccount[] {
  if (roleName !== undefined && !ROLE_NAME.test(roleName)) {
    throw new UsageError(`--role-name takes an IAM role name (1–64 letters, digits and +=,.@_-), got "${roleName}"`);
  }
  const member = (m: EnvAccounts['members'][number]): TargetAccount => ({
    account: m.account,
    hub: false,
    roleArn: roleName === undefined ? m.deploymentRoleArn : `arn:${env.partition}:iam::${m.account}:role/${roleName}`,
  });
  const hub: TargetAccount = { account: env.account, hub: true };
  if (text.trim() === 'all') return [hub, ...env.members.map(member)];
  const ids = text.split(',').map((id) => id.trim());
  if (ids.every((id) => id === '')) throw new UsageError('--accounts takes all or a comma list of 12-digit account ids, got nothing');
  const targets: TargetAccount[] = [];
  for (const id of ids) {
    if (!/^\d{12}$/.test(id)) throw new UsageError(`--accounts takes all or a comma list of 12-digit account ids, got "${id}"`);
    if (targets.some((t) => t.account === id)) continue;
    const found = id === env.account ? hub : env.members.find((m) => m.account === id);
    if (!found) {
      const members = env.members.map((m) => m.account).join(', ') || 'none';
      throw new UsageError(`account ${id} is neither the hub (${env.account}) nor a member account of environment "${env.name}" (members: ${members})`);
    }
    targets.push('hub' in found ? found : member(found));
  }
  return targets;
}

/** `--concurrency` as given: a whole number from 1 to 64. */
export function parseConcurrency(text: string | undefined, fallback = DEFAULT_ACCOUNT_CONCURRENCY): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 1 || n > MAX_ACCOUNT_CONCURRENCY) {
    throw new UsageError(`--concurrency takes a whole number from 1 to ${MAX_ACCOUNT_CONCURRENCY}, got "${text}"`);
  }
  return n;
}

/** `reflex-cli-<user>` (or `reflex-cli-cli`), as a RoleSessionName may be: 2–64 of [\w+=,.@-]. */
export function sessionName(user: string | undefined): string {
  return `reflex-cli-${(user ?? 'cli').replace(/[^\w+=,.@-]/g, '-') || 'cli'}`.slice(0, 64);
}

/**
 * The plan of `--accounts`, `--role-name` and `--concurrency` as parsed, or undefined without `--accounts` (the
 * command then works as it always did, in the account of the credentials).
 *
 * @throws UsageError for a bad `--accounts` (see {@link parseAccounts}), or `--role-name` / `--concurrency`
 * without it.
 */
export function accountsPlan(
  values: { readonly accounts?: string; readonly 'role-name'?: string; readonly concurrency?: string },
  env: EnvAccounts,
): AccountsPlan | undefined {
  if (values.accounts === undefined) {
    const alone = values['role-name'] !== undefined ? '--role-name' : values.concurrency !== undefined ? '--concurrency' : undefined;
    if (alone) throw new UsageError(`${alone} is for --accounts: give --accounts all or the account ids`);
    return undefined;
  }
  return {
    targets: parseAccounts(values.accounts, env, values['role-name']),
    concurrency: parseConcurrency(values.concurrency),
    sessionName: sessionName(whoAsks()),
    ...(env.externalId ? { externalId: env.externalId } : {}),
  };
}

/**
 * Runs `work` on each item, at most `limit` at once, in the order given; resolves, once all are done, to each
 * one's outcome in that order. A rejection is that item's outcome only: the others run on.
 *
 * @example
 * const settled = await promisePool(accounts, 4, (account) => audit(account));
 */
export async function promisePool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`promisePool: the limit is a positive whole number, got ${limit}`);
  const settled: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        settled[index] = { status: 'fulfilled', value: await work(items[index]!, index) };
      } catch (reason) {
        settled[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return settled;
}

/** Runs `fn`s one at a time, in the order they are asked for (a store that takes one writer, say). */
export function oneAtATime(): <T>(fn: () => Promise<T>) => Promise<T> {
  let turn: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = turn.then(fn);
    turn = run.catch(() => undefined);
    return run;
  };
}

/** An account worked in, and what the command's work there gave. */
export interface AccountResult<R> {
  readonly account: string;
  readonly hub: boolean;
  readonly result: R;
}

/** An account left out, and why. */
export interface SkippedAccount {
  readonly account: string;
  readonly reason: string;
}

/** The outcome of a command across accounts, each list in the order of the plan. */
export interface AcrossAccounts<R> {
  readonly ok: readonly AccountResult<R>[];
  readonly skipped: readonly SkippedAccount[];
  /** Accounts the command does not work in by design (a hub-only command's members): said, not a failure. */
  readonly notApplicable?: readonly SkippedAccount[];
}

/** A reason that is the whole story (no error chain to describe): an account the command does not work in. */
class SkipReason extends Error {
  override readonly name = 'SkipReason';
}

/** The first AWS service error (it carries `$metadata`) of a cause chain. */
function serviceError(error: unknown): Error | undefined {
  for (let e = error, depth = 0; e !== undefined && depth < 12; e = (e as Error).cause, depth++) {
    if (typeof e === 'object' && e !== null && '$metadata' in e) return e as unknown as Error;
  }
  return undefined;
}

/** Why an account's work failed, on one line: the AWS error's name first, when it is one (`AccessDenied: …`). */
export function skipReason(error: unknown, aws: AwsTarget): string {
  if (error instanceof SkipReason) return error.message;
  const explained = aws.explain(error);
  const text = describeError(explained, { names: false });
  const service = serviceError(explained);
  return service && !text.startsWith(`${service.name}:`) ? `${service.name}: ${text}` : text;
}

/** STS with the caller's credentials: who they are, and a member's role session. */
export interface Sts {
  /** The account of the caller's credentials (GetCallerIdentity). */
  callerAccount(aws: AwsTarget): Promise<string>;
  /**
   * The AwsTarget of a member account, through its role's session.
   *
   * @throws an error whose message is the skip reason: `AccessDenied: cannot assume arn:… (User: … is not authorized…)`.
   */
  assume(aws: AwsTarget, target: TargetAccount, plan: AccountsPlan): Promise<AwsTarget>;
  destroy(): void;
}

/**
 * STS at the endpoint and Region of the caller's AwsTarget, with its credentials: a member's role is assumed
 * as `reflex-cli-<user>`, with the environment's external id if it has one.
 */
export function stsOf(): Sts {
  let client: Promise<{ sdk: typeof import('@aws-sdk/client-sts'); sts: import('@aws-sdk/client-sts').STSClient }> | undefined;
  const connect = (aws: AwsTarget) => (client ??= import('@aws-sdk/client-sts').then((sdk) => ({ sdk, sts: new sdk.STSClient(aws.clientConfig()) })));
  return {
    async callerAccount(aws) {
      const { sdk, sts } = await connect(aws);
      const { Account } = await aws.call(() => sts.send(new sdk.GetCallerIdentityCommand({})));
      if (!Account) throw new Error('GetCallerIdentity returned no account');
      return Account;
    },
    async assume(aws, target, plan) {
      const { sdk, sts } = await connect(aws);
      const roleArn = target.roleArn!;
      let credentials: SessionCredentials;
      try {
        const answer = await sts.send(
          new sdk.AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: plan.sessionName, ...(plan.externalId ? { ExternalId: plan.externalId } : {}) }),
        );
        const c = answer.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new SkipReason(`cannot assume ${roleArn}: AssumeRole returned no credentials`);
        credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
      } catch (error) {
        if (error instanceof SkipReason) throw error;
        const explained = aws.explain(error);
        // Unreachable, no credentials: say that, as any other command would.
        if (explained !== error) throw explained;
        const service = serviceError(error);
        const message = (error as Error).message?.replace(/\s+/g, ' ').trim();
        throw new SkipReason(`${service?.name ?? (error as Error).name ?? 'Error'}: cannot assume ${roleArn}${message ? ` (${message})` : ''}`);
      }
      return aws.inAccount(target.account, credentials);
    },
    destroy() {
      void client?.then(({ sts }) => sts.destroy(), () => undefined);
    },
  };
}

/** Options of {@link acrossAccounts}. */
export interface AcrossAccountsOptions {
  /** The command works in the hub only: every member is reported as not applicable with this reason, and no role is assumed. */
  readonly hubOnly?: string;
  /** Who the caller is, how a member's role is assumed. @default STS ({@link stsOf}) */
  readonly sts?: Omit<Sts, 'destroy'>;
}

/**
 * Runs a command's `work` in every account of the plan, `plan.concurrency` at once: in the hub with `aws` as it
 * is (once its credentials are known to be the hub's), in a member with its role's session. An account whose
 * role cannot be assumed, or whose work fails, is skipped with the reason; the others go on.
 */
export async function acrossAccounts<R>(
  aws: AwsTarget,
  plan: AccountsPlan,
  work: (target: AwsTarget, account: TargetAccount) => Promise<R>,
  options: AcrossAccountsOptions = {},
): Promise<AcrossAccounts<R>> {
  const own = options.sts ? undefined : stsOf();
  const sts = options.sts ?? own!;
  const notApplicable = options.hubOnly ? plan.targets.filter((t) => !t.hub).map((t) => ({ account: t.account, reason: options.hubOnly! })) : [];
  const targets = options.hubOnly ? plan.targets.filter((t) => t.hub) : plan.targets;
  try {
    const settled = await promisePool(targets, plan.concurrency, async (target) => {
      if (target.hub) {
        // The hub's results (and the IPAM's records) are its own only when the credentials are the hub's.
        const caller = await sts.callerAccount(aws);
        if (caller !== target.account) {
          throw new SkipReason(`the credentials are of account ${caller}, not of the hub: use the hub's credentials, or list only member accounts`);
        }
      }
      const there = target.hub ? aws : await sts.assume(aws, target, plan);
      try {
        return await work(there, target);
      } catch (error) {
        throw new SkipReason(skipReason(error, there));
      }
    });
    const ok: AccountResult<R>[] = [];
    const skipped: SkippedAccount[] = [];
    settled.forEach((outcome, i) => {
      const { account, hub } = targets[i]!;
      if (outcome.status === 'fulfilled') ok.push({ account, hub, result: outcome.value });
      else skipped.push({ account, reason: skipReason(outcome.reason, aws) });
    });
    return { ok, skipped, ...(notApplicable.length ? { notApplicable } : {}) };
  } finally {
    own?.destroy();
  }
}

/** How a command prints its result in one account. */
export interface AccountsReport<R> {
  readonly json: boolean;
  /** The account's result as the command prints it without --accounts (under the account's heading). */
  print(result: R, account: AccountResult<R>): void;
  /** The account's result in the JSON (`{ account, ...this }`). */
  toJson(result: R): Record<string, unknown>;
  /** The command's own exit code for an account's result. @default 0 */
  exitOf?(result: R): number;
}

/**
 * Prints the results per account (a heading per account, or `{ accounts: [{ account, ...result }], skipped:
 * [{ account, reason }] }` as JSON), then the skipped accounts with their reasons; returns the exit code: 1
 * when an account was skipped, else the highest of the command's own codes.
 */
export function reportAccounts<R>(outcome: AcrossAccounts<R>, report: AccountsReport<R>): number {
  if (report.json) {
    out(
      JSON.stringify(
        {
          accounts: outcome.ok.map((o) => ({ account: o.account, ...report.toJson(o.result) })),
          skipped: outcome.skipped,
          ...(outcome.notApplicable ? { notApplicable: outcome.notApplicable } : {}),
        },
        null,
        2,
      ),
    );
  } else {
    for (const each of outcome.ok) {
      out(`== account ${each.account}${each.hub ? ' (hub)' : ''} ==`);
      report.print(each.result, each);
      out();
    }
    if (outcome.notApplicable?.length) {
      out(`not applicable in ${plural(outcome.notApplicable.length, 'account')}:`);
      for (const s of outcome.notApplicable) out(`  ${s.account}: ${s.reason}`);
    }
    if (outcome.skipped.length > 0) {
      out(`skipped ${plural(outcome.skipped.length, 'account')}:`);
      for (const s of outcome.skipped) out(`  ${s.account}: ${s.reason}`);
    }
  }
  if (outcome.skipped.length > 0) return EXIT.failed;
  return Math.max(EXIT.ok, ...outcome.ok.map((o) => report.exitOf?.(o.result) ?? EXIT.ok));
}

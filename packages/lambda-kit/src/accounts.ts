import { AsyncLocalStorage } from 'node:async_hooks';
import type { STSClient } from '@aws-sdk/client-sts';
import * as z from '@reflex/events/zod';
import { awsErrorName, ReflexError } from './errors';
import { lazySdk, type LoadedSdk } from './lazy-sdk';

/** What the stacks put in `REFLEX_SPOKES` of a reflex that acts in member accounts. */
export const SpokesSchema = z.object({
  /** The hub account, where the function runs with its own role. */
  hub: z.string().check(z.regex(/^\d{12}$/)),
  /** The member accounts whose events reach the hub and where the reflex has a spoke role. */
  accounts: z.array(z.string().check(z.regex(/^\d{12}$/))),
  /** The spoke role's name in every member account (the function role's name in the hub). */
  roleName: z.string().check(z.minLength(1), z.maxLength(64)),
  partition: z._default(z.string(), 'aws'),
  /** Sent as `ExternalId`; the spoke roles' trust requires it. */
  externalId: z.optional(z.string()),
});
export type Spokes = z.output<typeof SpokesSchema>;

/** Temporary credentials of a role session, as the SDK's clients take them. */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** The account and Region a reflex acts in while it handles one event (or one account's turn of a timer). */
export interface AccountScope {
  readonly account: string;
  readonly region: string;
  /** Credentials of the spoke role session; absent in the hub, where the function's own credentials act. */
  readonly credentials?: () => Promise<SessionCredentials>;
  /** The spoke role session's ARN (`arn:aws:sts::<account>:assumed-role/<role>/<session>`). */
  readonly roleSession?: string;
}

/** An event from an account that is neither the hub nor a member: Reflex never acts there, and retrying cannot change that. */
export class NotAMemberError extends ReflexError {
  override readonly name = 'NotAMemberError';
  constructor(readonly account: string, hub: string | undefined) {
    super(`account ${account}: not the hub (${hub ?? 'unknown'}) and not a member account of this environment: nothing is done there`);
  }
}

/** STS's answers that mean the spoke role cannot be assumed (not a passing failure such as throttling). */
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'NoSuchEntity', 'InvalidClientTokenId', 'RegionDisabledException']);

/** A member account's spoke role could not be assumed: that account's records fail, no other's. */
export class SpokeAccessError extends ReflexError {
  override readonly name = 'SpokeAccessError';
  constructor(
    readonly account: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`account ${account}: ${reason}`, options);
  }
}

const scopes = new AsyncLocalStorage<AccountScope>();

/** The account scope the current event runs in, if the kit set one. */
export function currentAccount(): AccountScope | undefined {
  return scopes.getStore();
}

/** Runs `fn` with `scope` as the account its {@link accountSdk} clients act in. */
export function inAccount<T>(scope: AccountScope, fn: () => Promise<T>): Promise<T> {
  return scopes.run(scope, fn);
}

/** Options an SDK client is built with in an account scope: its Region and, in a member account, the spoke role's credentials. */
export interface AccountClientConfig {
  region?: string;
  credentials?: () => Promise<SessionCredentials>;
}

/**
 * Like {@link lazySdk}, but the client acts in the account and Region of the event being handled: with the
 * function's own credentials in the hub, with the spoke role's (assumed by the kit, renewed before they
 * expire) in a member account. One client per account and Region, built on first use there. Outside an
 * account scope (a test, a CLI), the client of the function's environment.
 *
 * @example
 * export const defaultEc2 = accountSdk(() => import('@aws-sdk/client-ec2'), (sdk, config) => new sdk.EC2Client(config));
 */
export function accountSdk<M, C>(load: () => Promise<M>, create: (sdk: M, config: AccountClientConfig) => C): () => Promise<LoadedSdk<M, C>> {
  const module = lazySdk(load, (sdk) => sdk);
  const clients = new Map<string, C>();
  return async () => {
    const { sdk } = await module();
    const scope = currentAccount();
    const key = scope ? `${scope.account}/${scope.region}` : '';
    let client = clients.get(key);
    if (!client) {
      client = create(sdk, scope ? { region: scope.region, ...(scope.credentials ? { credentials: scope.credentials } : {}) } : {});
      clients.set(key, client);
    }
    return { sdk, client };
  };
}

type StsSdk = typeof import('@aws-sdk/client-sts');
export type LoadSts = () => Promise<LoadedSdk<StsSdk, STSClient>>;

/** The STS client of the function's environment (its own credentials), loaded on first use. */
export const defaultSts: LoadSts = lazySdk(() => import('@aws-sdk/client-sts'), (sdk) => new sdk.STSClient({}));

/** Renew a session this long before it expires. */
const RENEW_BEFORE_MS = 5 * 60_000;
/** A session lasts this long (a spoke role's maximum). */
const SESSION_SECONDS = 3600;

/**
 * Hands out account scopes: the hub's own, and a member account's through its spoke role, assumed with the
 * external id and cached (per account) until five minutes before it expires. An account that is neither
 * the hub nor a configured member is refused: a forwarded event from elsewhere must not make Reflex act there.
 */
export class SpokeAccess {
  private readonly sessions = new Map<string, Promise<{ credentials: SessionCredentials; arn: string }>>();

  constructor(
    private readonly spokes: Spokes | undefined,
    /** The account the function runs in, when there are no spokes (then every account but this one is refused). */
    private readonly hubAccount: string | undefined,
    private readonly sts: LoadSts = defaultSts,
    private readonly now: () => number = Date.now,
  ) {}

  /** Every account the reflex may act in: the hub first, then the members. */
  get accounts(): readonly string[] {
    const hub = this.spokes?.hub ?? this.hubAccount;
    return [...(hub ? [hub] : []), ...(this.spokes?.accounts ?? [])];
  }

  /** Whether `account` is a member account (acted in through a spoke role). */
  isMember(account: string): boolean {
    return !!this.spokes?.accounts.includes(account);
  }

  /**
   * The scope to act in `account` and `region`; in a member account, once its spoke role is assumed.
   *
   * @throws SpokeAccessError when the account is not the hub or a member, or its spoke role cannot be assumed.
   */
  async scope(account: string, region: string): Promise<AccountScope> {
    const hub = this.spokes?.hub ?? this.hubAccount;
    if (account === hub || (!this.spokes && hub === undefined)) return { account, region };
    if (!this.spokes?.accounts.includes(account)) throw new NotAMemberError(account, hub);
    const session = await this.session(account);
    return { account, region, credentials: async () => (await this.session(account)).credentials, roleSession: session.arn };
  }

  private session(account: string): Promise<{ credentials: SessionCredentials; arn: string }> {
    const cached = this.sessions.get(account);
    if (!cached) return this.assume(account);
    return cached.then((s) => {
      if (s.credentials.expiration.getTime() - this.now() > RENEW_BEFORE_MS) return s;
      // The first caller to see it expiring renews it; the others wait for that renewal.
      const current = this.sessions.get(account);
      return current && current !== cached ? current : this.assume(account);
    });
  }

  private assume(account: string): Promise<{ credentials: SessionCredentials; arn: string }> {
    const spokes = this.spokes!;
    const roleArn = `arn:${spokes.partition}:iam::${account}:role/${spokes.roleName}`;
    const assuming = (async () => {
      const { sdk, client } = await this.sts();
      try {
        const out = await client.send(
          new sdk.AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: spokes.roleName,
            DurationSeconds: SESSION_SECONDS,
            ...(spokes.externalId ? { ExternalId: spokes.externalId } : {}),
          }),
        );
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
        return {
          credentials: {
            accessKeyId: c.AccessKeyId,
            secretAccessKey: c.SecretAccessKey,
            sessionToken: c.SessionToken,
            expiration: c.Expiration ?? new Date(this.now() + SESSION_SECONDS * 1000),
          },
          arn: out.AssumedRoleUser?.Arn ?? roleArn,
        };
      } catch (cause) {
        const name = awsErrorName(cause);
        const why = `cannot assume ${roleArn}${name ? ` (${name})` : ''}: ${(cause as Error).message}`;
        // Throttling, a network error: the record is retried, without the alert a broken spoke gets.
        if (!name || !ACCESS_DENIED.has(name)) throw new ReflexError(`account ${account}: ${why}`, { cause });
        throw new SpokeAccessError(account, why, { cause });
      }
    })();
    this.sessions.set(account, assuming);
    // A failed attempt is not cached: the next event tries again.
    assuming.catch(() => {
      if (this.sessions.get(account) === assuming) this.sessions.delete(account);
    });
    return assuming;
  }
}

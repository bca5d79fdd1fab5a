// Which AWS a command talks to, decided in one place for every command that calls AWS: `--endpoint`, else
// REFLEX_AWS_ENDPOINT, else (environment `local`) the running local mode of this checkout, else the real
// AWS of the credentials chain. Failures to reach it or to find credentials become one line.
import { lazySdk } from '@reflex/lambda-kit';
import { localClientConfig } from '@reflex/local-aws';
import { awsName, describeError, repoRoot } from '@reflex/manifest';
import { runningLocalMode } from '../local/lock';
import { UsageError } from './common';

/** Node's codes for an AWS API that cannot be reached (refused, unknown host, timed out, cut off). */
const UNREACHABLE = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EPIPE)\b/;

/** The SDK's errors for a credentials chain that found nothing (or an expired SSO session). */
const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'TokenProviderError']);

/** The errors of a cause chain, AggregateError members included. */
function* errorsOf(error: unknown, depth = 0): Generator<unknown> {
  if (error === undefined || depth > 12) return;
  yield error;
  if (error instanceof AggregateError) for (const e of error.errors) yield* errorsOf(e, depth + 1);
  if (error instanceof Error) yield* errorsOf(error.cause, depth + 1);
}

/** The code of an unreachable AWS API (ECONNREFUSED…) a failure reason mentions, if any. */
export const unreachableCode = (text: string): string | undefined => UNREACHABLE.exec(text)?.[1];

const nameOf = (e: unknown) => (typeof e === 'object' && e !== null && typeof (e as Error).name === 'string' ? (e as Error).name : '');
const codeOf = (e: unknown) => (typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : '');

/** The credentials chain found no credentials for an environment on real AWS: exit code 2. */
export class NoAwsCredentialsError extends UsageError {
  override readonly name = 'NoAwsCredentialsError';
  constructor(env: string, cause: unknown) {
    super(
      `no AWS credentials for environment "${env}": ${describeError(cause, { names: false })} ` +
        '(set AWS_PROFILE, run `aws sso login`, or use the local mode: `pnpm start`, then --env local)',
    );
  }
}

/** The AWS API did not answer (refused, unknown host, timeout): exit code 1. */
export class AwsUnreachableError extends Error {
  override readonly name = 'AwsUnreachableError';
}

/** Temporary credentials of a role session (`--accounts`: a member account's). */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** Where a command's AWS calls go, and how that was decided. */
export class AwsTarget {
  constructor(
    /** The environment whose names and config the command uses. */
    readonly env: string,
    readonly region: string,
    /** A local AWS API (moto server, LocalStack), or undefined for the real AWS of the credentials chain. */
    readonly endpoint: string | undefined,
    /** Where the endpoint came from, for messages. */
    readonly from: '--endpoint' | 'REFLEX_AWS_ENDPOINT' | 'the running local mode' | 'the credentials chain',
    /**
     * A member account the calls act in, with its role session's credentials (`--accounts`); undefined for the
     * account of the caller's own credentials.
     */
    readonly session?: { readonly account: string; readonly credentials: SessionCredentials },
  ) {}

  /** The same AWS, acting in `account` with a role session's credentials there. */
  inAccount(account: string, credentials: SessionCredentials): AwsTarget {
    return new AwsTarget(this.env, this.region, this.endpoint, this.from, { account, credentials });
  }

  /** SDK client options: the endpoint with fake keys (or the session's), or just the region (and the session's). */
  clientConfig(): { region: string; endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } } {
    const config: ReturnType<AwsTarget['clientConfig']> = this.endpoint ? localClientConfig(this.endpoint, this.region) : { region: this.region };
    return this.session ? { ...config, credentials: { ...this.session.credentials } } : config;
  }

  /** The AWS API, as messages name it. */
  describe(): string {
    const where = this.endpoint ? `the AWS API at ${this.endpoint} (${this.from})` : `AWS ${this.region} (environment "${this.env}", ${this.from})`;
    return this.session ? `${where}, account ${this.session.account}` : where;
  }

  /**
   * The error to report for a failed AWS call: missing credentials as {@link NoAwsCredentialsError}, an
   * unreachable API as {@link AwsUnreachableError} naming it, anything else as it is.
   */
  explain(error: unknown): unknown {
    const all = [...errorsOf(error)];
    const noCredentials = all.find((e) => NO_CREDENTIALS.has(nameOf(e)));
    if (noCredentials) return new NoAwsCredentialsError(this.env, noCredentials);
    if (all.some((e) => UNREACHABLE.test(codeOf(e)) || UNREACHABLE.test((e as Error)?.message ?? '') || nameOf(e) === 'TimeoutError')) {
      return new AwsUnreachableError(`cannot reach ${this.describe()}`, { cause: error });
    }
    return error;
  }

  /** Runs AWS calls, reporting their failure with {@link explain}. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.explain(error);
    }
  }
}

/** Options of {@link resolveAws}. */
export interface ResolveAwsOptions {
  /** `--endpoint` as given. */
  readonly endpoint: string | undefined;
  /** The environment's name (`--env`). */
  readonly env: string;
  readonly region: string;
  /** The checkout whose local mode counts. */
  readonly root: string;
  /** The process environment. @default process.env */
  readonly vars?: Record<string, string | undefined>;
  /** Where the one line about a running local mode goes. @default stderr */
  readonly say?: (line: string) => void;
  /** Checks that the credentials chain has credentials before any call on real AWS. @default true */
  readonly checkCredentials?: boolean;
}

function checkUrl(url: string, from: string): string {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new UsageError(`${from}: not an http(s) URL: "${url}"`);
  return url;
}

/**
 * Decides which AWS a command talks to: `--endpoint`; else REFLEX_AWS_ENDPOINT; else, for the `local`
 * environment, the running local mode of this checkout (said in one line on stderr); else, for another
 * environment, the real AWS of the credentials chain, whose credentials are checked first.
 *
 * @throws UsageError when the environment is `local` and no local mode runs, or an endpoint is no URL;
 * NoAwsCredentialsError when real AWS is meant and the chain has no credentials.
 * @example
 * const aws = await resolveAws({ endpoint: values.endpoint, env: env.name, region: env.region, root: repoRoot() });
 * const ec2 = new EC2Client(aws.clientConfig());
 */
export async function resolveAws(options: ResolveAwsOptions): Promise<AwsTarget> {
  const { env, region } = options;
  const vars = options.vars ?? process.env;
  if (options.endpoint !== undefined) return new AwsTarget(env, region, checkUrl(options.endpoint, '--endpoint'), '--endpoint');
  if (vars.REFLEX_AWS_ENDPOINT) return new AwsTarget(env, region, checkUrl(vars.REFLEX_AWS_ENDPOINT, 'REFLEX_AWS_ENDPOINT'), 'REFLEX_AWS_ENDPOINT');
  if (env === 'local') {
    const running = runningLocalMode(options.root);
    if (running?.endpoint && running.state !== 'stopping') {
      const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
      say(
        `reflex: using the running local mode at ${running.endpoint} (pid ${running.pid}${running.state === 'starting' ? ', still starting' : ''}); ` +
          '--endpoint URL or --env NAME to choose another',
      );
      return new AwsTarget(env, region, running.endpoint, 'the running local mode');
    }
    const why = running
      ? `the local mode of this checkout (pid ${running.pid}) is ${running.state === 'stopping' ? 'stopping' : 'still starting'}`
      : 'no local mode is running in this checkout';
    throw new UsageError(
      `no AWS API for environment "local": ${why} — start it with \`pnpm start\`, or pass --endpoint URL (moto server, LocalStack), or --env NAME for a real account`,
    );
  }
  const target = new AwsTarget(env, region, undefined, 'the credentials chain');
  if (options.checkCredentials ?? true) await checkCredentials(target);
  return target;
}

/** Asks the SDK's default credentials chain for credentials, as the first call would. */
async function checkCredentials(target: AwsTarget): Promise<void> {
  const { EC2Client } = await import('@aws-sdk/client-ec2');
  const client = new EC2Client({ region: target.region });
  try {
    await client.config.credentials();
  } catch (error) {
    throw target.explain(error);
  } finally {
    client.destroy();
  }
}

/** Whether the cause chain holds an AWS error named `name` (the adapters wrap SDK errors). */
export function hasAwsError(error: unknown, name: string): boolean {
  for (let e = error, depth = 0; e !== undefined && depth < 12; e = (e as Error).cause, depth++) {
    if ((e as Error | undefined)?.name === name) return true;
  }
  return false;
}

/** Runs a call on a reflex's table; a missing table says which, and that the reflex may not be deployed. */
export async function onReflexTable<T>(aws: AwsTarget, reflex: string, table: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await aws.call(fn);
  } catch (error) {
    if (!hasAwsError(error, 'ResourceNotFoundException')) throw error;
    throw new Error(`the ${reflex}'s table ${table} does not exist at ${aws.describe()}: is the ${reflex} deployed in environment "${aws.env}"?`);
  }
}

/** A lazily loaded DynamoDB client for the target, as the reflexes' state adapters take it. */
export const dynamoOf = (aws: AwsTarget) =>
  lazySdk(async () => import('@aws-sdk/client-dynamodb'), (sdk) => new sdk.DynamoDBClient(aws.clientConfig()));

/**
 * Publishes one event to the environment's reflex bus (reflex-<env>-bus); resolves to its event id.
 *
 * @throws Error naming the bus when it does not exist, or when EventBridge gives no event id.
 */
export async function publishToBus(aws: AwsTarget, kind: { readonly source: string; readonly detailType: string }, detail: unknown): Promise<string> {
  const bus = awsName(aws.env, 'bus');
  const { EventBridgeClient, PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
  const events = new EventBridgeClient(aws.clientConfig());
  try {
    const result = await aws
      .call(() =>
        events.send(
          new PutEventsCommand({ Entries: [{ EventBusName: bus, Source: kind.source, DetailType: kind.detailType, Detail: JSON.stringify(detail) }] }),
        ),
      )
      .catch((error: unknown) => {
        if (!hasAwsError(error, 'ResourceNotFoundException')) throw error;
        throw new Error(`the reflex bus ${bus} does not exist at ${aws.describe()}: is Reflex deployed in environment "${aws.env}"?`);
      });
    const [entry] = result.Entries ?? [];
    if (!entry?.EventId || result.FailedEntryCount) {
      throw new Error(`PutEvents to ${bus} at ${aws.describe()} failed: ${entry?.ErrorCode ?? 'no event id'}${entry?.ErrorMessage ? ` (${entry.ErrorMessage})` : ''}`);
    }
    return entry.EventId;
  } finally {
    events.destroy();
  }
}

/** The options of a command that reads an environment's reflexes in AWS: `--env`, `--endpoint`, `--json`. */
export const ENV_AWS_OPTIONS = {
  env: { type: 'string', default: 'local' },
  endpoint: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

/** For `--endpoint` as given, how to resolve the AWS of an environment of this checkout (see {@link resolveAws}). */
export const awsFor = (endpoint: string | undefined) => (env: { readonly name: string; readonly region: string }) =>
  resolveAws({ endpoint, env: env.name, region: env.region, root: repoRoot() });

import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import middy from '@middy/core';
import { HttpApiRequestSchema, type HttpApiResponse, type ReflexActionDetail } from '@reflex/events';
import { describeIssues, type ReflexManifest } from '@reflex/manifest';
import type { Context } from 'aws-lambda';
import * as z from '@reflex/events/zod';
import type { ActionEmitter } from './emitter';
import { describeError } from './errors';
import { type ActionReport, type ReflexRuntime, startRuntime } from './handler';

/** The caller API Gateway authenticated with SigV4. */
export interface HttpCaller {
  /** The caller's IAM principal: a user ARN, or an assumed role's session ARN. */
  readonly principal: string;
  readonly accountId: string;
}

/** One request, as a route handler sees it. */
export interface HttpRequest {
  /** `PUT /route-tables/{id}/routes`: the http trigger it matched. */
  readonly routeKey: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  /** The JSON body, parsed; undefined when there is none. */
  readonly body: unknown;
  readonly caller: HttpCaller;
  readonly requestId: string;
  /** The `Idempotency-Key` header; every write has one. */
  readonly idempotencyKey?: string;
  /** When API Gateway received the request. */
  readonly receivedAt: Date;
}

/** A route handler's answer: status, JSON body, and the actions it took (emitted as Reflex Action events). */
export interface HttpResult {
  readonly status: number;
  readonly body: unknown;
  readonly actions?: readonly ActionReport[];
  /**
   * Not kept for replays: a retry with the same Idempotency-Key runs again (a busy resource, a failure
   * halfway). Results with a 5xx status are never kept either.
   */
  readonly retryable?: boolean;
}

export type RouteHandler = (request: HttpRequest) => Promise<HttpResult>;

/** One problem of a request: where (`routes.0.cidr`, `path.id`, `header.idempotency-key`) and what. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/**
 * A request the handler refuses: becomes a response with `status` and a JSON body
 * `{ error, message, problems }`. Thrown by route handlers, or returned with {@link problemResult}.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: readonly Problem[] = [],
    readonly options: { readonly retryable?: boolean } = {},
  ) {
    super(message);
  }
}

/** Carries a result out of the idempotent call, so that Powertools does not keep it. */
class UnkeptResult extends Error {
  override readonly name = 'UnkeptResult';
  constructor(readonly result: HttpResult) {
    super(`status ${result.status}: not kept for replays`);
  }
}

/** The result of a refused request: `{ error, message, problems }` with its status. */
export function problemResult(error: HttpError): HttpResult {
  return {
    status: error.status,
    body: { error: error.code, message: error.message, ...(error.problems.length ? { problems: error.problems } : {}) },
    ...(error.options.retryable ? { retryable: true } : {}),
  };
}

/** Options of {@link httpHandler}. */
export interface HttpHandlerOptions<C extends z.core.$ZodType> {
  readonly manifest: ReflexManifest<C>;
  /** Builds clients and the route handlers, by route key (`PUT /route-tables/{id}/routes`), once per cold start. */
  readonly init: (runtime: ReflexRuntime<z.output<C>>) => Readonly<Record<string, RouteHandler>>;
  /** How long a write's response is kept for replays of its key. @default 86400 */
  readonly idempotencyExpirySeconds?: (config: z.output<C>) => number;
  /** Where idempotency records are kept. @default the reflex's state table (`dynamoIdempotencyStore`) */
  readonly idempotencyStore?: BasePersistenceLayer;
  /** Where Reflex Action events go. @default the reflex bus */
  readonly emitter?: ActionEmitter;
  /** The function's environment. @default process.env */
  readonly env?: Record<string, string | undefined>;
  readonly logger?: Logger;
}

const WRITE_METHODS = new Set(['PUT', 'POST', 'DELETE', 'PATCH']);
/** Printable ASCII, as Stripe's and the IETF draft's idempotency keys: a UUID fits. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The payload Powertools hashes: the key is [principal, key]; the rest must match on a replay. */
interface IdempotentCall {
  readonly principal: string;
  readonly key: string;
  readonly fingerprint: { routeKey: string; pathParameters: Record<string, string>; query: Record<string, string>; body: unknown };
  readonly request: Omit<HttpRequest, 'receivedAt'> & { receivedAt: string };
}

/**
 * The Lambda handler of a reflex with http triggers (API Gateway HTTP API, payload format 2.0, IAM
 * authorization): checks the caller against the environment's allowed principals, dispatches by route key,
 * parses the JSON body, and makes every write idempotent with Powertools' idempotency utility — an
 * `Idempotency-Key` header is required (400 without), a replay of a key with the same request answers the
 * stored response (header `idempotent-replayed: true`), the same key with another request is 422, and a
 * request still in flight with that key is 409. Actions a write takes are emitted as Reflex Action events
 * naming the caller and the key; a replay emits none.
 *
 * @example
 * export const handler = httpHandler({
 *   manifest,
 *   init: ({ config }) => ({ 'GET /route-tables/{id}/routes': async (request) => ({ status: 200, body: [] }) }),
 * });
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * @see https://docs.powertools.aws.dev/lambda/typescript/latest/features/idempotency/
 */
export function httpHandler<C extends z.core.$ZodType>(options: HttpHandlerOptions<C>) {
  const { manifest } = options;
  const { settings, logger, emitter, runtime } = startRuntime(options);
  const routes = options.init(runtime);

  if (!options.idempotencyStore && !settings.stateTable) {
    throw new Error(`reflex "${manifest.name}": its writes need a state table for idempotency: declare state in the manifest`);
  }
  const expiresAfterSeconds = options.idempotencyExpirySeconds?.(settings.config) ?? 86_400;

  const run = async (request: HttpRequest): Promise<HttpResult & { replayed?: boolean }> => {
    let result: HttpResult;
    try {
      result = await routes[request.routeKey]!(request);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      result = problemResult(error);
    }
    const actions: ReflexActionDetail[] = (result.actions ?? []).map((report) => ({
      ...report,
      reflex: manifest.name,
      env: settings.env,
      dryRun: settings.dryRun,
      cause: { eventId: request.requestId, source: 'https', detailType: request.routeKey },
      caller: { principal: request.caller.principal, ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}) },
    }));
    for (const action of actions) logger.info('action', { action });
    if (actions.length > 0) await emitter.emit(actions);
    if (result.retryable || result.status >= 500) throw new UnkeptResult({ status: result.status, body: result.body });
    // Stored for replays as it is answered: without the actions, which a replay does not take again.
    return { status: result.status, body: result.body };
  };
  // Powertools' idempotency and the DynamoDB client load on the first write, not at the cold start (a GET never needs them).
  let idempotent: Promise<{ runOnce: (call: IdempotentCall) => Promise<HttpResult & { replayed?: boolean }>; register: (context: Context) => void }> | undefined;
  const loadIdempotency = () =>
    (idempotent ??= (async () => {
      const [{ IdempotencyConfig, makeIdempotent }, { dynamoIdempotencyStore }] = await Promise.all([
        import('@aws-lambda-powertools/idempotency'),
        import('./adapters/dynamodb-idempotency'),
      ]);
      const persistenceStore = options.idempotencyStore ?? dynamoIdempotencyStore(settings.stateTable!);
      const config = new IdempotencyConfig({
        eventKeyJmesPath: '[principal, key]',
        payloadValidationJmesPath: 'fingerprint',
        expiresAfterSeconds,
        // A replay answers what the first request answered, marked as such.
        responseHook: (response) => ({ ...(response as object), replayed: true }),
      });
      const runOnce = makeIdempotent(async (call: IdempotentCall) => run({ ...call.request, receivedAt: new Date(call.request.receivedAt) }), {
        persistenceStore,
        config,
      });
      return { runOnce, register: (context: Context) => config.registerLambdaContext(context) };
    })().catch((error: unknown) => {
      idempotent = undefined;
      throw error;
    }));

  const answer = async (event: unknown, context: Context): Promise<HttpApiResponse> => {
    const parsed = HttpApiRequestSchema.safeParse(event);
    if (!parsed.success) {
      logger.error('not an API Gateway payload 2.0 request', { reason: describeIssues(parsed.error) });
      return respond({ status: 400, body: { error: 'malformed-request', message: describeIssues(parsed.error) } });
    }
    const raw = parsed.data;
    const { requestId } = raw.requestContext;
    const iam = raw.requestContext.authorizer?.iam;
    logger.appendKeys({ requestId, routeKey: raw.routeKey, principal: iam?.userArn });
    try {
      if (!iam) return respond({ status: 403, body: { message: 'Forbidden', error: 'not-signed', detail: 'the request carries no IAM identity' } });
      if (settings.apiPrincipals.length > 0 && !settings.apiPrincipals.some((allowed) => principalMatches(iam.userArn, allowed))) {
        logger.warn('caller is not an allowed principal', { principal: iam.userArn });
        return respond({ status: 403, body: { message: 'Forbidden', error: 'principal-not-allowed', detail: `${iam.userArn} may not call this API` } });
      }
      if (!routes[raw.routeKey]) return respond({ status: 404, body: { message: 'Not Found', error: 'no-such-route', detail: raw.routeKey } });
      const key = raw.headers['idempotency-key'];
      const write = WRITE_METHODS.has(raw.requestContext.http.method.toUpperCase());
      const problems: Problem[] = [];
      if (write && key === undefined) problems.push({ path: 'header.idempotency-key', message: 'every write needs an Idempotency-Key header (e.g. a UUID)' });
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) problems.push({ path: 'header.idempotency-key', message: '1 to 255 printable ASCII characters' });
      const body = parseBody(raw.body, raw.isBase64Encoded, problems);
      if (problems.length) return respond(problemResult(new HttpError(400, 'invalid-request', 'the request is not valid', problems)));
      const request: HttpRequest = {
        routeKey: raw.routeKey,
        pathParameters: decodeAll(raw.pathParameters ?? {}),
        query: raw.queryStringParameters ?? {},
        body,
        caller: { principal: iam.userArn, accountId: iam.accountId },
        requestId,
        ...(key !== undefined ? { idempotencyKey: key } : {}),
        receivedAt: new Date(raw.requestContext.timeEpoch),
      };
      if (!write) return respond(await run(request).catch((e: unknown) => (e instanceof UnkeptResult ? e.result : Promise.reject(e))));
      const { runOnce, register } = await loadIdempotency();
      register(context);
      const call: IdempotentCall = {
        principal: iam.userArn,
        key: key!,
        fingerprint: { routeKey: request.routeKey, pathParameters: { ...request.pathParameters }, query: { ...request.query }, body },
        request: { ...request, receivedAt: request.receivedAt.toISOString() },
      };
      return respond(await runOnce(call));
    } catch (error) {
      if (error instanceof UnkeptResult) return respond(error.result, error.result.status === 409 ? { 'retry-after': '1' } : {});
      const cause = (error as Error | undefined)?.cause;
      if (cause instanceof UnkeptResult) return respond(cause.result, cause.result.status === 409 ? { 'retry-after': '1' } : {});
      const name = (error as Error | undefined)?.name;
      if (name === 'IdempotencyAlreadyInProgressError') {
        return respond({ status: 409, body: { error: 'request-in-progress', message: 'a request with this Idempotency-Key is still being processed; retry later' } }, { 'retry-after': '1' });
      }
      if (name === 'IdempotencyValidationError') {
        return respond({ status: 422, body: { error: 'idempotency-key-reused', message: 'this Idempotency-Key was used with a different request' } });
      }
      logger.error('request failed', { reason: describeError(error) });
      return respond({ status: 500, body: { error: 'internal', message: 'the request failed; it changed nothing that a retry with the same key would not finish', requestId } });
    } finally {
      logger.removeKeys(['requestId', 'routeKey', 'principal']);
    }
  };

  return middy<unknown, HttpApiResponse, Error, Context>().use(injectLambdaContext(logger)).handler(answer);
}

/**
 * Whether a caller's principal is one the allow-list names: the same ARN; a session of an allowed role
 * (`arn:aws:sts::<account>:assumed-role/<role>/<session>` for `arn:aws:iam::<account>:role/<path/><role>`);
 * or anyone of an allowed account (`arn:aws:iam::<account>:root`).
 *
 * @example
 * principalMatches('arn:aws:sts::123456789012:assumed-role/onprem/ci-42', 'arn:aws:iam::123456789012:role/network/onprem'); // true
 */
export function principalMatches(principal: string, allowed: string): boolean {
  if (principal === allowed) return true;
  const [, partition, , , account, resource = ''] = allowed.split(':');
  const caller = principal.split(':');
  if (caller[1] !== partition || caller[4] !== account) return false;
  if (resource === 'root') return true;
  const role = /^role\/(?:.*\/)?([^/]+)$/.exec(resource)?.[1];
  const session = /^assumed-role\/([^/]+)\/[^/]+$/.exec(caller.slice(5).join(':'))?.[1];
  return role !== undefined && caller[2] === 'sts' && session === role;
}

function parseBody(text: string | undefined, base64: boolean, problems: Problem[]): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(base64 ? Buffer.from(text, 'base64').toString('utf8') : text);
  } catch (error) {
    problems.push({ path: 'body', message: `not JSON (${(error as Error).message})` });
    return undefined;
  }
}

/** Path parameters as the route handler wants them: a `%2F` a client encoded (`10.0.0.0%2F16`) decoded. */
function decodeAll(parameters: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(parameters).map(([name, value]) => {
      try {
        return [name, decodeURIComponent(value)];
      } catch {
        return [name, value];
      }
    }),
  );
}

function respond(result: HttpResult & { replayed?: boolean }, headers: Record<string, string> = {}): HttpApiResponse {
  return {
    statusCode: result.status,
    headers: { 'content-type': 'application/json', ...(result.replayed ? { 'idempotent-replayed': 'true' } : {}), ...headers },
    body: JSON.stringify(result.body),
  };
}

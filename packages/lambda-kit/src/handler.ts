import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ReflexActionDetail } from '@reflex/events';
import { describeIssues, type ReflexManifest } from '@reflex/manifest';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from '@reflex/events/zod';
import { EventBridgeEmitter } from './adapters/eventbridge';
import type { ActionEmitter } from './emitter';
import { type AccountScope, inAccount, NotAMemberError, SpokeAccess, SpokeAccessError } from './accounts';
import { describeError, MalformedEventError, ReflexError } from './errors';
import { causedByOwnRole } from './loop-guard';
import { readRuntimeSettings, type RuntimeSettings } from './runtime-env';

/** What a reflex's core reports for each action it took or would take; the kit adds who, where and why. */
export type ActionReport = Omit<ReflexActionDetail, 'reflex' | 'env' | 'cause' | 'dryRun'>;

/** A decision log: what a reflex's core logs through (the kit's logger, with the record's keys). */
export interface DecisionLog {
  info(message: string, extra?: Record<string, unknown>): void;
}

/** Handed to a reflex's `init` once per cold start. */
export interface ReflexRuntime<C> extends RuntimeSettings<C> {
  readonly logger: Logger;
  /** The logger as a {@link DecisionLog}, for cores that take one. */
  readonly log: DecisionLog;
}

/** Handles one parsed event; returns the actions taken. Throwing fails the record (it is retried, then dead-lettered). */
export type EventHandler<E> = (event: E) => Promise<readonly ActionReport[]>;

/** Options of {@link reflexHandler}. */
export interface ReflexHandlerOptions<C extends z.core.$ZodType, S extends z.core.$ZodType> {
  readonly manifest: ReflexManifest<C>;
  /** Schema of the EventBridge events this reflex receives (from `@reflex/events`). */
  readonly schema: S;
  /** Builds clients and the event handler once per cold start. */
  readonly init: (runtime: ReflexRuntime<z.output<C>>) => EventHandler<z.output<S>>;
  /** Where Reflex Action events go. @default the reflex bus, through EventBridge PutEvents */
  readonly emitter?: ActionEmitter;
  /** The function's environment. @default process.env */
  readonly env?: Record<string, string | undefined>;
  readonly logger?: Logger;
}

/**
 * What every kind of reflex handler sets up once per cold start: the validated settings, the logger, where
 * Reflex Actions go, and the runtime its `init` gets.
 */
export function startRuntime<C extends z.core.$ZodType>(options: {
  readonly manifest: ReflexManifest<C>;
  readonly emitter?: ActionEmitter;
  readonly env?: Record<string, string | undefined>;
  readonly logger?: Logger;
}) {
  const { manifest } = options;
  const settings = readRuntimeSettings(manifest, options.env ?? process.env);
  const logger =
    options.logger ?? new Logger({ serviceName: `reflex-${manifest.name}`, persistentKeys: { reflex: manifest.name, env: settings.env } });
  // With the "log" sink, actions are only logged (each as an `action` log line), never published.
  const emitter: ActionEmitter =
    options.emitter ?? (settings.actionsSink === 'log' ? { emit: async () => {} } : new EventBridgeEmitter(settings.busName));
  const log: DecisionLog = { info: (message, extra = {}) => logger.info(message, extra) };
  const runtime: ReflexRuntime<z.output<C>> = { ...settings, logger, log };
  return { settings, logger, emitter, runtime };
}

/**
 * The Lambda handler of a reflex fed by an SQS queue of EventBridge events: parses each record
 * (a malformed one fails alone), skips events Reflex itself caused, runs the reflex, emits a
 * Reflex Action event per action, logs JSON with the event id, and answers with a partial batch
 * response (the event source mapping needs `ReportBatchItemFailures`).
 *
 * @example
 * export const handler = reflexHandler({
 *   manifest,
 *   schema: Ec2StateChangeSchema,
 *   init: ({ dryRun }) => (event) => guard(event, { instances: new Ec2Instances(new EC2Client({}), dryRun) }),
 * });
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export function reflexHandler<C extends z.core.$ZodType, S extends z.core.$ZodType>(options: ReflexHandlerOptions<C, S>) {
  const { manifest, schema } = options;
  const { settings, logger, emitter, runtime } = startRuntime(options);
  const handle = options.init(runtime);

  const accounts = new SpokeAccess(settings.spokes, undefined);
  /** When each member account's access last raised a critical alert (one per account per quarter hour). */
  const alerted = new Map<string, number>();

  const toActions = (event: ReceivedEvent, reports: readonly ActionReport[], scope?: AccountScope): ReflexActionDetail[] =>
    reports.map((report) => ({
      ...report,
      reflex: manifest.name,
      env: settings.env,
      dryRun: settings.dryRun,
      cause: { eventId: event.id, source: event.source, detailType: event['detail-type'] },
      ...whereActed(event, scope),
    }));

  /**
   * The critical Reflex Action of a member account whose spoke role cannot be assumed: at most one per account
   * and quarter hour from this function instance (counted once it was emitted).
   */
  const accessAlert = (event: ReceivedEvent, error: SpokeAccessError, region: string | undefined, timer: boolean): ReflexActionDetail[] => {
    logger.error('cannot act in a member account; its records fail, other accounts go on', { account: error.account, reason: error.reason });
    const last = alerted.get(error.account);
    if (last !== undefined && Date.now() - last < ALERT_EVERY_MS) return [];
    return toActions(
      event,
      [
        {
          action: 'sts:AssumeRole',
          targets: [{ id: error.account }],
          reason: timer
            ? `cannot act in member account ${error.account}: its turn of the timer is skipped until the spoke role can be assumed`
            : `cannot act in member account ${error.account}: its events fail (retried, then dead-lettered) until the spoke role can be assumed`,
          outcome: 'failed',
          severity: 'critical',
          error: error.reason,
        },
      ],
      { account: error.account, region: region ?? '' },
    );
  };

  /** An event of an account that is neither the hub nor a member: a warning, and the record is done (no retry helps). */
  const notAMember = (event: ReceivedEvent, error: NotAMemberError, region: string | undefined): ReflexActionDetail[] => {
    logger.warn('event of an account that is neither the hub nor a member: not acted on', { account: error.account });
    return toActions(
      event,
      [{ action: 'none', targets: [{ id: error.account }], reason: error.message, outcome: 'alert', severity: 'warning' }],
      { account: error.account, region: region ?? '' },
    );
  };

  /** Emits the actions, and remembers the access alerts among them once they went out. */
  const emit = async (actions: readonly ReflexActionDetail[]) => {
    if (actions.length === 0) return;
    await emitter.emit(actions);
    for (const a of actions) if (a.action === 'sts:AssumeRole' && a.severity === 'critical' && a.account) alerted.set(a.account, Date.now());
  };

  /**
   * Runs the reflex in the account (and Region) the event comes from, or, for a timer of a reflex whose timers
   * act in every account, once per account: the hub's, then each member's through its spoke role.
   */
  const act = async (event: z.output<S> & ReceivedEvent): Promise<{ actions: ReflexActionDetail[]; failed?: Error }> => {
    if (!settings.spokes) return { actions: toActions(event, await handle(event)) };
    const region = event.region ?? process.env.AWS_REGION ?? '';
    const fanOut = manifest.spokes === 'events-and-timers' && event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event';
    if (!fanOut) {
      let scope: AccountScope;
      try {
        scope = await accounts.scope(event.account ?? settings.spokes.hub, region);
      } catch (error) {
        if (error instanceof NotAMemberError) return { actions: notAMember(event, error, region) };
        if (!(error instanceof SpokeAccessError)) throw error;
        return { actions: accessAlert(event, error, region, false), failed: error };
      }
      return { actions: toActions(event, await inAccount(scope, () => handle(event)), scope) };
    }
    // One account's failure never stops the others'; four accounts at once. An account whose role cannot be
    // assumed is alerted and skipped (the next tick tries again); any other failure fails the record once every
    // account had its turn.
    const turns = await inTurns(accounts.accounts, TIMER_ACCOUNTS_AT_ONCE, async (account) => {
      try {
        const scope = await accounts.scope(account, region);
        // The account's turn of the timer: the Scheduled Event as that account's would be.
        return { actions: toActions(event, await inAccount(scope, () => handle({ ...event, account })), scope) };
      } catch (error) {
        if (error instanceof SpokeAccessError) return { actions: accessAlert(event, error, region, true) };
        return { actions: [], failure: `account ${account}: ${describeError(error)}` };
      }
    });
    const actions = turns.flatMap((t) => t.actions);
    const failures = turns.flatMap((t) => (t.failure ? [t.failure] : []));
    return { actions, ...(failures.length ? { failed: new ReflexError(`the timer failed in ${failures.length} account(s): ${failures.join('; ')}`) } : {}) };
  };

  const processRecord = async (record: SQSRecord): Promise<void> => {
    logger.appendKeys({ messageId: record.messageId, receiveCount: Number(record.attributes.ApproximateReceiveCount) });
    try {
      const parsed = z.safeParse(schema, parseBody(record.body));
      if (!parsed.success) {
        throw new MalformedEventError(`malformed event: ${describeIssues(parsed.error)}`, { cause: parsed.error });
      }
      const event = parsed.data as z.output<S> & ReceivedEvent;
      logger.appendKeys({ eventId: event.id, source: event.source, detailType: event['detail-type'] });
      if (manifest.loopGuard?.skipOwnCalls !== false && causedByOwnRole(event as { detail?: unknown }, settings.ownRolePrefix)) {
        logger.info('skipped: caused by a Reflex role (loop guard)');
        return;
      }
      const { actions, failed } = await act(event);
      for (const action of actions) logger.info('action', { action });
      await emit(actions);
      if (failed) throw failed;
    } catch (error) {
      logger.error('record failed; it stays on the queue for a retry or its dead-letter queue', {
        reason: describeError(error),
      });
      throw error;
    } finally {
      logger.removeKeys(['messageId', 'receiveCount', 'eventId', 'source', 'detailType']);
    }
  };

  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event, context) => {
      // A fresh processor per invocation: one invocation's failures never leak into the next one's response.
      const processor = new BatchProcessor(EventType.SQS);
      return processPartialResponse(event, processRecord, processor, {
        context,
        processInParallel: false,
        throwOnFullBatchFailure: false,
      });
    });
}

/** What the kit reads of every event it hands to a reflex. */
type ReceivedEvent = { id: string; source: string; 'detail-type': string; account?: string; region?: string };

/** How many accounts' turns of a timer run at once (each its own account scope). */
const TIMER_ACCOUNTS_AT_ONCE = 4;

/** `work` for each item, at most `limit` at once; the results in the items' order. */
async function inTurns<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** A member account's access failure is alerted at most this often per account (per warm function). */
const ALERT_EVERY_MS = 15 * 60_000;

/** Where an action was taken: the event's account and Region, and the spoke role session in a member account. */
function whereActed(event: ReceivedEvent, scope?: AccountScope): Pick<ReflexActionDetail, 'account' | 'region' | 'roleSession'> {
  const account = scope?.account ?? event.account;
  const region = scope?.region || event.region;
  return {
    ...(account && /^\d{12}$/.test(account) ? { account } : {}),
    ...(region ? { region } : {}),
    ...(scope?.roleSession ? { roleSession: scope.roleSession } : {}),
  };
}

/**
 * The JSON of an SQS record's body.
 *
 * @throws MalformedEventError when the body is not JSON.
 */
function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (cause) {
    throw new MalformedEventError(`malformed event: body is not JSON (${(cause as Error).message})`, { cause });
  }
}

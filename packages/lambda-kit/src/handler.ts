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
import { describeError, MalformedEventError } from './errors';
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

  const processRecord = async (record: SQSRecord): Promise<void> => {
    logger.appendKeys({ messageId: record.messageId, receiveCount: Number(record.attributes.ApproximateReceiveCount) });
    try {
      const parsed = z.safeParse(schema, parseBody(record.body));
      if (!parsed.success) {
        throw new MalformedEventError(`malformed event: ${describeIssues(parsed.error)}`, { cause: parsed.error });
      }
      const event = parsed.data as z.output<S> & { id: string; source: string; 'detail-type': string };
      logger.appendKeys({ eventId: event.id, source: event.source, detailType: event['detail-type'] });
      if (manifest.loopGuard?.skipOwnCalls !== false && causedByOwnRole(event as { detail?: unknown }, settings.ownRolePrefix)) {
        logger.info('skipped: caused by a Reflex role (loop guard)');
        return;
      }
      const reports = await handle(event);
      const actions: ReflexActionDetail[] = reports.map((report) => ({
        ...report,
        reflex: manifest.name,
        env: settings.env,
        dryRun: settings.dryRun,
        cause: { eventId: event.id, source: event.source, detailType: event['detail-type'] },
      }));
      for (const action of actions) logger.info('action', { action });
      if (actions.length > 0) await emitter.emit(actions);
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

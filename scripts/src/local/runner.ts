import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { bundlePath } from '../lib/bundle';
import { localAwsEnv, localClientConfig } from '@reflex/local-aws';
import type { HttpApiResponse } from '@reflex/events';
import type { HttpTrigger } from '@reflex/manifest';
import { RuntimeEnvSchema } from '@reflex/lambda-kit';
import type { DeployedHttpReflex, DeployedReflex, LocalDeployment } from './deploy';
import { LOCAL_OPERATOR, LocalHttpApi } from './http-api';

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

/** Counts per reflex, for the demo's summary and the tests. */
export interface ReflexStats {
  invocations: number;
  succeeded: number;
  failed: number;
}

export interface LocalRunnerOptions {
  readonly root: string;
  readonly log?: (line: string) => void;
  /** Long-poll wait per receive. @default 2 (short, so that Ctrl-C stops quickly) */
  readonly waitSeconds?: number;
  /**
   * Make failed messages visible again after this many seconds instead of the queue's visibility timeout
   * (6× the function timeout). Lambda does not do this; it only makes local retries quick.
   * @default undefined (the queue's visibility timeout decides, as with Lambda)
   */
  readonly failureVisibilitySeconds?: number;
  /** The port of the local HTTP API that serves the http triggers. @default a free one (REFLEX_API_PORT if set) */
  readonly apiPort?: number;
}

const RECEIVE_MAX = 10;

/** The variables the stacks set per function (some only for some functions): cleared before each bundle loads. */
const FUNCTION_VARIABLES = Object.keys(RuntimeEnvSchema.shape);

/**
 * Does locally what Lambda's SQS event source mapping does: long-polls each reflex's queue, invokes the
 * built bundle in-process with a Lambda-like context, deletes what succeeded, and leaves failures to the
 * visibility timeout (and so, after `maxReceiveCount` receives, to the dead-letter queue).
 */
export class LocalRunner {
  readonly stats = new Map<string, ReflexStats>();
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly sqs: SQSClient;
  private readonly log: (line: string) => void;
  private api?: LocalHttpApi;
  /** Where the http triggers are served (`http://127.0.0.1:<port>`), once started; empty without http reflexes. */
  apiUrl = '';

  constructor(
    private readonly deployment: LocalDeployment,
    private readonly options: LocalRunnerOptions,
  ) {
    this.sqs = new SQSClient(localClientConfig(deployment.endpoint, deployment.region));
    this.log = options.log ?? (() => {});
  }

  /** Loads every bundle (cold start) and starts polling. */
  async start(): Promise<void> {
    Object.assign(process.env, localAwsEnv(this.deployment.endpoint, this.deployment.region));
    for (const reflex of this.deployment.reflexes) {
      if (reflex.consumer === 'worker') {
        // EventBridge fires schedules whoever consumes the queue.
        this.playSchedules(reflex);
        this.log(`runner: ${reflex.manifest.name} ← ${reflex.queueUrl} is left to its worker`);
        continue;
      }
      const handler = await this.load(reflex);
      const { Attributes } = await this.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: reflex.queueUrl, AttributeNames: ['QueueArn'] }),
      );
      this.stats.set(reflex.manifest.name, { invocations: 0, succeeded: 0, failed: 0 });
      this.loops.push(this.poll(reflex, handler, Attributes?.QueueArn ?? reflex.queueUrl));
      this.playSchedules(reflex);
      this.log(`runner: ${reflex.manifest.name} ← ${reflex.queueUrl}`);
    }
    await this.serveHttp();
  }

  /**
   * Serves the routes of every reflex with http triggers on a loopback port, as the environment's HTTP API
   * would: SigV4 with the local credentials, signed in as `arn:aws:iam::<account>:user/local-operator`.
   */
  private async serveHttp(): Promise<void> {
    const reflexes = this.deployment.httpReflexes ?? [];
    if (reflexes.length === 0) return;
    const routes = [];
    for (const reflex of reflexes) {
      const invoke = (await this.load(reflex)) as unknown as (event: unknown, context: Context) => Promise<HttpApiResponse>;
      const timeoutMs = reflex.manifest.timeoutSeconds * 1000;
      const name = `reflex-local-${reflex.manifest.name}`;
      for (const trigger of reflex.manifest.triggers.filter((t): t is HttpTrigger => t.kind === 'http')) {
        routes.push({ reflex: reflex.manifest.name, trigger, invoke, context: () => lambdaContext(name, reflex.manifest.memoryMb, this.deployment.region, this.deployment.account, timeoutMs) });
      }
    }
    const { AWS_ACCESS_KEY_ID: accessKeyId = 'test', AWS_SECRET_ACCESS_KEY: secretAccessKey = 'test' } = localAwsEnv(this.deployment.endpoint, this.deployment.region);
    this.api = new LocalHttpApi(routes, {
      region: this.deployment.region,
      port: this.options.apiPort ?? (Number(process.env.REFLEX_API_PORT) || 0),
      identities: [{ accessKeyId, secretAccessKey, accountId: this.deployment.account, userArn: `arn:aws:iam::${this.deployment.account}:user/${LOCAL_OPERATOR}` }],
      log: this.log,
    });
    this.apiUrl = await this.api.start();
    this.log(`runner: ${reflexes.map((r) => r.manifest.name).join(', ')} ← ${this.apiUrl} (${routes.length} routes, SigV4 with the local credentials)`);
  }

  /**
   * Plays EventBridge's schedule rule for a reflex (moto does not fire schedules): sends the Scheduled Event
   * the rule would send at `at` to the reflex's queue.
   */
  async tick(name: string, at: Date = new Date()): Promise<void> {
    const reflex = this.deployment.reflexes.find((r) => r.manifest.name === name);
    if (!reflex) throw new Error(`no reflex "${name}" is deployed`);
    const account = reflex.queueUrl.split('/').at(-2) ?? '123456789012';
    const index = reflex.manifest.triggers.findIndex((t) => t.kind === 'schedule');
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account,
      time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.deployment.region,
      resources: [`arn:aws:events:${this.deployment.region}:${account}:rule/${reflex.queueUrl.split('/').pop()}-${index}`],
      detail: {},
    };
    await this.sqs.send(new SendMessageCommand({ QueueUrl: reflex.queueUrl, MessageBody: JSON.stringify(event) }));
  }

  /** Ticks every schedule trigger at its rate (`rate(N minutes|hours)`; cron schedules are not played). */
  private playSchedules(reflex: DeployedReflex): void {
    for (const trigger of reflex.manifest.triggers) {
      if (trigger.kind !== 'schedule') continue;
      const rate = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(trigger.expression);
      if (!rate) {
        this.log(`runner: ${reflex.manifest.name}: ${trigger.expression} is not played locally (only rate(...) is)`);
        continue;
      }
      const ms = Number(rate[1]) * (rate[2]!.startsWith('hour') ? 3_600_000 : 60_000);
      const timer = setInterval(() => void this.tick(reflex.manifest.name).catch((e: Error) => this.log(`runner: tick failed: ${e.message}`)), ms);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Stops polling and waits for in-flight invocations to finish. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.abort.abort();
    await this.api?.stop();
    await Promise.allSettled(this.loops);
    this.sqs.destroy();
  }

  /** Imports a bundle with its function's environment, as a cold start would. */
  private async load(reflex: DeployedReflex | DeployedHttpReflex): Promise<SqsHandler> {
    // The bundle reads its settings at import; each gets its own module instance (the query string).
    // NODE_OPTIONS is for Lambda's node (source-mapped stacks); here it would reach every process started later.
    const { NODE_OPTIONS: _nodeOptions, ...environment } = reflex.environment;
    // One process for every bundle: a variable another function had (its spokes, its table) must not leak in.
    for (const key of FUNCTION_VARIABLES) delete process.env[key];
    Object.assign(process.env, environment);
    const url = `${pathToFileURL(bundlePath(this.options.root, reflex.manifest.name)).href}?instance=${randomUUID()}`;
    const mod = (await import(url)) as { handler?: SqsHandler };
    if (typeof mod.handler !== 'function') throw new Error(`bundle of ${reflex.manifest.name} exports no handler`);
    return mod.handler;
  }

  private async poll(reflex: DeployedReflex, handler: SqsHandler, queueArn: string): Promise<void> {
    const { signal } = this.abort;
    const batchSize = Math.min(reflex.manifest.batchSize, RECEIVE_MAX);
    while (!signal.aborted) {
      let messages: Message[];
      try {
        const out = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: reflex.queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: this.options.waitSeconds ?? 2,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: signal },
        );
        messages = out.Messages ?? [];
      } catch (error) {
        if (signal.aborted) return;
        this.log(`runner: receive from ${reflex.manifest.name} failed: ${(error as Error).message}; retrying`);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (messages.length > 0) await this.invoke(reflex, handler, queueArn, messages);
    }
  }

  private async invoke(reflex: DeployedReflex, handler: SqsHandler, queueArn: string, messages: Message[]) {
    const { manifest } = reflex;
    const stats = this.stats.get(manifest.name)!;
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, queueArn, this.deployment.region)) };
    const timeoutMs = manifest.timeoutSeconds * 1000;
    const context = lambdaContext(reflex.queueUrl.split('/').pop()!, manifest.memoryMb, this.deployment.region, reflex.queueUrl.split('/').at(-2) ?? '123456789012', timeoutMs);
    stats.invocations++;
    let failedIds: Set<string>;
    try {
      const response = await withTimeout(handler(event, context), timeoutMs, `${manifest.name} timed out after ${timeoutMs} ms`);
      failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      // A thrown error (or a timeout) fails the whole batch, as in Lambda.
      this.log(`runner: ${manifest.name} invocation failed: ${(error as Error).message}`);
      failedIds = new Set(messages.map((m) => m.MessageId!));
    }
    const done = messages.filter((m) => !failedIds.has(m.MessageId!));
    const failed = messages.filter((m) => failedIds.has(m.MessageId!));
    stats.succeeded += done.length;
    stats.failed += failed.length;
    if (done.length > 0) {
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: reflex.queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    if (failed.length > 0 && this.options.failureVisibilitySeconds !== undefined) {
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: reflex.queueUrl,
          Entries: failed.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle!,
            VisibilityTimeout: this.options.failureVisibilitySeconds,
          })),
        }),
      );
    }
    this.log(`runner: ${manifest.name}: ${done.length} done, ${failed.length} left for retry`);
  }
}

/**
 * moto 5.2 drops `account` from the events its EventBridge rules deliver to SQS (AWS always sends it).
 * Put it back — the queue's account, as AWS would — and touch nothing else: a body that is not an
 * EventBridge event stays as it is, so malformed input still fails as it would on AWS.
 */
export function mendLocalEnvelope(body: string, account: string): string {
  if (!body.startsWith('{') || body.includes('"account"')) return body;
  try {
    const event = JSON.parse(body) as Record<string, unknown>;
    if (typeof event['detail-type'] !== 'string' || 'account' in event) return body;
    return JSON.stringify({ ...event, account });
  } catch {
    return body;
  }
}

/** An SQS message in the shape Lambda's event source mapping hands to a function. */
export function toRecord(m: Message, queueArn: string, region: string): SQSRecord {
  const a = m.Attributes ?? {};
  return {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: mendLocalEnvelope(m.Body ?? '', queueArn.split(':')[4] ?? ''),
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? String(Date.now()),
      SenderId: a.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** A Lambda-like context for one invocation of the function `name`. */
export function lambdaContext(name: string, memoryMb: number, region: string, account: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${name}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: `local/${new Date().toISOString().slice(0, 10)}/${randomUUID()}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

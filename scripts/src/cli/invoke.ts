import { createHash, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Message } from '@aws-sdk/client-sqs';
import type { ReflexActionDetail } from '@reflex/events';
import { localAwsEnv } from '@reflex/local-aws';
import { awsName, describeError, loadManifests, type ReflexManifest, repoRoot, servesHttp } from '@reflex/manifest';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lambdaContext, toRecord } from '../local/runner';
import { resolveAws, unreachableCode } from './aws';
import { type Command, EXIT, findReflex, out, parseCommandArgs, plural, readEvent, UsageError } from './common';

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

const HELP = `reflex invoke <reflex> <event.json|-> [--dry-run] [--endpoint URL] [--emit] [--env NAME] [--json]

  Runs one reflex's handler on this machine against an EventBridge event, as Lambda would with a
  one-record SQS batch: builds its bundle, sets the function's environment, calls the handler, and
  prints the Reflex Actions it took (or would take) and whether the record failed.

  <reflex>        the reflex, by manifest name
  <event.json|->  the EventBridge event, from a file or from stdin (-)
  --dry-run       act-nothing mode: the reflex checks its calls (EC2 DryRun) and reports "dry-run" actions
  --endpoint URL  the AWS API to use, e.g. moto server (also REFLEX_AWS_ENDPOINT); without either, the
                  running local mode for --env local, the real AWS of the credentials chain for another
                  environment
  --emit          publish the Reflex Action events to the reflex bus (default: only log them)
  --env NAME      the environment whose names and reflex config to use (default local)
  --json          print the result as JSON

  Exit codes: 0 the record succeeded, 1 it failed (or the handler could not run), 2 usage error,
  unreadable, non-JSON or too deeply nested event, unknown reflex, no local mode running, no credentials.`;

/** One log line the handler wrote (Powertools JSON). */
interface LogLine {
  readonly level?: string;
  readonly message?: string;
  readonly [key: string]: unknown;
}

/** What one local invocation produced. */
export interface InvokeResult {
  readonly reflex: string;
  readonly env: string;
  readonly endpoint: string | null;
  readonly dryRun: boolean;
  readonly emitted: boolean;
  readonly failed: boolean;
  readonly reason?: string;
  readonly actions: readonly ReflexActionDetail[];
  /** The handler's other log lines (decisions, errors), as logged. */
  readonly logs: readonly LogLine[];
}

interface Target {
  readonly env: string;
  readonly region: string;
  readonly account: string;
  readonly partition: string;
  readonly config: unknown;
  readonly dryRun: boolean;
}

/** The environment's names and the reflex's config there; an unknown environment gets `{}` and the event's account. */
async function resolveTarget(
  envName: string,
  manifest: ReflexManifest,
  manifests: readonly ReflexManifest[],
  event: Record<string, unknown>,
): Promise<Target> {
  const { ENVIRONMENTS, resolveEnvironment } = await import('@reflex/stacks');
  const input = ENVIRONMENTS.find((e) => e.name === envName);
  const eventAccount = typeof event.account === 'string' ? event.account : undefined;
  if (!input) {
    return {
      env: envName,
      region: process.env.AWS_REGION ?? (typeof event.region === 'string' ? event.region : 'us-east-1'),
      account: eventAccount ?? '123456789012',
      partition: 'aws',
      config: {},
      dryRun: false,
    };
  }
  let resolved: ReturnType<typeof resolveEnvironment>;
  try {
    // The environment's own endpoint setting does not matter here: the invocation's does (resolveAws).
    const { endpoint: _, ...rest } = input;
    resolved = resolveEnvironment(rest, manifests);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { env, reflexes } = resolved;
  const reflex = reflexes.find((r) => r.manifest.name === manifest.name);
  return {
    env: env.name,
    region: env.region,
    account: env.account,
    partition: env.partition,
    config: reflex?.config ?? {},
    // An environment that runs this reflex in dry-run keeps it so here too; --dry-run adds it everywhere.
    dryRun: reflex?.dryRun ?? false,
  };
}

/** Replaces stdout and stderr writes with a collector until the returned function is called. */
function captureOutput(): () => string[] {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const writes = streams.map((s) => s.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((r): r is () => void => typeof r === 'function');
      callback?.();
      return true;
    }) as typeof stream.write;
  }
  return () => {
    streams.forEach((stream, i) => (stream.write = writes[i]!));
    return chunks;
  };
}

/** Splits captured output into JSON log lines and anything else (SDK warnings…). */
function parseLogs(chunks: readonly string[]): { logs: LogLine[]; other: string[] } {
  const logs: LogLine[] = [];
  const other: string[] = [];
  const tryJson = (text: string): LogLine | undefined => {
    try {
      const value = JSON.parse(text) as unknown;
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as LogLine) : undefined;
    } catch {
      return undefined;
    }
  };
  for (const chunk of chunks) {
    // One console call is one write: a whole (possibly pretty-printed, POWERTOOLS_DEV) JSON log line.
    const whole = tryJson(chunk.trim());
    if (whole) {
      logs.push(whole);
      continue;
    }
    for (const line of chunk.split('\n').filter((l) => l.trim())) {
      const parsed = tryJson(line);
      if (parsed) logs.push(parsed);
      else other.push(line);
    }
  }
  return { logs, other };
}

const isAction = (log: LogLine): log is LogLine & { action: ReflexActionDetail } =>
  log.message === 'action' && typeof log.action === 'object' && log.action !== null;

function describeAction(a: ReflexActionDetail): string {
  const targets = a.targets.map((t) => t.id).join(', ');
  const outcome = a.outcome === 'dry-run' ? 'dry-run (not carried out)' : a.outcome;
  return `${a.action} ${targets} → ${outcome} [${a.severity}]: ${a.reason}${a.error ? ` (error: ${a.error})` : ''}`;
}

export const invokeCommand: Command = {
  name: 'invoke',
  summary: "run one reflex's handler locally against an event and print the actions it takes",
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      'dry-run': { type: 'boolean', default: false },
      endpoint: { type: 'string' },
      emit: { type: 'boolean', default: false },
      env: { type: 'string', default: 'local' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length !== 2) {
      throw new UsageError(
        positionals.length < 2 ? 'expected a reflex and an event file (or - for stdin)' : `expected a reflex and one event file, got ${positionals.length} arguments`,
        true,
      );
    }
    const [name, eventPath] = positionals as [string, string];

    const root = repoRoot();
    const manifests = await loadManifests(root);
    const manifest = findReflex(manifests, name);
    if (servesHttp(manifest)) {
      throw new UsageError(`${manifest.name} answers signed HTTP requests, not events: call it with \`reflex routes get|put|delete\` (or any SigV4 client)`);
    }
    const input = readEvent(eventPath);
    const target = await resolveTarget(values.env, manifest, manifests, input.event);
    const aws = await resolveAws({ endpoint: values.endpoint, env: target.env, region: target.region, root });
    const endpoint = aws.endpoint;
    const dryRun = values['dry-run'] || target.dryRun;

    const { bundleFunction } = await import('../lib/bundle');
    let bundle: string;
    try {
      bundle = (await bundleFunction(root, manifest.name, { ifChanged: true })).file;
    } catch (error) {
      process.stderr.write(`reflex invoke: cannot build ${manifest.name}: ${(error as Error).message}\n`);
      return EXIT.failed;
    }

    // The function's environment, as the stacks (or the local runner) give it; the bundle reads it at import.
    const environment: Record<string, string> = {
      REFLEX_ENV: target.env,
      REFLEX_BUS_NAME: awsName(target.env, 'bus'),
      REFLEX_DRY_RUN: String(dryRun),
      REFLEX_CONFIG: JSON.stringify(target.config ?? {}),
      REFLEX_ACTIONS_SINK: values.emit ? 'eventbridge' : 'log',
      // The queues it sends to, by their names in that environment (a local AWS serves them under its endpoint).
      REFLEX_SEND_QUEUES: JSON.stringify(
        Object.fromEntries(
          manifest.sendsTo.map((to) => [
            to,
            `${endpoint ?? `https://sqs.${target.region}.amazonaws.com`}/${target.account}/${awsName(target.env, to)}`,
          ]),
        ),
      ),
    };
    Object.assign(process.env, environment);
    if (endpoint) Object.assign(process.env, localAwsEnv(endpoint, target.region));
    else process.env.AWS_REGION ??= target.region;
    // Actions are read from the INFO log lines; a quieter level would hide them.
    if (!['DEBUG', 'TRACE'].includes((process.env.POWERTOOLS_LOG_LEVEL ?? '').toUpperCase())) process.env.POWERTOOLS_LOG_LEVEL = 'INFO';

    const queueName = awsName(target.env, manifest.name);
    const queueArn = `arn:${target.partition}:sqs:${target.region}:${target.account}:${queueName}`;
    // The event as given: number literals beyond double precision stay exact, as EventBridge delivers them.
    const body = input.text;
    const now = String(Date.now());
    const message: Message = {
      MessageId: randomUUID(),
      ReceiptHandle: randomUUID(),
      Body: body,
      MD5OfBody: createHash('md5').update(body).digest('hex'),
      Attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'reflex-invoke', ApproximateFirstReceiveTimestamp: now },
    };
    const sqsEvent: SQSEvent = { Records: [toRecord(message, queueArn, target.region)] };
    const context = lambdaContext(queueName, manifest.memoryMb, target.region, target.account, manifest.timeoutSeconds * 1000);

    let failed = false;
    let reason: string | undefined;
    const release = captureOutput();
    let chunks: string[];
    try {
      // A fresh module instance (the query string), so that the environment above is the one it reads.
      const mod = (await import(`${pathToFileURL(bundle).href}?instance=${randomUUID()}`)) as { handler?: SqsHandler };
      if (typeof mod.handler !== 'function') throw new Error(`the bundle of ${manifest.name} exports no handler`);
      const response = await mod.handler(sqsEvent, context);
      failed = (response?.batchItemFailures ?? []).some((f) => f.itemIdentifier === message.MessageId);
    } catch (error) {
      // A thrown error (a cold start that fails, say on a bad config) fails the whole batch, as in Lambda.
      failed = true;
      reason = describeError(error); // as the kit logs a failed record's reason
    } finally {
      chunks = release();
    }

    const { logs, other } = parseLogs(chunks);
    const actions = logs.filter(isAction).map((l) => l.action);
    const rest = logs.filter((l) => !isAction(l));
    if (failed && reason === undefined) {
      const logged = rest.find((l) => l.level === 'ERROR' && typeof l.reason === 'string');
      reason = (logged?.reason as string | undefined) ?? 'the handler reported the record as failed';
    }
    // The reflex names its call and the socket's address; say which AWS API that was.
    if (reason !== undefined && unreachableCode(reason)) reason = `cannot reach ${aws.describe()} ← ${reason}`;
    for (const line of other) process.stderr.write(`${line}\n`);

    const result: InvokeResult = {
      reflex: manifest.name,
      env: target.env,
      endpoint: endpoint ?? null,
      dryRun,
      emitted: values.emit,
      failed,
      ...(reason !== undefined ? { reason } : {}),
      actions,
      logs: rest,
    };
    if (values.json) {
      out(JSON.stringify(result, null, 2));
    } else {
      out(
        `invoked ${manifest.name} in env "${target.env}" against ${endpoint ?? 'AWS (credentials chain)'}` +
          `${dryRun ? ', dry-run' : ''}; actions ${values.emit ? `emitted to ${environment.REFLEX_BUS_NAME}` : `only logged (--emit publishes them to ${environment.REFLEX_BUS_NAME})`}`,
      );
      for (const log of rest) {
        if (log.level === 'ERROR') continue; // shown as the failure reason below
        out(`  log     ${log.message ?? JSON.stringify(log)}`);
      }
      for (const action of actions) out(`  action  ${describeAction(action)}`);
      if (failed) out(`record failed: ${reason?.replace(/\s*\n\s*/g, ' ')}`);
      else out(`record succeeded: ${plural(actions.length, 'action')}`);
    }
    return failed ? EXIT.failed : EXIT.ok;
  },
};

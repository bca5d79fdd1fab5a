import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import {
  type AwsApiCall,
  AwsApiCallSchema,
  type Ec2StateChange,
  Ec2StateChangeSchema,
  ReflexActionDetailSchema,
} from '@reflex/events';
import { defineReflex } from '@reflex/manifest';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from '@reflex/events/zod';
import { type ActionEmitter, MemoryEmitter } from './emitter';
import { ConfigError } from './errors';
import { type ActionReport, type EventHandler, type ReflexRuntime, reflexHandler } from './handler';

const stateChange = fixture('ec2/instance-state-change.json');
const stopInstances = fixture('cloudtrail/stop-instances.json');

const ConfigSchema = z.object({ protectTag: z._default(z.string(), 'reflex:protect') });
const manifest = defineReflex({
  name: 'tiny',
  description: 'A reflex for tests.',
  triggers: [{ kind: 'event', pattern: { source: ['aws.ec2'] } }],
  permissions: () => [],
  config: ConfigSchema,
});
type Config = z.output<typeof ConfigSchema>;

const env = { REFLEX_ENV: 'test', REFLEX_BUS_NAME: 'bus', REFLEX_DRY_RUN: 'false', REFLEX_CONFIG: '{}' };
const logger = new Logger({ serviceName: 'reflex-tiny', logLevel: 'SILENT' });

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'reflex-test-tiny',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:reflex-test-tiny',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/reflex-test-tiny',
  logStreamName: '2021/11/11/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

const record = (messageId: string, body: string): SQSRecord => ({
  messageId,
  receiptHandle: `handle-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '1636666194000',
    SenderId: 'AIDAEXAMPLE',
    ApproximateFirstReceiveTimestamp: '1636666194001',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:reflex-test-tiny',
  awsRegion: 'us-east-1',
});
const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

/** The EC2 sample state change with another instance id and state. */
const ec2Event = (instanceId: string, state = 'stopped') => {
  const event = structuredClone(stateChange);
  event.id = `event-${instanceId}`;
  event.detail['instance-id'] = instanceId;
  event.detail.state = state;
  return event;
};

/** The StopInstances sample as if the assumed role `role` had made the call. */
const callByRole = (role: string) => {
  const event = structuredClone(stopInstances);
  event.id = `call-by-${role}`;
  event.detail.userIdentity = {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLEID:session',
    arn: `arn:aws:sts::123456789012:assumed-role/${role}/session`,
    accountId: '123456789012',
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEID', arn: `arn:aws:iam::123456789012:role/${role}`, accountId: '123456789012', userName: role },
    },
  };
  return event;
};

const startReport = (instanceId: string): ActionReport => ({
  action: 'ec2:StartInstances',
  targets: [{ id: instanceId, arn: `arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}` }],
  reason: 'the instance is protected',
  outcome: 'succeeded',
  severity: 'info',
});

/** A handler over EC2 state changes whose reflex records what it saw and reports `reports(event)`. */
const ec2Reflex = (
  options: {
    reports?: (event: Ec2StateChange) => readonly ActionReport[];
    emitter?: ActionEmitter;
    env?: Record<string, string | undefined>;
  } = {},
) => {
  const seen: Ec2StateChange[] = [];
  const runtimes: ReflexRuntime<Config>[] = [];
  const emitter = options.emitter ?? new MemoryEmitter();
  const handler = reflexHandler({
    manifest,
    schema: Ec2StateChangeSchema,
    emitter,
    env: options.env ?? env,
    logger,
    init: (runtime): EventHandler<Ec2StateChange> => {
      runtimes.push(runtime);
      return async (event) => {
        seen.push(event);
        return options.reports?.(event) ?? [];
      };
    },
  });
  return { handler, seen, runtimes, emitter };
};

describe('reflexHandler', () => {
  it('fails exactly the malformed records of a batch and hands the valid event to the reflex', async () => {
    const { handler, seen } = ec2Reflex();
    const wrongShape = structuredClone(stateChange);
    delete wrongShape.detail['instance-id'];

    const response = await handler(
      batch(
        record('valid', JSON.stringify(ec2Event('i-abcd1111'))),
        record('not-json', '{"id": "7bf73129",'),
        record('wrong-shape', JSON.stringify(wrongShape)),
      ),
      context,
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'not-json' }, { itemIdentifier: 'wrong-shape' }]);
    expect(seen.map((event) => event.detail['instance-id'])).toEqual(['i-abcd1111']);
  });

  it('logs a malformed record with the field it misses, through the closest branch of a union schema', async () => {
    const lines: Record<string, unknown>[] = [];
    const recording = new Logger({ serviceName: 'reflex-tiny', logLevel: 'SILENT' });
    recording.error = ((message: string, extra: Record<string, unknown>) => void lines.push({ message, ...extra })) as Logger['error'];
    const handler = reflexHandler({
      manifest,
      schema: z.union([Ec2StateChangeSchema, AwsApiCallSchema]),
      env,
      logger: recording,
      emitter: new MemoryEmitter(),
      init: () => async () => [],
    });
    const noDetail = structuredClone(stateChange);
    delete noDetail.detail;

    const response = await handler(batch(record('no-detail', JSON.stringify(noDetail))), context);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'no-detail' }]);
    expect(lines).toEqual([expect.objectContaining({ reason: 'MalformedEventError: malformed event: detail: required (expected object)' })]);
  });

  it('answers with no failures when every record is handled', async () => {
    const { handler } = ec2Reflex();

    const response = await handler(batch(record('m1', JSON.stringify(ec2Event('i-abcd1111')))), context);

    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('emits the reports of the reflex with reflex, env, dryRun, cause, account and Region filled in', async () => {
    const emitter = new MemoryEmitter();
    const { handler } = ec2Reflex({ emitter, reports: (event) => [startReport(event.detail['instance-id'])] });
    const event = ec2Event('i-abcd1111');

    await handler(batch(record('m1', JSON.stringify(event))), context);

    expect(emitter.emitted).toEqual([
      {
        ...startReport('i-abcd1111'),
        reflex: 'tiny',
        env: 'test',
        dryRun: false,
        cause: { eventId: event.id, source: 'aws.ec2', detailType: 'EC2 Instance State-change Notification' },
        account: event.account,
        region: event.region,
      },
    ]);
  });

  it('emits actions that are valid Reflex Action details', async () => {
    const emitter = new MemoryEmitter();
    const { handler } = ec2Reflex({ emitter, reports: (event) => [startReport(event.detail['instance-id'])] });

    await handler(batch(record('m1', JSON.stringify(ec2Event('i-abcd1111')))), context);

    expect(emitter.emitted.map((action) => ReflexActionDetailSchema.safeParse(action).success)).toEqual([true]);
  });

  it('fails only the record whose reflex throws', async () => {
    const emitter = new MemoryEmitter();
    const { handler } = ec2Reflex({
      emitter,
      reports: (event) => {
        if (event.detail['instance-id'] === 'i-0bad0bad') throw new Error('DescribeInstances timed out');
        return [startReport(event.detail['instance-id'])];
      },
    });

    const response = await handler(
      batch(
        record('first', JSON.stringify(ec2Event('i-abcd1111'))),
        record('throws', JSON.stringify(ec2Event('i-0bad0bad'))),
        record('third', JSON.stringify(ec2Event('i-abcd2222'))),
      ),
      context,
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'throws' }]);
    expect(emitter.emitted.map((action) => action.targets[0]?.id)).toEqual(['i-abcd1111', 'i-abcd2222']);
  });

  it('fails the record whose actions cannot be emitted', async () => {
    const failing: ActionEmitter = { emit: async () => Promise.reject(new Error('bus unavailable')) };
    const { handler } = ec2Reflex({ emitter: failing, reports: (event) => [startReport(event.detail['instance-id'])] });

    const response = await handler(batch(record('m1', JSON.stringify(ec2Event('i-abcd1111')))), context);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
  });

  it('does not carry the failures of one invocation into the next', async () => {
    const { handler } = ec2Reflex();
    await handler(batch(record('bad', 'not json')), context);

    const response = await handler(batch(record('good', JSON.stringify(ec2Event('i-abcd1111')))), context);

    expect(response.batchItemFailures).toEqual([]);
  });

  it('passes dryRun true to init when REFLEX_DRY_RUN is "true"', () => {
    const { runtimes } = ec2Reflex({ env: { ...env, REFLEX_DRY_RUN: 'true' } });

    expect(runtimes.map((runtime) => runtime.dryRun)).toEqual([true]);
  });

  it('marks emitted actions as dry-run when REFLEX_DRY_RUN is "true"', async () => {
    const emitter = new MemoryEmitter();
    const { handler } = ec2Reflex({
      emitter,
      env: { ...env, REFLEX_DRY_RUN: 'true' },
      reports: (event) => [{ ...startReport(event.detail['instance-id']), outcome: 'dry-run' }],
    });

    await handler(batch(record('m1', JSON.stringify(ec2Event('i-abcd1111')))), context);

    expect(emitter.emitted.map((action) => action.dryRun)).toEqual([true]);
  });

  it('hands init the parsed config, env, bus name and own role prefix', () => {
    const { runtimes } = ec2Reflex({ env: { ...env, REFLEX_CONFIG: '{"protectTag":"team:keep"}' } });

    expect(runtimes[0]).toMatchObject({
      env: 'test',
      busName: 'bus',
      dryRun: false,
      config: { protectTag: 'team:keep' },
      ownRolePrefix: 'reflex-test-',
    });
  });

  it('calls init once, however many invocations follow', async () => {
    const { handler, runtimes } = ec2Reflex();

    await handler(batch(record('m1', JSON.stringify(ec2Event('i-abcd1111')))), context);
    await handler(batch(record('m2', JSON.stringify(ec2Event('i-abcd2222')))), context);

    expect(runtimes).toHaveLength(1);
  });

  it('fails the cold start with a ConfigError when the environment is wrong', () => {
    expect(() => ec2Reflex({ env: { ...env, REFLEX_DRY_RUN: 'maybe' } })).toThrow(ConfigError);
  });
});

describe('reflexHandler loop guard', () => {
  const apiCallReflex = (of: typeof manifest = manifest) => {
    const seen: AwsApiCall[] = [];
    const handler = reflexHandler({
      manifest: of,
      schema: AwsApiCallSchema,
      emitter: new MemoryEmitter(),
      env,
      logger,
      init: () => async (event) => {
        seen.push(event);
        return [];
      },
    });
    return { handler, seen };
  };

  it('skips, without failing, an API call made by a role of the same environment', async () => {
    const { handler, seen } = apiCallReflex();

    const response = await handler(batch(record('own', JSON.stringify(callByRole('reflex-test-scheduler')))), context);

    expect(response.batchItemFailures).toEqual([]);
    expect(seen).toEqual([]);
  });

  it("handles an own role's API call when the manifest turns the loop guard off", async () => {
    const auditor = { ...manifest, loopGuard: { skipOwnCalls: false, reason: 'audits what Reflex does', ignores: [] } };
    const { handler, seen } = apiCallReflex(auditor);

    await handler(batch(record('own', JSON.stringify(callByRole('reflex-test-scheduler')))), context);

    expect(seen.map((event) => event.id)).toEqual(['call-by-reflex-test-scheduler']);
  });

  it('handles an API call made by another role', async () => {
    const { handler, seen } = apiCallReflex();

    await handler(batch(record('other', JSON.stringify(callByRole('ops-admin')))), context);

    expect(seen.map((event) => event.id)).toEqual(['call-by-ops-admin']);
  });

  it('handles an API call made by a Reflex role of another environment', async () => {
    const { handler, seen } = apiCallReflex();

    await handler(batch(record('prod', JSON.stringify(callByRole('reflex-prod-scheduler')))), context);

    expect(seen.map((event) => event.id)).toEqual(['call-by-reflex-prod-scheduler']);
  });

  it('handles an API call made by an IAM user', async () => {
    const { handler, seen } = apiCallReflex();

    await handler(batch(record('alice', JSON.stringify(stopInstances))), context);

    expect(seen.map((event) => event.detail.userIdentity.userName)).toEqual(['Alice']);
  });
});

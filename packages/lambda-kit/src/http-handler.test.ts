import { describe, expect, it } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import { fixture } from '@reflex/events/fixtures';
import { createStateTable, localLoader, useMoto } from '@reflex/local-aws/testing';
import { defineReflex } from '@reflex/manifest';
import type { Context } from 'aws-lambda';
import * as z from '@reflex/events/zod';
import { dynamoIdempotencyStore } from './adapters/dynamodb-idempotency';
import { MemoryEmitter } from './emitter';
import { HttpError, httpHandler, type HttpRequest, principalMatches } from './http-handler';

const manifest = defineReflex({
  name: 'route-api',
  description: 'Test API.',
  triggers: [
    { kind: 'http', method: 'GET', path: '/things/{id}' },
    { kind: 'http', method: 'PUT', path: '/things/{id}' },
  ],
  permissions: () => [],
  config: z.object({}),
  state: { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl' },
});

const USER = 'arn:aws:iam::111122223333:user/example-user';
const env = { REFLEX_ENV: 'test', REFLEX_BUS_NAME: 'bus', REFLEX_DRY_RUN: 'false', REFLEX_STATE_TABLE: 'reflex-test-route-api' };

let loadDynamo: Parameters<typeof dynamoIdempotencyStore>[1];
useMoto(async (aws) => {
  const dynamos = await localLoader(aws.endpoint, () => import('@aws-sdk/client-dynamodb'), (sdk, config) => new sdk.DynamoDBClient(config));
  loadDynamo = dynamos.loader;
  await createStateTable(dynamos.client, env.REFLEX_STATE_TABLE);
  return dynamos;
});

const context = { getRemainingTimeInMillis: () => 10_000, awsRequestId: 'local', functionName: 'reflex-test-route-api' } as Context;

/** The documented payload 2.0 request, turned into `<method> /things/<id>` with a body and headers. */
function request(method: 'GET' | 'PUT', id: string, options: { body?: unknown; key?: string; principal?: string; iam?: false } = {}) {
  const event = fixture('apigateway/http-api-iam.json');
  event.routeKey = `${method} /things/{id}`;
  event.requestContext.routeKey = event.routeKey;
  event.requestContext.http.method = method;
  event.rawPath = `/things/${encodeURIComponent(id)}`;
  event.requestContext.http.path = event.rawPath;
  event.pathParameters = { id: encodeURIComponent(id) };
  event.requestContext.requestId = `req-${Math.random()}`;
  delete event.queryStringParameters;
  event.rawQueryString = '';
  event.headers = options.key ? { 'idempotency-key': options.key } : {};
  if (options.body === undefined) delete event.body;
  else event.body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  if (options.principal) event.requestContext.authorizer.iam.userArn = options.principal;
  if (options.iam === false) delete event.requestContext.authorizer;
  return event;
}

/** A handler whose PUT stores the body, counting calls; `gate` holds a PUT until released. */
function api(extraEnv: Record<string, string> = {}) {
  const emitter = new MemoryEmitter();
  const calls: HttpRequest[] = [];
  const stored = new Map<string, unknown>();
  let gate: Promise<void> | undefined;
  const handler = httpHandler({
    manifest,
    emitter,
    env: { ...env, ...extraEnv },
    logger: new Logger({ logLevel: 'SILENT' }),
    // The default store, on moto's DynamoDB; records of the handlers of different tests kept apart by their keys.
    idempotencyStore: dynamoIdempotencyStore(env.REFLEX_STATE_TABLE, loadDynamo),
    init: () => ({
      'GET /things/{id}': async (r) => ({ status: 200, body: { id: r.pathParameters.id, value: stored.get(r.pathParameters.id!) ?? null } }),
      'PUT /things/{id}': async (r) => {
        const id = r.pathParameters.id!;
        calls.push(r);
        await gate;
        if ((r.body as { fail?: string })?.fail === 'invalid') throw new HttpError(400, 'invalid-request', 'bad value', [{ path: 'value', message: 'no' }]);
        if ((r.body as { fail?: string })?.fail === 'crash') throw new Error('EC2 is down');
        stored.set(id, r.body);
        return {
          status: 200,
          body: { id, value: r.body },
          actions: [{ action: 'test:Put', targets: [{ id }], reason: 'asked to', outcome: 'succeeded', severity: 'info' }],
        };
      },
    }),
  });
  return {
    handler,
    emitter,
    calls,
    stored,
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
    call: async (event: unknown) => {
      const response = await handler(event, context);
      return { ...response, json: JSON.parse(response.body) };
    },
  };
}

describe('httpHandler', () => {
  it('answers a GET by its route key, with the path parameter decoded, and needs no key', async () => {
    const { call } = api();

    const response = await call(request('GET', '10.0.0.0/16'));

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.json).toEqual({ id: '10.0.0.0/16', value: null });
  });

  it('refuses a write without an Idempotency-Key: 400 naming the header, and runs nothing', async () => {
    const { call, calls } = api();

    const response = await call(request('PUT', 'a', { body: { v: 1 } }));

    expect(response.statusCode).toBe(400);
    expect(response.json.problems).toEqual([{ path: 'header.idempotency-key', message: expect.stringContaining('Idempotency-Key') }]);
    expect(calls).toHaveLength(0);
  });

  it('answers a replay with the stored response, marked, without running or emitting again', async () => {
    const { call, calls, emitter } = api();
    const first = await call(request('PUT', 'a', { body: { v: 1 }, key: 'k-1' }));

    const replay = await call(request('PUT', 'a', { body: { v: 1 }, key: 'k-1' }));

    expect(first.statusCode).toBe(200);
    expect(replay.statusCode).toBe(200);
    expect(replay.json).toEqual(first.json);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(calls).toHaveLength(1);
    expect(emitter.emitted).toHaveLength(1);
    expect(emitter.emitted[0]).toMatchObject({ caller: { principal: USER, idempotencyKey: 'k-1' }, cause: { source: 'https', detailType: 'PUT /things/{id}' } });
  });

  it('answers 422 for a key used again with another body, and changes nothing', async () => {
    const { call, calls, stored } = api();
    await call(request('PUT', 'a', { body: { v: 1 }, key: 'k-2' }));

    const reused = await call(request('PUT', 'a', { body: { v: 2 }, key: 'k-2' }));

    expect(reused.statusCode).toBe(422);
    expect(reused.json.error).toBe('idempotency-key-reused');
    expect(calls).toHaveLength(1);
    expect(stored.get('a')).toEqual({ v: 1 });
  });

  it('scopes keys by caller: another principal with the same key is a request of its own', async () => {
    const { call, calls } = api();
    await call(request('PUT', 'a', { body: { v: 1 }, key: 'k-3' }));

    const other = await call(request('PUT', 'a', { body: { v: 1 }, key: 'k-3', principal: 'arn:aws:iam::111122223333:user/other' }));

    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(calls).toHaveLength(2);
  });

  it('answers 409 with Retry-After while a request with the same key is in flight', async () => {
    const { call, hold, calls } = api();
    const release = hold();
    const first = call(request('PUT', 'a', { body: { v: 1 }, key: 'k-4' }));
    while (calls.length === 0) await new Promise((r) => setTimeout(r, 5));

    const second = await call(request('PUT', 'a', { body: { v: 1 }, key: 'k-4' }));
    release();

    expect(second.statusCode).toBe(409);
    expect(second.headers['retry-after']).toBe('1');
    expect((await first).statusCode).toBe(200);
  });

  it('stores a refusal the route handler threw, so that its replay answers the same', async () => {
    const { call, calls } = api();

    const refused = await call(request('PUT', 'a', { body: { fail: 'invalid' }, key: 'k-5' }));
    const replay = await call(request('PUT', 'a', { body: { fail: 'invalid' }, key: 'k-5' }));

    expect(refused.statusCode).toBe(400);
    expect(refused.json).toEqual({ error: 'invalid-request', message: 'bad value', problems: [{ path: 'value', message: 'no' }] });
    expect(replay.json).toEqual(refused.json);
    expect(calls).toHaveLength(1);
  });

  it('answers 500 for a failure and lets a retry with the same key run again', async () => {
    const { call, calls } = api();

    const failed = await call(request('PUT', 'a', { body: { fail: 'crash' }, key: 'k-6' }));
    const retried = await call(request('PUT', 'a', { body: { fail: 'crash' }, key: 'k-6' }));

    expect(failed.statusCode).toBe(500);
    expect(failed.json.error).toBe('internal');
    expect(retried.statusCode).toBe(500);
    expect(calls).toHaveLength(2);
  });

  it('refuses a body that is not JSON, a request without an IAM identity, and an unknown route', async () => {
    const { call } = api();
    const unknown = request('GET', 'a');
    unknown.routeKey = 'GET /nothing';

    expect((await call(request('PUT', 'a', { body: '{"v":', key: 'k-7' }))).json.problems[0].path).toBe('body');
    expect((await call(request('GET', 'a', { iam: false }))).statusCode).toBe(403);
    expect((await call(unknown)).statusCode).toBe(404);
  });

  it('lets only allowed principals call when the environment names them', async () => {
    const { call } = api({ REFLEX_API_PRINCIPALS: JSON.stringify(['arn:aws:iam::111122223333:role/onprem']) });

    const user = await call(request('GET', 'a'));
    const session = await call(request('GET', 'a', { principal: 'arn:aws:sts::111122223333:assumed-role/onprem/pipeline-42' }));

    expect(user.statusCode).toBe(403);
    expect(user.json.error).toBe('principal-not-allowed');
    expect(session.statusCode).toBe(200);
  });
});

describe('principalMatches', () => {
  it.each([
    ['arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::111122223333:user/alice', true],
    ['arn:aws:sts::111122223333:assumed-role/onprem/s1', 'arn:aws:iam::111122223333:role/network/onprem', true],
    ['arn:aws:sts::444455556666:assumed-role/onprem/s1', 'arn:aws:iam::111122223333:role/onprem', false],
    ['arn:aws:sts::111122223333:assumed-role/onprem-admin/s1', 'arn:aws:iam::111122223333:role/onprem', false],
    ['arn:aws:iam::111122223333:user/bob', 'arn:aws:iam::111122223333:root', true],
    ['arn:aws:iam::111122223333:user/bob', 'arn:aws:iam::111122223333:user/alice', false],
  ])('%s against %s: %s', (principal, allowed, expected) => {
    expect(principalMatches(principal, allowed)).toBe(expected);
  });
});

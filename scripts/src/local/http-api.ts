// The local stand-in for the environment's API Gateway HTTP API (moto cannot invoke one): serves every http
// trigger of the deployed reflexes on a loopback port, checks SigV4 as IAM authorization does, and calls the
// reflex's bundle with the payload 2.0 event API Gateway would build.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpApiResponse } from '@reflex/events';
import { type HttpTrigger, httpRouteKey } from '@reflex/manifest';
import type { Context } from 'aws-lambda';
import { verifySignature } from '../lib/sigv4';

/** A caller the local API knows: its key pair and the principal IAM would name. */
export interface LocalIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly userArn: string;
  readonly accountId: string;
}

/** One route: its trigger and the handler of its reflex's bundle. */
export interface LocalRoute {
  readonly reflex: string;
  readonly trigger: HttpTrigger;
  readonly invoke: (event: unknown, context: Context) => Promise<HttpApiResponse>;
  readonly context: () => Context;
}

export interface LocalHttpApiOptions {
  readonly region: string;
  readonly identities: readonly LocalIdentity[];
  /** @default 0 (a free port) */
  readonly port?: number;
  readonly log?: (line: string) => void;
}

/** API Gateway's HTTP API payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** A route template as a matcher of raw paths: `{name}` is one segment. */
function matcher(path: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([A-Za-z][A-Za-z0-9]*)\\?\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { regex: new RegExp(`^${source}$`), names };
}

/**
 * The local HTTP API: `start()` listens on 127.0.0.1 and resolves with its URL. Unsigned or badly signed
 * requests get API Gateway's 403; a path no route matches, 404; a handler that throws, 500 — as API Gateway
 * answers them.
 */
export class LocalHttpApi {
  private server?: Server;
  private readonly matchers: { route: LocalRoute; regex: RegExp; names: string[] }[];
  private readonly identities: Map<string, LocalIdentity>;
  url = '';

  constructor(
    routes: readonly LocalRoute[],
    private readonly options: LocalHttpApiOptions,
  ) {
    this.matchers = routes.map((route) => ({ route, ...matcher(route.trigger.path) }));
    this.identities = new Map(options.identities.map((i) => [i.accessKeyId, i]));
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.serve(req, res));
    server.keepAliveTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
      res.writeHead(status, headers);
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) return send(413, { message: 'Request Entity Too Large' });
        chunks.push(chunk as Buffer);
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = (req.method ?? 'GET').toUpperCase();
      const found = this.matchers
        .map((m) => ({ m, match: m.regex.exec(url.pathname) }))
        .find(({ m, match }) => match && m.route.trigger.method === method);
      if (!found) return send(404, { message: 'Not Found' });
      const verdict = await verifySignature({ method, path: url.pathname, query: url.searchParams, headers: req.headers, body }, (key) => this.identities.get(key)?.secretAccessKey, this.options.region);
      if (!verdict.ok) return send(verdict.status, { message: verdict.message });
      const identity = this.identities.get(verdict.accessKeyId)!;
      const { route, names } = found.m;
      const parameters = Object.fromEntries(names.map((name, i) => [name, found.match![i + 1]!]));
      const event = apiEvent(req, url, method, body, httpRouteKey(route.trigger), parameters, identity);
      const response = await route.invoke(event, route.context());
      send(response.statusCode, response.body ?? '', response.headers ?? {});
      this.options.log?.(`api: ${method} ${url.pathname}${url.search} → ${response.statusCode} (${route.reflex}, ${identity.userArn})`);
    } catch (error) {
      this.options.log?.(`api: ${req.method} ${req.url} failed: ${(error as Error).message}`);
      if (!res.headersSent) send(500, { message: 'Internal Server Error' });
    }
  }
}

/** The payload 2.0 event API Gateway builds for an IAM-authorized request. */
function apiEvent(req: IncomingMessage, url: URL, method: string, body: string, routeKey: string, pathParameters: Record<string, string>, identity: LocalIdentity) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    ...(body ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: identity.accountId,
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      authorizer: {
        iam: {
          accessKey: identity.accessKeyId,
          accountId: identity.accountId,
          callerId: identity.accessKeyId,
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: identity.userArn,
          userId: identity.accessKeyId,
        },
      },
    },
  };
}

/** The IAM user the local HTTP API signs the local credentials in as (`arn:aws:iam::<account>:user/local-operator`). */
export const LOCAL_OPERATOR = 'local-operator';

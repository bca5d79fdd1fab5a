// A small client of the route API: signs each request (SigV4, execute-api), sends it, and answers status,
// headers and the JSON body. The CLI (`reflex routes get|put|delete`), the local demo, the contract tests and
// the benchmark use it, against the local runner's port or a deployed stage URL.
import { randomUUID } from 'node:crypto';
import { type SigningCredentials, signedHeaders } from './sigv4';

/** A route as the API takes it. */
export interface ApiRoute {
  readonly cidr: string;
  readonly attachmentId: string;
}

/** An answer of the API. */
export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

export interface WriteOptions {
  /** @default a new UUID */
  readonly key?: string;
  readonly dryRun?: boolean;
}

/**
 * The route API at `url` (`http://127.0.0.1:<port>` locally, `https://<id>.execute-api.<region>.amazonaws.com`
 * deployed), signing as `credentials` for `region`.
 *
 * @example
 * const api = new RouteApiClient(url, 'eu-central-1', await defaultProvider()());
 * await api.putRoutes('tgw-rtb-0123456789abcdef0', [{ cidr: '10.20.0.0/16', attachmentId: 'tgw-attach-0123456789abcdef0' }]);
 */
export class RouteApiClient {
  constructor(
    readonly url: string,
    readonly region: string,
    private readonly credentials: SigningCredentials | (() => Promise<SigningCredentials>),
  ) {}

  /** The routes Reflex manages in the table, and the others. */
  getRoutes(tableId: string): Promise<ApiAnswer> {
    return this.send('GET', routesPath(tableId));
  }

  /** Makes Reflex's routes in the table exactly `routes`. */
  putRoutes(tableId: string, routes: readonly ApiRoute[], options: WriteOptions = {}): Promise<ApiAnswer> {
    return this.write('PUT', routesPath(tableId), { routes }, options);
  }

  /** Creates or repoints one route. */
  putRoute(tableId: string, route: ApiRoute, options: WriteOptions = {}): Promise<ApiAnswer> {
    return this.write('PUT', routePath(tableId, route.cidr), { attachmentId: route.attachmentId }, options);
  }

  /** Deletes one route Reflex manages. */
  deleteRoute(tableId: string, cidr: string, options: WriteOptions = {}): Promise<ApiAnswer> {
    return this.write('DELETE', routePath(tableId, cidr), undefined, options);
  }

  private write(method: string, path: string, body: unknown, options: WriteOptions): Promise<ApiAnswer> {
    return this.send(`${method}`, `${path}${options.dryRun ? '?dryRun=true' : ''}`, body, { 'idempotency-key': options.key ?? randomUUID() });
  }

  /** One signed request; `sign: false` sends it unsigned (the contract tests' 403). */
  async send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, sign: SigningCredentials | false | undefined = undefined): Promise<ApiAnswer> {
    const url = new URL(`${this.url.replace(/\/$/, '')}${path}`);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const all = { ...(text !== undefined ? { 'content-type': 'application/json' } : {}), ...headers };
    const credentials = sign === false ? undefined : (sign ?? (typeof this.credentials === 'function' ? await this.credentials() : this.credentials));
    const signed: Record<string, string> = credentials
      ? await signedHeaders({ method, url, headers: all, ...(text !== undefined ? { body: text } : {}) }, credentials, this.region)
      : all;
    // `host` is signed; fetch sets it itself, to the same value.
    const { host: _host, ...sent } = signed;
    const response = await fetch(url, { method, headers: sent, ...(text !== undefined ? { body: text } : {}) });
    const raw = await response.text();
    let parsed: unknown = raw;
    try {
      parsed = raw ? JSON.parse(raw) : undefined;
    } catch {
      // not JSON: kept as text
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }
}

/** `/route-tables/<id>/routes` */
export const routesPath = (tableId: string) => `/route-tables/${encodeURIComponent(tableId)}/routes`;
/** `/route-tables/<id>/routes/<cidr>`, the CIDR's `/` encoded (`10.0.0.0%2F16`): one path segment. */
export const routePath = (tableId: string, cidr: string) => `${routesPath(tableId)}/${encodeURIComponent(cidr)}`;

import { randomUUID } from 'node:crypto';
import { localAwsEnv } from '@reflex/local-aws';
import { RouteApiClient } from '../lib/route-api-client';
import type { LocalDeployment } from './deploy';
import { DEMO_PREFIX, type RouteDemoNetwork } from './route-demo';

/** The two on-prem prefixes the demo pushes, and one that overlaps the demo VPC. */
export const API_DEMO = {
  prefixes: ['192.168.10.0/24', '192.168.20.0/24'],
  conflicting: '10.200.128.0/17',
} as const;

/** What the route API demo saw at each step. */
export interface RouteApiDemoResult {
  readonly pushed: { status: number; added: number };
  readonly replay: { status: number; replayed: boolean; sameAnswer: boolean; unchanged: boolean };
  readonly conflict: { status: number; problem?: string };
  readonly dryRunDelete: { status: number; planned: number; unchanged: boolean };
}

/** A client of the local runner's HTTP API, signing with the local credentials. */
export function localRouteApi(apiUrl: string, deployment: Pick<LocalDeployment, 'endpoint' | 'region'>): RouteApiClient {
  const env = localAwsEnv(deployment.endpoint, deployment.region);
  return new RouteApiClient(apiUrl, deployment.region, { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! });
}

/**
 * The route API scenario, over signed HTTP against the local runner's port: push two on-prem prefixes to the
 * VPN as the desired state; replay the same request (the same answer, marked as a replay, and no change); push
 * a prefix that overlaps the VPC attached to the table (400 naming it); dry-run the deletion of one prefix
 * (the plan, and no change).
 */
export async function runRouteApiDemo(
  apiUrl: string,
  deployment: Pick<LocalDeployment, 'endpoint' | 'region'>,
  network: RouteDemoNetwork,
  options: { log?: (line: string) => void } = {},
): Promise<RouteApiDemoResult> {
  const log = options.log ?? (() => {});
  const api = localRouteApi(apiUrl, deployment);
  const table = network.apiRouteTableId;
  const routes = API_DEMO.prefixes.map((cidr) => ({ cidr, attachmentId: network.backupAttachmentId }));
  const key = randomUUID();
  const managed = async () => JSON.stringify((await api.getRoutes(table)).body?.managed);

  const first = await api.putRoutes(table, routes, { key });
  const added = first.body?.applied?.filter((a: { op: string }) => a.op === 'add').length ?? 0;
  log(`route API demo: PUT ${API_DEMO.prefixes.join(', ')} → ${network.backupAttachmentId}: ${first.status}, ${added} added`);

  const before = await managed();
  const again = await api.putRoutes(table, routes, { key });
  const replay = {
    status: again.status,
    replayed: again.headers.get('idempotent-replayed') === 'true',
    sameAnswer: JSON.stringify(again.body) === JSON.stringify(first.body),
    unchanged: (await managed()) === before,
  };
  log(`route API demo: the same request again (same Idempotency-Key): ${again.status}, ${replay.replayed ? 'replayed' : 'NOT replayed'}, ${replay.unchanged ? 'nothing changed' : 'CHANGED'}`);

  const conflicting = await api.putRoutes(table, [...routes, { cidr: API_DEMO.conflicting, attachmentId: network.backupAttachmentId }]);
  const problem = conflicting.body?.problems?.[0]?.message as string | undefined;
  log(`route API demo: PUT ${API_DEMO.conflicting}, inside the VPC ${DEMO_PREFIX}: ${conflicting.status}${problem ? ` (${problem})` : ''}`);

  const dry = await api.deleteRoute(table, API_DEMO.prefixes[1], { dryRun: true });
  const dryRunDelete = { status: dry.status, planned: dry.body?.plan?.remove?.length ?? 0, unchanged: (await managed()) === before };
  log(`route API demo: DELETE ${API_DEMO.prefixes[1]}?dryRun=true: ${dry.status}, plans ${dryRunDelete.planned} removal, ${dryRunDelete.unchanged ? 'nothing changed' : 'CHANGED'}`);

  return { pushed: { status: first.status, added }, replay, conflict: { status: conflicting.status, ...(problem ? { problem } : {}) }, dryRunDelete };
}

/** Whether the demo went as it should. */
export const routeApiDemoPassed = (r: RouteApiDemoResult): boolean =>
  r.pushed.status === 200 &&
  r.pushed.added === API_DEMO.prefixes.length &&
  r.replay.status === 200 &&
  r.replay.replayed &&
  r.replay.sameAnswer &&
  r.replay.unchanged &&
  r.conflict.status === 400 &&
  r.dryRunDelete.status === 200 &&
  r.dryRunDelete.planned === 1 &&
  r.dryRunDelete.unchanged;

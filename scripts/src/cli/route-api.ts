// `reflex routes get|put|delete`: a small signed client of the route API, against the local runner's port
// or a deployed stage URL.
import { readFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { localAwsEnv } from '@reflex/local-aws';
import { repoRoot } from '@reflex/manifest';
import type { SavedDeployment } from '../local/deploy';
import { type ApiAnswer, type ApiRoute, RouteApiClient } from '../lib/route-api-client';
import type { SigningCredentials } from '../lib/sigv4';
import { EXIT, out, table, UsageError } from './common';

export const ROUTE_API_HELP = `  get <route-table>             the routes Reflex manages in a Transit Gateway route table (CIDR, attachment,
                                status, who set it and when) and every other route of the table
  put <route-table> <cidr> <attachment>
                                create or repoint one route
  put <route-table> --file F    make Reflex's routes in the table exactly those of F (JSON {"routes":
                                [{"cidr":…,"attachmentId":…}]}; - reads stdin): adds, repoints and removes
                                the difference; other routes are never touched
  delete <route-table> <cidr>   delete one route Reflex manages
      --dry-run                 (put, delete) answer the plan; change nothing
      --key K                   (put, delete) the Idempotency-Key (default: a new UUID); send the same key
                                again to retry safely: the API answers what it answered the first time
      --url URL                 the route API (also REFLEX_ROUTE_API_URL): a deployed stage's URL
                                (https://<id>.execute-api.<region>.amazonaws.com), or by default the local
                                runner's, which \`pnpm start\` records in .reflex/local/deployment.json
      --region R                the Region to sign for (default: the URL's, or the local deployment's)
  The client signs every request with SigV4: the local credentials for the local runner, otherwise the AWS
  credentials chain (environment, profile, SSO, instance role), whose principal needs the stack's
  reflex-<env>-api-invoke policy and, if the environment lists allowed principals, to be one of them.`;

/** The options of `routes` that the API subcommands read. */
export interface RouteApiOptions {
  readonly url?: string | undefined;
  readonly region?: string | undefined;
  readonly key?: string | undefined;
  readonly file?: string | undefined;
  readonly 'dry-run'?: boolean | undefined;
  readonly json: boolean;
}

/** The API's URL and how to sign for it. */
interface Target {
  readonly url: string;
  readonly region: string;
  readonly credentials: SigningCredentials | (() => Promise<SigningCredentials>);
  readonly local: boolean;
}

function target(options: RouteApiOptions): Target {
  const given = options.url ?? process.env.REFLEX_ROUTE_API_URL;
  if (given) {
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw new UsageError(`--url ${given} is not a URL`);
    }
    const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    const region = options.region ?? /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(url.hostname)?.[1] ?? process.env.AWS_REGION ?? (local ? 'us-east-1' : undefined);
    if (!region) throw new UsageError(`--region: cannot tell the Region of ${given} (give --region or AWS_REGION)`);
    return { url: given, region, local, credentials: local ? localCredentials() : chainCredentials() };
  }
  const file = process.env.REFLEX_DEPLOYMENT_FILE ? resolvePath(process.env.REFLEX_DEPLOYMENT_FILE) : join(repoRoot(), '.reflex', 'local', 'deployment.json');
  let saved: SavedDeployment;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as SavedDeployment;
  } catch {
    throw new UsageError(`no route API to call: give --url (or REFLEX_ROUTE_API_URL), or start the local mode (\`pnpm start\`), which records its URL in ${file}`);
  }
  if (!saved.apiUrl) throw new UsageError(`the local deployment ${file} has no route API URL: is the route-api enabled, and \`pnpm start\` running?`);
  return { url: saved.apiUrl, region: options.region ?? saved.region, local: true, credentials: localCredentials() };
}

const localCredentials = (): SigningCredentials => {
  const env = localAwsEnv('http://127.0.0.1');
  return { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! };
};

function chainCredentials(): () => Promise<SigningCredentials> {
  return async () => {
    const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
    try {
      return await defaultProvider()();
    } catch (error) {
      throw new UsageError(`no AWS credentials to sign with: ${(error as Error).message}`);
    }
  };
}

/** The desired routes of `--file` (or stdin). */
function desiredRoutes(file: string): ApiRoute[] {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as { routes?: ApiRoute[] } | ApiRoute[];
    return Array.isArray(parsed) ? parsed : (parsed.routes ?? []);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
}

/** Runs `get`, `put` or `delete`; resolves to the exit code. */
export async function routeApiCommand(sub: 'get' | 'put' | 'delete', args: readonly string[], options: RouteApiOptions): Promise<number> {
  const [tableId, cidr, attachmentId] = args;
  if (!tableId) throw new UsageError(`${sub} takes the Transit Gateway route table (tgw-rtb-…)`, true);
  if (sub === 'get' && (args.length > 1 || options.key || options.file || options['dry-run'])) throw new UsageError('get takes only the route table', true);
  if (sub === 'delete' && (!cidr || args.length > 2 || options.file)) throw new UsageError('delete takes the route table and the CIDR', true);
  if (sub === 'put' && !(options.file ? args.length === 1 : args.length === 3)) {
    throw new UsageError('put takes <route-table> <cidr> <attachment> for one route, or <route-table> --file F for the desired set', true);
  }
  const t = target(options);
  const api = new RouteApiClient(t.url, t.region, t.credentials);
  const write = { ...(options.key ? { key: options.key } : {}), ...(options['dry-run'] ? { dryRun: true } : {}) };
  let answer: ApiAnswer;
  try {
    if (sub === 'get') answer = await api.getRoutes(tableId);
    else if (sub === 'delete') answer = await api.deleteRoute(tableId, cidr!, write);
    else if (options.file) answer = await api.putRoutes(tableId, desiredRoutes(options.file), write);
    else answer = await api.putRoute(tableId, { cidr: cidr!, attachmentId: attachmentId! }, write);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    process.stderr.write(`reflex routes: ${t.url} did not answer: ${(error as Error).message}${t.local ? ' (is `pnpm start` running?)' : ''}\n`);
    return EXIT.failed;
  }
  if (options.json) out(JSON.stringify({ status: answer.status, replayed: answer.headers.get('idempotent-replayed') === 'true', body: answer.body }, null, 2));
  else print(sub, answer);
  if (answer.status < 300) return EXIT.ok;
  // The request is wrong (400, 403, 404, 422): usage; busy, in flight or failed (409, 5xx): try again.
  return answer.status >= 500 || answer.status === 409 || answer.status === 429 ? EXIT.failed : EXIT.usage;
}

function print(sub: string, answer: ApiAnswer): void {
  const body = answer.body as Record<string, any> | undefined;
  if (answer.status >= 300) {
    process.stderr.write(`reflex routes: ${answer.status} ${body?.error ?? ''}: ${body?.message ?? JSON.stringify(body)}\n`);
    for (const p of (body?.problems as { path: string; message: string }[] | undefined) ?? []) process.stderr.write(`  ${p.path}: ${p.message}\n`);
    return;
  }
  if (sub === 'get') {
    out(`Reflex's routes in ${body?.routeTableId}:`);
    const managed = (body?.managed ?? []) as Record<string, string>[];
    if (managed.length === 0) out('  none');
    else table([['  CIDR', 'ATTACHMENT', 'STATUS', 'SET BY', 'SET AT'], ...managed.map((r) => [`  ${r.cidr}`, r.attachmentId!, r.status!, r.setBy!, r.setAt!])]);
    out('other routes (never touched):');
    const others = (body?.others ?? []) as Record<string, string>[];
    if (others.length === 0) out('  none');
    else table([['  CIDR', 'TYPE', 'ATTACHMENT', 'STATE'], ...others.map((r) => [`  ${r.cidr}`, r.type!, r.attachmentId ?? '-', r.state!])]);
    return;
  }
  const plan = body?.plan as { add: ApiRoute[]; replace: { cidr: string; from: string; to: string }[]; remove: ApiRoute[]; unchanged: ApiRoute[] } | undefined;
  const replayed = answer.headers.get('idempotent-replayed') === 'true' ? ' (a replay: the stored answer of this Idempotency-Key)' : '';
  out(`${body?.routeTableId}: ${body?.dryRun ? 'dry run, nothing changed' : 'applied'}${replayed}`);
  for (const r of plan?.add ?? []) out(`  + ${r.cidr} → ${r.attachmentId}`);
  for (const r of plan?.replace ?? []) out(`  ~ ${r.cidr} → ${r.to} (was ${r.from})`);
  for (const r of plan?.remove ?? []) out(`  - ${r.cidr} (was → ${r.attachmentId})`);
  if (plan && plan.add.length + plan.replace.length + plan.remove.length === 0) out('  no change');
  if (plan?.unchanged.length) out(`  ${plan.unchanged.length} unchanged`);
}

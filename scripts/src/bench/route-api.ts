// `pnpm bench:route-api`: the route API against the local AWS, the whole path — a SigV4-signed HTTP request
// from a client process (route-api-load.ts) to the local runner's server in a process of its own
// (route-api-server.ts), its signature checked, the built bundle invoked with the API Gateway event,
// Powertools idempotency and the table's lease in DynamoDB, the route table and its VPCs read, the route
// written, the Reflex Action put on the bus — all in moto. The server reaches moto through a timing proxy
// here, which records when each AWS call ran. Reports, for a one-route PUT (each repointing the route, with
// a new Idempotency-Key):
//   (1) sequential requests: p50/p99 latency and requests/s, the AWS calls each makes and the time they take
//       in moto, and the API's own time — each request's latency less the time its AWS calls ran (target:
//       p99 < 100 ms locally); and ReplaceTransitGatewayRoute straight against moto, for comparison;
//   (2) concurrent clients, each on a route table of its own: requests/s (moto, one Python process, is the
//       shared resource).
// A missed target sets exit code 1.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateTransitGatewayRouteCommand,
  CreateTransitGatewayRouteTableCommand,
  DescribeTransitGatewayRouteTablesCommand,
  EC2Client,
  ReplaceTransitGatewayRouteCommand,
} from '@aws-sdk/client-ec2';
import { localClientConfig, startMoto } from '@reflex/local-aws';
import { repoRoot } from '@reflex/manifest';
import { deployLocal, saveDeployment } from '../local/deploy';
import { prepareRouteDemo } from '../local/route-demo';

const root = repoRoot();
const SEQUENTIAL = 200;
const DIRECT = 200;
const CLIENTS = 4;
const PER_CLIENT = 50;
const TARGET_P99_MS = 100;
const scratch = mkdtempSync(join(tmpdir(), 'reflex-bench-route-api-'));
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;
/** Wall-clock milliseconds, comparable across processes. */
const now = () => performance.timeOrigin + performance.now();

/** One request's time: when the client sent it and had its answer (wall clock, ms). */
interface Timed {
  readonly start: number;
  readonly end: number;
}

const aws = await startMoto();
const ec2 = new EC2Client(localClientConfig(aws.endpoint));
const calls: Timed[] = [];
const proxy = timingProxy(aws.endpoint, calls);
let server: ChildProcess | undefined;
try {
  const network = await prepareRouteDemo(aws.endpoint, 'us-east-1');
  // One more route table per concurrent client, beside the demo's: each client writes to its own.
  const tgwId = await transitGatewayOf(network.apiRouteTableId);
  const tables = [network.apiRouteTableId];
  for (let i = 1; i < CLIENTS; i++) {
    tables.push((await ec2.send(new CreateTransitGatewayRouteTableCommand({ TransitGatewayId: tgwId }))).TransitGatewayRouteTable!.TransitGatewayRouteTableId!);
  }
  const deployment = await deployLocal({
    root,
    endpoint: aws.endpoint,
    outdir: join(scratch, 'cdktf.out'),
    reflexConfigs: { 'route-failover': { paths: [network.path] }, 'route-api': { ...network.routeApi, routeTables: tables } },
  });
  const file = join(scratch, 'deployment.json');
  saveDeployment(root, { ...deployment, endpoint: await proxy.url }, file);
  server = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/src/bench/route-api-server.ts'), file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const apiUrl = await new Promise<string>((resolve, reject) => {
    let seen = '';
    server!.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const ready = /^ready (\S+)$/m.exec(seen);
      if (ready) resolve(ready[1]!);
    });
    server!.once('exit', (code) => reject(new Error(`the route API server exited (${code}) before it was ready`)));
  });
  const [a, b] = network.routeApi.attachments as [string, string];
  // Asynchronously: the proxy answers on this process's event loop meanwhile.
  const client = async (tablesOf: readonly string[], perClient: number) => {
    const load = JSON.stringify({ url: apiUrl, region: deployment.region, tables: tablesOf, attachments: [a, b], perClient });
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, 'scripts/src/bench/route-api-load.ts'), load], { cwd: root, maxBuffer: 16 << 20 });
    return JSON.parse(stdout) as { requests: Timed[]; seconds: number };
  };

  // Warm-up: the bundle's first DynamoDB and EC2 calls, moto's first EC2 routes.
  await client([tables[0]!], 10);

  // (1) Sequential one-route PUTs, each repointing the route.
  calls.length = 0;
  const sequential = await client([tables[0]!], SEQUENTIAL);
  const latencies = sequential.requests.map((r) => r.end - r.start);
  const inAws = sequential.requests.map((r) => union(calls.filter((c) => c.start >= r.start && c.end <= r.end)));
  const perRequest = sequential.requests.map((r) => calls.filter((c) => c.start >= r.start && c.end <= r.end).length);
  const own = latencies.map((l, i) => l - inAws[i]!);
  const ownP99 = quantile(own, 0.99);
  console.log(`one-route PUT, ${SEQUENTIAL} sequential: p50 ${ms(quantile(latencies, 0.5))}, p99 ${ms(quantile(latencies, 0.99))}, ${(SEQUENTIAL / sequential.seconds).toFixed(0)} requests/s`);
  console.log(`  its AWS calls against moto: ${quantile(perRequest, 0.5)} per request, p50 ${ms(quantile(inAws, 0.5))}, p99 ${ms(quantile(inAws, 0.99))} of each request (parallel calls counted once)`);
  console.log(`  the API's own time (latency less its AWS calls): p50 ${ms(quantile(own, 0.5))}, p99 ${ms(ownP99)} (target p99 < ${TARGET_P99_MS} ms: ${ownP99 < TARGET_P99_MS ? 'met' : 'MISSED'})`);

  const table = (await ec2.send(new CreateTransitGatewayRouteTableCommand({ TransitGatewayId: tgwId }))).TransitGatewayRouteTable!.TransitGatewayRouteTableId!;
  await ec2.send(new CreateTransitGatewayRouteCommand({ TransitGatewayRouteTableId: table, DestinationCidrBlock: '198.18.99.0/24', TransitGatewayAttachmentId: a }));
  const direct: number[] = [];
  for (let i = 0; i < DIRECT; i++) {
    const started = performance.now();
    await ec2.send(new ReplaceTransitGatewayRouteCommand({ TransitGatewayRouteTableId: table, DestinationCidrBlock: '198.18.99.0/24', TransitGatewayAttachmentId: i % 2 ? a : b }));
    direct.push(performance.now() - started);
  }
  console.log(`  ReplaceTransitGatewayRoute alone, straight against moto: p50 ${ms(quantile(direct, 0.5))}, p99 ${ms(quantile(direct, 0.99))}`);

  // (2) Concurrent clients, each on its own route table (writes to one table are serialized by its lease).
  const concurrent = await client(tables, PER_CLIENT);
  const concurrentLatencies = concurrent.requests.map((r) => r.end - r.start);
  console.log(`${CLIENTS} concurrent clients × ${PER_CLIENT} one-route PUTs, a route table each: ${(concurrentLatencies.length / concurrent.seconds).toFixed(0)} requests/s, p50 ${ms(quantile(concurrentLatencies, 0.5))}, p99 ${ms(quantile(concurrentLatencies, 0.99))}`);
  process.exitCode = ownP99 < TARGET_P99_MS ? 0 : 1;
} finally {
  server?.kill('SIGTERM');
  proxy.close();
  ec2.destroy();
  await aws.stop();
  rmSync(scratch, { recursive: true, force: true });
}

/** A forwarding proxy to `target` that records when each call ran (from its request to its answer's end). */
function timingProxy(target: string, into: Timed[]) {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const start = now();
    const upstream = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('end', () => into.push({ start, end: now() }));
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 5000;
  const url = new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
  return { url, close: () => server.close() };
}

/** The time a set of intervals covers, overlaps counted once. */
function union(intervals: readonly Timed[]): number {
  let total = 0;
  let reach = -Infinity;
  for (const { start, end } of [...intervals].sort((x, y) => x.start - y.start)) {
    if (end <= reach) continue;
    total += end - Math.max(start, reach);
    reach = end;
  }
  return total;
}

/** The transit gateway a route table belongs to. */
async function transitGatewayOf(tableId: string): Promise<string> {
  const out = await ec2.send(new DescribeTransitGatewayRouteTablesCommand({ TransitGatewayRouteTableIds: [tableId] }));
  return out.TransitGatewayRouteTables![0]!.TransitGatewayId!;
}

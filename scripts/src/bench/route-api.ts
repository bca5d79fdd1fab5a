// `pnpm bench:route-api`: the route API against the local AWS, the whole path — a SigV4-signed HTTP request
// from a client process (route-api-load.ts) to the local runner's server, its signature checked, the built bundle invoked with the API Gateway event,
// Powertools idempotency and the table's lease in DynamoDB, the route table read, the route written, all in
// moto. Reports, for a one-route PUT (each repointing the route, with a new Idempotency-Key):
//   (1) sequential requests: p50/p99 latency and requests/s;
//   (2) the AWS call's own latency — ReplaceTransitGatewayRoute straight against moto, p50/p99 — and the
//       API's p99 without it (target: < 100 ms locally);
//   (3) concurrent clients, each on a route table of its own: requests/s.
// The server (the local runner, serving the http triggers only) and the client run in processes of their own.
// A missed target sets exit code 1.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const aws = await startMoto();
const ec2 = new EC2Client(localClientConfig(aws.endpoint));
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
  // The server in a process of its own (route-api-server.ts), the client in another (route-api-load.ts).
  const file = join(scratch, 'deployment.json');
  saveDeployment(root, deployment, file);
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
  // Asynchronously: the server answers on this process's event loop meanwhile.
  const client = async (tablesOf: readonly string[], perClient: number) => {
    const load = JSON.stringify({ url: apiUrl, region: deployment.region, tables: tablesOf, attachments: [a, b], perClient });
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, 'scripts/src/bench/route-api-load.ts'), load], { cwd: root, maxBuffer: 16 << 20 });
    return JSON.parse(stdout) as { latencies: number[]; seconds: number };
  };

  // Warm-up: the bundle's first DynamoDB and EC2 calls, moto's first EC2 routes.
  await client([tables[0]!], 10);

  // (1) Sequential one-route PUTs, each repointing the route.
  const sequential = await client([tables[0]!], SEQUENTIAL);
  const p99 = quantile(sequential.latencies, 0.99);
  console.log(`one-route PUT, ${SEQUENTIAL} sequential: p50 ${ms(quantile(sequential.latencies, 0.5))}, p99 ${ms(p99)}, ${(SEQUENTIAL / sequential.seconds).toFixed(0)} requests/s`);

  // (2) The AWS call itself against moto: ReplaceTransitGatewayRoute on a route of a table of its own.
  const own = (await ec2.send(new CreateTransitGatewayRouteTableCommand({ TransitGatewayId: tgwId }))).TransitGatewayRouteTable!.TransitGatewayRouteTableId!;
  await ec2.send(new CreateTransitGatewayRouteCommand({ TransitGatewayRouteTableId: own, DestinationCidrBlock: '198.18.99.0/24', TransitGatewayAttachmentId: a }));
  const direct: number[] = [];
  for (let i = 0; i < DIRECT; i++) {
    const started = performance.now();
    await ec2.send(new ReplaceTransitGatewayRouteCommand({ TransitGatewayRouteTableId: own, DestinationCidrBlock: '198.18.99.0/24', TransitGatewayAttachmentId: i % 2 ? a : b }));
    direct.push(performance.now() - started);
  }
  const without = p99 - quantile(direct, 0.5);
  console.log(`the AWS call (ReplaceTransitGatewayRoute) against moto: p50 ${ms(quantile(direct, 0.5))}, p99 ${ms(quantile(direct, 0.99))}`);
  console.log(`one-route PUT p99 without the AWS call: ${ms(without)} (target < ${TARGET_P99_MS} ms: ${without < TARGET_P99_MS ? 'met' : 'MISSED'})`);

  // (3) Concurrent clients, each on its own route table (writes to one table are serialized by its lease).
  const concurrent = await client(tables, PER_CLIENT);
  console.log(`${CLIENTS} concurrent clients × ${PER_CLIENT} one-route PUTs, a route table each: ${(concurrent.latencies.length / concurrent.seconds).toFixed(0)} requests/s, p50 ${ms(quantile(concurrent.latencies, 0.5))}, p99 ${ms(quantile(concurrent.latencies, 0.99))} (one local runner process serves them all)`);
  process.exitCode = without < TARGET_P99_MS ? 0 : 1;
} finally {
  server?.kill('SIGTERM');
  ec2.destroy();
  await aws.stop();
  rmSync(scratch, { recursive: true, force: true });
}

/** The transit gateway a route table belongs to. */
async function transitGatewayOf(tableId: string): Promise<string> {
  const out = await ec2.send(new DescribeTransitGatewayRouteTablesCommand({ TransitGatewayRouteTableIds: [tableId] }));
  return out.TransitGatewayRouteTables![0]!.TransitGatewayId!;
}

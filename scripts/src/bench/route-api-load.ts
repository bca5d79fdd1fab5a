// The client side of `pnpm bench:route-api`, in a process of its own as a real client would be (sharing the
// server's event loop would time the client's signing as the server's latency): one-route PUTs, each
// repointing the route with a new Idempotency-Key, sequentially or from concurrent clients on a route table
// each. Prints the latencies (ms) and the wall time as JSON on stdout.
import { RouteApiClient } from '../lib/route-api-client';

interface Load {
  readonly url: string;
  readonly region: string;
  readonly tables: readonly string[];
  readonly attachments: readonly [string, string];
  readonly perClient: number;
}

const load = JSON.parse(process.argv[2] ?? '{}') as Load;
const api = new RouteApiClient(load.url, load.region, { accessKeyId: 'test', secretAccessKey: 'test' });
const latencies: number[] = [];
const started = performance.now();
await Promise.all(
  load.tables.map(async (table, c) => {
    for (let i = 0; i < load.perClient; i++) {
      const t = performance.now();
      const answer = await api.putRoute(table, { cidr: `198.18.${c}.0/24`, attachmentId: load.attachments[i % 2]! });
      if (answer.status !== 200) throw new Error(`PUT answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      latencies.push(performance.now() - t);
    }
  }),
);
process.stdout.write(JSON.stringify({ latencies, seconds: (performance.now() - started) / 1000 }));

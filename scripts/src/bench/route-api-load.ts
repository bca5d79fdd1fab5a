// The client side of `pnpm bench:route-api`, in a process of its own as a real client would be (sharing the
// server's event loop would time the client's signing as the server's latency): one-route PUTs, each
// repointing the route with a new Idempotency-Key, sequentially or from concurrent clients on a route table
// each. Prints when each request was sent and answered (wall clock, ms: the bench compares them with the
// times of the server's AWS calls) and the run's seconds, as JSON on stdout.
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
const requests: { start: number; end: number }[] = [];
const now = () => performance.timeOrigin + performance.now();
const started = performance.now();
await Promise.all(
  load.tables.map(async (table, c) => {
    for (let i = 0; i < load.perClient; i++) {
      const start = now();
      const answer = await api.putRoute(table, { cidr: `198.18.${c}.0/24`, attachmentId: load.attachments[i % 2]! });
      if (answer.status !== 200) throw new Error(`PUT answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      requests.push({ start, end: now() });
    }
  }),
);
process.stdout.write(JSON.stringify({ requests, seconds: (performance.now() - started) / 1000 }));

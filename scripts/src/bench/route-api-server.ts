// The server side of `pnpm bench:route-api`, in a process of its own as a Lambda function instance is: the
// local runner serving only the http triggers of the deployment the bench applied (its file in argv[2]),
// without the queues' pollers and without the synth and Terraform the bench process holds in memory.
// Prints `ready <url>` when it listens; stops on SIGTERM.
import { readFileSync } from 'node:fs';
import { loadManifests, repoRoot } from '@reflex/manifest';
import type { LocalDeployment, SavedDeployment } from '../local/deploy';
import { LocalRunner } from '../local/runner';

const root = repoRoot();
const saved = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as SavedDeployment;
const manifests = new Map((await loadManifests(root)).map((m) => [m.name, m]));
const deployment: LocalDeployment = {
  endpoint: saved.endpoint,
  region: saved.region,
  account: saved.account,
  busName: saved.busName,
  actionsQueueUrl: saved.actionsQueueUrl,
  stackDir: saved.stackDir,
  members: saved.members ?? [],
  reflexes: [],
  httpReflexes: (saved.httpReflexes ?? []).map(({ name, environment }) => ({ manifest: manifests.get(name)!, environment })),
};
const runner = new LocalRunner(deployment, { root });
await runner.start();
process.stdout.write(`ready ${runner.apiUrl}\n`);
process.on('SIGTERM', () => void runner.stop().then(() => process.exit(0)));

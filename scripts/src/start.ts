// `pnpm start`: the local mode. Starts moto server (or uses REFLEX_AWS_ENDPOINT / --endpoint), applies the
// `local` environment into it with Terraform, runs the local runner, and plays the demo scenario.
import { parseArgs } from 'node:util';
import { repoRoot } from '@reflex/manifest';
import { runDemo } from './local/demo';
import { deployLocal } from './local/deploy';
import { externalAws, type LocalAws, startMoto } from '@reflex/local-aws';
import { type LocalIpam, runIpamDemo, startLocalIpam } from './local/ipam';
import { LocalRunner } from './local/runner';

const { values: flags } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    'no-demo': { type: 'boolean', default: false },
    exit: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) {
  console.log(`pnpm start [--endpoint URL] [--no-demo] [--exit]

  Starts a local AWS (moto server on a free loopback port), applies the "local" environment into it
  with Terraform, runs every reflex's bundle with the local runner and the IPAM worker (into the embedded
  PostgreSQL in .reflex/ipam, emptied for a new moto server), and plays the demos: the instance guard
  restarts a protected instance; the IPAM records two instances in overlapping VPCs.

  --endpoint URL  use this AWS API instead of starting moto (also REFLEX_AWS_ENDPOINT), e.g. LocalStack
  --no-demo       skip the demo scenario
  --exit          stop after the demo instead of running until Ctrl-C`);
  process.exit(0);
}

const log = (line: string) => console.log(`[reflex] ${line}`);
const root = repoRoot();
let aws: LocalAws | undefined;
let runner: LocalRunner | undefined;
let ipam: LocalIpam | undefined;
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log('stopping…');
    await runner?.stop();
    await ipam?.stop();
    await aws?.stop();
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

try {
  const endpoint = flags.endpoint ?? process.env.REFLEX_AWS_ENDPOINT;
  aws = endpoint ? await externalAws(endpoint) : await startMoto();
  log(`local AWS at ${aws.endpoint}${endpoint ? '' : ' (moto server, started for this run)'}`);
  const deployment = await deployLocal({ root, endpoint: aws.endpoint, log });
  runner = new LocalRunner(deployment, { root, log });
  await runner.start();
  ipam = await startLocalIpam(deployment, { root, log, fresh: !endpoint });
  if (!flags['no-demo']) {
    const result = await runDemo(deployment, { log });
    const guardOk = result.protectedInstance.state === 'running' && result.otherInstance.state === 'stopped';
    log(
      guardOk
        ? 'demo passed: the protected instance runs again, the unprotected one stays stopped'
        : 'demo FAILED: expected the protected instance running and the other stopped',
    );
    let ipamOk = true;
    if (ipam) {
      const recorded = await runIpamDemo(deployment, ipam, { log });
      ipamOk = recorded.instances.every((i) => i.privateIp) && recorded.overlaps.length > 0;
      const ip = recorded.instances.find((i) => i.privateIp)?.privateIp;
      log(
        ipamOk
          ? `ipam demo passed: try \`pnpm reflex ipam show ${ip}\`, \`pnpm reflex ipam subnets\`, \`pnpm reflex ipam overlaps\``
          : 'ipam demo FAILED: expected both instances with their addresses in the IPAM, and their VPCs overlapping',
      );
    }
    if (flags.exit) await shutdown(guardOk && ipamOk ? 0 : 1);
  } else if (flags.exit) {
    await shutdown(0);
  }
  log('the local runner is polling the reflex queues; Ctrl-C stops everything this command started');
} catch (error) {
  console.error(`[reflex] ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}

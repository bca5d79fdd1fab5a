// `pnpm start`: the local mode. Takes the checkout's lock, starts moto server (or uses --endpoint), applies
// the `local` environment into it with Terraform, runs the local runner and the IPAM worker, and plays the
// demo scenario. SIGINT, SIGTERM and SIGHUP (to this process or to pnpm) and `pnpm stop` stop it in order.
import { existsSync, rmSync } from 'node:fs';
import { inspect, parseArgs } from 'node:util';
import type { StoreLocation } from '@reflex/ipam';
import { externalAws, type LocalAws, startMoto, waitForEndpoint } from '@reflex/local-aws/moto';
import { describeError, repoRoot } from '@reflex/manifest';
import type { LocalDeployment } from './local/deploy';
import type { LocalIpam } from './local/ipam';
import { acquireLock, isAlive, launchedBy, LocalModeRunningError, type LocalModeLock } from './local/lock';
import type { LocalRunner } from './local/runner';

/** The heavy part of the local mode (cdktf, the AWS SDK, esbuild): loaded while moto starts. */
const loadLocalMode = async () => {
  const [deploy, demo, blockerDemo, routeDemo, routeApiDemo, ipam, runner, stacks] = await Promise.all([
    import('./local/deploy'),
    import('./local/demo'),
    import('./local/blocker-demo'),
    import('./local/route-demo'),
    import('./local/route-api-demo'),
    import('./local/ipam'),
    import('./local/runner'),
    import('@reflex/stacks'),
  ]);
  const localEnv = stacks.ENVIRONMENTS.find((e) => e.name === 'local')!;
  // Its member accounts with their deployment roles, as the stacks resolve them (the default role filled in).
  const localMembers = stacks.memberAccountsOf(stacks.EnvConfigSchema.parse(localEnv)).map((member) => ({ account: member.account, roleArn: member.deploymentRoleArn }));
  return { ...deploy, ...demo, ...blockerDemo, ...routeDemo, ...routeApiDemo, ...ipam, ...runner, localEnv, localMembers };
};
let m: Awaited<ReturnType<typeof loadLocalMode>>;

/** A wrong flag or a state the user must change: exit code 2. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Errors of a configuration or manifest that does not validate (by name: manifests load in their own module graph). */
const INVALID_INPUT = new Set(['InvalidEnvConfigError', 'InvalidManifestError', 'InvalidPatternError']);

const HELP = `pnpm start [--exit] [--no-demo] [--fresh] [--resume] [--endpoint URL]

  Starts a local AWS (moto server on a free loopback port), applies the "local" environment into it with
  Terraform, runs every reflex's bundle with the local runner and the IPAM worker (into the embedded
  PostgreSQL in .reflex/ipam), and plays the demos: the instance guard restarts a protected instance; the
  IPAM records two instances in overlapping VPCs; the IP blocker denies a GuardDuty finding's attacker in
  the NACLs of the attacked instance, refuses an allow-listed source, and sweeps the block at its expiry; the
  route failover moves a prefix to the VPN and back; the route API (served on a loopback port, SigV4) takes
  two prefixes, a replay, an overlapping prefix and a dry-run deletion. One local mode runs per checkout (.reflex/local.lock);
  \`pnpm stop\` stops it from another terminal, as Ctrl-C does here.

  --exit          stop after the demo instead of running until stopped
  --no-demo       skip the demo scenario
  --fresh         empty the IPAM store first (by default it keeps its records; against a new moto server
                  they are reconciled: instances that are gone become decommissioned, with their history)
  --resume        reattach to the local AWS of the last run (an --endpoint that is still up) without
                  applying again; the store keeps its records
  --endpoint URL  use this AWS API instead of starting moto (also REFLEX_AWS_ENDPOINT), e.g. LocalStack
  --debug         print stack traces of errors (also REFLEX_DEBUG=1)

  Exit codes: 0 done, 1 a step or a demo failed, 2 usage error or local mode already running; stopped by a
  signal or \`pnpm stop\`: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP), as shells report them.`;

let flags: { endpoint?: string; 'no-demo': boolean; exit: boolean; fresh: boolean; resume: boolean; debug: boolean; help: boolean };
try {
  flags = parseArgs({
    options: {
      endpoint: { type: 'string' },
      'no-demo': { type: 'boolean', default: false },
      exit: { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
      resume: { type: 'boolean', default: false },
      debug: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (error) {
  console.error(`[reflex] ${(error as Error).message.split('. ')[0]}; pnpm start --help for the options`);
  process.exit(2);
}
if (flags.help) {
  console.log(HELP);
  process.exit(0);
}
if (flags.fresh && flags.resume) {
  console.error('[reflex] --fresh empties the store that --resume keeps: give one of them');
  process.exit(2);
}

const started = Date.now();
const log = (line: string) => console.log(`[reflex] ${line}`);
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const debug = flags.debug || process.env.REFLEX_DEBUG === '1';
const root = repoRoot();

let lock: LocalModeLock;
try {
  lock = acquireLock(root);
} catch (error) {
  if (error instanceof LocalModeRunningError) {
    console.error(`[reflex] ${error.message}`);
    process.exit(2);
  }
  throw error;
}
if (lock.stale) {
  log(
    `took over the lock of pid ${lock.stale.pid} (started ${lock.stale.startedAt}${lock.stale.endpoint ? `, ${lock.stale.endpoint}` : ''}), which is gone`,
  );
}

let aws: LocalAws | undefined;
let runner: LocalRunner | undefined;
let ipam: LocalIpam | undefined;
let stopping: Promise<never> | undefined;
/** Aborted on shutdown: stops Terraform if it is running. */
const aborted = new AbortController();
/** The deployment while it runs. */
let deploying: Promise<LocalDeployment> | undefined;
/** The route demo's network, created in the local AWS before the apply (not on --resume or --no-demo). */
let routeNetwork: Promise<import('./local/route-demo').RouteDemoNetwork> | undefined;

/** Stops what this command started, in order (runner, IPAM worker, moto), releases the lock and exits. */
function shutdown(code: number, why?: string): Promise<never> {
  stopping ??= (async () => {
    log(`stopping${why ? ` (${why})` : ''}…`);
    lock.update({ state: 'stopping' });
    // Whatever hangs, the process ends within ten seconds (moto goes with it: it watches its stdin).
    setTimeout(() => {
      console.error('[reflex] stopping took too long; exiting');
      lock.release();
      process.exit(code || 1);
    }, 10_000).unref();
    aborted.abort();
    // Terraform, if it runs, gets its interrupts and ends (SIGKILL after 5 s) before moto goes.
    await Promise.race([deploying?.catch(() => {}), new Promise((r) => setTimeout(r, 6000))]);
    await runner?.stop().catch(() => {});
    await ipam?.stop().catch(() => {});
    await aws?.stop().catch(() => {});
    lock.release();
    log(`stopped${aws && 'pid' in aws ? ' (runner, IPAM worker, moto server)' : ' (runner, IPAM worker)'}; lock released`);
    process.exit(code);
  })();
  return stopping;
}
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  process.on(signal, () => void shutdown(code, signal));
}
// pnpm (or a wrapper between it and this process, such as the `node` package's shell shim) can end without
// passing a signal on: killed outright, or by a SIGTERM it does not catch. This process stops when any of its
// parents up to pnpm is gone.
const parents = launchedBy();
setInterval(() => {
  const gone = parents.find((pid) => !isAlive(pid));
  if (gone !== undefined) void shutdown(143, `its parent process ${gone} is gone`);
}, 500).unref();

/** An error as one line with its causes; the stack too with --debug. */
const describe = (error: unknown) =>
  `${describeError(error, { names: false })}${debug ? `\n${inspect(error, { depth: 8 })}` : ''}`;

try {
  const endpoint = flags.endpoint ?? process.env.REFLEX_AWS_ENDPOINT;
  // moto starts while the rest of the local mode loads (a second or two of modules).
  // Its own moto server, never a test run's zygote's: it must be this process's child and end with it.
  const motoStarting = flags.resume || endpoint ? undefined : startMoto({ zygote: false });
  void motoStarting?.then((started) => (aws ??= started), () => {});
  m = await loadLocalMode();
  const location = m.localStoreLocation(root);
  let deployment: LocalDeployment;
  if (flags.resume) {
    const saved = m.savedDeployment(root);
    const target = endpoint ?? saved?.endpoint;
    if (!saved || !target) throw new UsageError('nothing to resume: no earlier run recorded its local AWS (.reflex/local/deployment.json)');
    try {
      await waitForEndpoint(target, 2000);
    } catch {
      throw new UsageError(`nothing to resume: the local AWS of the last run (${target}) does not answer; start without --resume`);
    }
    aws = await externalAws(target);
    deployment = await m.reattach(root, saved, target);
    log(`resumed the local environment at ${target} (applied ${saved.appliedAt}); not applying again`);
  } else {
    if (flags.fresh && 'dataDir' in location) {
      const holder = m.storeHolder(location.dataDir);
      if (holder) throw new UsageError(`--fresh: the IPAM store ${location.dataDir} is open in ${holder}; stop it first`);
      rmSync(location.dataDir, { recursive: true, force: true });
      log(`emptied the IPAM store ${location.dataDir} (--fresh)`);
    }
    // Bundles build while moto starts.
    const bundled = m.buildBundles(root, undefined, log);
    bundled.catch(() => {}); // awaited by deployLocal; a failure surfaces there
    aws = endpoint ? await externalAws(endpoint) : await motoStarting!;
    lock.update({ endpoint: aws.endpoint, ...('pid' in aws && typeof aws.pid === 'number' ? { motoPid: aws.pid } : {}) });
    log(`local AWS at ${aws.endpoint}${endpoint ? '' : ' (moto server, started for this run; it stops with it)'} [${elapsed()}]`);
    // A new moto server knows none of the instances the embedded store holds from an earlier run: the store
    // keeps them and is reconciled with it while Terraform runs (they become decommissioned, history and all).
    // A PostgreSQL server (DATABASE_URL) may hold more than local runs: it is never reconciled from here.
    const reconcileOld = !endpoint && 'dataDir' in location && existsSync(location.dataDir);
    if (endpoint) {
      log(`the IPAM store keeps its records; Terraform applies the local environment again (what is there already stays as it is)`);
    }
    if (reconcileOld) {
      log(`the IPAM store ${location.dataDir} keeps its records of earlier runs and is reconciled with this moto server (\`pnpm start --fresh\` empties it)`);
    }
    // The store opens (a new one runs initdb: seconds of CPU) and reconciles while Terraform waits on SQS.
    const endpointNow = aws.endpoint;
    // The route demo's transit gateway and VPN exist before the apply, which creates the alarms of their path.
    routeNetwork = flags['no-demo'] ? undefined : m.prepareRouteDemo(endpointNow, m.localEnv.region ?? 'us-east-1');
    routeNetwork?.catch(() => {}); // awaited by deployLocal; a failure surfaces there
    deploying = m.deployLocal({
      root,
      endpoint: endpointNow,
      log,
      bundled,
      reflexConfigs: routeNetwork?.then((n) => ({ 'route-failover': { paths: [n.path] }, 'route-api': n.routeApi })),
      signal: aborted.signal,
      whileApplying: () =>
        Promise.all([
          prepareStore(location, reconcileOld ? { endpoint: endpointNow } : undefined),
          flags['no-demo'] ? undefined : m.warmDemo(endpointNow, m.localEnv.region ?? 'us-east-1', demoMember()).catch(() => {}),
        ]),
    });
    deployment = await deploying;
    m.saveDeployment(root, deployment);
  }
  lock.update({ endpoint: deployment.endpoint, region: deployment.region });
  log(`${flags.resume ? 'reattached' : 'applied'} in ${elapsed()}; other tools reach this local AWS with: export REFLEX_AWS_ENDPOINT=${deployment.endpoint}`);

  runner = new m.LocalRunner(deployment, { root, log });
  await runner.start();
  if (runner.apiUrl) {
    m.saveDeployment(root, deployment, undefined, runner.apiUrl);
    log(`the route API answers at ${runner.apiUrl} (SigV4 with the local credentials); try \`pnpm reflex routes get <route-table-id>\``);
  }
  ipam = await m.startLocalIpam(deployment, { root, log, location });
  lock.update({ state: 'running' });
  log(`local mode is running (pid ${process.pid}) [${elapsed()}]`);

  if (!flags['no-demo']) {
    const ok = await demos(deployment);
    if (flags.exit) await shutdown(ok ? 0 : 1);
  } else if (flags.exit) {
    await shutdown(0);
  }
  log('the local runner is polling the reflex queues; Ctrl-C (or `pnpm stop` in another terminal) stops everything this command started');
} catch (error) {
  console.error(`[reflex] ${describe(error)}`);
  await shutdown(error instanceof UsageError || INVALID_INPUT.has((error as Error | undefined)?.name ?? '') ? 2 : 1);
}

/** The member account where the guard demo runs its protected instance. */
function demoMember(): { account: string; roleArn: string } | undefined {
  return m.localMembers[0];
}

/**
 * Opens the IPAM store once, so that its first open (initdb, migrations) is not paid during the demo, and
 * reconciles records an earlier moto server left with this one.
 */
async function prepareStore(location: StoreLocation, reconcileWith?: { endpoint: string }): Promise<void> {
  try {
    const target = reconcileWith && { endpoint: reconcileWith.endpoint, account: m.localEnv.account, region: m.localEnv.region ?? 'us-east-1', members: m.localMembers };
    const counts = await m.warmStore(location, target);
    if (counts) {
      log(
        `ipam: reconciled the store with this moto server: ${counts['instance-gone']} instance(s) of earlier runs decommissioned, ` +
          `${counts['network-deleted']} VPC/subnet block(s) marked deleted, ${counts['network-missing'] + counts['instance-missing']} new record(s)`,
      );
    }
  } catch (error) {
    log(`ipam: could not prepare the store: ${describe(error)}`);
  }
}

async function demos(deployment: LocalDeployment): Promise<boolean> {
  const result = await m.runDemo(deployment, { log });
  const acrossAccounts = result.protectedInstance.account !== deployment.account;
  const guardOk =
    result.protectedInstance.state === 'running' &&
    result.otherInstance.state === 'stopped' &&
    (!acrossAccounts || result.action?.account === result.protectedInstance.account);
  log(
    guardOk
      ? `demo passed: the protected instance runs again${acrossAccounts ? ` in member account ${result.protectedInstance.account} (its event forwarded to the hub, the guard acting through its spoke role)` : ''}, the unprotected one stays stopped [${elapsed()}]`
      : `demo FAILED: expected the protected instance running${acrossAccounts ? ', started in its member account,' : ''} and the other stopped`,
  );
  const blocked = await m.runBlockerDemo(deployment, runner!, { root, log });
  const blockerOk = blocked.blockedInMs !== undefined && blocked.refused && blocked.swept;
  log(
    blockerOk
      ? `ip-blocker demo passed: denied in ${blocked.nacls.length} NACLs within ${blocked.blockedInMs} ms, the allow-listed source refused, the expired block swept; try \`pnpm reflex blocks list\` [${elapsed()}]`
      : 'ip-blocker demo FAILED: expected the attacker denied in both NACLs, the allow-listed source refused and the block swept',
  );
  let routeOk = true;
  let apiOk = true;
  if (routeNetwork) {
    const network = await routeNetwork;
    // The route API's calls run while the route failover waits out its dwell times.
    const apiDemo = m.runRouteApiDemo(runner!.apiUrl, deployment, network, { log });
    const routed = await m.runRouteDemo(deployment, runner!, network, { log });
    routeOk = routed.afterFailover === routed.expected.backup && routed.afterFailback === routed.expected.primary;
    log(
      routeOk
        ? `route demo passed: ${m.DEMO_PREFIX} moved to the VPN after the down dwell and back after the up dwell, each verified; try \`pnpm reflex routes status\` [${elapsed()}]`
        : `route demo FAILED: expected ${routed.expected.backup} after the failover (got ${routed.afterFailover}) and ${routed.expected.primary} after the failback (got ${routed.afterFailback})`,
    );
    const api = await apiDemo;
    apiOk = m.routeApiDemoPassed(api);
    log(
      apiOk
        ? `route API demo passed: 2 prefixes pushed, the replay answered from the idempotency record, the overlapping prefix refused, the dry-run deletion changed nothing; try \`pnpm reflex routes get ${network.apiRouteTableId}\` [${elapsed()}]`
        : `route API demo FAILED: ${JSON.stringify(api)}`,
    );
  } else {
    log('route demo skipped: it needs the transit gateway a fresh apply creates (not with --resume)');
  }
  if (!ipam) return guardOk && blockerOk && routeOk && apiOk;
  const recorded = await m.runIpamDemo(deployment, ipam, { log });
  const ipamOk = recorded.instances.every((i) => i.privateIp) && recorded.overlaps.length > 0;
  const ip = recorded.instances.find((i) => i.privateIp)?.privateIp;
  log(
    ipamOk
      ? `ipam demo passed: try \`pnpm reflex ipam show ${ip}\`, \`pnpm reflex ipam subnets\`, \`pnpm reflex ipam overlaps\` [${elapsed()}]`
      : 'ipam demo FAILED: expected both instances with their addresses in the IPAM, and their VPCs overlapping',
  );
  return guardOk && blockerOk && routeOk && apiOk && ipamOk;
}

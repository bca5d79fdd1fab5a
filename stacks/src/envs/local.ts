import { NETWORK_TAG_POLICY } from './network-tags';
import { OFFICE_HOURS } from './schedules';
import type { EnvConfigInput } from './schema';

/** Everything on this machine: a local AWS API (moto server or LocalStack), reflexes run by the local runner. */
export const local: EnvConfigInput = {
  name: 'local',
  account: '123456789012', // moto's and LocalStack's default account
  region: 'us-east-1',
  dryRun: false,
  compute: 'local-runner',
  // A running local AWS API; `pnpm start` passes the moto server it started instead.
  endpoint: process.env.REFLEX_AWS_ENDPOINT || 'http://127.0.0.1:4566',
  state: { bucket: 'reflex-local-tfstate' },
  logRetentionDays: 1,
  tags: { environment: 'local' },
  // A workload account beside the hub, in the same moto server: \`pnpm start\` applies its spoke stack (with the
  // deployment role it creates there first, as Organizations would) and runs the guard demo's instance in it.
  memberAccounts: ['210987654321'],
  spokes: { externalId: 'reflex-local' },
  reflexes: {
    'instance-guard': { enabled: true },
    'instance-scheduler': {
      enabled: true,
      config: {
        // The reference scenario: the fleet stops at 08:50 UTC and starts at 07:00.
        schedules: [
          { name: 'reference', timezone: 'UTC', periods: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '07:00', stop: '08:50' }] },
          OFFICE_HOURS,
        ],
      },
    },
    'resource-tagger': { enabled: true, config: { mandatoryTags: NETWORK_TAG_POLICY } },
    'ipam-enricher': { enabled: true },
    // `pnpm start` runs the IPAM worker into the embedded store (.reflex/ipam), as on-prem.
    'ipam-sync': { enabled: true, consumer: 'worker' },
    'ipam-reconciler': { enabled: true, consumer: 'worker' },
    // The demo's "office" is allow-listed; blocks last ten minutes, so that the local sweep shows expiry.
    'ip-blocker': { enabled: true, config: { allowList: ['203.0.113.0/28'], ttlMinutes: 10 } },
    // Short timers for the demo; `pnpm start` adds the path of the transit gateway it creates in moto first.
    'route-failover': { enabled: true, config: { downDwellSeconds: 5, upDwellSeconds: 20, holdDownSeconds: 10 } },
    // `pnpm start` allows the route table and the VPN attachment of the demo's transit gateway.
    'route-api': { enabled: true },
    // Short steps, so that the end-to-end test sees the ladder: reboot, then stop/start.
    'auto-heal': { enabled: true, config: { cooldownMinutes: 1, stopWaitSeconds: 5 } },
    // Acts locally (the end-to-end test expires resources in moto); dry-run is the default elsewhere.
    reaper: { enabled: true, config: { dryRun: false } },
  },
  // The local runner's HTTP server signs callers in with the local AWS credentials as this principal.
  api: { allowedPrincipals: ['arn:aws:iam::123456789012:user/local-operator'] },
};

import { NETWORK_TAG_POLICY } from './network-tags';
import { OFFICE_HOURS } from './schedules';
import type { EnvConfigInput } from './schema';

export const dev: EnvConfigInput = {
  name: 'dev',
  account: '111111111111',
  region: 'eu-central-1',
  dryRun: true,
  state: { bucket: 'reflex-tfstate-111111111111' },
  logRetentionDays: 14,
  tags: { environment: 'dev', 'cost-center': 'network-automation' },
  // The sandbox workload account: its events reach dev's reflexes, which act there through spoke roles.
  memberAccounts: ['111111111122'],
  spokes: { externalId: 'reflex-dev-2f7c' },
  reflexes: {
    'instance-guard': { enabled: true },
    'instance-scheduler': { enabled: true, config: { schedules: [OFFICE_HOURS] } },
    'resource-tagger': { enabled: true, config: { mandatoryTags: NETWORK_TAG_POLICY } },
    'ipam-enricher': { enabled: true },
    // The IPAM database sits next to the network team's IPAM: a worker there long-polls the queue.
    'ipam-sync': { enabled: true, consumer: 'worker' },
    'ipam-reconciler': { enabled: true, consumer: 'worker' },
    // Heals instances tagged reflex:heal=true whose status checks fail: reboot, then stop/start.
    'auto-heal': { enabled: true },
    // Expires temporary infrastructure (reflex:expires-at); dry-run until the reaper's config says dryRun: false.
    reaper: { enabled: true },
    // On-prem automation sets the static routes to its data centres through the route API.
    'route-api': {
      enabled: true,
      config: { routeTables: ['tgw-rtb-0d0e0f0000000d001'], attachments: ['tgw-attach-0d0e0f0000000d0a1', 'tgw-attach-0d0e0f0000000d0a2'] },
    },
  },
  api: {
    allowedPrincipals: ['arn:aws:iam::111111111111:role/onprem-network-automation'],
    throttle: { rateLimit: 10, burstLimit: 20 },
  },
};

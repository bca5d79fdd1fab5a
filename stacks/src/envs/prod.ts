import { NETWORK_TAG_POLICY } from './network-tags';
import { OFFICE_HOURS } from './schedules';
import type { EnvConfigInput } from './schema';

export const prod: EnvConfigInput = {
  name: 'prod',
  account: '333333333333',
  region: 'eu-central-1',
  dryRun: false,
  state: { bucket: 'reflex-tfstate-333333333333' },
  logRetentionDays: 365,
  // Workload accounts of the organization; the second one is deployed through its own pipeline role.
  memberAccounts: ['444444444444', { account: '555555555555', deploymentRoleArn: 'arn:aws:iam::555555555555:role/network-automation-deploy' }],
  spokes: { organizationId: 'o-a1b2c3d4e5', externalId: 'reflex-prod-7d41' },
  tags: { environment: 'prod', 'cost-center': 'network-automation' },
  reflexes: {
    'instance-guard': { enabled: true, memoryMb: 512 },
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
      config: { routeTables: ['tgw-rtb-0f0f0f0f00000c001'], attachments: ['tgw-attach-0f0f0f0f0000c0a01', 'tgw-attach-0f0f0f0f0000c0a02'] },
    },
  },
  api: {
    allowedPrincipals: ['arn:aws:iam::333333333333:role/onprem-network-automation'],
    throttle: { rateLimit: 10, burstLimit: 20 },
    // A desired-state PUT rewrites a whole table: a few per second is plenty.
    routeThrottles: { 'PUT /route-tables/{id}/routes': { rateLimit: 2, burstLimit: 5 } },
  },
};

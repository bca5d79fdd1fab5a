import { REFLEX_TAGS } from '@reflex/events';
import type { ActionReport } from '@reflex/lambda-kit';
import type { ReaperConfig } from '../manifest';
import type { ActionsPort, DecisionLog, InventoryPort, MetricsPort, ReaperStatePort, Resource, ResourceKind, WriteResult } from '../ports';
import { ownerOf } from './never-touch';

export interface ReaperDeps {
  readonly inventory: InventoryPort;
  readonly actions: ActionsPort;
  /** CloudWatch, for idle detection (needed when `idle` is configured). */
  readonly metrics?: MetricsPort;
  readonly state: ReaperStatePort;
  readonly config: ReaperConfig;
  readonly log: DecisionLog;
  /** Act-nothing: the environment's dry-run or the config's. */
  readonly dryRun: boolean;
  /** A unique id for this invocation's run lease. */
  readonly holder: string;
  /** How long a run may hold its lease: the function's timeout. */
  readonly leaseMs: number;
  /** The wall clock, for stop intents and the run lease. @default () => new Date() */
  readonly clock?: () => Date;
}

/** The API call (or kind of action) that removes a resource of each kind. */
export const REMOVE_ACTION: Readonly<Record<ResourceKind, string>> = {
  instance: 'ec2:TerminateInstances',
  volume: 'ec2:DeleteVolume',
  snapshot: 'ec2:DeleteSnapshot',
  address: 'ec2:ReleaseAddress',
  'nat-gateway': 'ec2:DeleteNatGateway',
  'load-balancer': 'elasticloadbalancing:DeleteLoadBalancer',
  vpc: 'ec2:DeleteVpc',
  subnet: 'ec2:DeleteSubnet',
  'route-table': 'ec2:DeleteRouteTable',
  'internet-gateway': 'ec2:DeleteInternetGateway',
  'security-group': 'ec2:DeleteSecurityGroup',
  'vpc-endpoint': 'ec2:DeleteVpcEndpoints',
};

const ARN_TYPE: Readonly<Partial<Record<ResourceKind, string>>> = {
  instance: 'instance',
  volume: 'volume',
  address: 'elastic-ip',
  'nat-gateway': 'natgateway',
  vpc: 'vpc',
  subnet: 'subnet',
  'route-table': 'route-table',
  'internet-gateway': 'internet-gateway',
  'security-group': 'security-group',
  'vpc-endpoint': 'vpc-endpoint',
};

/** A resource's ARN (a load balancer's id is one; a snapshot's names no account). */
export function resourceArn(resource: Pick<Resource, 'kind' | 'id'>, region: string, account: string): string {
  if (resource.id.startsWith('arn:')) return resource.id;
  if (resource.kind === 'snapshot') return `arn:aws:ec2:${region}::snapshot/${resource.id}`;
  return `arn:aws:ec2:${region}:${account}:${ARN_TYPE[resource.kind] ?? resource.kind}/${resource.id}`;
}

/** The reaper's own keys: in dry-run, what it would have written wins over what the resource carries. */
const OWN_KEYS = new Set<string>([REFLEX_TAGS.expiryWarned, REFLEX_TAGS.stopIntent, REFLEX_TAGS.idleMarked]);

/** A resource's tags as a dry run sees them: its own, with the reaper's would-be writes over them (an expiry only where it has none). */
export function withDryRunTags(resource: Resource, overlay: Readonly<Record<string, string>> | undefined): Resource {
  if (!overlay) return resource;
  const tags = { ...resource.tags };
  for (const [key, value] of Object.entries(overlay)) if (OWN_KEYS.has(key) || tags[key] === undefined) tags[key] = value;
  return { ...resource, tags };
}

/** One run's reports, counts and writes: what every step of a run goes through. */
export class Run {
  readonly reports: ActionReport[] = [];
  readonly counts: Record<string, number> = {};
  /** Resources a lab VPC's teardown has taken on in this run: not acted on alone. */
  readonly handled = new Set<string>();

  constructor(
    readonly deps: ReaperDeps,
    readonly now: Date,
    private readonly where: { readonly region: string; readonly account: string },
    /** Dry-run: the tags a dry run would have written, by resource id. */
    private readonly overlay: Map<string, Record<string, string>>,
  ) {}

  get config(): ReaperConfig {
    return this.deps.config;
  }

  get dryRun(): boolean {
    return this.deps.dryRun;
  }

  count(what: string, n = 1): void {
    this.counts[what] = (this.counts[what] ?? 0) + n;
  }

  log(resource: Resource, message: string, decision: string): void {
    this.deps.log.info(`${resource.id}: ${message}`, { resourceId: resource.id, kind: resource.kind, decision });
  }

  /** Writes tags, or in dry-run keeps them in the reaper's table for the next dry run to decide from. */
  async writeTags(resources: readonly Resource[], tags: Readonly<Record<string, string>>): Promise<WriteResult> {
    if (!this.dryRun) return this.deps.actions.tag(resources, tags);
    for (const r of resources) {
      const merged = { ...this.overlay.get(r.id), ...tags };
      this.overlay.set(r.id, merged);
      await this.deps.state.putDryRunTags(r.id, merged);
    }
    return { status: 'dry-run' };
  }

  /**
   * Reports one action on resources (one Reflex Action): the reason with the owner, the outcome from the
   * write's result. A resource that was gone is only logged.
   */
  report(
    resources: readonly Resource[],
    action: string,
    result: WriteResult,
    reason: string,
    options: { readonly severity?: 'info' | 'warning'; readonly alert?: boolean; readonly change?: { key: string; from?: string; to?: string } } = {},
  ): void {
    const [first] = resources;
    if (!first) return;
    if (result.status === 'gone') {
      this.log(first, `${action}: it no longer exists`, 'gone');
      return;
    }
    const owners = [...new Set(resources.map((r) => ownerOf(r, this.config.ownerTags)).filter(Boolean))];
    const owner = owners.length ? `owner ${owners.join(', ')}` : `no owner tag (${this.config.ownerTags.join(', ')})`;
    const failed = result.status === 'failed' || result.status === 'refused';
    this.reports.push({
      action,
      targets: resources.map((r) => ({ id: r.id, arn: resourceArn(r, this.where.region, this.where.account) })),
      reason: `${reason} [${owner}]`,
      outcome: failed ? 'failed' : result.status === 'dry-run' ? 'dry-run' : options.alert ? 'alert' : 'succeeded',
      severity: failed ? 'warning' : (options.severity ?? 'info'),
      ...(failed ? { error: result.error } : {}),
      ...(options.change ? { change: options.change } : {}),
    });
  }
}

import { lazySdk } from '@reflex/lambda-kit';
import type { ReaperScope } from '../manifest';
import type { ActionsPort, InventoryPort, Resource, VpcContents, WriteResult } from '../ports';
import { Ec2Resources } from './ec2';
import { Elbv2Resources } from './elbv2';

const isLoadBalancer = (r: Pick<Resource, 'kind'>) => r.kind === 'load-balancer';

/**
 * The reaper's AWS: EC2 resources and elbv2 load balancers behind one inventory and one set of actions,
 * each call routed by kind (a load balancer's id is its ARN).
 *
 * @example
 * const aws = new AwsResources(new Ec2Resources(dryRun), new Elbv2Resources(dryRun));
 */
export class AwsResources implements InventoryPort, ActionsPort {
  constructor(
    private readonly ec2: Ec2Resources,
    private readonly elb: Elbv2Resources,
  ) {}

  /** The reaper's AWS with every client built from these options (endpoint, region, credentials): for the CLI and tests. */
  static withClientConfig(config: { readonly region: string; readonly endpoint?: string }, dryRun: boolean): AwsResources {
    return new AwsResources(
      new Ec2Resources(dryRun, lazySdk(() => import('@aws-sdk/client-ec2'), (sdk) => new sdk.EC2Client(config))),
      new Elbv2Resources(dryRun, lazySdk(() => import('@aws-sdk/client-elastic-load-balancing-v2'), (sdk) => new sdk.ElasticLoadBalancingV2Client(config))),
    );
  }

  async list(scope: ReaperScope, options: { readonly allInstances: boolean; readonly allSnapshots: boolean }): Promise<Resource[]> {
    const [ec2, elb] = await Promise.all([this.ec2.list(scope, options), scope.loadBalancers ? this.elb.list() : []]);
    return [...ec2, ...elb];
  }

  vpcContents(vpcId: string): Promise<VpcContents> {
    return this.ec2.vpcContents(vpcId);
  }

  find(id: string): Promise<Resource | undefined> {
    return id.startsWith('arn:') ? this.elb.find(id) : this.ec2.find(id);
  }

  async tag(resources: readonly Resource[], tags: Readonly<Record<string, string>>): Promise<WriteResult> {
    const elb = resources.filter(isLoadBalancer);
    const ec2 = resources.filter((r) => !isLoadBalancer(r));
    const results = await Promise.all([ec2.length ? this.ec2.tag(ec2, tags) : undefined, elb.length ? this.elb.tag(elb, tags) : undefined]);
    return results.find((r) => r !== undefined && r.status !== 'done' && r.status !== 'dry-run') ?? results.find((r) => r !== undefined) ?? { status: 'done' };
  }

  stop(instance: Resource): Promise<WriteResult> {
    return this.ec2.stop(instance);
  }

  createSnapshot(volume: Resource, tags: Readonly<Record<string, string>>): Promise<WriteResult & { readonly snapshotId?: string }> {
    return this.ec2.createSnapshot(volume, tags);
  }

  snapshotState(snapshotId: string): Promise<'pending' | 'completed' | 'error' | 'missing'> {
    return this.ec2.snapshotState(snapshotId);
  }

  remove(resource: Resource): Promise<WriteResult> {
    return isLoadBalancer(resource) ? this.elb.remove(resource) : this.ec2.remove(resource);
  }
}

import type { ElasticLoadBalancingV2Client, LoadBalancer } from '@aws-sdk/client-elastic-load-balancing-v2';
import { REFLEX_TAGS } from '@reflex/events';
import { accountSdk, awsErrorName, chunks, describeError, type LoadedSdk, ReflexError, tagList, tagRecord } from '@reflex/lambda-kit';
import type { Resource, WriteResult } from '../ports';

type ElbSdk = typeof import('@aws-sdk/client-elastic-load-balancing-v2');
export type LoadElb = () => Promise<LoadedSdk<ElbSdk, ElasticLoadBalancingV2Client>>;

/** The elbv2 client of the function's environment, loaded on first use. */
export const defaultElb: LoadElb = accountSdk(() => import('@aws-sdk/client-elastic-load-balancing-v2'), (sdk, config) => new sdk.ElasticLoadBalancingV2Client(config));

/** DescribeTags and AddTags take at most 20 ARNs. */
const TAGS_PER_CALL = 20;

/** elbv2's refusals: deletion protection, a load balancer in use. */
const REFUSALS = new Set(['OperationNotPermitted', 'OperationNotPermittedException', 'ResourceInUse', 'ResourceInUseException']);

const asResource = (lb: LoadBalancer, tags: Record<string, string>): Resource => ({
  kind: 'load-balancer',
  id: lb.LoadBalancerArn!,
  tags,
  state: lb.State?.Code ?? 'unknown',
  ...(lb.CreatedTime ? { createdAt: lb.CreatedTime } : {}),
  ...(lb.VpcId ? { vpcId: lb.VpcId } : {}),
});

/**
 * Application, network and gateway load balancers through the AWS SDK. elbv2 has no `DryRun`: with `dryRun`,
 * writes are not sent and answer `dry-run` (act-nothing).
 *
 * @example
 * const expiring = await new Elbv2Resources(false).list();
 */
export class Elbv2Resources {
  constructor(
    private readonly dryRun: boolean,
    private readonly elb: LoadElb = defaultElb,
  ) {}

  /** Load balancers with their tags: those that carry an expiry, or the ones named. */
  private async describe(arns?: readonly string[]): Promise<Resource[]> {
    const { sdk, client } = await this.elb();
    try {
      const all: LoadBalancer[] = [];
      for await (const page of sdk.paginateDescribeLoadBalancers({ client }, arns ? { LoadBalancerArns: [...arns] } : {})) all.push(...(page.LoadBalancers ?? []));
      const tags = new Map<string, Record<string, string>>();
      for (const batch of chunks(all.map((lb) => lb.LoadBalancerArn!), TAGS_PER_CALL)) {
        const out = await client.send(new sdk.DescribeTagsCommand({ ResourceArns: batch }));
        for (const d of out.TagDescriptions ?? []) tags.set(d.ResourceArn!, tagRecord(d.Tags));
      }
      return all.map((lb) => asResource(lb, tags.get(lb.LoadBalancerArn!) ?? {}));
    } catch (error) {
      throw new ReflexError(`DescribeLoadBalancers${arns ? ` ${arns.join(', ')}` : ''} failed`, { cause: error });
    }
  }

  /** The load balancers that carry an expiry. */
  async list(): Promise<Resource[]> {
    return (await this.describe()).filter((lb) => lb.tags[REFLEX_TAGS.expiresAt] !== undefined);
  }

  /** One load balancer by ARN, whatever its tags; undefined if elbv2 does not know it. */
  async find(arn: string): Promise<Resource | undefined> {
    try {
      return (await this.describe([arn]))[0];
    } catch (error) {
      if (/NotFound/.test(awsErrorName((error as Error).cause) ?? '')) return undefined;
      throw error;
    }
  }

  async tag(resources: readonly Resource[], tags: Readonly<Record<string, string>>): Promise<WriteResult> {
    return this.write((sdk) => new sdk.AddTagsCommand({ ResourceArns: resources.map((r) => r.id), Tags: tagList(tags) }));
  }

  async remove(resource: Resource): Promise<WriteResult> {
    return this.write((sdk) => new sdk.DeleteLoadBalancerCommand({ LoadBalancerArn: resource.id }));
  }

  private async write(command: (sdk: ElbSdk) => object): Promise<WriteResult> {
    if (this.dryRun) return { status: 'dry-run' };
    const { sdk, client } = await this.elb();
    try {
      await client.send(command(sdk) as never);
      return { status: 'done' };
    } catch (error) {
      const name = awsErrorName(error) ?? '';
      if (/NotFound/.test(name)) return { status: 'gone' };
      return { status: REFUSALS.has(name) ? 'refused' : 'failed', error: describeError(error) };
    }
  }
}

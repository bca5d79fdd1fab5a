import type { EC2Client, TransitGatewayRoute } from '@aws-sdk/client-ec2';
import { awsErrorName, lazySdk, type LoadedSdk, ReflexError } from '@reflex/lambda-kit';
import type { AttachedCidr, RouteTablePort, RouteWrite, TgwRoute } from '../ports';

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
export type LoadEc2 = () => Promise<LoadedSdk<Ec2Sdk, EC2Client>>;

/** The EC2 client of the function's environment, loaded on first use. */
export const defaultEc2: LoadEc2 = lazySdk(() => import('@aws-sdk/client-ec2'), (sdk) => new sdk.EC2Client({}));

/** SearchTransitGatewayRoutes answers at most this many routes, and has no paging. */
const SEARCH_MAX = 1000;

/**
 * Transit Gateway route tables through the AWS SDK. With `dryRun`, writes are sent with `DryRun: true` and
 * answer `dry-run`. A table's routes come from one SearchTransitGatewayRoutes (`type` static or propagated,
 * at most 1000 routes: more is refused rather than half read).
 *
 * @example
 * const tables = new Ec2RouteTables(false);
 * await tables.create('tgw-rtb-0123456789abcdef0', '10.20.0.0/16', 'tgw-attach-0123456789abcdef0');
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SearchTransitGatewayRoutes.html
 */
export class Ec2RouteTables implements RouteTablePort {
  constructor(
    private readonly dryRun: boolean,
    private readonly ec2: LoadEc2 = defaultEc2,
  ) {}

  async routes(tableId: string): Promise<TgwRoute[] | undefined> {
    const { sdk, client } = await this.ec2();
    let found: TransitGatewayRoute[];
    try {
      const out = await client.send(
        new sdk.SearchTransitGatewayRoutesCommand({ TransitGatewayRouteTableId: tableId, Filters: [{ Name: 'type', Values: ['static', 'propagated'] }], MaxResults: SEARCH_MAX }),
      );
      found = out.Routes ?? [];
      if (out.AdditionalRoutesAvailable) throw new ReflexError(`${tableId} has more than ${SEARCH_MAX} routes: Reflex does not manage tables it cannot read whole`);
    } catch (error) {
      if (awsErrorName(error) === 'InvalidRouteTableID.NotFound') return undefined;
      if (error instanceof ReflexError) throw error;
      throw new ReflexError(`SearchTransitGatewayRoutes ${tableId} failed`, { cause: error });
    }
    if (found.length === 0 && !(await this.exists(tableId))) return undefined;
    return found.flatMap((r): TgwRoute[] => {
      // Deleting and deleted routes are listed for a while after DeleteTransitGatewayRoute; prefix-list routes have no CIDR.
      if (!r.DestinationCidrBlock || r.State === 'deleting' || r.State === 'deleted') return [];
      const attachmentId = r.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId;
      return [
        {
          cidr: r.DestinationCidrBlock,
          type: r.Type === 'propagated' ? 'propagated' : 'static',
          state: r.State === 'blackhole' ? 'blackhole' : 'active',
          ...(attachmentId ? { attachmentId } : {}),
        },
      ];
    });
  }

  async attachedCidrs(tableId: string): Promise<AttachedCidr[]> {
    const { sdk, client } = await this.ec2();
    const vpcs = new Map<string, string>(); // attachment → VPC
    const add = (links: readonly { ResourceType?: string; ResourceId?: string; TransitGatewayAttachmentId?: string }[] | undefined) => {
      for (const l of links ?? []) if (l.ResourceType === 'vpc' && l.ResourceId && l.TransitGatewayAttachmentId) vpcs.set(l.TransitGatewayAttachmentId, l.ResourceId);
    };
    try {
      // Associations and propagations are read at once.
      await Promise.all([
        (async () => {
          for await (const page of sdk.paginateGetTransitGatewayRouteTableAssociations({ client }, { TransitGatewayRouteTableId: tableId })) add(page.Associations);
        })(),
        (async () => {
          for await (const page of sdk.paginateGetTransitGatewayRouteTablePropagations({ client }, { TransitGatewayRouteTableId: tableId })) add(page.TransitGatewayRouteTablePropagations);
        })(),
      ]);
    } catch (error) {
      throw new ReflexError(`reading the attachments of ${tableId} failed`, { cause: error });
    }
    if (vpcs.size === 0) return [];
    const cidrs = new Map<string, string[]>();
    try {
      const out = await client.send(new sdk.DescribeVpcsCommand({ VpcIds: [...new Set(vpcs.values())] }));
      for (const vpc of out.Vpcs ?? []) {
        const blocks = [
          ...(vpc.CidrBlockAssociationSet ?? []).filter((c) => c.CidrBlockState?.State === 'associated').map((c) => c.CidrBlock),
          ...(vpc.Ipv6CidrBlockAssociationSet ?? []).filter((c) => c.Ipv6CidrBlockState?.State === 'associated').map((c) => c.Ipv6CidrBlock),
        ].filter((c): c is string => !!c);
        cidrs.set(vpc.VpcId!, blocks.length ? blocks : vpc.CidrBlock ? [vpc.CidrBlock] : []);
      }
    } catch (error) {
      throw new ReflexError(`DescribeVpcs of the VPCs attached to ${tableId} failed`, { cause: error });
    }
    return [...vpcs].flatMap(([attachmentId, vpcId]) => (cidrs.get(vpcId) ?? []).map((cidr) => ({ attachmentId, vpcId, cidr })));
  }

  create(tableId: string, cidr: string, attachmentId: string): Promise<RouteWrite> {
    return this.write('CreateTransitGatewayRoute', `${tableId} ${cidr} → ${attachmentId}`, (sdk) =>
      new sdk.CreateTransitGatewayRouteCommand({ TransitGatewayRouteTableId: tableId, DestinationCidrBlock: cidr, TransitGatewayAttachmentId: attachmentId, DryRun: this.dryRun }),
    );
  }

  replace(tableId: string, cidr: string, attachmentId: string): Promise<RouteWrite> {
    return this.write('ReplaceTransitGatewayRoute', `${tableId} ${cidr} → ${attachmentId}`, (sdk) =>
      new sdk.ReplaceTransitGatewayRouteCommand({ TransitGatewayRouteTableId: tableId, DestinationCidrBlock: cidr, TransitGatewayAttachmentId: attachmentId, DryRun: this.dryRun }),
    );
  }

  remove(tableId: string, cidr: string): Promise<RouteWrite> {
    return this.write('DeleteTransitGatewayRoute', `${tableId} ${cidr}`, (sdk) =>
      new sdk.DeleteTransitGatewayRouteCommand({ TransitGatewayRouteTableId: tableId, DestinationCidrBlock: cidr, DryRun: this.dryRun }),
    );
  }

  private async write(call: string, what: string, command: (sdk: Ec2Sdk) => object): Promise<RouteWrite> {
    const { sdk, client } = await this.ec2();
    try {
      await client.send(command(sdk) as never);
      return 'done';
    } catch (error) {
      const name = awsErrorName(error);
      if (this.dryRun && name === 'DryRunOperation') return 'dry-run';
      if (name === 'RouteAlreadyExists' || name === 'InvalidRoute.NotFound') return 'conflict';
      throw new ReflexError(`${call} ${what}${this.dryRun ? ' (dry-run)' : ''} failed`, { cause: error });
    }
  }

  private async exists(tableId: string): Promise<boolean> {
    const { sdk, client } = await this.ec2();
    try {
      const out = await client.send(new sdk.DescribeTransitGatewayRouteTablesCommand({ TransitGatewayRouteTableIds: [tableId] }));
      return (out.TransitGatewayRouteTables ?? []).some((t) => t.State !== 'deleted');
    } catch (error) {
      if (awsErrorName(error) === 'InvalidRouteTableID.NotFound') return false;
      throw new ReflexError(`DescribeTransitGatewayRouteTables ${tableId} failed`, { cause: error });
    }
  }
}

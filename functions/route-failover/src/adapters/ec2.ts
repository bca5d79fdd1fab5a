import type { EC2Client, Route, TransitGatewayRoute } from '@aws-sdk/client-ec2';
import { type Cidr, parseCidr } from '@reflex/ip';
import { awsErrorName, lazySdk, type LoadedSdk, ReflexError } from '@reflex/lambda-kit';
import type { LinksPort, RouteTableRef, RouteView, RoutesPort, RouteWrite } from '../ports';

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
export type LoadEc2 = () => Promise<LoadedSdk<Ec2Sdk, EC2Client>>;

/** The EC2 client of the function's environment, loaded on first use. */
export const defaultEc2: LoadEc2 = lazySdk(() => import('@aws-sdk/client-ec2'), (sdk) => new sdk.EC2Client({}));

/**
 * Transit Gateway and VPC route tables through the AWS SDK; with `dryRun`, route writes are sent with
 * `DryRun: true` and answer `dry-run`.
 *
 * In a Transit Gateway route table, the routes within a prefix come from two searches (`route-search.exact-match`
 * and `route-search.subnet-of-match`); SearchTransitGatewayRoutes has no paging, so at most 1000 more specific
 * routes are read.
 *
 * @example
 * const routes = new Ec2Routes(false);
 * await routes.addStatic({ kind: 'tgw', id: 'tgw-rtb-0123456789abcdef0' }, '10.20.0.0/16', 'tgw-attach-0123456789abcdef0');
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SearchTransitGatewayRoutes.html
 */
export class Ec2Routes implements RoutesPort {
  constructor(
    private readonly dryRun: boolean,
    private readonly ec2: LoadEc2 = defaultEc2,
  ) {}

  async routesWithin(table: RouteTableRef, prefix: string): Promise<RouteView[]> {
    const within = withinOf(prefix);
    const routes = table.kind === 'tgw' ? await this.tgwRoutes(table.id, prefix) : await this.vpcRoutes(table.id);
    return routes.filter((r) => within(r.destination));
  }

  async addStatic(table: RouteTableRef, prefix: string, target: string): Promise<RouteWrite> {
    const { sdk, client } = await this.ec2();
    const call = table.kind === 'tgw' ? 'CreateTransitGatewayRoute' : 'CreateRoute';
    try {
      if (table.kind === 'tgw') {
        await client.send(
          new sdk.CreateTransitGatewayRouteCommand({ TransitGatewayRouteTableId: table.id, DestinationCidrBlock: prefix, TransitGatewayAttachmentId: target, DryRun: this.dryRun }),
        );
      } else {
        await client.send(new sdk.CreateRouteCommand({ RouteTableId: table.id, ...destination(prefix), ...vpcTarget(target), DryRun: this.dryRun }));
      }
      return 'done';
    } catch (error) {
      if (this.dryRun && awsErrorName(error) === 'DryRunOperation') return 'dry-run';
      if (awsErrorName(error) === 'RouteAlreadyExists') return 'conflict';
      throw new ReflexError(`${call} ${table.id} ${prefix} → ${target}${this.dryRun ? ' (dry-run)' : ''} failed`, { cause: error });
    }
  }

  async removeStatic(table: RouteTableRef, prefix: string): Promise<RouteWrite> {
    const { sdk, client } = await this.ec2();
    const call = table.kind === 'tgw' ? 'DeleteTransitGatewayRoute' : 'DeleteRoute';
    try {
      if (table.kind === 'tgw') {
        await client.send(new sdk.DeleteTransitGatewayRouteCommand({ TransitGatewayRouteTableId: table.id, DestinationCidrBlock: prefix, DryRun: this.dryRun }));
      } else {
        await client.send(new sdk.DeleteRouteCommand({ RouteTableId: table.id, ...destination(prefix), DryRun: this.dryRun }));
      }
      return 'done';
    } catch (error) {
      if (this.dryRun && awsErrorName(error) === 'DryRunOperation') return 'dry-run';
      if (awsErrorName(error) === 'InvalidRoute.NotFound') return 'conflict';
      throw new ReflexError(`${call} ${table.id} ${prefix}${this.dryRun ? ' (dry-run)' : ''} failed`, { cause: error });
    }
  }

  private async tgwRoutes(tableId: string, prefix: string): Promise<RouteView[]> {
    const { sdk, client } = await this.ec2();
    const found: TransitGatewayRoute[] = [];
    // One filter of each name: filters of different names must all match, so exact and more specific take a search each.
    for (const filter of ['route-search.exact-match', 'route-search.subnet-of-match']) {
      try {
        const out = await client.send(new sdk.SearchTransitGatewayRoutesCommand({ TransitGatewayRouteTableId: tableId, Filters: [{ Name: filter, Values: [prefix] }] }));
        found.push(...(out.Routes ?? []));
      } catch (error) {
        throw new ReflexError(`SearchTransitGatewayRoutes ${tableId} ${filter} ${prefix} failed`, { cause: error });
      }
    }
    const seen = new Set<string>();
    return found.flatMap((r): RouteView[] => {
      // Deleting and deleted routes are listed for a while after DeleteTransitGatewayRoute: they carry nothing.
      if (!r.DestinationCidrBlock || r.State === 'deleting' || r.State === 'deleted') return [];
      const target = (r.TransitGatewayAttachments ?? []).map((a) => a.TransitGatewayAttachmentId).filter((a): a is string => !!a).join(',') || undefined;
      const view: RouteView = {
        destination: r.DestinationCidrBlock,
        origin: r.Type === 'propagated' ? 'propagated' : 'static',
        // `pending`: being created; it forwards within seconds.
        state: r.State === 'blackhole' ? 'blackhole' : 'active',
        ...(target ? { target } : {}),
      };
      const key = `${view.destination} ${view.origin} ${view.target ?? ''}`;
      if (seen.has(key)) return [];
      seen.add(key);
      return [view];
    });
  }

  private async vpcRoutes(tableId: string): Promise<RouteView[]> {
    const { sdk, client } = await this.ec2();
    try {
      const out = await client.send(new sdk.DescribeRouteTablesCommand({ RouteTableIds: [tableId] }));
      return (out.RouteTables ?? []).flatMap((t) => t.Routes ?? []).flatMap(toVpcView);
    } catch (error) {
      throw new ReflexError(`DescribeRouteTables ${tableId} failed`, { cause: error });
    }
  }
}

/**
 * VPN tunnel health from DescribeVpnConnections' `VgwTelemetry`: the tunnels whose status is `UP`, of all the
 * connection reports. Only reads: `dryRun` changes nothing.
 *
 * @example
 * const tunnels = await new Ec2Links(false).vpnTunnels('vpn-0123456789abcdef0'); // { up: 2, total: 2 }
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VgwTelemetry.html
 */
export class Ec2Links implements LinksPort {
  constructor(
    _dryRun: boolean,
    private readonly ec2: LoadEc2 = defaultEc2,
  ) {}

  async vpnTunnels(vpnConnectionId: string): Promise<{ up: number; total: number } | undefined> {
    const { sdk, client } = await this.ec2();
    try {
      const out = await client.send(new sdk.DescribeVpnConnectionsCommand({ VpnConnectionIds: [vpnConnectionId] }));
      const connection = (out.VpnConnections ?? []).find((c) => c.VpnConnectionId === vpnConnectionId);
      // A deleted connection is still listed for a while after its deletion.
      if (!connection || connection.State === 'deleted') return undefined;
      const telemetry = connection.VgwTelemetry ?? [];
      // A connection being created or deleted carries no traffic, whatever its last telemetry said.
      const up = connection.State === 'available' ? telemetry.filter((t) => t.Status === 'UP').length : 0;
      return { up, total: telemetry.length };
    } catch (error) {
      if (awsErrorName(error) === 'InvalidVpnConnectionID.NotFound') return undefined;
      throw new ReflexError(`DescribeVpnConnections ${vpnConnectionId} failed`, { cause: error });
    }
  }
}

/** Whether a destination is `prefix` or a more specific block inside it (same family). */
function withinOf(prefix: string): (destination: string) => boolean {
  const outer = parseCidr(prefix);
  if (!outer) throw new ReflexError(`${prefix} is not a CIDR block`);
  return (destination) => {
    const inner: Cidr | undefined = parseCidr(destination);
    return !!inner && inner.version === outer.version && inner.bits >= outer.bits && (inner.network & outer.mask) === outer.network;
  };
}

const destination = (prefix: string) => (prefix.includes(':') ? { DestinationIpv6CidrBlock: prefix } : { DestinationCidrBlock: prefix });

function vpcTarget(target: string): { GatewayId: string } | { TransitGatewayId: string } {
  if (target.startsWith('vgw-')) return { GatewayId: target };
  if (target.startsWith('tgw-')) return { TransitGatewayId: target };
  throw new ReflexError(`${target} is neither a virtual private gateway (vgw-…) nor a transit gateway (tgw-…)`);
}

function toVpcView(r: Route): RouteView[] {
  // Routes to a prefix list have no CIDR block of their own.
  const dest = r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock;
  if (!dest) return [];
  const target =
    r.GatewayId ?? r.TransitGatewayId ?? r.NatGatewayId ?? r.NetworkInterfaceId ?? r.VpcPeeringConnectionId ?? r.InstanceId ?? r.EgressOnlyInternetGatewayId ?? r.LocalGatewayId ?? r.CarrierGatewayId ?? r.CoreNetworkArn;
  return [
    {
      destination: dest,
      // CreateRouteTable (the local route) and CreateRoute are static; EnableVgwRoutePropagation is learned.
      origin: r.Origin === 'EnableVgwRoutePropagation' ? 'propagated' : 'static',
      state: r.State === 'blackhole' ? 'blackhole' : 'active',
      ...(target ? { target } : {}),
    },
  ];
}

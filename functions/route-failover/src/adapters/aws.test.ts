// The adapters against moto server: a Transit Gateway with a VPC and a VPN attachment, a VPC route table with a
// virtual private gateway, and a DynamoDB table shaped as the stacks build it (partition key pk, sort key sk,
// TTL attribute ttl). The patched moto (packages/local-aws) propagates a VPC attachment's CIDR blocks into a
// Transit Gateway route table and reports two tunnels per available VPN connection; what it cannot produce comes
// from a stand-in client that answers as EC2 does.
import { describe, expect, it } from '@jest/globals';
import {
  AttachVpnGatewayCommand,
  CreateCustomerGatewayCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateTransitGatewayCommand,
  CreateTransitGatewayRouteCommand,
  CreateTransitGatewayRouteTableCommand,
  CreateTransitGatewayVpcAttachmentCommand,
  CreateVpcCommand,
  CreateVpnConnectionCommand,
  CreateVpnGatewayCommand,
  DescribeTransitGatewayAttachmentsCommand,
  EC2Client,
  EnableTransitGatewayRouteTablePropagationCommand,
} from '@aws-sdk/client-ec2';
import { lazySdk } from '@reflex/lambda-kit';
import { createStateTable, localLoader, useMoto } from '@reflex/local-aws/testing';
import { newPath } from '../core/path-machine';
import type { InstalledRoute, JournalEntry, RouteTableRef, RouteView } from '../ports';
import { DynamoFailoverState, type LoadDynamo } from './dynamodb';
import { Ec2Links, Ec2Routes, type LoadEc2 } from './ec2';

let ec2: EC2Client;
let loadEc2: LoadEc2;
let loadDynamo: LoadDynamo;
let tableCount = 0;

useMoto(async (aws) => {
  const ec2s = await localLoader(aws.endpoint, () => import('@aws-sdk/client-ec2'), (sdk, config) => new sdk.EC2Client(config));
  const dynamos = await localLoader(aws.endpoint, () => import('@aws-sdk/client-dynamodb'), (sdk, config) => new sdk.DynamoDBClient(config));
  [ec2, loadEc2, loadDynamo] = [ec2s.client, ec2s.loader, dynamos.loader];
  return { destroy: () => [ec2s, dynamos].forEach((c) => c.destroy()) };
});

async function stateTable(): Promise<string> {
  const { client } = await loadDynamo();
  return createStateTable(client, `reflex-test-route-failover-${++tableCount}`);
}

/** A Transit Gateway, a route table of it, a VPC attachment and a Site-to-Site VPN attachment. */
async function transitGateway() {
  const tgwId = (await ec2.send(new CreateTransitGatewayCommand({}))).TransitGateway!.TransitGatewayId!;
  const tableId = (await ec2.send(new CreateTransitGatewayRouteTableCommand({ TransitGatewayId: tgwId }))).TransitGatewayRouteTable!.TransitGatewayRouteTableId!;
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.61.0.0/16' }))).Vpc!.VpcId!;
  const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.61.1.0/24' }))).Subnet!.SubnetId!;
  const vpcAttachment = (await ec2.send(new CreateTransitGatewayVpcAttachmentCommand({ TransitGatewayId: tgwId, VpcId: vpcId, SubnetIds: [subnetId] })))
    .TransitGatewayVpcAttachment!.TransitGatewayAttachmentId!;
  const cgw = (await ec2.send(new CreateCustomerGatewayCommand({ Type: 'ipsec.1', PublicIp: '198.51.100.1', BgpAsn: 65000 }))).CustomerGateway!.CustomerGatewayId!;
  const vpnId = (await ec2.send(new CreateVpnConnectionCommand({ Type: 'ipsec.1', CustomerGatewayId: cgw, TransitGatewayId: tgwId }))).VpnConnection!.VpnConnectionId!;
  const attachments = (await ec2.send(new DescribeTransitGatewayAttachmentsCommand({}))).TransitGatewayAttachments ?? [];
  const vpnAttachment = attachments.find((a) => a.ResourceId === vpnId)!.TransitGatewayAttachmentId!;
  return { tgwId, table: { kind: 'tgw', id: tableId } as RouteTableRef, vpcAttachment, vpnAttachment, vpnId };
}

/** A VPC with a virtual private gateway attached and a route table of its own. */
async function vpcWithVgw() {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.62.0.0/16' }))).Vpc!.VpcId!;
  const vgwId = (await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }))).VpnGateway!.VpnGatewayId!;
  await ec2.send(new AttachVpnGatewayCommand({ VpcId: vpcId, VpnGatewayId: vgwId }));
  const tableId = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
  return { vgwId, table: { kind: 'vpc', id: tableId } as RouteTableRef };
}

const byDestination = (routes: RouteView[]) => [...routes].sort((a, b) => a.destination.localeCompare(b.destination));

describe('Ec2Routes on a Transit Gateway route table (against moto)', () => {
  it('reads the routes for a prefix and every more specific one, with their attachments, and no others', async () => {
    const { table, vpcAttachment, vpnAttachment } = await transitGateway();
    const static_ = (cidr: string, attachment?: string) =>
      ec2.send(new CreateTransitGatewayRouteCommand({ TransitGatewayRouteTableId: table.id, DestinationCidrBlock: cidr, ...(attachment ? { TransitGatewayAttachmentId: attachment } : { Blackhole: true }) }));
    await static_('10.20.0.0/16', vpnAttachment);
    await static_('10.20.5.0/24', vpcAttachment);
    await static_('10.20.9.0/24');
    await static_('10.21.0.0/16', vpnAttachment);
    await static_('10.0.0.0/8', vpcAttachment);

    const routes = await new Ec2Routes(false, loadEc2).routesWithin(table, '10.20.0.0/16');

    expect(byDestination(routes)).toEqual([
      { destination: '10.20.0.0/16', origin: 'static', state: 'active', target: vpnAttachment },
      { destination: '10.20.5.0/24', origin: 'static', state: 'active', target: vpcAttachment },
      { destination: '10.20.9.0/24', origin: 'static', state: 'blackhole' },
    ]);
  }, 30_000);

  it('creates and deletes a static route; a second create and the delete of a missing route are conflicts', async () => {
    const { table, vpnAttachment, vpcAttachment } = await transitGateway();
    const routes = new Ec2Routes(false, loadEc2);

    expect(await routes.addStatic(table, '10.20.0.0/16', vpnAttachment)).toBe('done');
    expect(await routes.addStatic(table, '10.20.0.0/16', vpcAttachment)).toBe('conflict');
    expect(await routes.routesWithin(table, '10.20.0.0/16')).toEqual([{ destination: '10.20.0.0/16', origin: 'static', state: 'active', target: vpnAttachment }]);
    expect(await routes.removeStatic(table, '10.20.0.0/16')).toBe('done');
    expect(await routes.removeStatic(table, '10.20.0.0/16')).toBe('conflict');
    expect(await routes.routesWithin(table, '10.20.0.0/16')).toEqual([]);
  }, 30_000);

  it('in dry-run, asks EC2 with DryRun and changes nothing', async () => {
    const { table, vpnAttachment, vpcAttachment } = await transitGateway();
    await new Ec2Routes(false, loadEc2).addStatic(table, '10.20.5.0/24', vpcAttachment);
    const dry = new Ec2Routes(true, loadEc2);

    expect(await dry.addStatic(table, '10.20.0.0/16', vpnAttachment)).toBe('dry-run');
    expect(await dry.removeStatic(table, '10.20.5.0/24')).toBe('dry-run');
    expect(await dry.routesWithin(table, '10.20.0.0/16')).toEqual([{ destination: '10.20.5.0/24', origin: 'static', state: 'active', target: vpcAttachment }]);
  }, 30_000);

  it('installs a static route over a propagated one, and reads the propagated one again once it is removed', async () => {
    const { table, vpcAttachment, vpnAttachment } = await transitGateway();
    await ec2.send(new EnableTransitGatewayRouteTablePropagationCommand({ TransitGatewayRouteTableId: table.id, TransitGatewayAttachmentId: vpcAttachment }));
    const routes = new Ec2Routes(false, loadEc2);
    const propagated = { destination: '10.61.0.0/16', origin: 'propagated', state: 'active', target: vpcAttachment };

    expect(await routes.routesWithin(table, '10.61.0.0/16')).toEqual([propagated]);
    expect(await routes.addStatic(table, '10.61.0.0/16', vpnAttachment)).toBe('done');
    expect(await routes.routesWithin(table, '10.61.0.0/16')).toEqual([{ destination: '10.61.0.0/16', origin: 'static', state: 'active', target: vpnAttachment }]);
    expect(await routes.removeStatic(table, '10.61.0.0/16')).toBe('done');
    expect(await routes.routesWithin(table, '10.0.0.0/8')).toEqual([propagated]);
  }, 30_000);

  it('fails naming the call when the table does not exist', async () => {
    const routes = new Ec2Routes(false, loadEc2);

    await expect(routes.addStatic({ kind: 'tgw', id: 'tgw-rtb-0123456789abcdef0' }, '10.20.0.0/16', 'tgw-attach-0123456789abcdef0')).rejects.toThrow(
      'CreateTransitGatewayRoute tgw-rtb-0123456789abcdef0 10.20.0.0/16 → tgw-attach-0123456789abcdef0 failed',
    );
  }, 30_000);
});

describe('Ec2Routes on a VPC route table (against moto)', () => {
  it('creates routes to a virtual private gateway and to a transit gateway, and reads them with the local route', async () => {
    const { tgwId } = await transitGateway();
    const { vgwId, table } = await vpcWithVgw();
    const routes = new Ec2Routes(false, loadEc2);

    expect(await routes.addStatic(table, '10.20.0.0/16', vgwId)).toBe('done');
    expect(await routes.addStatic(table, '10.20.7.0/24', tgwId)).toBe('done');

    expect(byDestination(await routes.routesWithin(table, '10.0.0.0/8'))).toEqual([
      { destination: '10.20.0.0/16', origin: 'static', state: 'active', target: vgwId },
      { destination: '10.20.7.0/24', origin: 'static', state: 'active', target: tgwId },
      { destination: '10.62.0.0/16', origin: 'static', state: 'active', target: 'local' },
    ]);
    expect((await routes.routesWithin(table, '10.20.0.0/16')).map((r) => r.destination).sort()).toEqual(['10.20.0.0/16', '10.20.7.0/24']);
  }, 30_000);

  it('reports a second create and the delete of a missing route as conflicts', async () => {
    const { vgwId, table } = await vpcWithVgw();
    const routes = new Ec2Routes(false, loadEc2);

    await routes.addStatic(table, '10.20.0.0/16', vgwId);

    expect(await routes.addStatic(table, '10.20.0.0/16', vgwId)).toBe('conflict');
    expect(await routes.removeStatic(table, '10.20.0.0/16')).toBe('done');
    expect(await routes.removeStatic(table, '10.20.0.0/16')).toBe('conflict');
  }, 30_000);

  it('in dry-run, asks EC2 with DryRun and changes nothing', async () => {
    const { vgwId, table } = await vpcWithVgw();
    await new Ec2Routes(false, loadEc2).addStatic(table, '10.20.5.0/24', vgwId);
    const dry = new Ec2Routes(true, loadEc2);

    expect(await dry.addStatic(table, '10.20.0.0/16', vgwId)).toBe('dry-run');
    expect(await dry.removeStatic(table, '10.20.5.0/24')).toBe('dry-run');
    expect(await dry.routesWithin(table, '10.20.0.0/16')).toEqual([{ destination: '10.20.5.0/24', origin: 'static', state: 'active', target: vgwId }]);
  }, 30_000);

  it('fails naming the call when the table does not exist', async () => {
    await expect(new Ec2Routes(false, loadEc2).routesWithin({ kind: 'vpc', id: 'rtb-0123456789abcdef0' }, '10.20.0.0/16')).rejects.toThrow('DescribeRouteTables rtb-0123456789abcdef0 failed');
  }, 30_000);
});

describe('Ec2Links (against moto)', () => {
  it('counts the tunnels whose telemetry says UP, of those the connection reports', async () => {
    const { vpnId } = await transitGateway();
    const links = new Ec2Links(false, loadEc2);

    expect(await links.vpnTunnels(vpnId)).toEqual({ up: 2, total: 2 });
    // Local only: the patched moto brings tunnels down by this tag; EC2 knows no such tag.
    await ec2.send(new CreateTagsCommand({ Resources: [vpnId], Tags: [{ Key: 'reflex:local-tunnels-up', Value: '1' }] }));
    expect(await links.vpnTunnels(vpnId)).toEqual({ up: 1, total: 2 });
  }, 30_000);

  it('answers undefined for a connection that does not exist', async () => {
    expect(await new Ec2Links(false, loadEc2).vpnTunnels('vpn-0123456789abcdef0')).toBeUndefined();
  }, 30_000);
});

// Answers of EC2 that moto does not give (a static and a propagated route for one destination both listed, ECMP
// routes, routes being deleted, a VGW's propagated routes, a connection being deleted): from a stand-in client.
describe('Ec2Routes and Ec2Links with EC2 answers moto cannot produce', () => {
  const standIn = (answer: (name: string, input: Record<string, unknown>) => unknown): LoadEc2 =>
    lazySdk(async () => import('@aws-sdk/client-ec2'), () => ({
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => answer(command.constructor.name.replace(/Command$/, ''), command.input),
    }) as unknown as EC2Client);
  const via = (id: string) => ({ TransitGatewayAttachments: [{ TransitGatewayAttachmentId: id, ResourceType: 'vpn', ResourceId: 'vpn-1' }] });

  it('reads propagated Transit Gateway routes beside a static one, once each, and leaves out deleted ones', async () => {
    const exact = [
      { DestinationCidrBlock: '10.20.0.0/16', Type: 'static', State: 'active', ...via('tgw-attach-vpn') },
      { DestinationCidrBlock: '10.20.0.0/16', Type: 'propagated', State: 'active', ...via('tgw-attach-dx') },
    ];
    const specifics = [
      ...exact,
      { DestinationCidrBlock: '10.20.4.0/22', Type: 'propagated', State: 'active', TransitGatewayAttachments: [{ TransitGatewayAttachmentId: 'tgw-attach-a' }, { TransitGatewayAttachmentId: 'tgw-attach-b' }] },
      { DestinationCidrBlock: '10.20.8.0/24', Type: 'static', State: 'deleted', ...via('tgw-attach-vpn') },
    ];
    const searches: string[] = [];
    const load = standIn((name, input) => {
      const filter = (input.Filters as { Name: string }[])[0]!.Name;
      searches.push(`${name} ${filter}`);
      return { Routes: filter === 'route-search.exact-match' ? exact : specifics, AdditionalRoutesAvailable: false };
    });

    const routes = await new Ec2Routes(false, load).routesWithin({ kind: 'tgw', id: 'tgw-rtb-1' }, '10.20.0.0/16');

    expect(searches).toEqual(['SearchTransitGatewayRoutes route-search.exact-match', 'SearchTransitGatewayRoutes route-search.subnet-of-match']);
    expect(routes).toEqual([
      { destination: '10.20.0.0/16', origin: 'static', state: 'active', target: 'tgw-attach-vpn' },
      { destination: '10.20.0.0/16', origin: 'propagated', state: 'active', target: 'tgw-attach-dx' },
      { destination: '10.20.4.0/22', origin: 'propagated', state: 'active', target: 'tgw-attach-a,tgw-attach-b' },
    ]);
  });

  it('reads a route a virtual private gateway propagates into a VPC route table as propagated', async () => {
    const load = standIn(() => ({
      RouteTables: [
        {
          Routes: [
            { DestinationCidrBlock: '10.20.0.0/16', GatewayId: 'vgw-1', Origin: 'EnableVgwRoutePropagation', State: 'active' },
            { DestinationCidrBlock: '10.20.0.0/16', TransitGatewayId: 'tgw-1', Origin: 'CreateRoute', State: 'blackhole' },
            { DestinationPrefixListId: 'pl-1', GatewayId: 'vgw-1', Origin: 'CreateRoute', State: 'active' },
          ],
        },
      ],
    }));

    expect(await new Ec2Routes(false, load).routesWithin({ kind: 'vpc', id: 'rtb-1' }, '10.20.0.0/16')).toEqual([
      { destination: '10.20.0.0/16', origin: 'propagated', state: 'active', target: 'vgw-1' },
      { destination: '10.20.0.0/16', origin: 'static', state: 'blackhole', target: 'tgw-1' },
    ]);
  });

  it('counts no tunnel up on a connection being deleted, and none at all on a deleted one', async () => {
    const tunnel = (Status: string) => ({ Status, OutsideIpAddress: '203.0.113.1', StatusMessage: '' });
    const connections: Record<string, object> = {
      'vpn-going': { VpnConnectionId: 'vpn-going', State: 'deleting', VgwTelemetry: [tunnel('UP'), tunnel('UP')] },
      'vpn-gone': { VpnConnectionId: 'vpn-gone', State: 'deleted', VgwTelemetry: [tunnel('DOWN'), tunnel('DOWN')] },
    };
    const links = new Ec2Links(false, standIn((_, input) => ({ VpnConnections: [connections[(input.VpnConnectionIds as string[])[0]!]] })));

    expect(await links.vpnTunnels('vpn-going')).toEqual({ up: 0, total: 2 });
    expect(await links.vpnTunnels('vpn-gone')).toBeUndefined();
  });
});

describe('DynamoFailoverState (against moto)', () => {
  const at = '2026-12-06T10:00:00.000Z';
  const tgw: RouteTableRef = { kind: 'tgw', id: 'tgw-rtb-1' };
  const vpc: RouteTableRef = { kind: 'vpc', id: 'rtb-1' };
  const route = (path: string, table: RouteTableRef, prefix: string): InstalledRoute => ({ path, table, prefix, target: table.kind === 'tgw' ? 'tgw-attach-1' : 'vgw-1', installedAt: at });
  const entry = (path: string, when: string, decision: JournalEntry['decision'] = 'failover'): JournalEntry => ({
    path,
    at: when,
    decision,
    from: 'primary',
    to: 'vpn-a',
    prefixes: ['10.20.0.0/16'],
    tables: ['tgw-rtb-1', 'rtb-1'],
    reason: 'primary down since 2026-12-06T09:58:00.000Z',
    verification: ['tgw-rtb-1: 10.20.0.0/16: installed, verified static via tgw-attach-1'],
    dryRun: false,
  });

  it('saves a path state from the version it read; a save from an older version is refused', async () => {
    const state = new DynamoFailoverState(await stateTable(), false, loadDynamo);
    const first = newPath('dc1', ['vpn-a'], at);
    const second = { ...first, routedVia: { kind: 'backup', backup: 'vpn-a' } as const, changes: [at], lastChangeAt: at };

    expect(await state.path('dc1')).toBeUndefined();
    expect(await state.savePath(first, 0)).toBe(true);
    expect(await state.savePath(first, 0)).toBe(false);
    expect(await state.savePath(second, 1)).toBe(true);
    expect(await state.savePath(first, 1)).toBe(false);
    expect(await state.path('dc1')).toEqual({ state: second, version: 2 });
  });

  it("keeps, lists and deletes a path's installed routes, in both kinds of table", async () => {
    const state = new DynamoFailoverState(await stateTable(), false, loadDynamo);

    await state.putInstalled(route('dc1', tgw, '10.20.0.0/16'));
    await state.putInstalled(route('dc1', vpc, '10.20.0.0/16'));
    await state.putInstalled(route('dc2', tgw, '10.30.0.0/16'));

    expect(await state.installed('dc1')).toEqual([route('dc1', vpc, '10.20.0.0/16'), route('dc1', tgw, '10.20.0.0/16')]);
    await state.deleteInstalled({ path: 'dc1', table: tgw, prefix: '10.20.0.0/16' });
    expect(await state.installed('dc1')).toEqual([route('dc1', vpc, '10.20.0.0/16')]);
    expect(await state.installed('dc2')).toEqual([route('dc2', tgw, '10.30.0.0/16')]);
  });

  it("gives a route table's lease to one holder at a time, until it runs out or is released", async () => {
    const state = new DynamoFailoverState(await stateTable(), false, loadDynamo);
    const now = new Date(at);
    const until = new Date(now.getTime() + 30_000);

    expect(await state.lease('tgw-rtb-1', 'a', until, now)).toBe(true);
    expect(await state.lease('tgw-rtb-1', 'b', until, now)).toBe(false);
    expect(await state.lease('rtb-1', 'b', until, now)).toBe(true);
    expect(await state.lease('tgw-rtb-1', 'a', until, now)).toBe(true);
    expect(await state.lease('tgw-rtb-1', 'b', until, new Date(until.getTime() + 1))).toBe(true);
    await state.release('tgw-rtb-1', 'a'); // no longer a's: left alone
    expect(await state.lease('tgw-rtb-1', 'a', until, now)).toBe(false);
    await state.release('tgw-rtb-1', 'b');
    expect(await state.lease('tgw-rtb-1', 'a', until, now)).toBe(true);
  });

  it("answers a path's newest journal entries first, up to the limit, two of one instant included", async () => {
    const state = new DynamoFailoverState(await stateTable(), false, loadDynamo);
    const times = ['2026-12-06T10:00:00.000Z', '2026-12-06T12:00:00.000Z', '2026-12-06T11:00:00.000Z'];

    for (const when of times) await state.journal(entry('dc1', when));
    await state.journal(entry('dc1', '2026-12-06T12:00:00.000Z', 'alert'));
    await state.journal(entry('dc2', '2026-12-06T13:00:00.000Z'));

    const newest = await state.journalOf('dc1', 3);
    expect(newest.map((e) => e.at)).toEqual(['2026-12-06T12:00:00.000Z', '2026-12-06T12:00:00.000Z', '2026-12-06T11:00:00.000Z']);
    expect(newest.map((e) => e.decision).sort()).toEqual(['alert', 'failover', 'failover']);
    expect(newest[2]).toEqual(entry('dc1', '2026-12-06T11:00:00.000Z'));
    expect(await state.journalOf('dc1', 10)).toHaveLength(4);
  });

  it('in dry-run, keeps no installed route, but saves the path state and the journal: what would have happened', async () => {
    const table = await stateTable();
    const state = new DynamoFailoverState(table, true, loadDynamo);
    const live = new DynamoFailoverState(table, false, loadDynamo);
    await live.putInstalled(route('dc1', vpc, '10.20.0.0/16'));

    await state.putInstalled(route('dc1', tgw, '10.20.0.0/16'));
    await state.deleteInstalled(route('dc1', vpc, '10.20.0.0/16'));
    await state.savePath(newPath('dc1', ['vpn-a'], at), 0);
    await state.journal({ ...entry('dc1', at), dryRun: true });

    expect(await live.installed('dc1')).toEqual([route('dc1', vpc, '10.20.0.0/16')]);
    expect((await live.path('dc1'))?.version).toBe(1);
    expect(await live.journalOf('dc1', 5)).toEqual([{ ...entry('dc1', at), dryRun: true }]);
  });
});

// The adapters against moto server: a Transit Gateway route table with an associated VPC attachment (whose CIDR
// blocks the patched moto propagates) and a Site-to-Site VPN attachment as on-prem's side, and a DynamoDB table
// shaped as the stacks build it (partition key pk, sort key sk, TTL attribute ttl). ReplaceTransitGatewayRoute
// runs on the packages/local-aws patch that adds it to moto.
import { describe, expect, it } from '@jest/globals';
import {
  AssociateTransitGatewayRouteTableCommand,
  AssociateVpcCidrBlockCommand,
  CreateCustomerGatewayCommand,
  CreateSubnetCommand,
  CreateTransitGatewayCommand,
  CreateTransitGatewayRouteCommand,
  CreateTransitGatewayRouteTableCommand,
  CreateTransitGatewayVpcAttachmentCommand,
  CreateVpcCommand,
  CreateVpnConnectionCommand,
  DescribeTransitGatewayAttachmentsCommand,
  EC2Client,
  EnableTransitGatewayRouteTablePropagationCommand,
} from '@aws-sdk/client-ec2';
import { createStateTable, localLoader, useMoto } from '@reflex/local-aws/testing';
import { DynamoManagedRoutes } from './dynamodb';
import { Ec2RouteTables, type LoadEc2 } from './ec2';

let ec2: EC2Client;
let loadEc2: LoadEc2;
let loadDynamo: ConstructorParameters<typeof DynamoManagedRoutes>[2];
let tables = 0;

useMoto(async (aws) => {
  const ec2s = await localLoader(aws.endpoint, () => import('@aws-sdk/client-ec2'), (sdk, config) => new sdk.EC2Client(config));
  const dynamos = await localLoader(aws.endpoint, () => import('@aws-sdk/client-dynamodb'), (sdk, config) => new sdk.DynamoDBClient(config));
  [ec2, loadEc2, loadDynamo] = [ec2s.client, ec2s.loader, dynamos.loader];
  return { destroy: () => [ec2s, dynamos].forEach((c) => c.destroy()) };
});

/** A Transit Gateway route table with a VPC (10.71.0.0/16 and 10.72.0.0/16) associated and propagating, and a VPN attachment. */
async function transitGateway() {
  const tgwId = (await ec2.send(new CreateTransitGatewayCommand({}))).TransitGateway!.TransitGatewayId!;
  const tableId = (await ec2.send(new CreateTransitGatewayRouteTableCommand({ TransitGatewayId: tgwId }))).TransitGatewayRouteTable!.TransitGatewayRouteTableId!;
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.71.0.0/16' }))).Vpc!.VpcId!;
  await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpcId, CidrBlock: '10.72.0.0/16' }));
  const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.71.1.0/24' }))).Subnet!.SubnetId!;
  const vpcAttachment = (await ec2.send(new CreateTransitGatewayVpcAttachmentCommand({ TransitGatewayId: tgwId, VpcId: vpcId, SubnetIds: [subnetId] })))
    .TransitGatewayVpcAttachment!.TransitGatewayAttachmentId!;
  await ec2.send(new AssociateTransitGatewayRouteTableCommand({ TransitGatewayRouteTableId: tableId, TransitGatewayAttachmentId: vpcAttachment }));
  await ec2.send(new EnableTransitGatewayRouteTablePropagationCommand({ TransitGatewayRouteTableId: tableId, TransitGatewayAttachmentId: vpcAttachment }));
  const cgw = (await ec2.send(new CreateCustomerGatewayCommand({ Type: 'ipsec.1', PublicIp: '198.51.100.7', BgpAsn: 65000 }))).CustomerGateway!.CustomerGatewayId!;
  const vpnId = (await ec2.send(new CreateVpnConnectionCommand({ Type: 'ipsec.1', CustomerGatewayId: cgw, TransitGatewayId: tgwId }))).VpnConnection!.VpnConnectionId!;
  const attachments = (await ec2.send(new DescribeTransitGatewayAttachmentsCommand({}))).TransitGatewayAttachments ?? [];
  const vpnAttachment = attachments.find((a) => a.ResourceId === vpnId)!.TransitGatewayAttachmentId!;
  return { tableId, vpcId, vpcAttachment, vpnAttachment };
}

describe('Ec2RouteTables (against moto)', () => {
  it('reads static and propagated routes with their attachments', async () => {
    const { tableId, vpcAttachment, vpnAttachment } = await transitGateway();
    await ec2.send(new CreateTransitGatewayRouteCommand({ TransitGatewayRouteTableId: tableId, DestinationCidrBlock: '192.168.0.0/16', TransitGatewayAttachmentId: vpnAttachment }));

    const routes = await new Ec2RouteTables(false, loadEc2).routes(tableId);

    expect(routes?.sort((a, b) => a.cidr.localeCompare(b.cidr))).toEqual([
      { cidr: '10.71.0.0/16', type: 'propagated', state: 'active', attachmentId: vpcAttachment },
      { cidr: '10.72.0.0/16', type: 'propagated', state: 'active', attachmentId: vpcAttachment },
      { cidr: '192.168.0.0/16', type: 'static', state: 'active', attachmentId: vpnAttachment },
    ]);
  });

  it('answers undefined for a route table that does not exist', async () => {
    expect(await new Ec2RouteTables(false, loadEc2).routes('tgw-rtb-0123456789abcdef0')).toBeUndefined();
  });

  it('finds every CIDR block of the VPCs attached to the table', async () => {
    const { tableId, vpcId, vpcAttachment } = await transitGateway();

    const attached = await new Ec2RouteTables(false, loadEc2).attachedCidrs(tableId);

    expect(attached.map((a) => a.cidr).sort()).toEqual(['10.71.0.0/16', '10.72.0.0/16']);
    expect(attached.every((a) => a.vpcId === vpcId && a.attachmentId === vpcAttachment)).toBe(true);
  });

  it('creates, repoints and deletes a static route; a second create or a missing route is a conflict', async () => {
    const { tableId, vpcAttachment, vpnAttachment } = await transitGateway();
    const tables = new Ec2RouteTables(false, loadEc2);
    const at = async () => (await tables.routes(tableId))?.find((r) => r.cidr === '192.168.1.0/24')?.attachmentId;

    expect(await tables.create(tableId, '192.168.1.0/24', vpnAttachment)).toBe('done');
    expect(await tables.create(tableId, '192.168.1.0/24', vpnAttachment)).toBe('conflict');
    expect(await tables.replace(tableId, '192.168.1.0/24', vpcAttachment)).toBe('done');
    const repointed = await at();
    expect(await tables.remove(tableId, '192.168.1.0/24')).toBe('done');

    expect(repointed).toBe(vpcAttachment);
    expect(await at()).toBeUndefined();
    expect(await tables.remove(tableId, '192.168.1.0/24')).toBe('conflict');
    expect(await tables.replace(tableId, '192.168.1.0/24', vpnAttachment)).toBe('conflict');
  });

  it('in dry-run answers dry-run for every write and changes nothing', async () => {
    const { tableId, vpnAttachment } = await transitGateway();
    const dry = new Ec2RouteTables(true, loadEc2);

    expect(await dry.create(tableId, '192.168.2.0/24', vpnAttachment)).toBe('dry-run');
    expect((await dry.routes(tableId))?.some((r) => r.cidr === '192.168.2.0/24')).toBe(false);
  });
});

describe('DynamoManagedRoutes (against moto)', () => {
  const route = (cidr: string) => ({
    tableId: 'tgw-rtb-0aaaaaaaaaaaaaaa1',
    cidr,
    attachmentId: 'tgw-attach-0bbbbbbbbbbbbbbb1',
    setBy: 'arn:aws:iam::123456789012:user/alice',
    setAt: '2026-12-06T10:00:00.000Z',
    idempotencyKey: 'k-1',
    requestId: 'r-1',
  });
  const table = async () => {
    const { client } = await loadDynamo!();
    return createStateTable(client, `reflex-test-route-api-${++tables}`);
  };

  it('records, lists and removes the routes of one route table only', async () => {
    const managed = new DynamoManagedRoutes(await table(), false, loadDynamo);
    await managed.put(route('192.168.1.0/24'));
    await managed.put(route('2001:db8::/48'));
    await managed.put({ ...route('192.168.9.0/24'), tableId: 'tgw-rtb-0aaaaaaaaaaaaaaa2' });

    await managed.remove('tgw-rtb-0aaaaaaaaaaaaaaa1', '2001:db8::/48');

    expect(await managed.list('tgw-rtb-0aaaaaaaaaaaaaaa1')).toEqual([route('192.168.1.0/24')]);
  });

  it('keeps the lease records apart from the routes, and records nothing in dry-run', async () => {
    const name = await table();
    const managed = new DynamoManagedRoutes(name, false, loadDynamo);
    const dry = new DynamoManagedRoutes(name, true, loadDynamo);
    const now = new Date();

    const leased = await managed.lease('table#tgw-rtb-0aaaaaaaaaaaaaaa1', 'a', new Date(now.getTime() + 30_000), now);
    const taken = await managed.lease('table#tgw-rtb-0aaaaaaaaaaaaaaa1', 'b', new Date(now.getTime() + 30_000), now);
    await dry.put(route('192.168.1.0/24'));

    expect([leased, taken]).toEqual([true, false]);
    expect(await managed.list('tgw-rtb-0aaaaaaaaaaaaaaa1')).toEqual([]);
  });
});

import { randomUUID } from 'node:crypto';
import {
  AssociateTransitGatewayRouteTableCommand,
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
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CLOUDWATCH_ALARM_STATE_CHANGE } from '@reflex/events';
import { localClientConfig } from '@reflex/local-aws';
import { alarmName } from '@reflex/manifest';
import type { LocalDeployment } from './deploy';

/** The demo's protected prefix: the on-prem network behind the Direct Connect stand-in. */
export const DEMO_PREFIX = '10.200.0.0/16';

/** A static route of the route API's table that someone else made: the API lists it and never touches it. */
export const FOREIGN_ROUTE = { cidr: '172.16.0.0/12' } as const;

/** What the route demo builds before the apply: its path, for the route failover's config, and the route API's table. */
export interface RouteDemoNetwork {
  readonly routeTableId: string;
  readonly primaryAttachmentId: string;
  readonly backupAttachmentId: string;
  readonly path: Record<string, unknown>;
  /** A second route table of the transit gateway, for the route API: the VPC propagates into it. */
  readonly apiRouteTableId: string;
  /** The route API's config: that table, and both attachments as targets. */
  readonly routeApi: { readonly routeTables: readonly string[]; readonly attachments: readonly string[] };
}

/**
 * Builds, in the local AWS, a transit gateway with a route table; a VPC 10.200.0.0/16 attached and propagating
 * into it — the stand-in for the Direct Connect gateway, whose routes to on-prem arrive propagated (moto has no
 * Direct Connect) — and a Site-to-Site VPN on the transit gateway as the backup; and a second route table for
 * the route API, which the VPC propagates into and which holds a static route someone else made
 * ({@link FOREIGN_ROUTE}). Returns the path for the route failover's config and the route API's allow-lists:
 * they must exist before the apply, which creates the path's alarms and scopes the API's role to them.
 */
export async function prepareRouteDemo(endpoint: string, region: string): Promise<RouteDemoNetwork> {
  const ec2 = new EC2Client(localClientConfig(endpoint, region));
  try {
    const tgw = (await ec2.send(new CreateTransitGatewayCommand({ Description: 'reflex route demo', Options: { DefaultRouteTableAssociation: 'disable', DefaultRouteTablePropagation: 'disable' } }))).TransitGateway!.TransitGatewayId!;
    const routeTableId = (await ec2.send(new CreateTransitGatewayRouteTableCommand({ TransitGatewayId: tgw }))).TransitGatewayRouteTable!.TransitGatewayRouteTableId!;
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: DEMO_PREFIX }))).Vpc!.VpcId!;
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.200.1.0/24' }))).Subnet!.SubnetId!;
    const primaryAttachmentId = (await ec2.send(new CreateTransitGatewayVpcAttachmentCommand({ TransitGatewayId: tgw, VpcId: vpc, SubnetIds: [subnet] }))).TransitGatewayVpcAttachment!.TransitGatewayAttachmentId!;
    await ec2.send(new AssociateTransitGatewayRouteTableCommand({ TransitGatewayRouteTableId: routeTableId, TransitGatewayAttachmentId: primaryAttachmentId }));
    await ec2.send(new EnableTransitGatewayRouteTablePropagationCommand({ TransitGatewayRouteTableId: routeTableId, TransitGatewayAttachmentId: primaryAttachmentId }));
    const cgw = (await ec2.send(new CreateCustomerGatewayCommand({ BgpAsn: 65000, IpAddress: '198.51.100.10', Type: 'ipsec.1' }))).CustomerGateway!.CustomerGatewayId!;
    const vpn = (await ec2.send(new CreateVpnConnectionCommand({ CustomerGatewayId: cgw, Type: 'ipsec.1', TransitGatewayId: tgw }))).VpnConnection!.VpnConnectionId!;
    const attachments = await ec2.send(new DescribeTransitGatewayAttachmentsCommand({ Filters: [{ Name: 'resource-id', Values: [vpn] }] }));
    const backupAttachmentId = attachments.TransitGatewayAttachments?.find((a) => a.ResourceId === vpn)?.TransitGatewayAttachmentId;
    if (!backupAttachmentId) throw new Error(`the local AWS made no transit gateway attachment for ${vpn}`);
    const apiRouteTableId = (await ec2.send(new CreateTransitGatewayRouteTableCommand({ TransitGatewayId: tgw }))).TransitGatewayRouteTable!.TransitGatewayRouteTableId!;
    await ec2.send(new EnableTransitGatewayRouteTablePropagationCommand({ TransitGatewayRouteTableId: apiRouteTableId, TransitGatewayAttachmentId: primaryAttachmentId }));
    await ec2.send(new CreateTransitGatewayRouteCommand({ TransitGatewayRouteTableId: apiRouteTableId, DestinationCidrBlock: FOREIGN_ROUTE.cidr, TransitGatewayAttachmentId: backupAttachmentId }));
    return {
      apiRouteTableId,
      routeApi: { routeTables: [apiRouteTableId], attachments: [backupAttachmentId, primaryAttachmentId] },
      routeTableId,
      primaryAttachmentId,
      backupAttachmentId,
      path: {
        name: 'dc1',
        prefixes: [DEMO_PREFIX],
        // A connection id of the documentation's form: the alarm watches its metric; moto has no Direct Connect.
        primary: { connectionId: 'dxcon-0d0c0d0c', attachmentId: primaryAttachmentId },
        backups: [{ name: 'vpn-a', vpnConnectionId: vpn, attachmentId: backupAttachmentId }],
        routeTables: [{ transitGatewayRouteTableId: routeTableId }],
      },
    };
  } finally {
    ec2.destroy();
  }
}

/** The route table's route for the demo prefix that wins: static before propagated, as a transit gateway evaluates them. */
export async function effectiveRoute(endpoint: string, region: string, routeTableId: string): Promise<string> {
  const ec2 = new EC2Client(localClientConfig(endpoint, region));
  try {
    const out = await ec2.send(new SearchTransitGatewayRoutesCommand({ TransitGatewayRouteTableId: routeTableId, Filters: [{ Name: 'route-search.exact-match', Values: [DEMO_PREFIX] }] }));
    const routes = out.Routes ?? [];
    const win = routes.find((r) => r.Type === 'static') ?? routes.find((r) => r.Type === 'propagated');
    return win ? `${win.Type} via ${win.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId ?? '?'}` : 'none';
  } finally {
    ec2.destroy();
  }
}

/** What the route demo ends with: the effective route for the prefix after each step. */
export interface RouteDemoResult {
  readonly before: string;
  readonly afterFailover: string;
  readonly afterFailback: string;
  readonly expected: { readonly primary: string; readonly backup: string };
}

/**
 * The route failover scenario: the primary's connection alarm goes to ALARM (CloudWatch's state change event,
 * which moto does not emit, is published on the default bus as CloudWatch would) — after the down dwell the
 * static route to the VPN appears and is verified; the alarm goes back to OK — after the up dwell the route is
 * removed and the propagated route wins again. The timer's ticks are played at the times they would fire.
 */
export async function runRouteDemo(
  deployment: LocalDeployment,
  runner: { tick(name: string, at?: Date): Promise<void> },
  network: RouteDemoNetwork,
  options: { log?: (line: string) => void; timeoutMs?: number } = {},
): Promise<RouteDemoResult> {
  const log = options.log ?? (() => {});
  const { endpoint, region } = deployment;
  const events = new EventBridgeClient(localClientConfig(endpoint, region));
  const config = JSON.parse(deployment.reflexes.find((r) => r.manifest.name === 'route-failover')?.environment.REFLEX_CONFIG ?? '{}') as { downDwellSeconds: number; upDwellSeconds: number };
  const account = deployment.reflexes[0]?.queueUrl.split('/').at(-2) ?? '123456789012';
  const route = () => effectiveRoute(endpoint, region, network.routeTableId);
  const until = async (want: string, what: string) => {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    let now = await route();
    while (now !== want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      now = await route();
    }
    log(`route demo: ${what}: ${DEMO_PREFIX} → ${now}`);
    return now;
  };
  const alarmEvent = async (trigger: string, value: 'OK' | 'ALARM', previous: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA', at: Date) => {
    const name = alarmName('local', 'route-failover', { name: trigger });
    const put = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: CLOUDWATCH_ALARM_STATE_CHANGE.source,
            DetailType: CLOUDWATCH_ALARM_STATE_CHANGE.detailType,
            Resources: [`arn:aws:cloudwatch:${region}:${account}:alarm:${name}`],
            Time: at,
            Detail: JSON.stringify({
              alarmName: name,
              state: { value, reason: `local demo (${randomUUID().slice(0, 8)})`, timestamp: at.toISOString() },
              previousState: { value: previous, reason: 'local demo', timestamp: new Date(at.getTime() - 60_000).toISOString() },
              configuration: { description: trigger },
            }),
          },
        ],
      }),
    );
    if (put.FailedEntryCount) throw new Error(`PutEvents failed: ${JSON.stringify(put.Entries)}`);
  };
  const sqs = new SQSClient(localClientConfig(endpoint, region));
  const queueUrl = deployment.reflexes.find((r) => r.manifest.name === 'route-failover')!.queueUrl;
  /** Waits until the reflex has taken every message of its queue: the timer must come after the alarm events. */
  const drained = async () => {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      const { Attributes: a } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      if (Number(a?.ApproximateNumberOfMessages) + Number(a?.ApproximateNumberOfMessagesNotVisible) === 0 || Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    const expected = { primary: `propagated via ${network.primaryAttachmentId}`, backup: `static via ${network.backupAttachmentId}` };
    const before = await route();
    log(`route demo: transit gateway route table ${network.routeTableId}: ${DEMO_PREFIX} → ${before} (the Direct Connect stand-in)`);
    const start = new Date();
    await alarmEvent('dc1-vpn-a-tunnel', 'OK', 'INSUFFICIENT_DATA', start);
    await alarmEvent('dc1-primary-connection', 'OK', 'INSUFFICIENT_DATA', start);
    const down = new Date(start.getTime() + 1000);
    await alarmEvent('dc1-primary-connection', 'ALARM', 'OK', down);
    log(`route demo: the primary's ConnectionState alarm went to ALARM; the timer fires after the ${config.downDwellSeconds} s down dwell`);
    await drained();
    await runner.tick('route-failover', new Date(down.getTime() + (config.downDwellSeconds + 1) * 1000));
    const afterFailover = await until(expected.backup, 'after the failover');
    const up = new Date(down.getTime() + (config.downDwellSeconds + 2) * 1000);
    await alarmEvent('dc1-primary-connection', 'OK', 'ALARM', up);
    log(`route demo: the primary's alarm is OK again; the timer fires after the ${config.upDwellSeconds} s up dwell`);
    await drained();
    await runner.tick('route-failover', new Date(up.getTime() + (config.upDwellSeconds + 1) * 1000));
    const afterFailback = await until(expected.primary, 'after the failback');
    return { before, afterFailover, afterFailback, expected };
  } finally {
    events.destroy();
    sqs.destroy();
  }
}

import { CLOUDWATCH_ALARM_STATE_CHANGE } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { type AlarmTrigger, defineReflex, type Trigger } from '@reflex/manifest';

const id = (prefix: string, what: string) => z.string().check(z.regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), `a ${what} id (${prefix}-…)`));
const label = z.string().check(z.regex(/^[a-z][a-z0-9-]{0,23}$/, 'lower-case letters, digits and dashes, at most 24, starting with a letter'));

/** The primary of a path: a Direct Connect connection and/or virtual interface, and (for verification) its attachment. */
const PrimarySchema = z
  .object({
    /** Its `AWS/DX` `ConnectionState` (1 = up) is watched by an alarm. */
    connectionId: z.optional(id('dxcon', 'Direct Connect connection')),
    /** Its `AWS/DX` `VirtualInterfaceBgpStatus` (1 = up) is watched by an alarm. */
    virtualInterfaceId: z.optional(id('dxvif', 'virtual interface')),
    /** The Transit Gateway attachment of the Direct Connect gateway: where the propagated routes point while the primary is up. */
    attachmentId: z.optional(id('tgw-attach', 'Transit Gateway attachment')),
  })
  .check(z.refine((p) => !!p.connectionId || !!p.virtualInterfaceId, 'a primary needs a connectionId or a virtualInterfaceId to watch'));

/** A backup of a path: a Site-to-Site VPN connection, with the targets its static routes point at. */
const BackupSchema = z.object({
  name: label,
  /** Its `AWS/VPN` `TunnelState` is watched by an alarm, and its tunnel telemetry checked before a failover. */
  vpnConnectionId: id('vpn', 'VPN connection'),
  /** Target of the static routes in Transit Gateway route tables. */
  attachmentId: z.optional(id('tgw-attach', 'Transit Gateway attachment')),
  /** Target of the static routes in VPC route tables: a virtual private gateway or a transit gateway. */
  gatewayId: z.optional(z.string().check(z.regex(/^(vgw|tgw)-[0-9a-f]{8,17}$/, 'a virtual private gateway or transit gateway id'))),
});

const RouteTableSchema = z.union([
  z.strictObject({ transitGatewayRouteTableId: id('tgw-rtb', 'Transit Gateway route table') }),
  z.strictObject({ routeTableId: id('rtb', 'VPC route table') }),
]);

/** One path: protected prefixes, a primary, backups in priority order, and the route tables Reflex may change for it. */
export const PathSchema = z
  .object({
    name: label,
    prefixes: z.array(z.union([z.cidrv4(), z.cidrv6()])).check(z.minLength(1)),
    primary: PrimarySchema,
    backups: z.array(BackupSchema).check(z.minLength(1), z.maxLength(4)),
    routeTables: z.array(RouteTableSchema).check(z.minLength(1)),
  })
  .check(
    z.refine((p) => new Set(p.backups.map((b) => b.name)).size === p.backups.length, { message: 'backup names must differ', path: ['backups'] }),
    z.refine(
      (p) => p.routeTables.every((t) => ('transitGatewayRouteTableId' in t ? p.backups.every((b) => b.attachmentId) : p.backups.every((b) => b.gatewayId))),
      { message: 'every backup needs an attachmentId for Transit Gateway route tables and a gatewayId for VPC route tables', path: ['backups'] },
    ),
  );
export type PathConfig = z.output<typeof PathSchema>;

const seconds = (min: number, max: number, fallback: number) => z._default(z.int().check(z.gte(min), z.lte(max)), fallback);

/** The route failover's configuration. */
export const FailoverConfigSchema = z
  .object({
    paths: z._default(z.array(PathSchema), []),
    /** The primary must be down this long before a failover. */
    downDwellSeconds: seconds(0, 3600, 60),
    /** The primary must be up this long before a failback: longer than the down dwell. */
    upDwellSeconds: seconds(0, 24 * 3600, 600),
    /** No change within this long of the last one. */
    holdDownSeconds: seconds(0, 24 * 3600, 300),
    /** Route changes per path per hour; the next one freezes the path and alerts instead. */
    maxChangesPerHour: z._default(z.int().check(z.gte(1), z.lte(60)), 4),
    /** During an announced Direct Connect maintenance: move to the backup beforehand, or leave it to BGP. */
    maintenance: z._default(z.enum(['prestage', 'suppress']), 'prestage'),
    /** The alarms' period and evaluation periods: how soon CloudWatch reports a link down. */
    alarmPeriodSeconds: z._default(z.union([z.literal(10), z.literal(30), z.literal(60)]), 60),
    alarmEvaluationPeriods: z._default(z.int().check(z.gte(1), z.lte(10)), 1),
  })
  .check(
    z.refine((c) => c.upDwellSeconds > c.downDwellSeconds, { message: 'must be longer than downDwellSeconds (hysteresis)', path: ['upDwellSeconds'] }),
    z.refine((c) => new Set(c.paths.map((p) => p.name)).size === c.paths.length, { message: 'path names must differ', path: ['paths'] }),
  );
export type FailoverConfig = z.output<typeof FailoverConfigSchema>;

/** The alarm trigger's name for a link of a path: `<path>-primary-connection`, `<path>-primary-bgp`, `<path>-<backup>-tunnel`. */
export const linkAlarm = {
  primaryConnection: (path: string) => `${path}-primary-connection`,
  primaryBgp: (path: string) => `${path}-primary-bgp`,
  backupTunnel: (path: string, backup: string) => `${path}-${backup}-tunnel`,
};

const upAlarm = (config: FailoverConfig, name: string, description: string, namespace: string, metricName: string, dimensions: Record<string, string>): AlarmTrigger => ({
  kind: 'alarm',
  name,
  description,
  namespace,
  metricName,
  dimensions,
  // 1 = up: the alarm fires when no datapoint of the period says up, and a silent metric counts as down.
  statistic: 'Maximum',
  periodSeconds: config.alarmPeriodSeconds,
  evaluationPeriods: config.alarmEvaluationPeriods,
  threshold: 1,
  comparisonOperator: 'LessThanThreshold',
  treatMissingData: 'breaching',
});

/** The triggers for one config: an alarm per watched link of every path, maintenance notices, overrides, and the timer. */
export function failoverTriggers(config: FailoverConfig): Trigger[] {
  const alarms = config.paths.flatMap((path) => [
    ...(path.primary.connectionId
      ? [upAlarm(config, linkAlarm.primaryConnection(path.name), `${path.name}: Direct Connect connection ${path.primary.connectionId} up`, 'AWS/DX', 'ConnectionState', { ConnectionId: path.primary.connectionId })]
      : []),
    ...(path.primary.virtualInterfaceId
      ? [
          upAlarm(config, linkAlarm.primaryBgp(path.name), `${path.name}: BGP of virtual interface ${path.primary.virtualInterfaceId} up`, 'AWS/DX', 'VirtualInterfaceBgpStatus', {
            ...(path.primary.connectionId ? { ConnectionId: path.primary.connectionId } : {}),
            VirtualInterfaceId: path.primary.virtualInterfaceId,
          }),
        ]
      : []),
    ...path.backups.map((b) => upAlarm(config, linkAlarm.backupTunnel(path.name, b.name), `${path.name}: a tunnel of VPN ${b.vpnConnectionId} up`, 'AWS/VPN', 'TunnelState', { VpnId: b.vpnConnectionId })),
  ]);
  return [
    ...alarms,
    {
      kind: 'event',
      description: 'AWS Health: a scheduled Direct Connect maintenance',
      pattern: { source: ['aws.health'], 'detail-type': ['AWS Health Event'], detail: { service: ['DIRECTCONNECT'], eventTypeCategory: ['scheduledChange'] } },
    },
    {
      kind: 'event',
      description: 'a person overrides a path (reflex routes failover <path> --to …)',
      pattern: { source: ['reflex'], 'detail-type': ['Reflex Route Override'] },
    },
    { kind: 'schedule', expression: 'rate(1 minute)', description: 'timer: dwell times and hold-downs run out between alarm events' },
  ];
}

export const manifest = defineReflex({
  name: 'route-failover',
  description: 'Moves on-prem prefixes from Direct Connect to a Site-to-Site VPN when the primary is down, and back once it is stable.',
  triggers: failoverTriggers(z.parse(FailoverConfigSchema, {})),
  triggersFor: (config: FailoverConfig) => failoverTriggers(config),
  config: FailoverConfigSchema,
  state: { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl' },
  permissions: (config) => {
    const tgwTables = config.paths.flatMap((p) => p.routeTables.flatMap((t) => ('transitGatewayRouteTableId' in t ? [t.transitGatewayRouteTableId] : [])));
    const vpcTables = config.paths.flatMap((p) => p.routeTables.flatMap((t) => ('routeTableId' in t ? [t.routeTableId] : [])));
    return [
      // Describe calls have no resource-level permissions: "*" is the only resource they take.
      { sid: 'ReadRoutesAndLinks', actions: ['ec2:DescribeRouteTables', 'ec2:DescribeVpnConnections'], resources: ['*'] },
      ...(tgwTables.length
        ? [
            {
              sid: 'SearchItsTransitGatewayRouteTables',
              actions: ['ec2:SearchTransitGatewayRoutes'],
              resources: [...new Set(tgwTables)].map((t) => `arn:\${partition}:ec2:\${region}:\${account}:transit-gateway-route-table/${t}`),
            },
            {
              sid: 'ChangeRoutesOfItsTransitGatewayRouteTables',
              actions: ['ec2:CreateTransitGatewayRoute', 'ec2:DeleteTransitGatewayRoute'],
              resources: [
                ...[...new Set(tgwTables)].map((t) => `arn:\${partition}:ec2:\${region}:\${account}:transit-gateway-route-table/${t}`),
                // CreateTransitGatewayRoute also authorizes against the attachment it points at.
                'arn:${partition}:ec2:${region}:${account}:transit-gateway-attachment/*',
              ],
            },
          ]
        : []),
      ...(vpcTables.length
        ? [
            {
              sid: 'ChangeRoutesOfItsVpcRouteTables',
              actions: ['ec2:CreateRoute', 'ec2:DeleteRoute'],
              resources: [...new Set(vpcTables)].map((t) => `arn:\${partition}:ec2:\${region}:\${account}:route-table/${t}`),
            },
          ]
        : []),
    ];
  },
  memoryMb: 256,
  timeoutSeconds: 60,
  batchSize: 10,
  maxConcurrency: 2,
  maxReceiveCount: 5,
});

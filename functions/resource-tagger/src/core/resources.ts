/**
 * The network resources the tagger knows, by their EC2 ARN resource type
 * (`arn:aws:ec2:<region>:<account>:<type>/<id>`), and which of them inherits mandatory tags from which.
 */
export const NETWORK_RESOURCE_TYPES = [
  'vpc',
  'subnet',
  'route-table',
  'security-group',
  'network-acl',
  'internet-gateway',
  'natgateway',
  'vpc-endpoint',
  'transit-gateway',
  'transit-gateway-attachment',
  'vpn-connection',
  'customer-gateway',
  'elastic-ip',
  'network-interface',
  'instance',
  'volume',
] as const;
export type ResourceType = (typeof NETWORK_RESOURCE_TYPES)[number];

/** A resource's tags, key → value. */
export type Tags = Readonly<Record<string, string>>;

/** How far a resource type sits below the VPC: parents are planned before their children. */
export const DEPTH: Readonly<Record<ResourceType, number>> = {
  vpc: 0,
  'transit-gateway': 0,
  'customer-gateway': 0,
  'vpn-connection': 0,
  'elastic-ip': 0,
  'internet-gateway': 1,
  subnet: 1,
  'route-table': 1,
  'security-group': 1,
  'network-acl': 1,
  natgateway: 1,
  'vpc-endpoint': 1,
  'transit-gateway-attachment': 1,
  'network-interface': 2,
  instance: 2,
  volume: 3,
};

/** The ARN of a resource, e.g. `arn:aws:ec2:us-east-1:123456789012:subnet/subnet-1`. */
export function resourceArn(type: ResourceType, id: string, region: string, account: string): string {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:ec2:${region}:${account}:${type}/${id}`;
}

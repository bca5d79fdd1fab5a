import * as z from './zod';
import { Ec2InstanceStateSchema } from './ec2-state-change';

const isoTime = z.iso.datetime({ offset: true });
const ipv4 = z.ipv4();
const ipv6 = z.ipv6();

/** One EC2 instance's details as DescribeInstances reports them. */
export const IpamInstanceSchema = z.object({
  instanceType: z.string().check(z.minLength(1)),
  architecture: z.string().check(z.minLength(1)),
  cpuCores: z.int().check(z.positive()),
  availabilityZone: z.string().check(z.minLength(1)),
  launchTime: isoTime,
  /** The value of the `Name` tag, when there is one. */
  name: z.optional(z.string()),
  tags: z.record(z.string(), z.string()),
});
export type IpamInstance = z.infer<typeof IpamInstanceSchema>;

/** One network interface attached to the instance, with every address on it. */
export const IpamInterfaceSchema = z.object({
  interfaceId: z.string().check(z.regex(/^eni-[0-9a-f]{8,17}$/, 'not an ENI id')),
  subnetId: z.string().check(z.regex(/^subnet-[0-9a-f]{8,17}$/, 'not a subnet id')),
  vpcId: z.string().check(z.regex(/^vpc-[0-9a-f]{8,17}$/, 'not a VPC id')),
  privateIps: z.array(ipv4),
  publicIps: z.array(ipv4),
  ipv6: z.array(ipv6),
  macAddress: z.optional(z.string()),
});
export type IpamInterface = z.infer<typeof IpamInterfaceSchema>;

/** A subnet one of the interfaces is in. */
export const IpamSubnetSchema = z.object({
  subnetId: z.string().check(z.regex(/^subnet-[0-9a-f]{8,17}$/, 'not a subnet id')),
  vpcId: z.string().check(z.regex(/^vpc-[0-9a-f]{8,17}$/, 'not a VPC id')),
  cidr: z.cidrv4(),
  ipv6Cidrs: z.array(z.cidrv6()),
});
export type IpamSubnet = z.infer<typeof IpamSubnetSchema>;

/** A VPC one of the interfaces is in, with all its IPv4 CIDR blocks. */
export const IpamVpcSchema = z.object({
  vpcId: z.string().check(z.regex(/^vpc-[0-9a-f]{8,17}$/, 'not a VPC id')),
  cidrs: z.array(z.cidrv4()).check(z.minLength(1)),
});
export type IpamVpc = z.infer<typeof IpamVpcSchema>;

/**
 * The message the IPAM enricher sends for each EC2 state change, and the sync worker applies to the
 * golden records. `version` orders messages for one instance: a store never lets a lower version
 * overwrite a higher one. A terminated instance may come without `instance` and with no interfaces.
 *
 * @example
 * const message = IpamInstanceMessageSchema.parse(JSON.parse(record.body));
 * message.interfaces[0]?.privateIps; // ["10.0.1.10"]
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
 */
export const IpamInstanceMessageSchema = z.object({
  schemaVersion: z.literal(1),
  account: z.string().check(z.regex(/^\d{12}$/, 'not an AWS account id')),
  region: z.string().check(z.minLength(1)),
  /** When the state change happened (the EventBridge `time`). */
  eventTime: isoTime,
  instanceId: z.string().check(z.regex(/^i-[0-9a-f]{8,17}$/, 'not an EC2 instance id')),
  state: Ec2InstanceStateSchema,
  /** Milliseconds since the epoch of `eventTime`: the order of messages for one instance. */
  version: z.int().check(z.nonnegative()),
  instance: z.optional(IpamInstanceSchema),
  interfaces: z.array(IpamInterfaceSchema),
  subnets: z.array(IpamSubnetSchema),
  vpcs: z.array(IpamVpcSchema),
});
export type IpamInstanceMessage = z.infer<typeof IpamInstanceMessageSchema>;

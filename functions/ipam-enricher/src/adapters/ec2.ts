import type { IpamInstanceMessage } from '@reflex/events';
import { Ec2Inventory } from '@reflex/ipam';
import { lazySdk, type LoadedSdk } from '@reflex/lambda-kit';
import type { InstanceChange, InstanceDescriber } from '../ports';

export type LoadInventory = () => Promise<LoadedSdk<typeof import('@aws-sdk/client-ec2'), Ec2Inventory>>;

/** The IPAM inventory over the function's EC2 client (region, credentials, `AWS_ENDPOINT_URL`), loaded on first use. */
export const defaultInventory: LoadInventory = lazySdk(
  () => import('@aws-sdk/client-ec2'),
  (sdk) => new Ec2Inventory(new sdk.EC2Client({})),
);

/**
 * Describes through the IPAM inventory: one DescribeInstances per change; subnets and VPCs are described
 * once for the records of one invocation (the inventory's short-lived cache).
 */
export class Ec2Describer implements InstanceDescriber {
  constructor(private readonly inventory: LoadInventory = defaultInventory) {}

  async instanceMessage(change: InstanceChange): Promise<IpamInstanceMessage> {
    return (await this.inventory()).client.instanceMessage(change);
  }
}

import type { IpamInstanceMessage } from '@reflex/events';
import { Ec2Inventory } from '@reflex/ipam';
import { accountSdk, type LoadedSdk } from '@reflex/lambda-kit';
import type { InstanceChange, InstanceDescriber } from '../ports';

export type LoadInventory = () => Promise<LoadedSdk<typeof import('@aws-sdk/client-ec2'), Ec2Inventory>>;

/**
 * The IPAM inventory over an EC2 client of the account and Region the instance lives in (the event's: its
 * spoke role in a member account), loaded on first use.
 */
export const defaultInventory: LoadInventory = accountSdk(
  () => import('@aws-sdk/client-ec2'),
  (sdk, config) => new Ec2Inventory(new sdk.EC2Client(config)),
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

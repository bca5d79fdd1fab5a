import { type Ec2Snapshot, Ec2Inventory } from '@reflex/ipam';
import { lazySdk, type LoadedSdk } from '@reflex/lambda-kit';
import type { Where } from '../ports';

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
export type LoadInventory = () => Promise<LoadedSdk<Ec2Sdk, Ec2Inventory>>;

/** The inventory over the EC2 client of the function's environment, loaded on first use. */
export const defaultInventory: LoadInventory = lazySdk(
  () => import('@aws-sdk/client-ec2'),
  (sdk) => new Ec2Inventory(new sdk.EC2Client({})),
);

/**
 * The account's VPCs, subnets and instances through the AWS SDK (`Ec2Inventory` of `@reflex/ipam`). It only
 * reads, so dry-run changes nothing here.
 */
export class Ec2Snapshots {
  constructor(private readonly inventory: LoadInventory = defaultInventory) {}

  /** Lists `where` (the client's own account and region) into one snapshot. */
  async snapshot(where: Where): Promise<Ec2Snapshot> {
    return (await this.inventory()).client.snapshot(where);
  }
}

import type { IpamInstanceMessage } from '@reflex/events';
import type { InstanceChange } from '@reflex/ipam';

export type { InstanceChange };

/** Builds the IPAM message of one state change from the instance's, its subnets' and its VPCs' descriptions. */
export interface InstanceDescriber {
  instanceMessage(change: InstanceChange): Promise<IpamInstanceMessage>;
}

/** The IPAM queue. */
export interface MessageSink {
  send(messages: readonly IpamInstanceMessage[]): Promise<void>;
}

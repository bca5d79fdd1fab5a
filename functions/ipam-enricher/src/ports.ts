import type { Ec2InstanceState, IpamInstanceMessage } from '@reflex/events';

/** The state change to describe: which instance, which state, when, where. */
export interface InstanceChange {
  readonly instanceId: string;
  readonly state: Ec2InstanceState;
  readonly eventTime: string;
  readonly account: string;
  readonly region: string;
}

/** Builds the IPAM message of one state change from the instance's, its subnets' and its VPCs' descriptions. */
export interface InstanceDescriber {
  instanceMessage(change: InstanceChange): Promise<IpamInstanceMessage>;
}

/** The IPAM queue. */
export interface MessageSink {
  send(messages: readonly IpamInstanceMessage[]): Promise<void>;
}

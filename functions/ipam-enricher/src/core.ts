import { type Ec2StateChange, IpamInstanceMessageSchema } from '@reflex/events';
import type { ActionReport, DecisionLog } from '@reflex/lambda-kit';
import type { InstanceDescriber, MessageSink } from './ports';

export interface EnricherDeps {
  readonly describer: InstanceDescriber;
  readonly ipam: MessageSink;
  readonly log: DecisionLog;
}

/**
 * Turns one EC2 state change into a versioned IPAM message and sends it. The message carries the state of
 * the event (not whatever the instance is in by now) and the event time as its version, so the store
 * orders messages by when things happened, whatever order they arrive in. A message that would break the
 * schema is never sent: the record fails and ends in the dead-letter queue with the reason.
 * Enriching changes nothing in AWS, so it reports no action.
 */
export async function enrich(event: Ec2StateChange, deps: EnricherDeps): Promise<readonly ActionReport[]> {
  const change = {
    instanceId: event.detail['instance-id'],
    state: event.detail.state,
    eventTime: event.time,
    account: event.account,
    region: event.region,
  };
  const message = IpamInstanceMessageSchema.parse(await deps.describer.instanceMessage(change));
  await deps.ipam.send([message]);
  deps.log.info('sent to the IPAM queue', {
    instanceId: message.instanceId,
    state: message.state,
    version: message.version,
    addresses: message.interfaces.reduce((n, eni) => n + eni.privateIps.length + eni.publicIps.length + eni.ipv6.length, 0),
  });
  return [];
}

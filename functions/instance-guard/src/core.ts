import type { Ec2StateChange } from '@reflex/events';
import type { ActionReport } from '@reflex/lambda-kit';
import type { GuardConfig } from './manifest';
import type { DecisionLog, InstancesPort } from './ports';

export interface GuardDeps {
  readonly instances: InstancesPort;
  readonly config: GuardConfig;
  readonly log: DecisionLog;
}

/**
 * Decides and acts on one state change: a protected instance that is stopped is started again.
 * Reads the instance's current state first, so a redelivered or out-of-order event changes nothing twice.
 */
export async function guard(event: Ec2StateChange, deps: GuardDeps): Promise<ActionReport[]> {
  const instanceId = event.detail['instance-id'];
  const { key, value } = deps.config.protectTag;
  const skip = (reason: string) => {
    deps.log.info(`not restarting ${instanceId}: ${reason}`, { instanceId, decision: 'skip', reason });
    return [];
  };

  if (event.detail.state !== 'stopped') return skip(`the event reports "${event.detail.state}", not "stopped"`);
  const instance = await deps.instances.describe(instanceId);
  if (!instance) return skip('the instance no longer exists');
  if (instance.tags[key] !== value) return skip(`not protected (no tag ${key}=${value})`);
  if (instance.state !== 'stopped') return skip(`it is "${instance.state}" now (a late or repeated event)`);

  const result = await deps.instances.start(instanceId);
  if (result === 'incorrect-state') return skip('EC2 says it cannot be started from its current state');
  const arn =
    event.resources.find((r) => r.endsWith(`instance/${instanceId}`)) ??
    `arn:aws:ec2:${event.region}:${event.account}:instance/${instanceId}`;
  deps.log.info(`${result === 'dry-run' ? 'would start' : 'started'} ${instanceId}`, { instanceId, decision: 'start' });
  return [
    {
      action: 'ec2:StartInstances',
      targets: [{ id: instanceId, arn }],
      reason: `protected instance (${key}=${value}) entered "stopped"`,
      outcome: result === 'dry-run' ? 'dry-run' : 'succeeded',
      severity: 'warning',
    },
  ];
}

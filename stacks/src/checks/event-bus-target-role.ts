import { type Check, resources } from './synthesized';

export const eventBusTargetRole: Check = {
  id: 'event-bus-target-role',
  description: 'A rule that sends to an event bus (forwarding, within or across accounts) does so with a role, as EventBridge requires across accounts.',
  run: (stack) =>
    resources(stack, 'aws_cloudwatch_event_target')
      .filter(([, t]) => typeof t.arn === 'string' && (t.arn.includes(':event-bus/') || t.arn.includes('${aws_cloudwatch_event_bus.')))
      .filter(([, t]) => !t.role_arn)
      .map(([address, t]) => ({ address, message: `target ${String(t.arn)} is an event bus, but the target has no role_arn` })),
};

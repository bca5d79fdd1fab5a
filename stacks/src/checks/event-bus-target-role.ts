import { type Check, resources } from './synthesized';

/** A target ARN that is an event bus: a literal one, or a reference to a bus resource or data source. */
const BUS = /:event-bus\/|\$\{(data\.)?aws_cloudwatch_event_bus\./;

export const eventBusTargetRole: Check = {
  id: 'event-bus-target-role',
  description: 'A rule that sends to an event bus (forwarding, within or across accounts) does so with a role, as EventBridge requires across accounts.',
  run: (stack) =>
    resources(stack, 'aws_cloudwatch_event_target')
      .filter(([, t]) => typeof t.arn === 'string' && BUS.test(t.arn))
      .filter(([, t]) => !t.role_arn)
      .map(([address, t]) => ({ address, message: `target ${String(t.arn)} is an event bus, but the target has no role_arn` })),
};

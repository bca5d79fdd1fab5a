/** What the guard needs to know about an instance, now. */
export interface InstanceView {
  readonly id: string;
  readonly state: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** Result of asking EC2 to start an instance. */
export type StartResult =
  /** EC2 accepted the start. */
  | 'started'
  /** Dry-run: EC2 confirmed the call would have succeeded (`DryRunOperation`). */
  | 'dry-run'
  /** EC2 refused: the instance is not in a state that can start (e.g. already pending, or stopping). */
  | 'incorrect-state';

/** Port: EC2 instances, read, started and tagged. The adapter knows dry-run (it then writes no tags). */
export interface InstancesPort {
  describe(instanceId: string): Promise<InstanceView | undefined>;
  start(instanceId: string): Promise<StartResult>;
  tag(instanceId: string, tags: Readonly<Record<string, string>>): Promise<void>;
}

/** Port: the decision log (the kit hands one to `init`). */
export type { DecisionLog } from '@reflex/lambda-kit';

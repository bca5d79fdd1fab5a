/** A scheduled instance as the scheduler sees it. */
export interface ScheduledInstance {
  readonly id: string;
  readonly state: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** What one batch of StopInstances/StartInstances did, instance by instance. */
export interface BatchResult {
  /** Stopped or started (or, in dry-run, confirmed by EC2's DryRun check). */
  readonly done: string[];
  /** Already in, or moving to, another state (`IncorrectInstanceState`): nothing to do. */
  readonly incorrectState: string[];
  readonly failed: { readonly id: string; readonly error: string }[];
  /** The calls were DryRun checks: nothing changed. */
  readonly dryRun: boolean;
}

/** Port: the instances that carry a schedule tag, and the calls on them. The adapter knows dry-run. */
export interface SchedulerPort {
  listScheduled(): Promise<ScheduledInstance[]>;
  tag(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void>;
  untag(ids: readonly string[], keys: readonly string[]): Promise<void>;
  stop(ids: readonly string[]): Promise<BatchResult>;
  start(ids: readonly string[]): Promise<BatchResult>;
}

/** Port: the decision log (the kit hands one to `init`). */
export type { DecisionLog } from '@reflex/lambda-kit';

import type { NetworkResource } from './core/policy';
import type { Tags } from './core/resources';

/** Result of writing tags on one resource. */
export type TagResult =
  /** EC2 wrote the tags. */
  | 'tagged'
  /** Dry-run: EC2 confirmed the call would have succeeded (`DryRunOperation`); nothing was written. */
  | 'dry-run'
  /** The resource no longer exists. */
  | 'not-found';

/** Port: tags of EC2 network resources, read and written. The adapter knows dry-run. */
export interface NetworkTagsPort {
  /** The current tags of each resource, by id; a resource without tags (or unknown to EC2) maps to `{}`. */
  tagsOf(ids: readonly string[]): Promise<Map<string, Tags>>;
  /** The EBS volumes attached to each instance, by instance id (from its block device mappings). */
  volumesOf(instanceIds: readonly string[]): Promise<Map<string, string[]>>;
  tag(id: string, tags: Tags): Promise<TagResult>;
}

/** Port: every network resource of an account and region, with tags and parent, for `reflex tags audit`. */
export interface NetworkInventoryPort {
  list(onProgress?: (listed: number, kind: string) => void): Promise<NetworkResource[]>;
}

/** Port: the decision log (the kit hands one to `init`). */
export type { DecisionLog } from '@reflex/lambda-kit';

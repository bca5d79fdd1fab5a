import { REFLEX_TAGS } from '@reflex/events';
import type { ReaperConfig } from '../manifest';
import type { Resource } from '../ports';

/** Tags AWS services put on what they manage: a stack or a group would put it back, or break. */
const SERVICE_TAGS: readonly { readonly key: string; readonly what: string }[] = [
  { key: 'aws:cloudformation:stack-name', what: 'CloudFormation stack' },
  { key: 'aws:autoscaling:groupName', what: 'Auto Scaling group' },
];

/** A tag that is set, and not to `false`: a typo in a keep tag errs on the side of keeping. */
const isSet = (value: string | undefined) => value !== undefined && value.trim().toLowerCase() !== 'false';

/**
 * Why the reaper never touches a resource — no delete, no stop, no tag — or undefined: managed by a
 * CloudFormation stack or an Auto Scaling group, managed by Terraform or Reflex by convention (config
 * `managedTags`, `neverTouchTagKeys`), tagged `reflex:keep` or `reflex:protect` (any value but `false`),
 * a default VPC or a default subnet.
 *
 * @example
 * neverTouch({ kind: 'vpc', id: 'vpc-1', tags: {}, state: 'available', isDefault: true }, config); // "it is a default VPC"
 */
export function neverTouch(resource: Resource, config: Pick<ReaperConfig, 'managedTags' | 'neverTouchTagKeys'>): string | undefined {
  const { tags } = resource;
  for (const { key, what } of SERVICE_TAGS) if (tags[key] !== undefined) return `it belongs to ${what} ${tags[key]} (${key})`;
  for (const key of config.neverTouchTagKeys) if (tags[key] !== undefined) return `it carries ${key}`;
  for (const { key, values } of config.managedTags) {
    const value = tags[key];
    if (value !== undefined && values.some((v) => v.toLowerCase() === value.trim().toLowerCase())) return `it is managed by ${value} (${key}=${value})`;
  }
  if (isSet(tags[REFLEX_TAGS.keep])) return `it is tagged ${REFLEX_TAGS.keep}=${tags[REFLEX_TAGS.keep]}`;
  if (isSet(tags[REFLEX_TAGS.protect])) return `it is tagged ${REFLEX_TAGS.protect}=${tags[REFLEX_TAGS.protect]} (the instance guard's)`;
  if (resource.isDefault) return resource.kind === 'vpc' ? 'it is a default VPC' : `it is a default ${resource.kind}`;
  return undefined;
}

/** The owner a resource's tags name (config `ownerTags`, first found), if any. */
export function ownerOf(resource: Resource, ownerTags: readonly string[]): string | undefined {
  for (const key of ownerTags) {
    const value = resource.tags[key]?.trim();
    if (value) return value;
  }
  return undefined;
}

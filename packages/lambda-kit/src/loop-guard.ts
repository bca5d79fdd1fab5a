import { principalArn, UserIdentitySchema } from '@reflex/events';

/** The IAM role name in a role or assumed-role ARN, else undefined. */
export function roleNameOf(arn: string): string | undefined {
  const match = /^arn:[^:]+:(?:iam|sts)::\d{12}:(?:role(?:\/.*)?|assumed-role)\/([^/]+)(?:\/[^/]*)?$/.exec(arn);
  if (!match) return undefined;
  // `role/path/name`: the name is the last segment; `assumed-role/name/session`: the first.
  return arn.includes(':assumed-role/') ? match[1] : arn.split('/').pop();
}

/**
 * Whether an event was caused by one of Reflex's own roles (their names start with `prefix`),
 * judged from a CloudTrail `detail.userIdentity`. Events without a principal are never skipped.
 *
 * @example
 * causedByOwnRole(stopInstancesCall, 'reflex-dev-'); // true when reflex-dev-scheduler stopped it
 */
export function causedByOwnRole(event: { detail?: unknown }, prefix: string): boolean {
  const identity = UserIdentitySchema.safeParse((event.detail as { userIdentity?: unknown } | undefined)?.userIdentity);
  if (!identity.success) return false;
  const arn = principalArn(identity.data);
  const role = arn ? roleNameOf(arn) : undefined;
  return role !== undefined && role.startsWith(prefix);
}

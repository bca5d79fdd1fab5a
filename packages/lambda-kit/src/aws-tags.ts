/** A tag as AWS APIs list it (`Tags: [{ Key, Value }]`). */
export interface AwsTag {
  readonly Key?: string;
  readonly Value?: string;
}

/**
 * AWS's tag list as a record.
 *
 * @example
 * tagRecord(instance.Tags); // { Name: 'web-1', 'reflex:protect': 'true' }
 */
export function tagRecord(tags: readonly AwsTag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).flatMap((t) => (t.Key ? [[t.Key, t.Value ?? '']] : [])));
}

/**
 * A record as AWS's tag list, for CreateTags and TagSpecifications.
 *
 * @example
 * new CreateTagsCommand({ Resources: [id], Tags: tagList({ CostCenter: 'R&D' }) });
 */
export function tagList(tags: Readonly<Record<string, string>>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Items in runs of at most `size` (AWS batch APIs take a bounded number of ids). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

import { type AwsApiCall, formatExpiry, REFLEX_TAGS } from '@reflex/events';
import type { ActionReport } from '@reflex/lambda-kit';
import { attributeCreator } from './attribution';
import { type CreatedResource, createdResources, isCreateCall } from './created';
import type { TaggerConfig } from '../manifest';
import { planTags, type ValueSource } from './policy';
import type { DecisionLog, NetworkTagsPort } from '../ports';
import { DEPTH, resourceArn, type Tags } from './resources';

export interface TaggerDeps {
  readonly network: NetworkTagsPort;
  readonly config: TaggerConfig;
  readonly log: DecisionLog;
}

const STACK_TAG = 'aws:cloudformation:stack-name';
const ASG_TAG = 'aws:autoscaling:groupName';
const REASON_MAX = 2000;

const describeValue = (key: string, value: string, source: ValueSource | undefined) =>
  `${key}=${value}${source ? (source.from === 'parent' ? ` (from ${source.parent})` : ' (default)') : ''}`;

/**
 * Tags what one successful create call made: the mandatory tags of the policy (inherited from the parent
 * when the rule says so and the parent carries the key, else the default) and `reflex:created-by` /
 * `reflex:created-at`, and — with a `defaultTtl` — `reflex:expires-at` (creation + TTL; not on what a
 * CloudFormation stack or an Auto Scaling group owns, nor on an instance's volumes). Reads each resource's tags first and writes only keys it lacks, so a value the
 * creator set is never overwritten and a redelivered event writes nothing. RunInstances also tags the
 * instances' network interfaces and volumes.
 */
export async function tagCreated(event: AwsApiCall, deps: TaggerDeps): Promise<ActionReport[]> {
  const { detail } = event;
  const { log, network } = deps;
  const skip = (reason: string) => {
    log.info(`not tagging: ${reason}`, { eventName: detail.eventName, decision: 'skip', reason });
    return [];
  };
  // The rule's pattern lets neither through; a hand-fed event (reflex invoke, a replay) might.
  if (detail.errorCode) return skip(`the ${detail.eventName} call failed (${detail.errorCode}): it created nothing`);
  if (!isCreateCall(detail.eventName)) return skip(`${detail.eventName} is not a create call the tagger handles`);

  const created: CreatedResource[] = createdResources(detail);
  const instances = created.filter((r) => r.type === 'instance').map((r) => r.id);
  if (instances.length > 0) {
    for (const [instanceId, volumes] of await network.volumesOf(instances)) {
      for (const id of volumes) created.push({ id, type: 'volume', parent: { id: instanceId, type: 'instance' } });
    }
  }
  if (created.length === 0) return skip(`the ${detail.eventName} response names no resource`);

  const ids = [...new Set([...created.map((r) => r.id), ...created.flatMap((r) => (r.parent ? [r.parent.id] : []))])];
  const effective = new Map<string, Tags>(await network.tagsOf(ids));
  const stackTags = created.map((r) => effective.get(r.id)).find((tags) => tags?.[STACK_TAG]);
  const creator = attributeCreator(detail, stackTags);
  const createdAt = new Date(detail.eventTime).toISOString();
  const account = event.account;
  const region = detail.awsRegion;

  const tagged: { resource: CreatedResource; summary: string }[] = [];
  let dryRun = false;
  // Parents first, so that an instance's volumes inherit what the instance is about to carry.
  for (const resource of [...created].sort((a, b) => DEPTH[a.type] - DEPTH[b.type])) {
    const current = effective.get(resource.id) ?? {};
    const parent = resource.parent ? { id: resource.parent.id, tags: effective.get(resource.parent.id) ?? {} } : undefined;
    const plan = planTags(current, parent, deps.config.mandatoryTags);
    const write: Record<string, string> = { ...plan.write };
    if (!Object.hasOwn(current, REFLEX_TAGS.createdBy)) write[REFLEX_TAGS.createdBy] = creator.label;
    if (!Object.hasOwn(current, REFLEX_TAGS.createdAt)) write[REFLEX_TAGS.createdAt] = createdAt;
    const ttl = deps.config.defaultTtl;
    // Not on what a stack or an Auto Scaling group owns (its own tags, its parent's, or the call's), and not on
    // an instance's volumes: they go with the instance.
    const owned = [current, parent?.tags ?? {}, stackTags ?? {}].some((t) => t[STACK_TAG] || t[ASG_TAG]);
    const withInstance = resource.type === 'volume' && resource.parent?.type === 'instance';
    if (ttl && (ttl.types?.includes(resource.type) ?? true) && !Object.hasOwn(current, REFLEX_TAGS.expiresAt) && !owned && !withInstance) {
      write[REFLEX_TAGS.expiresAt] = formatExpiry(new Date(Date.parse(createdAt) + ttl.hours * 3_600_000));
    }
    const context = { resourceId: resource.id, resourceType: resource.type, parent: resource.parent?.id };
    if (plan.unresolved.length > 0) {
      log.info(`no value for ${plan.unresolved.join(', ')} on ${resource.id}: the parent carries none and the rule has no default`, {
        ...context,
        unresolved: plan.unresolved,
      });
    }
    if (Object.keys(write).length === 0) {
      log.info(`${resource.id} carries every tag already`, { ...context, decision: 'none' });
      continue;
    }
    const result = await network.tag(resource.id, write);
    if (result === 'not-found') {
      log.info(`not tagging ${resource.id}: it no longer exists`, { ...context, decision: 'skip' });
      continue;
    }
    dryRun ||= result === 'dry-run';
    effective.set(resource.id, { ...current, ...write });
    log.info(`${result === 'dry-run' ? 'would tag' : 'tagged'} ${resource.id}`, {
      ...context,
      decision: 'tag',
      tags: write,
      sources: plan.sources,
      createdBy: creator.label,
    });
    const mandatory = Object.entries(plan.write).map(([k, v]) => describeValue(k, v, plan.sources[k]));
    tagged.push({ resource, summary: `${resource.id}: ${[...mandatory, ...Object.keys(write).filter((k) => !(k in plan.write))].join(', ')}` });
  }
  if (tagged.length === 0) return [];
  const reason = `${detail.eventName} by ${creator.label}; ${tagged.map((t) => t.summary).join('; ')}`;
  return [
    {
      action: 'ec2:CreateTags',
      targets: tagged.map(({ resource }) => ({ id: resource.id, arn: resourceArn(resource.type, resource.id, region, account) })),
      reason: reason.length > REASON_MAX ? `${reason.slice(0, REASON_MAX - 1)}…` : reason,
      outcome: dryRun ? 'dry-run' : 'succeeded',
      severity: 'info',
    },
  ];
}

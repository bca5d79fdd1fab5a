import { type BlockRequest, type GuardDutyFinding, isTargetOfRemote, remoteIps, type ScheduledEvent } from '@reflex/events';
import type { ActionReport } from '@reflex/lambda-kit';
import type { NaclRef } from '../ports';
import { allowedBy, allowedRanges, blockFor, PRIVATE_RANGES, tooWide } from './addresses';
import { type BlockIntent, emptyResult, NaclSession, withLease, type WriteResult, type WriterDeps } from './nacl-writer';

/** The events the IP blocker receives. */
export type BlockerEvent = GuardDutyFinding | BlockRequest | ScheduledEvent;

export type BlockerDeps = WriterDeps;

/**
 * Decides and acts on one event: a GuardDuty finding or a block request denies its sources in the NACLs
 * it names (never an allow-listed source, never past a NACL's quota or the write budget); the schedule
 * sweeps expired blocks and repairs drift. Every decision is kept as the event's outcome.
 */
export async function ipBlocker(event: BlockerEvent, deps: BlockerDeps): Promise<ActionReport[]> {
  const result = emptyResult();
  if (event['detail-type'] === 'Scheduled Event') {
    await sweep(new Date(event.time), deps, result);
    return result.reports;
  }
  if (event['detail-type'] === 'GuardDuty Finding') await onFinding(event as GuardDutyFinding, deps, result);
  else await onRequest(event as BlockRequest, deps, result);
  await deps.state.recordOutcome({
    eventId: event.id,
    at: deps.now().toISOString(),
    lines: result.lines,
    blocked: result.blocked,
    refused: result.refused,
  });
  return result.reports;
}

function skip(result: WriteResult, deps: BlockerDeps, why: string): void {
  result.lines.push(`nothing to do: ${why}`);
  deps.log.info(`nothing to do: ${why}`, { decision: 'skip' });
}

async function onFinding(finding: GuardDutyFinding, deps: BlockerDeps, result: WriteResult): Promise<void> {
  const { config } = deps;
  const d = finding.detail;
  if (!config.findingTypes.includes(d.type)) return skip(result, deps, `finding type ${d.type} is not one the config blocks`);
  if (d.severity < config.minSeverity) return skip(result, deps, `severity ${d.severity} is below ${config.minSeverity}`);
  if (!isTargetOfRemote(d)) return skip(result, deps, `the instance is the actor of this ${d.type}, not its target`);
  const instanceId = d.resource.instanceDetails?.instanceId;
  if (!instanceId) return skip(result, deps, 'the finding names no instance');
  const ips = remoteIps(d);
  if (!ips.length) return skip(result, deps, 'the finding names no remote address');
  const lastSeen = new Date(d.service?.eventLastSeen ?? finding.time);
  const expiresAt = new Date(lastSeen.getTime() + config.ttlMinutes * 60_000);
  if (expiresAt <= deps.now()) {
    return skip(result, deps, `the finding was last seen at ${lastSeen.toISOString()}: a block would have expired already`);
  }

  const network = await deps.network.instanceSubnets(instanceId);
  const subnetIds = network?.subnetIds ?? (d.resource.instanceDetails?.networkInterfaces ?? []).flatMap((n) => (n.subnetId?.startsWith('subnet-') ? [n.subnetId] : []));
  const vpcId = network?.vpcId ?? d.resource.instanceDetails?.networkInterfaces?.find((n) => n.vpcId?.startsWith('vpc-'))?.vpcId;
  const nacls = config.scope === 'vpc' && vpcId ? await deps.network.naclsOfVpc(vpcId) : await deps.network.naclsOfSubnets(subnetIds);
  if (!nacls.length) return skip(result, deps, `no NACL found for ${instanceId} (${network ? 'its subnets have none' : 'the instance is gone and the finding names no subnet'})`);

  const reason = `${d.type} (severity ${d.severity}) against ${instanceId}${d.id ? `, finding ${d.id}` : ''}`;
  const blocks = ips.flatMap((ip) => {
    const cidr = blockFor(ip, config.prefixLength);
    return cidr ? [cidr] : [];
  });
  await blockIn(nacls, [...new Set(blocks)], { severity: d.severity, reason, origin: 'guardduty', eventId: d.id ?? finding.id, expiresAt }, deps, result);
}

async function onRequest(request: BlockRequest, deps: BlockerDeps, result: WriteResult): Promise<void> {
  const d = request.detail;
  const cidr = blockFor(d.source, { ipv4: 32, ipv6: 128 })!;
  if (d.action === 'unblock') return unblock(cidr, d.target ? await naclsOfTarget(d.target, deps) : undefined, `requested by ${d.requestedBy}: ${d.reason}`, deps, result);
  const nacls = await naclsOfTarget(d.target!, deps);
  if (!nacls.length) return skip(result, deps, `no NACL found for ${JSON.stringify(d.target)}`);
  const expiresAt = new Date(deps.now().getTime() + (d.ttlMinutes ?? deps.config.ttlMinutes) * 60_000);
  const reason = `requested by ${d.requestedBy}: ${d.reason}`;
  await blockIn(nacls, [cidr], { severity: d.severity, reason, origin: 'request', eventId: request.id, requestedBy: d.requestedBy, expiresAt }, deps, result);
}

async function naclsOfTarget(target: NonNullable<BlockRequest['detail']['target']>, deps: BlockerDeps): Promise<NaclRef[]> {
  if ('naclIds' in target) return deps.network.nacls(target.naclIds);
  if ('vpcId' in target) return deps.network.naclsOfVpc(target.vpcId);
  const network = await deps.network.instanceSubnets(target.instanceId);
  if (!network) return [];
  return deps.config.scope === 'vpc' ? deps.network.naclsOfVpc(network.vpcId) : deps.network.naclsOfSubnets(network.subnetIds);
}

/** Blocks each source in each NACL, unless allow-listed, too wide or the NACL is not opted in. */
async function blockIn(
  nacls: readonly NaclRef[],
  cidrs: readonly string[],
  intent: Omit<BlockIntent, 'cidr'>,
  deps: BlockerDeps,
  result: WriteResult,
): Promise<void> {
  const { config } = deps;
  const vpcCidrs = await Promise.all([...new Set(nacls.map((n) => n.vpcId))].map(async (vpc) => (await deps.network.vpcCidrs(vpc)).map((text) => ({ text, why: `a CIDR of ${vpc}` }))));
  const allowed = allowedRanges([
    ...config.allowList.map((text) => ({ text, why: 'on the allow-list' })),
    ...(config.allowPrivate ? PRIVATE_RANGES.map((text) => ({ text, why: 'private address space' })) : []),
    ...vpcCidrs.flat(),
  ]);
  const sources = cidrs.filter((cidr) => {
    const why = tooWide(cidr) ?? (() => {
      const range = allowedBy(cidr, allowed);
      return range && `${cidr} touches ${range.text}, ${range.why}`;
    })();
    if (!why) return true;
    result.refused++;
    result.lines.push(`refused to block ${cidr}: ${why}`);
    deps.log.info(`refused to block ${cidr}: ${why}`, { cidr, decision: 'refuse' });
    result.reports.push({
      action: 'ec2:CreateNetworkAclEntry',
      targets: nacls.map((n) => ({ id: n.id, arn: deps.naclArn(n.id) })),
      reason: `did not deny ${cidr}: ${why} (${intent.reason})`,
      outcome: 'alert',
      severity: 'warning',
    });
    return false;
  });
  if (!sources.length) return;
  for (const nacl of [...nacls].sort((a, b) => a.id.localeCompare(b.id))) {
    if (config.optInTag && nacl.tags[config.optInTag.key] !== config.optInTag.value) {
      skip(result, deps, `${nacl.id} is not opted in (tag ${config.optInTag.key}=${config.optInTag.value})`);
      continue;
    }
    await withLease(nacl.id, deps, async () => {
      const session = await NaclSession.open(nacl.id, deps, result);
      for (const cidr of sources) await session?.place({ ...intent, cidr });
    });
  }
}

/** Removes Reflex's blocks of a source: from the given NACLs, or from every NACL where Reflex has one. */
async function unblock(cidr: string, nacls: readonly NaclRef[] | undefined, why: string, deps: BlockerDeps, result: WriteResult): Promise<void> {
  const ids = nacls ? nacls.map((n) => n.id) : [...new Set((await deps.state.allBlocks()).filter((r) => r.cidr === cidr).map((r) => r.naclId))];
  let removed = 0;
  for (const id of ids.sort()) {
    await withLease(id, deps, async () => {
      const session = await NaclSession.open(id, deps, result);
      if (await session?.remove(cidr, why)) removed++;
    });
  }
  if (!removed) skip(result, deps, `Reflex blocks ${cidr} nowhere${nacls ? ' in those NACLs' : ''}`);
}

/** The schedule: removes blocks that expired by `at`, and repairs drift in every NACL Reflex writes to. */
async function sweep(at: Date, deps: BlockerDeps, result: WriteResult): Promise<void> {
  const records = await deps.state.allBlocks();
  const naclIds = [...new Set(records.map((r) => r.naclId))].sort();
  for (const id of naclIds) {
    await withLease(id, deps, async () => {
      const session = await NaclSession.open(id, deps, result);
      if (!session) return;
      for (const record of [...session.records.values()]) {
        if (new Date(record.expiresAt) <= at) await session.remove(record.cidr, `the block expired at ${record.expiresAt}`);
      }
    });
  }
  deps.log.info(`sweep: ${records.length} block record(s) in ${naclIds.length} NACL(s) checked`, { decision: 'sweep' });
}

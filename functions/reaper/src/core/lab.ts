import { REFLEX_TAGS } from '@reflex/events';
import type { Resource, VpcContents } from '../ports';
import { formatExpiry } from './expiry';
import { type Decision, withNotice } from './lifecycle';
import { neverTouch } from './never-touch';
import { REMOVE_ACTION, type Run } from './run';

type Act = Extract<Decision, { kind: 'act' }>;

/** One teardown stage: what it deletes, when a resource of it is gone or busy, and whether its deletes take time. */
interface Stage {
  readonly name: string;
  readonly pick: (contents: VpcContents) => readonly Resource[];
  readonly gone: (r: Resource) => boolean;
  /** In transition, or still held (an address still associated): the stage waits for the next run. */
  readonly busy: (r: Resource) => boolean;
  /** Its deletes finish later (terminating, deleting): the next stage waits for the next run. */
  readonly slow: boolean;
}

const inState = (...states: string[]) => (r: Resource) => states.includes(r.state);

/** A lab VPC's dependents in the order they can be deleted. */
export const STAGES: readonly Stage[] = [
  { name: 'instances', pick: (c) => c.instances, gone: inState('terminated'), busy: inState('pending', 'stopping', 'shutting-down'), slow: true },
  { name: 'NAT gateways', pick: (c) => c.natGateways, gone: inState('deleted'), busy: inState('pending', 'deleting'), slow: true },
  { name: 'Elastic IPs', pick: (c) => c.addresses, gone: () => false, busy: (r) => r.attachedTo !== undefined, slow: false },
  { name: 'VPC endpoints', pick: (c) => c.endpoints, gone: inState('deleted'), busy: inState('pending', 'deleting'), slow: true },
  { name: 'subnets', pick: (c) => c.subnets, gone: () => false, busy: () => false, slow: false },
  { name: 'route tables', pick: (c) => c.routeTables, gone: () => false, busy: () => false, slow: false },
  { name: 'internet gateways', pick: (c) => c.internetGateways, gone: () => false, busy: () => false, slow: false },
  { name: 'security groups', pick: (c) => c.securityGroups, gone: () => false, busy: () => false, slow: false },
];

/** The dependents a teardown still has to delete, stage by stage. */
export function remaining(contents: VpcContents): Resource[] {
  return STAGES.flatMap((s) => s.pick(contents).filter((r) => !s.gone(r) && !r.goesWithVpc));
}

/**
 * Why a lab VPC cannot be torn down: dependents the reaper never touches, and network interfaces that belong
 * to none of its stages (a Lambda's, a load balancer's, a database's) — or undefined.
 */
export function teardownBlockers(contents: VpcContents, run: Pick<Run, 'config'>): string | undefined {
  const blockers = [
    ...remaining(contents).flatMap((r) => {
      const why = neverTouch(r, run.config);
      return why ? [`${r.id} (${why})`] : [];
    }),
    ...contents.otherInterfaces.map((eni) => `${eni.id} (${eni.type}${eni.description ? `: ${eni.description}` : ''})`),
  ];
  return blockers.length ? `it holds what the reaper may not delete: ${blockers.join(', ')}` : undefined;
}

/**
 * Tears an expired lab VPC down across runs: its dependents get the VPC's expiry (the role deletes only what
 * carries one), then each stage in order — instances, NAT gateways, Elastic IPs, endpoints, subnets, route
 * tables, internet gateways, security groups — and the VPC. A stage whose resources are in transition, or whose
 * deletes take time, ends the run's work on the VPC; a refusal is reported once per expiry. Nothing is deleted
 * while something the reaper may not touch is in the VPC.
 */
export async function tearDown(run: Run, vpc: Resource, decision: Act): Promise<void> {
  const { inventory, actions, state } = run.deps;
  const found = await inventory.vpcContents(vpc.id);
  const contents = await withRecordedAddresses(run, vpc, found);
  const blockers = teardownBlockers(contents, run);
  // A blocked VPC leaves its dependents to their own expiries, if any.
  if (blockers) return blocked(run, vpc, decision, blockers);
  const dependents = remaining(contents);
  for (const r of dependents) run.handled.add(r.id);
  if (run.dryRun) {
    if (decision.sent.has('dry-teardown')) return run.log(vpc, 'dry-run: its teardown was reported already', 'dry-run-reported');
    const plan = STAGES.map((s) => [s.name, s.pick(contents).filter((r) => !s.gone(r) && !r.goesWithVpc).length] as const).filter(([, n]) => n > 0);
    const what = plan.length ? plan.map(([name, n]) => `${n} ${name}`).join(', ') : 'nothing';
    run.report([vpc], 'reaper:TearDownLabVpc', { status: 'dry-run' }, `${decision.why}; would delete ${what}, then the VPC`, { severity: 'warning' });
    run.count('teardown');
    await run.writeTags([vpc], { [REFLEX_TAGS.expiryWarned]: withNotice(decision.sent, 'dry-teardown', decision.key) });
    return;
  }
  if (found.addresses.length) await state.putLabAddresses(vpc.id, contents.addresses.map((a) => a.id));
  const unmarked = dependents.filter((r) => r.tags[REFLEX_TAGS.expiresAt] === undefined);
  if (unmarked.length) {
    const expiry = formatExpiry(decision.expiry);
    const result = await actions.tag(unmarked, { [REFLEX_TAGS.expiresAt]: expiry });
    run.report(unmarked, 'ec2:CreateTags', result, `lab VPC ${vpc.id} ${decision.why}: its dependents take its expiry before the teardown`, {
      change: { key: REFLEX_TAGS.expiresAt, to: expiry },
    });
    if (result.status !== 'done') return;
  }
  for (const stage of STAGES) {
    const live = stage.pick(contents).filter((r) => !stage.gone(r) && !r.goesWithVpc);
    if (live.length === 0) continue;
    const busy = live.filter(stage.busy);
    if (busy.length) {
      run.count('waiting');
      return run.log(vpc, `teardown waits for ${stage.name}: ${busy.map((r) => `${r.id} ${r.attachedTo ? `associated with ${r.attachedTo}` : r.state}`).join(', ')}`, 'wait');
    }
    const refused: string[] = [];
    for (const r of live) {
      const result = await actions.remove(r);
      if (result.status === 'refused' || result.status === 'failed') refused.push(`${r.id}: ${result.error}`);
      else {
        run.report([r], REMOVE_ACTION[r.kind], result, `lab VPC ${vpc.id} ${decision.why}: its ${stage.name} go first`);
        run.count('deleted');
      }
    }
    if (refused.length) return blocked(run, vpc, decision, `deleting its ${stage.name} failed: ${refused.join('; ')}`);
    if (stage.slow) return run.log(vpc, `teardown: ${stage.name} deleted; the next stage at the next run, once they are gone`, 'wait');
  }
  const result = await actions.remove(vpc);
  if (result.status === 'refused' || result.status === 'failed') return blocked(run, vpc, decision, `DeleteVpc failed: ${result.error}`);
  run.report([vpc], 'ec2:DeleteVpc', result, `lab VPC ${decision.why}: everything in it is deleted`);
  run.count('deleted');
}

/** The contents, with the addresses an earlier run found associated (they lost the association when their NAT gateway went). */
async function withRecordedAddresses(run: Run, vpc: Resource, contents: VpcContents): Promise<VpcContents> {
  const known = new Set(contents.addresses.map((a) => a.id));
  const recorded = (await run.deps.state.labAddresses(vpc.id)).filter((id) => !known.has(id));
  if (recorded.length === 0) return contents;
  const found = await Promise.all(recorded.map((id) => run.deps.inventory.find(id)));
  return { ...contents, addresses: [...contents.addresses, ...found.filter((a): a is Resource => a !== undefined)] };
}

/** Reports once per expiry that the VPC cannot be torn down, and why; later runs only log it. */
async function blocked(run: Run, vpc: Resource, decision: Act, why: string): Promise<void> {
  run.count('blocked');
  if (decision.sent.has('blocked')) return run.log(vpc, `teardown blocked (reported already): ${why}`, 'blocked');
  const result = await run.writeTags([vpc], { [REFLEX_TAGS.expiryWarned]: withNotice(decision.sent, 'blocked', decision.key) });
  run.report([vpc], 'reaper:Blocked', result.status === 'dry-run' ? result : { status: 'done' }, `lab VPC ${decision.why}, but ${why}`, { severity: 'warning', alert: true });
}

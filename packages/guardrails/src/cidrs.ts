// The CIDR check of a plan or configuration: the VPC and subnet blocks it plans, the ones it cannot know
// before apply, and what collides — blocks with each other, subnets with their VPC, blocks with reserved
// ranges and with the VPCs the IPAM knows.
import type { Cidr } from '@reflex/ip';
import { readCidr, type ReservedRange } from './reserved-ranges';
import { addressSteps, instanceKey, type ModuleLinks, NON_OBJECT_ROOTS, type TerraformDocument, type TerraformResource } from './terraform-json';

/** A VPC or subnet block the plan has a value for. */
export interface PlannedBlock {
  /** The resource instance that sets it: `aws_vpc.main`, `module.net[0].aws_vpc_ipv4_cidr_block_association.extra`. */
  readonly address: string;
  /** `cidr_block` or `ipv6_cidr_block`. */
  readonly attribute: string;
  /** As written. */
  readonly cidr: string;
  /** A VPC's block (primary or associated) or a subnet's. */
  readonly kind: 'vpc' | 'subnet';
  /** The VPC it belongs to: its address in the plan, or its id when the plan does not manage it; absent when unknown. */
  readonly vpc?: string;
  /** The AWS id of that VPC, when the plan knows it (an existing VPC). */
  readonly vpcId?: string;
}

/** A block, or a subnet's VPC, that is known only after apply: it is listed, not checked. */
export interface UncheckedBlock {
  readonly address: string;
  readonly attribute: string;
  readonly reason: string;
}

/** A VPC block of the IPAM's golden records. */
export interface IpamVpcBlock {
  readonly vpcId: string;
  readonly cidr: string;
  readonly account: string;
  readonly region: string;
}

/**
 * The IPAM's live VPC blocks that overlap any of `cidrs` (canonical CIDR blocks), each with the CIDR it was
 * found for: `vpcBlocksOverlapping` of `@reflex/ipam`, bound to a store.
 */
export type IpamLookup = (cidrs: string[]) => Promise<readonly { readonly cidr: string; readonly block: IpamVpcBlock }[]>;

/** What the CIDR check found wrong; `message` names both sides by Terraform address and CIDR. */
export type CidrFinding =
  | { readonly kind: 'overlap'; readonly message: string; readonly block: PlannedBlock; readonly other: PlannedBlock }
  | { readonly kind: 'ipam'; readonly message: string; readonly block: PlannedBlock; readonly ipam: IpamVpcBlock }
  | { readonly kind: 'outside-vpc'; readonly message: string; readonly block: PlannedBlock; readonly vpc: string; readonly vpcCidrs: readonly string[] }
  | { readonly kind: 'reserved'; readonly message: string; readonly block: PlannedBlock; readonly reserved: ReservedRange }
  | { readonly kind: 'non-canonical'; readonly message: string; readonly block: PlannedBlock; readonly canonical: string }
  | { readonly kind: 'invalid-cidr'; readonly message: string; readonly block: PlannedBlock };

/** The result of the CIDR check of one plan or configuration. */
export interface CidrReport {
  readonly blocks: readonly PlannedBlock[];
  readonly findings: readonly CidrFinding[];
  readonly unchecked: readonly UncheckedBlock[];
}

export interface CidrCheckOptions {
  /** Ranges no planned VPC may overlap. @default [] */
  readonly reserved?: readonly ReservedRange[];
  /** The IPAM's VPC blocks; without it, planned blocks are not checked against existing VPCs. */
  readonly ipam?: IpamLookup;
}

const VPC_TYPES = new Set(['aws_vpc', 'aws_default_vpc']);

/** An attribute that holds a block. */
interface BlockAttribute {
  readonly name: string;
  readonly family: 4 | 6;
  /** A block is expected even when the attribute is not set (the VPC's primary block, an association's). */
  readonly always?: true;
  /** The provider computes it when unset, empty when there is no block: unknown alone does not mean a block. */
  readonly computed?: true;
}

const VPC_ATTRIBUTES: readonly BlockAttribute[] = [{ name: 'cidr_block', family: 4, always: true }, { name: 'ipv6_cidr_block', family: 6, computed: true }];

/** The attributes that hold blocks, per resource type. */
const BLOCK_ATTRIBUTES: Readonly<Record<string, { kind: 'vpc' | 'subnet'; attributes: readonly BlockAttribute[] }>> = {
  aws_vpc: { kind: 'vpc', attributes: VPC_ATTRIBUTES },
  aws_default_vpc: { kind: 'vpc', attributes: VPC_ATTRIBUTES },
  aws_vpc_ipv4_cidr_block_association: { kind: 'vpc', attributes: [{ name: 'cidr_block', family: 4, always: true }] },
  aws_vpc_ipv6_cidr_block_association: { kind: 'vpc', attributes: [{ name: 'ipv6_cidr_block', family: 6, always: true }] },
  aws_subnet: { kind: 'subnet', attributes: [{ name: 'cidr_block', family: 4 }, { name: 'ipv6_cidr_block', family: 6 }] },
  aws_default_subnet: { kind: 'subnet', attributes: [{ name: 'cidr_block', family: 4, always: true }, { name: 'ipv6_cidr_block', family: 6, computed: true }] },
};

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const setOrUnknown = (r: TerraformResource, attribute: string) => !!text(r.values[attribute]) || r.values[attribute] === true || (r.unknown.has(attribute) && r.configured.has(attribute));

/** Whether a VPC without an IPv6 block set gets one at apply: Amazon-provided, or from an IPAM pool. */
const generatesIpv6 = (r: TerraformResource) => setOrUnknown(r, 'assign_generated_ipv6_cidr_block') || setOrUnknown(r, 'ipv6_ipam_pool_id');

/** A reference list without the entries that only repeat a longer one's prefix (`aws_vpc.a` after `aws_vpc.a.id`). */
const mostSpecific = (refs: readonly string[]) => refs.filter((ref, i) => !refs.slice(0, i).some((r) => r.startsWith(`${ref}.`) || r.startsWith(`${ref}[`)));

/** Why a block is not known before apply, in the words of what sets it. */
function unknownReason(doc: TerraformDocument, r: TerraformResource, attribute: string, family: 4 | 6): string {
  if (r.unknownInstances) return 'its count or for_each is an expression: plan the configuration to check its instances';
  if ((r.type === 'aws_default_vpc' || r.type === 'aws_default_subnet') && !r.configured.has(attribute)) {
    return `the default ${r.type === 'aws_default_vpc' ? 'VPC' : 'subnet'}'s block, read from AWS at apply`;
  }
  const pool = text(r.values[`ipv${family}_ipam_pool_id`]);
  if (!r.configured.has(attribute) && (pool || r.unknown.has(`ipv${family}_ipam_pool_id`))) {
    const netmask = r.values[`ipv${family}_netmask_length`];
    return `allocated from IPAM pool ${pool ?? '(known after apply)'}${typeof netmask === 'number' ? ` as a /${netmask}` : ''} at apply`;
  }
  if (family === 6 && r.values.assign_generated_ipv6_cidr_block === true && !r.configured.has(attribute)) return 'an Amazon-provided IPv6 block, assigned at apply';
  const refs = mostSpecific(r.references[attribute] ?? []);
  if (refs.length) {
    return doc.format === 'plan' ? `computed from ${refs.join(', ')}: known after apply` : `an interpolation of ${refs.join(', ')}: known once planned`;
  }
  return r.configured.has(attribute) ? 'known only after apply' : 'not set: AWS assigns it at apply';
}

type VpcLink = { readonly vpc: string; readonly vpcId?: string; readonly planned: boolean } | { readonly unknown: string };

const MAX_LINK_DEPTH = 8;

/** Follows `vpc_id` expressions through resources, module outputs and module variables to the VPC. */
class VpcLinker {
  /** Resource instances by module instance and resource: `module.a[0]|aws_vpc.main`. */
  private readonly instances = new Map<string, TerraformResource[]>();
  /** Planned VPCs whose id is known: existing ones. */
  private readonly byId = new Map<string, TerraformResource>();
  /** Module instances by module instance and call name: `module.a[0]|b` → `module.a[0].module.b["x"]`. */
  private readonly calls = new Map<string, string[]>();

  constructor(private readonly doc: TerraformDocument) {
    const add = <T>(map: Map<string, T[]>, key: string, value: T) => {
      const list = map.get(key) ?? [];
      if (!list.includes(value)) map.set(key, [...list, value]);
    };
    for (const r of doc.resources) {
      add(this.instances, `${r.module}|${r.mode === 'data' ? 'data.' : ''}${r.type}.${r.name}`, r);
      const id = text(r.values.id);
      if (VPC_TYPES.has(r.type) && id) this.byId.set(id, r);
      const steps = addressSteps(r.module);
      const path = (end: number) => steps.slice(0, end).map(stepText).join('.');
      for (let i = 2; i <= steps.length; i += 2) add(this.calls, `${path(i - 2)}|${steps[i - 1]!.name}`, path(i));
    }
  }

  vpcOf(r: TerraformResource, depth = 0): VpcLink {
    if (VPC_TYPES.has(r.type)) return { vpc: r.address, ...(text(r.values.id) ? { vpcId: text(r.values.id)! } : {}), planned: true };
    if (r.type === 'aws_default_subnet') {
      const defaults = this.doc.resources.filter((d) => d.type === 'aws_default_vpc');
      return defaults.length === 1 ? this.vpcOf(defaults[0]!) : { unknown: 'in the default VPC, which this plan does not manage' };
    }
    const id = text(r.values.vpc_id);
    if (id) {
      const planned = this.byId.get(id);
      return planned ? this.vpcOf(planned) : { vpc: id, vpcId: id, planned: false };
    }
    return this.resolve(r.module, r.references.vpc_id ?? [], r.index, depth + 1);
  }

  private links(module: string): ModuleLinks | undefined {
    let links: ModuleLinks | undefined = this.doc.links;
    for (const step of addressSteps(module).filter((_, i) => i % 2 === 1)) links = links?.calls[step.name]?.module;
    return links;
  }

  /** The VPC the first resolvable reference of an expression in `module` leads to; `index` is its instance's. */
  private resolve(module: string, refs: readonly string[], index: number | string | undefined, depth: number): VpcLink {
    if (depth > MAX_LINK_DEPTH) return { unknown: 'its vpc_id goes through too many references' };
    const perInstance = refs.some((r) => /^(count\.index|each\.(key|value))$/.test(r));
    let reason: string | undefined;
    const follow = (found: VpcLink) => {
      if ('unknown' in found) reason ??= found.unknown;
      return 'vpc' in found ? found : undefined;
    };
    for (const ref of refs) {
      const [head, second, third] = addressSteps(ref);
      if (!head || !second) continue;
      if (head.name === 'var') {
        // A module's variable: the argument of the module call, in the calling module, for this instance.
        const steps = addressSteps(module);
        const call = steps.at(-1);
        if (!call) reason ??= `it comes from ${ref}, a variable of the root module`;
        const parent = steps.slice(0, -2).map(stepText).join('.');
        const found = call && follow(this.resolve(parent, this.links(parent)?.calls[call.name]?.args[second.name] ?? [], call.key, depth + 1));
        if (found) return found;
      } else if (head.name === 'module') {
        if (!third) continue;
        const all = this.calls.get(`${module}|${second.name}`) ?? [];
        const named = `${module ? `${module}.` : ''}module.${second.name}${instanceKey(second.key)}`;
        const instance = second.key !== undefined ? all.find((m) => m === named) : all.length === 1 ? all[0] : undefined;
        if (!instance) reason ??= `it comes from ${ref}, ${all.length > 1 ? `one of ${all.length} module instances` : 'a module this plan does not expand'}`;
        const found = instance && follow(this.resolve(instance, this.links(instance)?.outputs[third.name] ?? [], undefined, depth + 1));
        if (found) return found;
      } else if (head.name === 'data' || NON_OBJECT_ROOTS.has(head.name)) {
        if (head.name !== 'count' && head.name !== 'each') reason ??= `it comes from ${ref}`;
      } else {
        const all = this.instances.get(`${module}|${head.name}.${second.name}`) ?? [];
        const target = second.key !== undefined ? all.find((r) => r.index === second.key) : all.length === 1 ? all[0] : perInstance ? all.find((r) => r.index === index) : undefined;
        if (!target) reason ??= all.length > 1 ? `it comes from ${ref}, one of ${all.length} instances` : `it comes from ${ref}, which is not in this plan`;
        // A VPC, or what another resource's vpc_id leads to (an association's, say).
        const found = target && (VPC_TYPES.has(target.type) || third?.name === 'vpc_id') && follow(this.vpcOf(target, depth + 1));
        if (found) return found;
      }
    }
    return { unknown: reason ?? 'its vpc_id is known only after apply' };
  }
}

const stepText = (s: { name: string; key?: number | string }) => `${s.name}${instanceKey(s.key)}`;

/** A block or an unknown one, with the VPC it belongs to and its family. */
interface Seen {
  readonly kind: 'vpc' | 'subnet';
  readonly family: 4 | 6;
  readonly link: VpcLink;
}

/** A planned block with its parsed CIDR. */
interface Parsed extends Seen {
  readonly block: PlannedBlock;
  readonly cidr: Cidr;
  readonly canonical: string;
}

const contains = (outer: Cidr, inner: Cidr) => outer.version === inner.version && outer.bits <= inner.bits && (inner.network & outer.mask) === outer.network;
const overlap = (a: Cidr, b: Cidr) => contains(a, b) || contains(b, a);
const same = (a: Cidr, b: Cidr) => a.version === b.version && a.bits === b.bits && a.network === b.network;
const label = (b: PlannedBlock) => `${b.address} ${b.cidr}`;
const vpcOfLink = (link: VpcLink) => ('vpc' in link ? link.vpc : undefined);
const plannedVpc = (link: VpcLink) => ('vpc' in link && link.planned ? link.vpc : undefined);
const sameVpc = (a: Seen, b: Seen) => vpcOfLink(a.link) !== undefined && vpcOfLink(a.link) === vpcOfLink(b.link);

/** Whether an attribute without a known value stands for a block that apply will set. */
function expectsBlock(r: TerraformResource, kind: 'vpc' | 'subnet', attribute: BlockAttribute): boolean {
  if (attribute.always) return true;
  if (r.unknown.has(attribute.name) && (!attribute.computed || r.configured.has(attribute.name))) return true;
  return attribute.family === 6 && kind === 'vpc' && generatesIpv6(r);
}

function collect(doc: TerraformDocument) {
  const linker = new VpcLinker(doc);
  const blocks: (Seen & { block: PlannedBlock })[] = [];
  const unknown: (Seen & { entry: UncheckedBlock })[] = [];
  for (const r of doc.resources) {
    const spec = BLOCK_ATTRIBUTES[r.type];
    if (!spec || r.mode !== 'managed') continue;
    const link = linker.vpcOf(r);
    const vpc = 'vpc' in link ? { vpc: link.vpc, ...(link.vpcId ? { vpcId: link.vpcId } : {}) } : {};
    for (const attribute of spec.attributes) {
      const { name, family } = attribute;
      const value = text(r.values[name]);
      if (value) blocks.push({ kind: spec.kind, family, link, block: { address: r.address, attribute: name, cidr: value, kind: spec.kind, ...vpc } });
      else if (expectsBlock(r, spec.kind, attribute)) unknown.push({ kind: spec.kind, family, link, entry: { address: r.address, attribute: name, reason: unknownReason(doc, r, name, family) } });
    }
  }
  return { blocks, unknown };
}

/**
 * The VPC and subnet blocks of a plan or configuration, and those known only after apply.
 *
 * @example
 * const { blocks, unchecked } = plannedBlocks(readTerraformJson(text));
 */
export function plannedBlocks(doc: TerraformDocument): { blocks: PlannedBlock[]; unchecked: UncheckedBlock[] } {
  const { blocks, unknown } = collect(doc);
  return { blocks: blocks.map((b) => b.block), unchecked: [...unknown.map((u) => u.entry), ...unexpanded(doc)] };
}

/** A configuration's module calls: their blocks are not in it. */
const unexpanded = (doc: TerraformDocument): UncheckedBlock[] =>
  doc.unexpandedModules.map((m) => ({ address: m.address, attribute: 'source', reason: `a module call (${m.source}): its resources are not in the configuration JSON; check a plan instead` }));

/** Parses the blocks; one with host bits set is a finding and is checked as its network, an invalid one only a finding. */
function parseBlocks(blocks: readonly (Seen & { block: PlannedBlock })[], findings: CidrFinding[]): Parsed[] {
  return blocks.flatMap((seen) => {
    const { block } = seen;
    const read = readCidr(block.cidr);
    if (!read) {
      findings.push({ kind: 'invalid-cidr', message: `${block.address} ${block.attribute} "${block.cidr}" is no CIDR block`, block });
      return [];
    }
    if (read.hostBits) {
      findings.push({ kind: 'non-canonical', message: `${block.address} ${block.attribute} ${block.cidr} has host bits set: the block is ${read.canonical}`, block, canonical: read.canonical });
    }
    return [{ ...seen, cidr: read.cidr, canonical: read.canonical }];
  });
}

function overlapsWithin(parsed: readonly Parsed[], scope: (a: Parsed, b: Parsed) => string | undefined): CidrFinding[] {
  const findings: CidrFinding[] = [];
  for (const [i, a] of parsed.entries()) {
    for (const b of parsed.slice(i + 1)) {
      const within = scope(a, b);
      if (within === undefined || !overlap(a.cidr, b.cidr)) continue;
      findings.push({ kind: 'overlap', message: `${label(a.block)} overlaps ${label(b.block)} (${within})`, block: a.block, other: b.block });
    }
  }
  return findings;
}

/** Subnets outside their planned VPC's blocks; subnets that cannot be checked go to `unchecked`. */
function outsideVpc(subnets: readonly Parsed[], vpcBlocks: readonly Parsed[], unknown: readonly (Seen & { entry: UncheckedBlock })[], unchecked: UncheckedBlock[]): CidrFinding[] {
  const findings: CidrFinding[] = [];
  const noted = new Set<string>();
  for (const s of subnets) {
    const vpc = plannedVpc(s.link);
    if (!vpc) {
      const why = 'unknown' in s.link ? s.link.unknown : `${vpcOfLink(s.link)} is a VPC this plan does not manage`;
      if (!noted.has(s.block.address)) unchecked.push({ address: s.block.address, attribute: 'vpc_id', reason: `not checked against its VPC's blocks: ${why}` });
      noted.add(s.block.address);
      continue;
    }
    const own = vpcBlocks.filter((v) => plannedVpc(v.link) === vpc && v.family === s.family);
    if (own.some((v) => contains(v.cidr, s.cidr))) continue;
    const pending = unknown.filter((u) => u.kind === 'vpc' && plannedVpc(u.link) === vpc && u.family === s.family);
    if (pending.length) {
      const names = pending.map((u) => `${u.entry.address} ${u.entry.attribute}`).join(', ');
      unchecked.push({ address: s.block.address, attribute: s.block.attribute, reason: `${s.block.cidr} not checked against its VPC's blocks: ${names} known only after apply` });
      continue;
    }
    const vpcCidrs = own.map((v) => v.block.cidr);
    const blocks = vpcCidrs.length ? vpcCidrs.join(', ') : `no IPv${s.family} block`;
    findings.push({ kind: 'outside-vpc', message: `${label(s.block)} is outside its VPC ${vpc} (${blocks})`, block: s.block, vpc, vpcCidrs });
  }
  return findings;
}

async function ipamOverlaps(outward: readonly Parsed[], ipam: IpamLookup): Promise<CidrFinding[]> {
  if (outward.length === 0) return [];
  const matches = await ipam([...new Set(outward.map((p) => p.canonical))]);
  return outward.flatMap((p) =>
    matches.flatMap(({ cidr, block }): CidrFinding[] => {
      const asked = readCidr(cidr);
      // The record of the very VPC the plan changes is no collision.
      if (!asked || !same(asked.cidr, p.cidr) || block.vpcId === p.block.vpcId) return [];
      const ipamBlock = { vpcId: block.vpcId, cidr: block.cidr, account: block.account, region: block.region };
      return [{ kind: 'ipam', message: `${label(p.block)} overlaps ${block.vpcId} ${block.cidr} in the IPAM (account ${block.account}, ${block.region})`, block: p.block, ipam: ipamBlock }];
    }),
  );
}

/**
 * Checks the CIDR blocks of a plan or configuration: VPC blocks that overlap each other, subnets of one VPC
 * that overlap, subnets outside their VPC's blocks, blocks that overlap reserved ranges or the IPAM's VPCs
 * (other than the same VPC), and blocks written with host bits set. Blocks known only after apply are
 * listed in `unchecked`, with the reason.
 *
 * @example
 * const report = await checkCidrs(readTerraformJson(text), { reserved: [{ cidr: '10.0.0.0/8', name: 'on-prem' }] });
 * for (const f of report.findings) console.log(f.message);
 */
export async function checkCidrs(doc: TerraformDocument, options: CidrCheckOptions = {}): Promise<CidrReport> {
  const { blocks, unknown } = collect(doc);
  const unchecked = [...unknown.map((u) => u.entry), ...unexpanded(doc)];
  const findings: CidrFinding[] = [];
  const parsed = parseBlocks(blocks, findings);
  // One VPC block seen twice (an existing VPC's ipv6_cidr_block is its first association's) counts once.
  const vpcBlocks = parsed.filter((p, i) => p.kind === 'vpc' && !parsed.slice(0, i).some((q) => q.kind === 'vpc' && sameVpc(q, p) && same(q.cidr, p.cidr)));
  const subnets = parsed.filter((p) => p.kind === 'subnet');
  findings.push(
    ...overlapsWithin(vpcBlocks, (a, b) => (sameVpc(a, b) ? `two blocks of one VPC, ${vpcOfLink(a.link)}` : 'two VPCs')),
    ...overlapsWithin(subnets, (a, b) => (sameVpc(a, b) ? `subnets of ${vpcOfLink(a.link)}` : undefined)),
    ...outsideVpc(subnets, vpcBlocks, unknown, unchecked),
  );
  // A subnet counts on its own only where its VPC's blocks are not checked: in a VPC this plan does not
  // manage, or one it cannot tell. Against the IPAM only with its VPC's id known: its own VPC's record is no collision.
  const unplanned = subnets.filter((s) => !plannedVpc(s.link));
  for (const p of [...vpcBlocks, ...unplanned]) {
    for (const reserved of options.reserved ?? []) {
      if (!overlap(p.cidr, readCidr(reserved.cidr)!.cidr)) continue;
      findings.push({ kind: 'reserved', message: `${label(p.block)} overlaps reserved ${reserved.cidr} (${reserved.name})`, block: p.block, reserved });
    }
  }
  if (options.ipam) findings.push(...(await ipamOverlaps([...vpcBlocks, ...unplanned.filter((s) => 'vpc' in s.link)], options.ipam)));
  return { blocks: blocks.map((b) => b.block), findings, unchecked };
}

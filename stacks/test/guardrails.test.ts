// The pre-deploy CIDR check (@reflex/guardrails) on what we synthesize: every environment is clean, and a
// VPC overlap planted in a structuredClone of the real dev stack is found and named.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkCidrs, toTerraformDocument } from '@reflex/guardrails';
import { ENVIRONMENTS } from '../src';
import { readStack, synthesizeEnvironments } from './support';

let outdir: string;

beforeAll(async () => {
  outdir = await synthesizeEnvironments();
}, 300_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('the CIDR check on the synthesized environments', () => {
  it.each(ENVIRONMENTS.map((e) => e.name))('finds nothing in %s, and nothing it cannot check', async (name) => {
    const doc = toTerraformDocument(readStack(outdir, name));

    const report = await checkCidrs(doc);

    expect(doc.resources.length).toBeGreaterThan(0);
    expect(report.findings).toEqual([]);
    expect(report.unchecked).toEqual([]);
  });

  it('finds two VPCs planted in the dev stack that overlap', async () => {
    const dev = structuredClone(readStack(outdir, 'dev'));
    dev.resource.aws_vpc = { shared: { cidr_block: '10.0.0.0/16' }, payments: { cidr_block: '10.0.128.0/17' } };

    const report = await checkCidrs(toTerraformDocument(dev));

    expect(report.findings.map((f) => f.message)).toEqual(['aws_vpc.shared 10.0.0.0/16 overlaps aws_vpc.payments 10.0.128.0/17 (two VPCs)']);
  });
});

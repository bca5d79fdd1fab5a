import { describe, expect, it } from '@jest/globals';
import { HttpError, type HttpRequest, type HttpResult } from '@reflex/lambda-kit';
import { MemoryManagedRoutes, MemoryRouteTables } from '../adapters/memory';
import { RouteApiConfigSchema } from '../manifest';
import { deleteRoute, listRoutes, putRoute, putRoutes, type RouteApiDeps } from './route-api';

const TABLE = 'tgw-rtb-0aaaaaaaaaaaaaaa1';
const VPN = 'tgw-attach-0bbbbbbbbbbbbbbb1';
const DX = 'tgw-attach-0bbbbbbbbbbbbbbb2';
const ALICE = 'arn:aws:sts::123456789012:assumed-role/onprem/pipeline-7';

function setup(options: { dryRun?: boolean; maxRoutesPerRequest?: number } = {}) {
  const tables = new MemoryRouteTables();
  tables.dryRun = options.dryRun ?? false;
  tables.tables.set(TABLE, [
    { cidr: '10.0.0.0/16', type: 'propagated', state: 'active', attachmentId: 'tgw-attach-0ccccccccccccccc1' },
    { cidr: '172.16.0.0/12', type: 'static', state: 'active', attachmentId: DX },
  ]);
  tables.attached.set(TABLE, [{ attachmentId: 'tgw-attach-0ccccccccccccccc1', vpcId: 'vpc-0ddddddddddddddd1', cidr: '10.0.0.0/16' }]);
  const managed = new MemoryManagedRoutes();
  const deps: RouteApiDeps = {
    tables,
    managed,
    config: RouteApiConfigSchema.parse({ routeTables: [TABLE], attachments: [VPN, DX], maxRoutesPerRequest: options.maxRoutesPerRequest ?? 100 }),
    dryRun: options.dryRun ?? false,
    holder: 'test',
    now: () => new Date('2026-12-06T10:00:00Z'),
    leaseWaitMs: 0,
  };
  return { tables, managed, deps };
}

let requests = 0;
function request(routeKey: string, params: Record<string, string>, body?: unknown, query: Record<string, string> = {}): HttpRequest {
  requests++;
  return {
    routeKey,
    pathParameters: { id: TABLE, ...params },
    query,
    body,
    caller: { principal: ALICE, accountId: '123456789012' },
    requestId: `req-${requests}`,
    idempotencyKey: `key-${requests}`,
    receivedAt: new Date('2026-12-06T10:00:00Z'),
  };
}

const desired = (routes: [string, string][], query: Record<string, string> = {}) =>
  request('PUT /route-tables/{id}/routes', {}, { routes: routes.map(([cidr, attachmentId]) => ({ cidr, attachmentId })) }, query);

/** Runs a handler; an HttpError it throws becomes its status and problems, as httpHandler answers. */
async function answer(run: Promise<HttpResult>): Promise<HttpResult & { body: any }> {
  try {
    return await run;
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return { status: error.status, body: { error: error.code, message: error.message, problems: error.problems } };
  }
}

const statics = (tables: MemoryRouteTables) =>
  (tables.tables.get(TABLE) ?? []).filter((r) => r.type === 'static').map((r) => `${r.cidr} ${r.attachmentId}`).sort();

describe('PUT /route-tables/{id}/routes (desired state)', () => {
  it('adds the desired routes and records who set them, with the key', async () => {
    const { tables, managed, deps } = setup();

    const result = await answer(putRoutes(desired([['192.168.10.0/24', VPN], ['2001:db8:10::/48', VPN]]), deps));

    expect(result.status).toBe(200);
    expect(result.body.plan.add).toHaveLength(2);
    expect(statics(tables)).toEqual([`172.16.0.0/12 ${DX}`, `192.168.10.0/24 ${VPN}`, `2001:db8:10::/48 ${VPN}`]);
    expect([...managed.records.values()].map((r) => [r.cidr, r.setBy, r.setAt])).toEqual([
      ['192.168.10.0/24', ALICE, '2026-12-06T10:00:00.000Z'],
      ['2001:db8:10::/48', ALICE, '2026-12-06T10:00:00.000Z'],
    ]);
    expect(result.actions?.map((a) => [a.action, a.change])).toEqual([
      ['ec2:CreateTransitGatewayRoute', { key: '192.168.10.0/24', to: VPN }],
      ['ec2:CreateTransitGatewayRoute', { key: '2001:db8:10::/48', to: VPN }],
    ]);
  });

  it('adds, repoints and removes exactly the difference, and leaves the unchanged route alone', async () => {
    const { tables, deps } = setup();
    await putRoutes(desired([['192.168.10.0/24', VPN], ['192.168.20.0/24', VPN], ['192.168.30.0/24', VPN]]), deps);
    tables.writes.length = 0;

    const result = await answer(putRoutes(desired([['192.168.10.0/24', VPN], ['192.168.20.0/24', DX], ['192.168.40.0/24', VPN]]), deps));

    expect(result.status).toBe(200);
    expect(tables.writes).toEqual([
      `replace ${TABLE} 192.168.20.0/24 → ${DX}`,
      `create ${TABLE} 192.168.40.0/24 → ${VPN}`,
      `remove ${TABLE} 192.168.30.0/24`,
    ]);
    expect(result.body.plan.unchanged).toEqual([{ cidr: '192.168.10.0/24', attachmentId: VPN }]);
    expect(statics(tables)).toEqual([`172.16.0.0/12 ${DX}`, `192.168.10.0/24 ${VPN}`, `192.168.20.0/24 ${DX}`, `192.168.40.0/24 ${VPN}`]);
    expect(result.body.routes.map((r: { cidr: string; attachmentId: string; status: string }) => `${r.cidr} ${r.attachmentId} ${r.status}`)).toEqual([
      `192.168.10.0/24 ${VPN} active`,
      `192.168.20.0/24 ${DX} active`,
      `192.168.40.0/24 ${VPN} active`,
    ]);
  });

  it('never touches routes it did not create: an empty desired set keeps the foreign static route', async () => {
    const { tables, deps } = setup();
    await putRoutes(desired([['192.168.10.0/24', VPN]]), deps);

    await putRoutes(desired([]), deps);

    expect(statics(tables)).toEqual([`172.16.0.0/12 ${DX}`]);
    expect(tables.tables.get(TABLE)?.some((r) => r.type === 'propagated')).toBe(true);
  });

  it('refuses a CIDR another static route holds with 409, and changes nothing', async () => {
    const { tables, deps } = setup();

    const result = await answer(putRoutes(desired([['192.168.10.0/24', VPN], ['172.16.0.0/12', VPN]]), deps));

    expect(result.status).toBe(409);
    expect(result.body.error).toBe('foreign-route');
    expect(result.body.problems[0].message).toContain('172.16.0.0/12');
    expect(tables.writes).toEqual([]);
  });

  it('refuses a prefix overlapping a VPC attached to the table with 400 naming the VPC', async () => {
    const { tables, deps } = setup();

    const result = await answer(putRoutes(desired([['10.0.128.0/17', VPN], ['10.0.0.0/8', VPN]]), deps));

    expect(result.status).toBe(400);
    expect(result.body.problems).toEqual([
      { path: 'body.routes.0.cidr', message: '10.0.128.0/17 overlaps 10.0.0.0/16 of vpc-0ddddddddddddddd1 (attachment tgw-attach-0ccccccccccccccc1)' },
      { path: 'body.routes.1.cidr', message: '10.0.0.0/8 overlaps 10.0.0.0/16 of vpc-0ddddddddddddddd1 (attachment tgw-attach-0ccccccccccccccc1)' },
    ]);
    expect(tables.writes).toEqual([]);
  });

  it("refuses a prefix overlapping a VPC block of the IPAM's records, when an IPAM is configured", async () => {
    const { tables, deps } = setup();
    const ipam = {
      overlapping: async (cidrs: readonly string[]) =>
        cidrs.filter((c) => c === '192.168.50.0/24').map((cidr) => ({ cidr, vpcId: 'vpc-0eeeeeeeeeeeeeee9', block: '192.168.0.0/16', account: '444444444444', region: 'eu-west-1' })),
    };

    const result = await answer(putRoutes(desired([['192.168.10.0/24', VPN], ['192.168.50.0/24', VPN]]), { ...deps, ipam }));

    expect(result.status).toBe(400);
    expect(result.body.problems).toEqual([
      { path: 'body.routes.1.cidr', message: '192.168.50.0/24 overlaps 192.168.0.0/16 of vpc-0eeeeeeeeeeeeeee9 (account 444444444444, eu-west-1) in the IPAM' },
    ]);
    expect(tables.writes).toEqual([]);
  });

  it('answers the plan of a dry run and changes nothing', async () => {
    const { tables, managed, deps } = setup();
    await putRoutes(desired([['192.168.10.0/24', VPN]]), deps);
    tables.writes.length = 0;

    const result = await answer(putRoutes(desired([['192.168.20.0/24', VPN]], { dryRun: 'true' }), deps));

    expect(result.body).toMatchObject({ dryRun: true, plan: { add: [{ cidr: '192.168.20.0/24' }], remove: [{ cidr: '192.168.10.0/24' }] } });
    expect(result.actions).toBeUndefined();
    expect(tables.writes).toEqual([]);
    expect([...managed.records.keys()]).toEqual([`${TABLE} 192.168.10.0/24`]);
  });

  it('in a dry-run environment sends the writes as dry runs and records nothing', async () => {
    const { tables, managed, deps } = setup({ dryRun: true });

    const result = await answer(putRoutes(desired([['192.168.10.0/24', VPN]]), deps));

    expect(result.actions?.map((a) => a.outcome)).toEqual(['dry-run']);
    expect(statics(tables)).toEqual([`172.16.0.0/12 ${DX}`]);
    expect(managed.records.size).toBe(0);
  });

  it('adds a managed route again that someone deleted, and reports it missing until then', async () => {
    const { tables, deps } = setup();
    await putRoutes(desired([['192.168.10.0/24', VPN]]), deps);
    tables.tables.set(TABLE, tables.tables.get(TABLE)!.filter((r) => r.cidr !== '192.168.10.0/24'));

    const listed = await answer(listRoutes(request('GET /route-tables/{id}/routes', {}), deps));
    await putRoutes(desired([['192.168.10.0/24', VPN]]), deps);

    expect(listed.body.managed).toEqual([expect.objectContaining({ cidr: '192.168.10.0/24', status: 'missing' })]);
    expect(statics(tables)).toContain(`192.168.10.0/24 ${VPN}`);
  });

  it('stops at a failed write, keeps records true to the table, and is finished by a retry', async () => {
    const { tables, managed, deps } = setup();
    tables.fail.add('192.168.20.0/24');

    const failed = await answer(putRoutes(desired([['192.168.10.0/24', VPN], ['192.168.20.0/24', VPN], ['192.168.30.0/24', VPN]]), deps));
    const recordedAfterFailure = [...managed.records.values()].map((r) => r.cidr);
    const retried = await answer(putRoutes(desired([['192.168.10.0/24', VPN], ['192.168.20.0/24', VPN], ['192.168.30.0/24', VPN]]), deps));

    expect(failed.status).toBe(502);
    expect(failed.retryable).toBe(true);
    expect(failed.body).toMatchObject({ error: 'apply-failed', failed: { op: 'add', cidr: '192.168.20.0/24' }, notApplied: [{ op: 'add', cidr: '192.168.30.0/24' }] });
    expect(failed.actions?.map((a) => a.outcome)).toEqual(['succeeded', 'failed']);
    expect(recordedAfterFailure).toEqual(['192.168.10.0/24']);
    expect(retried.status).toBe(200);
    expect(retried.body.plan.add.map((r: { cidr: string }) => r.cidr)).toEqual(['192.168.20.0/24', '192.168.30.0/24']);
  });

  it('answers 409 route-table-busy, retryable, while another write holds the table', async () => {
    const { managed, deps } = setup();
    managed.leases.set(`table#${TABLE}`, { holder: 'other', until: Date.parse('2026-12-06T11:00:00Z') });

    const error = await putRoutes(desired([['192.168.10.0/24', VPN]]), deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 409, code: 'route-table-busy', options: { retryable: true } });
  });
});

describe('validation', () => {
  it.each([
    ['10.1.2.3/16', 'body.routes.0.cidr', '10.1.2.3/16 is not canonical: 10.1.0.0/16'],
    ['2001:DB8:10::/48', 'body.routes.0.cidr', '2001:DB8:10::/48 is not canonical: 2001:db8:10::/48'],
    ['10.1.0.0', 'body.routes.0.cidr', '10.1.0.0 is not an IPv4 or IPv6 CIDR block'],
  ])('refuses %s naming %s', async (cidr, path, message) => {
    const { deps } = setup();

    const result = await answer(putRoutes(desired([[cidr, VPN]]), deps));

    expect(result.status).toBe(400);
    expect(result.body.problems).toEqual([{ path, message }]);
  });

  it('names every problem at once: an attachment not allowed, a CIDR given twice, an unknown field', async () => {
    const { deps } = setup();
    const body = { routes: [{ cidr: '192.168.1.0/24', attachmentId: 'tgw-attach-0eeeeeeeeeeeeeee1' }, { cidr: '192.168.1.0/24', attachmentId: VPN }] };

    const bad = await answer(putRoutes(request('PUT /route-tables/{id}/routes', {}, body), deps));
    const unknown = await answer(putRoutes(request('PUT /route-tables/{id}/routes', {}, { ...body, force: true }), deps));

    expect(bad.body.problems.map((p: { path: string }) => p.path)).toEqual(['body.routes.0.attachmentId', 'body.routes.1.cidr']);
    expect(unknown.body.problems).toEqual([{ path: 'body', message: 'unknown field(s): force' }]);
  });

  it('refuses a route table not in the allow-list, and a batch over the maximum', async () => {
    const { deps } = setup({ maxRoutesPerRequest: 1 });

    const table = await answer(putRoutes({ ...desired([['192.168.1.0/24', VPN]]), pathParameters: { id: 'tgw-rtb-0fffffffffffffff1' } }, deps));
    const batch = await answer(putRoutes(desired([['192.168.1.0/24', VPN], ['192.168.2.0/24', VPN]]), deps));

    expect(table.body.problems[0]).toEqual({ path: 'path.id', message: expect.stringContaining('not in the allow-list') });
    expect(batch.body.problems[0]).toEqual({ path: 'body.routes', message: '2 routes: at most 1 per request' });
  });
});

describe('one route', () => {
  it('creates, then repoints a route, and leaves the others', async () => {
    const { tables, deps } = setup();
    await putRoutes(desired([['192.168.10.0/24', VPN]]), deps);

    await putRoute(request('PUT /route-tables/{id}/routes/{cidr}', { cidr: '192.168.20.0/24' }, { attachmentId: VPN }), deps);
    const repointed = await answer(putRoute(request('PUT /route-tables/{id}/routes/{cidr}', { cidr: '192.168.20.0/24' }, { attachmentId: DX }), deps));

    expect(repointed.body.plan.replace).toEqual([{ cidr: '192.168.20.0/24', from: VPN, to: DX }]);
    expect(statics(tables)).toEqual([`172.16.0.0/12 ${DX}`, `192.168.10.0/24 ${VPN}`, `192.168.20.0/24 ${DX}`]);
  });

  it('deletes a managed route; a foreign one is 409 and an unknown one 404', async () => {
    const { tables, deps } = setup();
    await putRoutes(desired([['192.168.10.0/24', VPN]]), deps);
    const del = (cidr: string, query = {}) => answer(deleteRoute(request('DELETE /route-tables/{id}/routes/{cidr}', { cidr }, undefined, query), deps));

    const dry = await del('192.168.10.0/24', { dryRun: 'true' });
    const stillThere = statics(tables).includes(`192.168.10.0/24 ${VPN}`);
    const deleted = await del('192.168.10.0/24');
    const foreign = await del('172.16.0.0/12');
    const unknown = await del('192.168.99.0/24');

    expect(dry.body.plan.remove).toEqual([{ cidr: '192.168.10.0/24', attachmentId: VPN }]);
    expect(stillThere).toBe(true);
    expect(deleted.status).toBe(200);
    expect(statics(tables)).toEqual([`172.16.0.0/12 ${DX}`]);
    expect(foreign.status).toBe(409);
    expect(unknown.status).toBe(404);
  });
});

describe('GET /route-tables/{id}/routes', () => {
  it('lists Reflex routes with who set them and when, and the others as they are', async () => {
    const { deps } = setup();
    await putRoutes(desired([['192.168.10.0/24', VPN]]), deps);

    const result = await answer(listRoutes(request('GET /route-tables/{id}/routes', {}), deps));

    expect(result.body.managed).toEqual([
      { cidr: '192.168.10.0/24', attachmentId: VPN, status: 'active', setBy: ALICE, setAt: '2026-12-06T10:00:00.000Z', idempotencyKey: expect.stringMatching(/^key-/) },
    ]);
    expect(result.body.others.map((r: { cidr: string; type: string }) => `${r.cidr} ${r.type}`)).toEqual(['10.0.0.0/16 propagated', '172.16.0.0/12 static']);
  });
});

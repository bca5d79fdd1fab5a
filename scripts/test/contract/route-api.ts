// The route API's contract, over signed HTTP: what an on-prem client may rely on. Run against the local
// runner in the end-to-end suite (local-mode.test.ts), and against a deployed stage with `pnpm test:contract`
// (route-api.contract.ts). Each case names what it checks; routes are made in a test prefix of the
// benchmarking range (198.18.0.0/15, RFC 2544) and removed at the end.
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from '@jest/globals';
import type { ApiRoute, RouteApiClient } from '../../src/lib/route-api-client';
import { routesPath } from '../../src/lib/route-api-client';

/** Where the contract runs. */
export interface ContractTarget {
  readonly api: RouteApiClient;
  /** A route table the API may change; the contract owns its 198.18.0.0/15 routes. */
  readonly tableId: string;
  /** Two attachments the API may point routes at. */
  readonly attachments: readonly [string, string];
  /** A CIDR block of a VPC attached to the table: routes overlapping it are refused. */
  readonly attachedVpcCidr: string;
  /** A static route of the table Reflex did not make, if the target has one. */
  readonly foreignCidr?: string;
}

const NET = (i: number) => `198.18.${i}.0/24`;

/**
 * Defines the contract's tests for the target `target()` gives (called when the tests run, after setup).
 *
 * @example
 * describe('route API contract', () => routeApiContract(() => ({ api, tableId, attachments, attachedVpcCidr })));
 */
export function routeApiContract(target: () => ContractTarget): void {
  const routes = (...pairs: [number, 0 | 1][]): ApiRoute[] => pairs.map(([i, a]) => ({ cidr: NET(i), attachmentId: target().attachments[a] }));
  const managed = async () => {
    const answer = await target().api.getRoutes(target().tableId);
    expect(answer.status).toBe(200);
    return answer.body as { managed: { cidr: string; attachmentId: string; status: string; setBy: string; setAt: string }[]; others: unknown[] };
  };
  const ours = async () =>
    (await managed()).managed
      .filter((r) => r.cidr.startsWith('198.18.'))
      .map((r) => `${r.cidr} ${r.attachmentId}`)
      .sort();

  afterAll(async () => {
    // Leave the table as it was: the contract's routes removed (with a fresh key; a no-op if none is left).
    await target().api.putRoutes(target().tableId, []);
  });

  it('refuses an unsigned request with 403', async () => {
    const answer = await target().api.send('GET', routesPath(target().tableId), undefined, {}, false);

    expect(answer.status).toBe(403);
  });

  it('refuses a request signed with the wrong secret with 403', async () => {
    const answer = await target().api.send('GET', routesPath(target().tableId), undefined, {}, { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wrong' });

    expect(answer.status).toBe(403);
  });

  it('refuses a write without an Idempotency-Key with 400 naming the header', async () => {
    const answer = await target().api.send('PUT', routesPath(target().tableId), { routes: routes([1, 0]) });

    expect(answer.status).toBe(400);
    expect(answer.body.problems).toContainEqual(expect.objectContaining({ path: 'header.idempotency-key' }));
  });

  it('adds the desired routes and names the caller as the one who set them', async () => {
    const answer = await target().api.putRoutes(target().tableId, routes([1, 0], [2, 0], [3, 0]));

    expect(answer.status).toBe(200);
    expect(answer.body.plan.add.map((r: ApiRoute) => r.cidr)).toEqual([NET(1), NET(2), NET(3)]);
    expect(await ours()).toEqual([NET(1), NET(2), NET(3)].map((c) => `${c} ${target().attachments[0]}`));
    expect((await managed()).managed.find((r) => r.cidr === NET(1))?.setBy).toMatch(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/);
  });

  it('answers a replay with the stored response and changes nothing', async () => {
    const key = randomUUID();
    const first = await target().api.putRoute(target().tableId, { cidr: NET(4), attachmentId: target().attachments[0] }, { key });
    const before = await managed();

    const replay = await target().api.putRoute(target().tableId, { cidr: NET(4), attachmentId: target().attachments[0] }, { key });

    expect(first.status).toBe(200);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(await managed()).toEqual(before);
  });

  it('answers 422 for a key used again with another body, and changes nothing', async () => {
    const key = randomUUID();
    await target().api.putRoute(target().tableId, { cidr: NET(5), attachmentId: target().attachments[0] }, { key });
    const before = await ours();

    const reused = await target().api.putRoute(target().tableId, { cidr: NET(5), attachmentId: target().attachments[1] }, { key });

    expect(reused.status).toBe(422);
    expect(await ours()).toEqual(before);
  });

  it('answers 409 to a request whose key is still in flight', async () => {
    // A desired set of 40 routes takes a while to write: the second request arrives while the first runs.
    const key = randomUUID();
    const many = Array.from({ length: 40 }, (_, i) => ({ cidr: `198.19.${i}.0/24`, attachmentId: target().attachments[0] }));
    const first = target().api.putRoutes(target().tableId, [...routes([1, 0], [2, 0], [3, 0], [4, 0], [5, 0]), ...many], { key });
    await new Promise((r) => setTimeout(r, 50));

    const second = await target().api.putRoutes(target().tableId, [...routes([1, 0], [2, 0], [3, 0], [4, 0], [5, 0]), ...many], { key });

    expect(second.status).toBe(409);
    expect(second.body.error).toBe('request-in-progress');
    expect((await first).status).toBe(200);
  }, 60_000);

  it('refuses a prefix overlapping a VPC attached to the table with 400, and changes nothing', async () => {
    const before = await ours();
    const inside = target().attachedVpcCidr.replace(/\/\d+$/, '/28');

    const answer = await target().api.putRoute(target().tableId, { cidr: inside, attachmentId: target().attachments[0] });

    expect(answer.status).toBe(400);
    expect(answer.body.problems[0].message).toContain(`overlaps ${target().attachedVpcCidr}`);
    expect(await ours()).toEqual(before);
  });

  it('makes a desired-state PUT add, repoint and remove exactly the difference', async () => {
    await target().api.putRoutes(target().tableId, routes([1, 0], [2, 0], [3, 0]));

    const answer = await target().api.putRoutes(target().tableId, routes([1, 0], [2, 1], [6, 0]));

    expect(answer.status).toBe(200);
    expect(answer.body.plan).toEqual({
      add: [{ cidr: NET(6), attachmentId: target().attachments[0] }],
      replace: [{ cidr: NET(2), from: target().attachments[0], to: target().attachments[1] }],
      remove: [{ cidr: NET(3), attachmentId: target().attachments[0] }],
      unchanged: [{ cidr: NET(1), attachmentId: target().attachments[0] }],
    });
    expect(await ours()).toEqual([`${NET(1)} ${target().attachments[0]}`, `${NET(2)} ${target().attachments[1]}`, `${NET(6)} ${target().attachments[0]}`]);
  });

  it('never touches routes it did not make: they survive an empty desired set, and setting one is 409', async () => {
    const before = (await managed()).others;

    await target().api.putRoutes(target().tableId, []);
    const taken = target().foreignCidr ? await target().api.putRoute(target().tableId, { cidr: target().foreignCidr!, attachmentId: target().attachments[0] }) : undefined;

    expect((await managed()).others).toEqual(before);
    expect(await ours()).toEqual([]);
    if (taken) expect(taken.status).toBe(409);
  });

  it('changes nothing on a dry run, and answers the plan', async () => {
    await target().api.putRoutes(target().tableId, routes([7, 0]));
    const before = await managed();

    const deletion = await target().api.deleteRoute(target().tableId, NET(7), { dryRun: true });
    const desired = await target().api.putRoutes(target().tableId, routes([8, 1]), { dryRun: true });

    expect(deletion.body).toMatchObject({ dryRun: true, plan: { remove: [{ cidr: NET(7) }] } });
    expect(desired.body).toMatchObject({ dryRun: true, plan: { add: [{ cidr: NET(8) }], remove: [{ cidr: NET(7) }] } });
    expect(await managed()).toEqual(before);
  });
}

/** For the contract run against a deployed stage: the target from the environment, or a message naming what is missing. */
export function deployedTarget(env: NodeJS.ProcessEnv = process.env): Omit<ContractTarget, 'api'> & { url: string } {
  const need = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set: the contract against a deployed stage needs REFLEX_ROUTE_API_URL, REFLEX_CONTRACT_TABLE, REFLEX_CONTRACT_ATTACHMENTS (two, comma-separated) and REFLEX_CONTRACT_VPC_CIDR`);
    return value;
  };
  const attachments = need('REFLEX_CONTRACT_ATTACHMENTS').split(',').map((a) => a.trim());
  if (attachments.length !== 2) throw new Error('REFLEX_CONTRACT_ATTACHMENTS names two attachments, comma-separated');
  return {
    url: need('REFLEX_ROUTE_API_URL'),
    tableId: need('REFLEX_CONTRACT_TABLE'),
    attachments: [attachments[0]!, attachments[1]!],
    attachedVpcCidr: need('REFLEX_CONTRACT_VPC_CIDR'),
    ...(env.REFLEX_CONTRACT_FOREIGN_CIDR ? { foreignCidr: env.REFLEX_CONTRACT_FOREIGN_CIDR } : {}),
  };
}


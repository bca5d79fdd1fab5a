import { describe, expect, it } from '@jest/globals';
import { permissionsOf, triggersOf } from '@reflex/manifest';
import { manifest, RouteApiConfigSchema } from './manifest';

const config = RouteApiConfigSchema.parse({ routeTables: ['tgw-rtb-0aaaaaaaaaaaaaaa1'], attachments: ['tgw-attach-0bbbbbbbbbbbbbbb1'] });

describe('route-api manifest', () => {
  it('answers four http routes and nothing else', () => {
    expect(triggersOf(manifest, config).map((t) => (t.kind === 'http' ? `${t.method} ${t.path}` : t.kind))).toEqual([
      'GET /route-tables/{id}/routes',
      'PUT /route-tables/{id}/routes',
      'PUT /route-tables/{id}/routes/{cidr}',
      'DELETE /route-tables/{id}/routes/{cidr}',
    ]);
  });

  it('writes only in the allowed route tables, towards the allowed attachments', () => {
    const statements = permissionsOf(manifest, config);

    expect(statements.find((s) => s.sid === 'SetRoutes')?.resources).toEqual([
      'arn:${partition}:ec2:${region}:${account}:transit-gateway-route-table/tgw-rtb-0aaaaaaaaaaaaaaa1',
      'arn:${partition}:ec2:${region}:${account}:transit-gateway-attachment/tgw-attach-0bbbbbbbbbbbbbbb1',
    ]);
    expect(statements.find((s) => s.sid === 'DeleteRoutes')?.resources).toEqual([
      'arn:${partition}:ec2:${region}:${account}:transit-gateway-route-table/tgw-rtb-0aaaaaaaaaaaaaaa1',
    ]);
  });

  it('may only read while no route table is allowed', () => {
    const statements = permissionsOf(manifest, RouteApiConfigSchema.parse({}));

    expect(statements.map((s) => s.sid)).toEqual(['DescribeNetwork']);
  });

  it('names the field of a bad id', () => {
    const parsed = RouteApiConfigSchema.safeParse({ routeTables: ['rtb-0aaaaaaaaaaaaaaa1'] });

    expect(parsed.error?.issues[0]).toMatchObject({ path: ['routeTables', 0], message: expect.stringContaining('Transit Gateway route table id') });
  });
});

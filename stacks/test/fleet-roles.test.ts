// The roles of the fleet reflexes as synthesized for every environment: the reaper destroys only what carries
// the expiry tag and has no IAM access; auto-heal reboots, stops and starts only opted-in instances.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ENVIRONMENTS } from '../src';
import { readStack, rolePermissions, type Statement, synthesizeEnvironments } from './support';

let outdir: string;

beforeAll(async () => {
  outdir = await synthesizeEnvironments();
}, 120_000);

const names = ENVIRONMENTS.filter((e) => e.name !== 'local').map((e) => e.name);
const statementsOf = (env: string, reflex: string): Statement[] => rolePermissions(readStack(outdir, env), `reflex-${env}-${reflex}`).statements;
const conditionOn = (s: Statement, variable: string) => s.condition?.find((c) => c.variable === variable);

describe('the reaper role', () => {
  it.each(names)('in %s, deletes, terminates, stops and releases only resources tagged reflex:expires-at', (env) => {
    // Its own queue and state table (the kit's statements) aside: what it does to EC2 and load balancers.
    const destructive = statementsOf(env, 'reaper').filter((s) => s.actions?.some((a) => /^(ec2|elasticloadbalancing):(Delete|Terminate|Stop|Release|Deregister)/.test(a)));
    expect(destructive.length).toBeGreaterThan(0);
    for (const s of destructive) {
      expect({ sid: s.sid, condition: conditionOn(s, 'aws:ResourceTag/reflex:expires-at') }).toEqual({
        sid: s.sid,
        condition: { test: 'Null', variable: 'aws:ResourceTag/reflex:expires-at', values: ['false'] },
      });
    }
  });

  it.each(names)('in %s, has no IAM action, and writes only its own tag keys', (env) => {
    const statements = statementsOf(env, 'reaper');
    expect(statements.flatMap((s) => s.actions ?? []).filter((a) => a.startsWith('iam:'))).toEqual([]);
    // Tag writes: only reflex:* keys, or the tags of the snapshot it creates, in the same call.
    for (const s of statements.filter((x) => x.actions?.some((a) => /:(CreateTags|AddTags)$/.test(a)))) {
      const keys = conditionOn(s, 'aws:TagKeys');
      const onCreate = conditionOn(s, 'ec2:CreateAction');
      expect({ sid: s.sid, ok: keys ? keys.values.every((k) => k.startsWith('reflex:')) : onCreate?.values.join() === 'CreateSnapshot' }).toEqual({ sid: s.sid, ok: true });
    }
  });
});

describe('the auto-heal role', () => {
  it.each(names)('in %s, reboots, stops and starts only instances tagged reflex:heal=true', (env) => {
    const acting = statementsOf(env, 'auto-heal').filter((s) => s.actions?.some((a) => /^ec2:(Reboot|Stop|Start)Instances$/.test(a)));
    expect(acting.flatMap((s) => s.actions)).toEqual(expect.arrayContaining(['ec2:RebootInstances', 'ec2:StopInstances', 'ec2:StartInstances']));
    for (const s of acting) expect(conditionOn(s, 'aws:ResourceTag/reflex:heal')).toEqual({ test: 'StringEquals', variable: 'aws:ResourceTag/reflex:heal', values: ['true'] });
  });
});

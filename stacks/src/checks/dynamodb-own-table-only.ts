import { type Check, referencedAddress, referencedStatements, resources, type Statement } from './synthesized';

/** A policy's `*` or `?` wildcards as a regular expression over one part of an ARN. */
const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`);

/** Whether a statement's resource names the table: by reference, as a literal ARN (wildcards too), or `*`. */
function reaches(resource: string, table: { address: string; name: string }): boolean {
  if (resource === '*' || resource.includes(`\${${table.address}.`)) return true;
  const parts = resource.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && glob(parts[2]!).test('dynamodb') && glob(parts.slice(5).join(':')).test(`table/${table.name}`);
}

const dynamodbActions = (s: Statement) => (s.actions ?? []).filter((a) => a === '*' || a.startsWith('dynamodb:'));

/**
 * A reflex's table (`reflex-<env>-<reflex>`) is reached only by that reflex's role (of the same name) or
 * its worker policy (`<name>-worker`): no other role's statement grants DynamoDB actions on it.
 */
export const dynamodbOwnTableOnly: Check = {
  id: 'dynamodb-own-table-only',
  description: "A reflex's DynamoDB table is granted only to that reflex's own role or worker policy.",
  run: (stack) => {
    const tables = resources(stack, 'aws_dynamodb_table').map(([address, t]) => ({ address, name: String(t.name) }));
    if (tables.length === 0) return [];
    const roles = new Map(resources(stack, 'aws_iam_role'));
    // Who holds each policy: a role by its name (inline policies), or the managed policy's own name.
    const holders = [
      ...resources(stack, 'aws_iam_role_policy').map(([address, p]) => {
        const role = referencedAddress(p.role, 'aws_iam_role');
        const name = role ? roles.get(role)?.name : p.role;
        return { address, kind: 'role', name: String(name), owns: (table: string) => name === table, policy: p.policy };
      }),
      ...resources(stack, 'aws_iam_policy').map(([address, p]) => ({
        address,
        kind: 'policy',
        name: String(p.name),
        owns: (table: string) => p.name === `${table}-worker`,
        policy: p.policy,
      })),
    ];
    return holders.flatMap((holder) =>
      (referencedStatements(stack, holder.policy) ?? [])
        .filter((s) => (s.effect ?? 'Allow') === 'Allow' && dynamodbActions(s).length > 0)
        .flatMap((s) =>
          tables
            .filter((table) => !holder.owns(table.name) && (s.resources ?? []).some((r) => reaches(r, table)))
            .map((table) => ({
              address: holder.address,
              message: `statement ${s.sid ?? '(no sid)'} lets ${holder.kind} ${holder.name} use ${table.name} (${dynamodbActions(s).join(', ')}), the table of another reflex`,
            })),
        ),
    );
  },
};

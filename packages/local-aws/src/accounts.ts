import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { localClientConfig } from './aws-env';

/** A client whose `middlewareStack` can take a header middleware (every AWS SDK v3 client). */
interface SdkClient {
  middlewareStack: { add: (middleware: (next: any) => (args: any) => Promise<any>, options: { step: 'build'; name: string }) => void };
}

/**
 * Makes `client`'s requests those of `account`'s administrator in moto, which takes a request's account from
 * its `x-moto-account-id` header. Only for setting up what an account has before Reflex deploys into it (what
 * AWS Organizations creates in a new account); Reflex itself reaches member accounts through roles.
 */
export function asMotoAccount<C extends SdkClient>(client: C, account: string): C {
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-moto-account-id'] = account;
      return next(args);
    },
    { step: 'build', name: 'motoAccountHeader' },
  );
  return client;
}

/** The role AWS Organizations creates in every account it creates, trusted by the management account. */
export const ORGANIZATION_ROLE = 'OrganizationAccountAccessRole';

/**
 * Gives a member account in the local AWS what AWS Organizations gives an account it creates: the
 * `OrganizationAccountAccessRole` with administrator permissions, which the organization's management account
 * may assume — locally the hub plays the management account. Terraform assumes it to deploy the spoke stack; operators (`--accounts`) assume it too.
 * Idempotent. Returns the role's ARN.
 */
export async function createMemberAccount(endpoint: string, region: string, member: { account: string; hub: string; roleName?: string }): Promise<string> {
  return createRole(endpoint, region, member.account, {
    name: member.roleName ?? ORGANIZATION_ROLE,
    trust: { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${member.hub}:root` }, Action: 'sts:AssumeRole' },
    allow: { Action: '*', Resource: '*' },
  });
}

/**
 * Creates (or keeps) a role in `account` of the local AWS, as that account's administrator: its trust statement,
 * and an inline policy allowing `allow`. Returns the role's ARN.
 */
export async function createRole(
  endpoint: string,
  region: string,
  account: string,
  role: { readonly name: string; readonly trust: Record<string, unknown>; readonly allow: { readonly Action: string | string[]; readonly Resource: string | string[] } },
): Promise<string> {
  const iam = asMotoAccount(new IAMClient(localClientConfig(endpoint, region)), account);
  try {
    await iam
      .send(new CreateRoleCommand({ RoleName: role.name, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [role.trust] }) }))
      .catch((error: Error) => {
        if (error.name !== 'EntityAlreadyExists' && error.name !== 'EntityAlreadyExistsException') throw error;
      });
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: role.name,
        PolicyName: 'reflex',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...role.allow }] }),
      }),
    );
  } finally {
    iam.destroy();
  }
  return `arn:aws:iam::${account}:role/${role.name}`;
}

/**
 * SDK client options that act through a role of another account of the local AWS: the local credentials
 * assume it (moto checks the role's trust), and the session's credentials act in its account.
 */
export async function assumedClientConfig(endpoint: string, region: string, roleArn: string, options: { externalId?: string; sessionName?: string } = {}) {
  const sts = new STSClient(localClientConfig(endpoint, region));
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: options.sessionName ?? 'reflex-local',
        ...(options.externalId ? { ExternalId: options.externalId } : {}),
      }),
    );
    const c = out.Credentials!;
    return { endpoint, region, credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! } };
  } finally {
    sts.destroy();
  }
}

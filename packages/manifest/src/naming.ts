/** Names of reflexes and environments: lower-case letters, digits and dashes, starting with a letter. */
export const NAME_PATTERN = /^[a-z][a-z0-9-]*[a-z0-9]$/;

/**
 * The AWS name of a Reflex resource: `reflex-<env>-<name>` (queues, roles, functions, rules, the bus).
 *
 * @example
 * awsName('dev', 'instance-guard'); // "reflex-dev-instance-guard"
 */
export function awsName(env: string, name: string, suffix?: string): string {
  return ['reflex', env, name, suffix].filter(Boolean).join('-');
}

/** Prefix of every IAM role Reflex creates in one environment; the loop guard ignores events they cause. */
export function ownRolePrefix(env: string): string {
  return `reflex-${env}-`;
}

/** Terraform state key of one stack of one environment. */
export function stateKey(env: string, stack: string): string {
  return `reflex/${env}/${stack}.tfstate`;
}

/** Names of reflexes: two or more lower-case letters, digits and dashes, starting with a letter, not ending with a dash. */
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

/**
 * Environment names: a letter, then letters and digits, no dashes — so that the role prefix
 * `reflex-<env>-` of one environment can never match the roles of another (`dev` vs `dev-eu`).
 */
export const ENV_NAME_PATTERN = /^[a-z][a-z0-9]*$/;

/** Prefix of every IAM role Reflex creates in one environment; the loop guard ignores events they cause. */
export function ownRolePrefix(env: string): string {
  return `reflex-${env}-`;
}

/** Terraform state key of one stack of one environment. */
export function stateKey(env: string, stack: string): string {
  return `reflex/${env}/${stack}.tfstate`;
}

import { type Check, referencedAddress, resources } from './synthesized';

export const lambdaLogGroup: Check = {
  id: 'lambda-log-group',
  description: 'Every function logs to its own log group, created first, with a retention period.',
  run: (stack) => {
    const groups = new Map(resources(stack, 'aws_cloudwatch_log_group'));
    return resources(stack, 'aws_lambda_function').flatMap(([address, fn]) => {
      const logging = fn.logging_config as { log_group?: string } | undefined;
      const groupAddress = referencedAddress(logging?.log_group, 'aws_cloudwatch_log_group');
      const group = groupAddress ? groups.get(groupAddress) : undefined;
      if (!groupAddress || !group) return [{ address, message: 'logging_config.log_group does not name a log group of this stack' }];
      const problems = [];
      if (typeof group.retention_in_days !== 'number' || group.retention_in_days < 1) {
        problems.push({ address: groupAddress, message: 'log group keeps logs forever: set retention_in_days ≥ 1' });
      }
      if (!((fn.depends_on as string[] | undefined) ?? []).includes(groupAddress)) {
        problems.push({ address, message: `function does not depend on ${groupAddress}: it could create the group itself, without retention` });
      }
      return problems;
    });
  },
};

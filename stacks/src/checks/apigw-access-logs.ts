import { type Check, referencedAddress, resources } from './synthesized';

export const apigwAccessLogs: Check = {
  id: 'apigw-access-logs',
  description: 'Every stage of an HTTP API writes access logs, with a format, to a log group of the stack that has a retention period.',
  run: (stack) => {
    const groups = new Map(resources(stack, 'aws_cloudwatch_log_group'));
    return resources(stack, 'aws_apigatewayv2_stage').flatMap(([address, stage]) => {
      const settings = stage.access_log_settings as { destination_arn?: unknown; format?: unknown } | undefined;
      if (!settings) return [{ address, message: 'stage writes no access logs (access_log_settings)' }];
      const groupAddress = referencedAddress(settings.destination_arn, 'aws_cloudwatch_log_group');
      const group = groupAddress ? groups.get(groupAddress) : undefined;
      const problems = [];
      if (!groupAddress || !group) problems.push({ address, message: 'access_log_settings.destination_arn does not name a log group of this stack' });
      else if (typeof group.retention_in_days !== 'number' || group.retention_in_days < 1) {
        problems.push({ address: groupAddress, message: 'access log group keeps logs forever: set retention_in_days ≥ 1' });
      }
      if (typeof settings.format !== 'string' || settings.format.length === 0) problems.push({ address, message: 'access_log_settings has no format' });
      return problems;
    });
  },
};

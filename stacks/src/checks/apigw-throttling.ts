import { type Check, resources } from './synthesized';

type Throttle = { throttling_rate_limit?: unknown; throttling_burst_limit?: unknown };
const throttled = (s: Throttle | undefined) => typeof s?.throttling_rate_limit === 'number' && typeof s?.throttling_burst_limit === 'number';

export const apigwThrottling: Check = {
  id: 'apigw-throttling',
  description: 'Every stage of an HTTP API throttles its routes (default route settings, and each route setting).',
  run: (stack) =>
    resources(stack, 'aws_apigatewayv2_stage').flatMap(([address, stage]) => {
      const problems = [];
      if (!throttled(stage.default_route_settings as Throttle | undefined)) {
        problems.push({ address, message: 'default_route_settings sets no throttling_rate_limit and throttling_burst_limit: routes take the account limit' });
      }
      for (const setting of (stage.route_settings as (Throttle & { route_key?: string })[] | undefined) ?? []) {
        if (!throttled(setting)) problems.push({ address, message: `route_settings for ${setting.route_key ?? '?'} sets no throttling` });
      }
      return problems;
    }),
};

import { type Check, resources } from './synthesized';

export const apigwIamAuthorization: Check = {
  id: 'apigw-iam-authorization',
  description: 'Every route of an HTTP API is authorized with IAM (SigV4): no route is open.',
  run: (stack) =>
    resources(stack, 'aws_apigatewayv2_route').flatMap(([address, route]) =>
      route.authorization_type === 'AWS_IAM'
        ? []
        : [{ address, message: `route ${String(route.route_key)} has authorization_type ${String(route.authorization_type ?? 'NONE')}: set AWS_IAM` }],
    ),
};

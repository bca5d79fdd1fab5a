import { LAMBDA_RUNTIME } from '../constructs/reflex-function';
import { type Check, resources } from './synthesized';

export const lambdaRuntime: Check = {
  id: 'lambda-runtime',
  description: `Every function runs on ${LAMBDA_RUNTIME}.`,
  run: (stack) =>
    resources(stack, 'aws_lambda_function')
      .filter(([, fn]) => fn.runtime !== LAMBDA_RUNTIME)
      .map(([address, fn]) => ({ address, message: `runtime ${String(fn.runtime)}, expected ${LAMBDA_RUNTIME}` })),
};

import * as z from './zod';

/**
 * The identity API Gateway puts in a request it authorized with IAM (SigV4): `userArn` is the caller's
 * principal — an IAM user, or an assumed role's session (`arn:aws:sts::<account>:assumed-role/<role>/<session>`).
 */
export const IamAuthorizerSchema = z.object({
  accessKey: z.string(),
  accountId: z.string(),
  callerId: z.string(),
  userArn: z.string().check(z.startsWith('arn:')),
  userId: z.string(),
  principalOrgId: z.optional(z.nullable(z.string())),
  cognitoIdentity: z.optional(z.unknown()),
});
export type IamAuthorizer = z.infer<typeof IamAuthorizerSchema>;

/**
 * An HTTP API request as API Gateway hands it to a Lambda proxy integration (payload format 2.0). Header
 * names are lower case; `body` is the raw text (base64 when `isBase64Encoded`).
 *
 * @example
 * const request = HttpApiRequestSchema.parse(event);
 * request.requestContext.authorizer?.iam?.userArn; // 'arn:aws:iam::111122223333:user/example-user'
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export const HttpApiRequestSchema = z.object({
  version: z.literal('2.0'),
  routeKey: z.string(),
  rawPath: z.string(),
  rawQueryString: z._default(z.string(), ''),
  headers: z._default(z.record(z.string(), z.string()), {}),
  queryStringParameters: z.optional(z.record(z.string(), z.string())),
  pathParameters: z.optional(z.record(z.string(), z.string())),
  body: z.optional(z.string()),
  isBase64Encoded: z._default(z.boolean(), false),
  requestContext: z.object({
    accountId: z.string(),
    apiId: z.string(),
    requestId: z.string(),
    routeKey: z.string(),
    stage: z.string(),
    timeEpoch: z.number(),
    http: z.object({ method: z.string(), path: z.string(), sourceIp: z.string() }),
    authorizer: z.optional(z.object({ iam: z.optional(IamAuthorizerSchema) })),
  }),
});
export type HttpApiRequest = z.infer<typeof HttpApiRequestSchema>;

/** What a Lambda proxy integration answers (payload format 2.0). */
export interface HttpApiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

import { z } from 'zod';
import { EventBridgeEventSchema, eventSchema, type EventKind } from './envelope';

/** detail-type of API calls recorded by CloudTrail; `source` is the service's (`aws.ec2`, …). */
export const AWS_API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/** The EC2 flavour of AWS API Call via CloudTrail. */
export const EC2_API_CALL = { source: 'aws.ec2', detailType: AWS_API_CALL_DETAIL_TYPE } as const satisfies EventKind;

const SessionIssuerSchema = z
  .object({
    type: z.string().optional(),
    principalId: z.string().optional(),
    arn: z.string().optional(),
    accountId: z.string().optional(),
    userName: z.string().optional(),
  })
  .loose();

/**
 * Who made the call: IAM user, assumed role (with its session issuer), root, AWS service…
 *
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
 */
export const UserIdentitySchema = z
  .object({
    type: z.string(),
    principalId: z.string().optional(),
    arn: z.string().optional(),
    accountId: z.string().optional(),
    accessKeyId: z.string().optional(),
    userName: z.string().optional(),
    invokedBy: z.string().optional(),
    sessionContext: z
      .object({
        sessionIssuer: SessionIssuerSchema.optional(),
        attributes: z.object({ creationDate: z.string().optional(), mfaAuthenticated: z.string().optional() }).loose().optional(),
        sourceIdentity: z.string().optional(),
      })
      .loose()
      .optional(),
  })
  .loose();
export type UserIdentity = z.infer<typeof UserIdentitySchema>;

/** The CloudTrail record carried in `detail`; request and response stay `unknown` until a typed call narrows them. */
export const CloudTrailDetailSchema = z
  .object({
    eventVersion: z.string(),
    userIdentity: UserIdentitySchema,
    eventTime: z.string(),
    eventSource: z.string(),
    eventName: z.string(),
    awsRegion: z.string(),
    sourceIPAddress: z.string().optional(),
    userAgent: z.string().optional(),
    errorCode: z.string().optional(),
    errorMessage: z.string().optional(),
    requestParameters: z.unknown(),
    responseElements: z.unknown(),
    requestID: z.string().optional(),
    eventID: z.string().optional(),
    eventType: z.string().optional(),
    recipientAccountId: z.string().optional(),
  })
  .loose();
export type CloudTrailDetail = z.infer<typeof CloudTrailDetailSchema>;

/**
 * Any AWS API Call via CloudTrail, whatever the service.
 *
 * @example
 * const call = AwsApiCallSchema.parse(raw);
 * if (call.detail.errorCode) return; // the call failed: nothing was created
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure-cloudtrail.html
 */
export const AwsApiCallSchema = EventBridgeEventSchema.extend({
  'detail-type': z.literal(AWS_API_CALL_DETAIL_TYPE),
  detail: CloudTrailDetailSchema,
});
export type AwsApiCall = z.infer<typeof AwsApiCallSchema>;

/**
 * Schema of one EC2 API call via CloudTrail, with typed request parameters and response elements.
 *
 * @example
 * const StopInstancesCallSchema = ec2CallSchema('StopInstances', InstancesRequest, InstancesResponse);
 */
export function ec2CallSchema<N extends string, Q extends z.ZodType, R extends z.ZodType>(
  eventName: N,
  request: Q,
  response: R,
) {
  return eventSchema(
    EC2_API_CALL,
    CloudTrailDetailSchema.extend({
      eventSource: z.literal('ec2.amazonaws.com'),
      eventName: z.literal(eventName),
      requestParameters: request,
      // A failed call carries `errorCode` and no response.
      responseElements: response.nullable().optional(),
    }),
  );
}

const ItemsOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) }).loose();
const InstanceStateSchema = z.object({ code: z.number(), name: z.string() });

const InstancesRequestSchema = z
  .object({ instancesSet: ItemsOf(z.object({ instanceId: z.string() }).loose()), force: z.boolean().optional() })
  .loose();
const InstanceStateChangesSchema = z
  .object({
    instancesSet: ItemsOf(
      z.object({ instanceId: z.string(), currentState: InstanceStateSchema, previousState: InstanceStateSchema }).loose(),
    ),
  })
  .loose();

/** StopInstances via CloudTrail. @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StopInstances.html */
export const StopInstancesCallSchema = ec2CallSchema('StopInstances', InstancesRequestSchema, InstanceStateChangesSchema);
export type StopInstancesCall = z.infer<typeof StopInstancesCallSchema>;

/** StartInstances via CloudTrail. @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StartInstances.html */
export const StartInstancesCallSchema = ec2CallSchema('StartInstances', InstancesRequestSchema, InstanceStateChangesSchema);
export type StartInstancesCall = z.infer<typeof StartInstancesCallSchema>;

/** CreateVpc via CloudTrail. @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpc.html */
export const CreateVpcCallSchema = ec2CallSchema(
  'CreateVpc',
  z.object({ cidrBlock: z.string().optional() }).loose(),
  z.object({ vpc: z.object({ vpcId: z.string(), cidrBlock: z.string().optional() }).loose() }).loose(),
);
export type CreateVpcCall = z.infer<typeof CreateVpcCallSchema>;

/** CreateSubnet via CloudTrail. @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSubnet.html */
export const CreateSubnetCallSchema = ec2CallSchema(
  'CreateSubnet',
  z.object({ vpcId: z.string(), cidrBlock: z.string().optional() }).loose(),
  z
    .object({ subnet: z.object({ subnetId: z.string(), vpcId: z.string(), cidrBlock: z.string().optional() }).loose() })
    .loose(),
);
export type CreateSubnetCall = z.infer<typeof CreateSubnetCallSchema>;

/** The request of CreateRoute, DeleteRoute and ReplaceRoute: a route table and one destination. */
const RouteRequestSchema = z
  .object({
    routeTableId: z.string(),
    destinationCidrBlock: z.string().optional(),
    destinationIpv6CidrBlock: z.string().optional(),
    destinationPrefixListId: z.string().optional(),
    gatewayId: z.string().optional(),
    transitGatewayId: z.string().optional(),
    natGatewayId: z.string().optional(),
    networkInterfaceId: z.string().optional(),
    vpcPeeringConnectionId: z.string().optional(),
    instanceId: z.string().optional(),
  })
  .loose();
const ReturnResponseSchema = z.object({ _return: z.boolean().optional() }).loose();

/** CreateRoute via CloudTrail. @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRoute.html */
export const CreateRouteCallSchema = ec2CallSchema('CreateRoute', RouteRequestSchema, ReturnResponseSchema);
export type CreateRouteCall = z.infer<typeof CreateRouteCallSchema>;

/** DeleteRoute via CloudTrail. @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteRoute.html */
export const DeleteRouteCallSchema = ec2CallSchema('DeleteRoute', RouteRequestSchema, ReturnResponseSchema);
export type DeleteRouteCall = z.infer<typeof DeleteRouteCallSchema>;

/** ReplaceRoute via CloudTrail. @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceRoute.html */
export const ReplaceRouteCallSchema = ec2CallSchema('ReplaceRoute', RouteRequestSchema, ReturnResponseSchema);
export type ReplaceRouteCall = z.infer<typeof ReplaceRouteCallSchema>;

/** CreateSecurityGroup via CloudTrail. @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html */
export const CreateSecurityGroupCallSchema = ec2CallSchema(
  'CreateSecurityGroup',
  z.object({ groupName: z.string(), vpcId: z.string().optional() }).loose(),
  z.object({ groupId: z.string() }).loose(),
);
export type CreateSecurityGroupCall = z.infer<typeof CreateSecurityGroupCallSchema>;

/** RunInstances via CloudTrail: the instances it created, with their interfaces. @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html */
export const RunInstancesCallSchema = ec2CallSchema(
  'RunInstances',
  z.object({}).loose(),
  z
    .object({
      instancesSet: ItemsOf(
        z
          .object({
            instanceId: z.string(),
            subnetId: z.string().optional(),
            vpcId: z.string().optional(),
            networkInterfaceSet: ItemsOf(z.object({ networkInterfaceId: z.string() }).loose()).optional(),
          })
          .loose(),
      ),
    })
    .loose(),
);
export type RunInstancesCall = z.infer<typeof RunInstancesCallSchema>;

/**
 * The IAM role behind a call, when the caller was an assumed role (its session issuer); else the caller's ARN.
 *
 * @example
 * principalArn(call.detail.userIdentity); // "arn:aws:iam::123456789012:role/reflex-dev-instance-guard"
 */
export function principalArn(identity: UserIdentity): string | undefined {
  return identity.sessionContext?.sessionIssuer?.arn ?? identity.arn;
}

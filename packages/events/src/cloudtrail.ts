import * as z from './zod';
import { EventBridgeEventSchema, eventSchema, type EventKind } from './envelope';

/** detail-type of API calls recorded by CloudTrail; `source` is the service's (`aws.ec2`, …). */
export const AWS_API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/** The EC2 flavour of AWS API Call via CloudTrail. */
export const EC2_API_CALL = { source: 'aws.ec2', detailType: AWS_API_CALL_DETAIL_TYPE } as const satisfies EventKind;

const opt = () => z.optional(z.string());

const SessionIssuerSchema = z.looseObject({
  type: opt(),
  principalId: opt(),
  arn: opt(),
  accountId: opt(),
  userName: opt(),
});

/**
 * Who made the call: IAM user, assumed role (with its session issuer), root, AWS service…
 *
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
 */
export const UserIdentitySchema = z.looseObject({
  type: z.string(),
  principalId: opt(),
  arn: opt(),
  accountId: opt(),
  accessKeyId: opt(),
  userName: opt(),
  invokedBy: opt(),
  sessionContext: z.optional(
    z.looseObject({
      sessionIssuer: z.optional(SessionIssuerSchema),
      attributes: z.optional(z.looseObject({ creationDate: opt(), mfaAuthenticated: opt() })),
      sourceIdentity: opt(),
    }),
  ),
});
export type UserIdentity = z.infer<typeof UserIdentitySchema>;

/** The CloudTrail record carried in `detail`; request and response stay `unknown` until a typed call narrows them. */
export const CloudTrailDetailSchema = z.looseObject({
  eventVersion: z.string(),
  userIdentity: UserIdentitySchema,
  eventTime: z.string(),
  eventSource: z.string(),
  eventName: z.string(),
  awsRegion: z.string(),
  sourceIPAddress: opt(),
  userAgent: opt(),
  errorCode: opt(),
  errorMessage: opt(),
  requestParameters: z.unknown(),
  responseElements: z.unknown(),
  requestID: opt(),
  eventID: opt(),
  eventType: opt(),
  recipientAccountId: opt(),
});
export type CloudTrailDetail = z.infer<typeof CloudTrailDetailSchema>;

/**
 * Any AWS API Call via CloudTrail, whatever the service.
 *
 * @example
 * const call = AwsApiCallSchema.parse(raw);
 * if (call.detail.errorCode) return; // the call failed: nothing was created
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure-cloudtrail.html
 */
export const AwsApiCallSchema = z.extend(EventBridgeEventSchema, {
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
export function ec2CallSchema<N extends string, Q extends z.ZodMiniType, R extends z.ZodMiniType>(
  eventName: N,
  request: Q,
  response: R,
) {
  return eventSchema(
    EC2_API_CALL,
    z.extend(CloudTrailDetailSchema, {
      eventSource: z.literal('ec2.amazonaws.com'),
      eventName: z.literal(eventName),
      requestParameters: request,
      // A failed call carries `errorCode` and no response.
      responseElements: z.optional(z.nullable(response)),
    }),
  );
}

const ItemsOf = <T extends z.ZodMiniType>(item: T) => z.looseObject({ items: z.array(item) });
const InstanceStateSchema = z.object({ code: z.number(), name: z.string() });

const InstancesRequestSchema = z.looseObject({
  instancesSet: ItemsOf(z.looseObject({ instanceId: z.string() })),
  force: z.optional(z.boolean()),
});
const InstanceStateChangesSchema = z.looseObject({
  instancesSet: ItemsOf(z.looseObject({ instanceId: z.string(), currentState: InstanceStateSchema, previousState: InstanceStateSchema })),
});

/** StopInstances via CloudTrail. @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StopInstances.html */
export const StopInstancesCallSchema = ec2CallSchema('StopInstances', InstancesRequestSchema, InstanceStateChangesSchema);
export type StopInstancesCall = z.infer<typeof StopInstancesCallSchema>;

/** StartInstances via CloudTrail. @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StartInstances.html */
export const StartInstancesCallSchema = ec2CallSchema('StartInstances', InstancesRequestSchema, InstanceStateChangesSchema);
export type StartInstancesCall = z.infer<typeof StartInstancesCallSchema>;

/** CreateVpc via CloudTrail. @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpc.html */
export const CreateVpcCallSchema = ec2CallSchema(
  'CreateVpc',
  z.looseObject({ cidrBlock: opt() }),
  z.looseObject({ vpc: z.looseObject({ vpcId: z.string(), cidrBlock: opt() }) }),
);
export type CreateVpcCall = z.infer<typeof CreateVpcCallSchema>;

/** CreateSubnet via CloudTrail. @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSubnet.html */
export const CreateSubnetCallSchema = ec2CallSchema(
  'CreateSubnet',
  z.looseObject({ vpcId: z.string(), cidrBlock: opt() }),
  z.looseObject({ subnet: z.looseObject({ subnetId: z.string(), vpcId: z.string(), cidrBlock: opt() }) }),
);
export type CreateSubnetCall = z.infer<typeof CreateSubnetCallSchema>;

/** The request of CreateRoute, DeleteRoute and ReplaceRoute: a route table and one destination. */
const RouteRequestSchema = z.looseObject({
  routeTableId: z.string(),
  destinationCidrBlock: opt(),
  destinationIpv6CidrBlock: opt(),
  destinationPrefixListId: opt(),
  gatewayId: opt(),
  transitGatewayId: opt(),
  natGatewayId: opt(),
  networkInterfaceId: opt(),
  vpcPeeringConnectionId: opt(),
  instanceId: opt(),
});
const ReturnResponseSchema = z.looseObject({ _return: z.optional(z.boolean()) });

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
  z.looseObject({ groupName: z.string(), vpcId: opt() }),
  z.looseObject({ groupId: z.string() }),
);
export type CreateSecurityGroupCall = z.infer<typeof CreateSecurityGroupCallSchema>;

/** RunInstances via CloudTrail: the instances it created, with their interfaces. @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html */
export const RunInstancesCallSchema = ec2CallSchema(
  'RunInstances',
  z.looseObject({}),
  z.looseObject({
    instancesSet: ItemsOf(
      z.looseObject({
        instanceId: z.string(),
        subnetId: opt(),
        vpcId: opt(),
        networkInterfaceSet: z.optional(ItemsOf(z.looseObject({ networkInterfaceId: z.string() }))),
      }),
    ),
  }),
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

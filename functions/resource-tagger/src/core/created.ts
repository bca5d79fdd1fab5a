import type { CloudTrailDetail } from '@reflex/events';
import type { ResourceType } from './resources';

/** Where one kind of created resource sits in an API call's `responseElements`. */
export interface CreatedSpec {
  readonly type: ResourceType;
  /** Path from `responseElements` to the object(s) that describe the resource; arrays on the way fan out. */
  readonly at: readonly string[];
  /** The field of that object holding the resource id. */
  readonly id: string;
  /** The parent it inherits mandatory tags from: a field of the same object, or of `requestParameters`. */
  readonly parent?: { readonly type: ResourceType; readonly field: string; readonly in?: 'response' | 'request' };
}

const IN_VPC = { type: 'vpc', field: 'vpcId' } as const;
const IN_SUBNET = { type: 'subnet', field: 'subnetId' } as const;

/**
 * The create calls the tagger handles, and where each puts the ids of what it created. Shapes follow the EC2
 * API responses as CloudTrail records them (the XML response as JSON, lists as `{ items: [...] }`); newer
 * APIs wrap them in `<EventName>Response`, which {@link createdResources} unwraps.
 *
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Operations.html
 */
export const CREATE_CALLS = {
  CreateVpc: [{ type: 'vpc', at: ['vpc'], id: 'vpcId' }],
  CreateSubnet: [{ type: 'subnet', at: ['subnet'], id: 'subnetId', parent: IN_VPC }],
  CreateRouteTable: [{ type: 'route-table', at: ['routeTable'], id: 'routeTableId', parent: IN_VPC }],
  // The response holds only the group id; the VPC is in the request.
  CreateSecurityGroup: [{ type: 'security-group', at: [], id: 'groupId', parent: { ...IN_VPC, in: 'request' } }],
  CreateNetworkAcl: [{ type: 'network-acl', at: ['networkAcl'], id: 'networkAclId', parent: IN_VPC }],
  CreateInternetGateway: [{ type: 'internet-gateway', at: ['internetGateway'], id: 'internetGatewayId' }],
  CreateNatGateway: [{ type: 'natgateway', at: ['natGateway'], id: 'natGatewayId', parent: IN_VPC }],
  CreateVpcEndpoint: [{ type: 'vpc-endpoint', at: ['vpcEndpoint'], id: 'vpcEndpointId', parent: IN_VPC }],
  CreateTransitGateway: [{ type: 'transit-gateway', at: ['transitGateway'], id: 'transitGatewayId' }],
  CreateTransitGatewayVpcAttachment: [
    {
      type: 'transit-gateway-attachment',
      at: ['transitGatewayVpcAttachment'],
      id: 'transitGatewayAttachmentId',
      parent: IN_VPC,
    },
  ],
  CreateVpnConnection: [{ type: 'vpn-connection', at: ['vpnConnection'], id: 'vpnConnectionId' }],
  CreateCustomerGateway: [{ type: 'customer-gateway', at: ['customerGateway'], id: 'customerGatewayId' }],
  AllocateAddress: [{ type: 'elastic-ip', at: [], id: 'allocationId' }],
  CreateNetworkInterface: [{ type: 'network-interface', at: ['networkInterface'], id: 'networkInterfaceId', parent: IN_SUBNET }],
  // Volumes are not in the response (their block device mappings come later): the core asks EC2 for them.
  RunInstances: [
    { type: 'instance', at: ['instancesSet', 'items'], id: 'instanceId', parent: IN_SUBNET },
    {
      type: 'network-interface',
      at: ['instancesSet', 'items', 'networkInterfaceSet', 'items'],
      id: 'networkInterfaceId',
      parent: IN_SUBNET,
    },
  ],
} as const satisfies Record<string, readonly CreatedSpec[]>;

/** The API calls that trigger the tagger. Tag-writing calls (CreateTags, DeleteTags) are never among them. */
export type CreateCall = keyof typeof CREATE_CALLS;
export const CREATE_CALL_NAMES = Object.keys(CREATE_CALLS) as CreateCall[];

/** One resource an API call created. */
export interface CreatedResource {
  readonly id: string;
  readonly type: ResourceType;
  readonly parent?: { readonly id: string; readonly type: ResourceType };
}

const ID = /^[a-z]+(-[a-z]+)*-[0-9a-zA-Z]+$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The objects at `path` below `node`; arrays fan out at every step. */
function objectsAt(node: unknown, path: readonly string[]): Record<string, unknown>[] {
  if (Array.isArray(node)) return node.flatMap((item) => objectsAt(item, path));
  if (!isObject(node)) return [];
  if (path.length === 0) return [node];
  return objectsAt(node[path[0]!], path.slice(1));
}

const stringField = (o: Record<string, unknown> | undefined, field: string) => {
  const value = o?.[field];
  return typeof value === 'string' && ID.test(value) ? value : undefined;
};

/** Whether the tagger handles this call. */
export function isCreateCall(eventName: string): eventName is CreateCall {
  return Object.hasOwn(CREATE_CALLS, eventName);
}

/**
 * The resources a successful create call made, read from its `responseElements` with {@link CREATE_CALLS}.
 * A failed call (`errorCode`), an unknown call or a response without ids gives none.
 *
 * @example
 * createdResources(createSubnetCall.detail); // [{ id: 'subnet-0397b6c47c42e4dc0', type: 'subnet', parent: { id: 'vpc-…', type: 'vpc' } }]
 */
export function createdResources(detail: CloudTrailDetail): CreatedResource[] {
  if (detail.errorCode || !isCreateCall(detail.eventName)) return [];
  const specs: readonly CreatedSpec[] = CREATE_CALLS[detail.eventName];
  let response = detail.responseElements;
  // Newer EC2 APIs are recorded as { "<EventName>Response": { ... } }.
  const wrapped = isObject(response) ? response[`${detail.eventName}Response`] : undefined;
  if (isObject(wrapped)) response = wrapped;
  const request = isObject(detail.requestParameters) ? detail.requestParameters : undefined;

  const seen = new Set<string>();
  const created: CreatedResource[] = [];
  for (const spec of specs) {
    for (const object of objectsAt(response, spec.at)) {
      const id = stringField(object, spec.id);
      if (!id || seen.has(id)) continue;
      seen.add(id);
      const parentId = spec.parent && stringField(spec.parent.in === 'request' ? request : object, spec.parent.field);
      created.push({ id, type: spec.type, ...(spec.parent && parentId ? { parent: { id: parentId, type: spec.parent.type } } : {}) });
    }
  }
  return created;
}

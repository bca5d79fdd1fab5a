import { describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import { AwsApiCallSchema, type CloudTrailDetail } from '@reflex/events';
import { createdResources } from './created';

const parsed = (path: string) => AwsApiCallSchema.parse(fixture(path));
/** The documented CreateSubnet record as another call, with that call's request and response. */
const call = (eventName: string, responseElements: unknown, requestParameters: unknown = {}): CloudTrailDetail => ({
  ...structuredClone(parsed('cloudtrail/create-subnet.json').detail),
  eventName,
  requestParameters,
  responseElements,
});

describe('createdResources', () => {
  it('reads the subnet and its VPC from the documented CreateSubnet response', () => {
    expect(createdResources(parsed('cloudtrail/create-subnet.json').detail)).toEqual([
      { id: 'subnet-0397b6c47c42e4dc0', type: 'subnet', parent: { id: 'vpc-06b7830650EXAMPLE', type: 'vpc' } },
    ]);
  });

  it('reads a VPC, which has no parent', () => {
    expect(createdResources(parsed('cloudtrail/create-vpc.json').detail)).toEqual([{ id: 'vpc-06b7830650EXAMPLE', type: 'vpc' }]);
  });

  it('takes the VPC of a security group from the request, since the response names only the group', () => {
    const detail = call('CreateSecurityGroup', { _return: true, groupId: 'sg-0123456789abcdef0' }, { groupName: 'web', vpcId: 'vpc-1a2b3c4d' });
    expect(createdResources(detail)).toEqual([{ id: 'sg-0123456789abcdef0', type: 'security-group', parent: { id: 'vpc-1a2b3c4d', type: 'vpc' } }]);
  });

  it('unwraps responses recorded as { "<EventName>Response": … }', () => {
    const detail = call('CreateNatGateway', {
      CreateNatGatewayResponse: { natGateway: { natGatewayId: 'nat-0123456789abcdef0', vpcId: 'vpc-1a2b3c4d', subnetId: 'subnet-1a2b3c4d' } },
    });
    expect(createdResources(detail)).toEqual([{ id: 'nat-0123456789abcdef0', type: 'natgateway', parent: { id: 'vpc-1a2b3c4d', type: 'vpc' } }]);
  });

  it('reads every instance of RunInstances and their network interfaces, each under its subnet', () => {
    const detail = call('RunInstances', {
      instancesSet: {
        items: ['i-0aaa', 'i-0bbb'].map((instanceId, n) => ({
          instanceId,
          subnetId: `subnet-0${n}`,
          networkInterfaceSet: { items: [{ networkInterfaceId: `eni-0${n}`, subnetId: `subnet-0${n}` }] },
        })),
      },
    });
    expect(createdResources(detail)).toEqual([
      { id: 'i-0aaa', type: 'instance', parent: { id: 'subnet-00', type: 'subnet' } },
      { id: 'i-0bbb', type: 'instance', parent: { id: 'subnet-01', type: 'subnet' } },
      { id: 'eni-00', type: 'network-interface', parent: { id: 'subnet-00', type: 'subnet' } },
      { id: 'eni-01', type: 'network-interface', parent: { id: 'subnet-01', type: 'subnet' } },
    ]);
  });

  it('reads the allocation id of AllocateAddress', () => {
    const detail = call('AllocateAddress', { publicIp: '198.51.100.7', domain: 'vpc', allocationId: 'eipalloc-0123456789abcdef0' });
    expect(createdResources(detail)).toEqual([{ id: 'eipalloc-0123456789abcdef0', type: 'elastic-ip' }]);
  });

  it('gives nothing for a failed call, a call it does not handle, or a response without ids', () => {
    const failed = { ...parsed('cloudtrail/create-subnet.json').detail, errorCode: 'Client.InvalidParameterValue' };
    expect(createdResources(failed)).toEqual([]);
    expect(createdResources(call('CreateTags', { _return: true }))).toEqual([]);
    expect(createdResources(call('CreateSubnet', null))).toEqual([]);
    expect(createdResources(call('CreateSubnet', { subnet: { subnetId: 'not an id' } }))).toEqual([]);
  });
});

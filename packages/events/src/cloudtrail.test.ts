import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import * as z from './zod';
import {
  AwsApiCallSchema,
  ec2CallSchema,
  principalArn,
  StartInstancesCallSchema,
  StopInstancesCallSchema,
  UserIdentitySchema,
} from './cloudtrail';

const fixture = (path: string) => JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8'));
const stopInstances = fixture('cloudtrail/stop-instances.json');
const startInstances = fixture('cloudtrail/start-instances.json');

/** The stop-instances sample as if an assumed role (role `name`, session `session`) had made the call. */
const callByAssumedRole = (name: string, session = 'session-1') => {
  const event = structuredClone(stopInstances);
  event.detail.userIdentity = {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLEID:session-1',
    arn: `arn:aws:sts::123456789012:assumed-role/${name}/${session}`,
    accountId: '123456789012',
    accessKeyId: 'EXAMPLE_KEY_ID',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEID',
        arn: `arn:aws:iam::123456789012:role/${name}`,
        accountId: '123456789012',
        userName: name,
      },
      attributes: { creationDate: '2014-03-06T20:00:00Z', mfaAuthenticated: 'false' },
    },
  };
  return event;
};

describe('StopInstancesCallSchema', () => {
  it('parses the StopInstances sample from the CloudTrail documentation', () => {
    const call = StopInstancesCallSchema.parse(stopInstances);

    expect(call.detail.requestParameters.instancesSet.items).toEqual([{ instanceId: 'i-ebeaf9e2' }]);
    expect(call.detail.requestParameters.force).toBe(false);
    expect(call.detail.responseElements?.instancesSet.items[0]?.currentState).toEqual({ code: 64, name: 'stopping' });
  });

  it('rejects a StartInstances call', () => {
    const result = StopInstancesCallSchema.safeParse(startInstances);

    expect(result.success).toBe(false);
  });

  it('rejects a StopInstances call recorded for another service than EC2', () => {
    const event = structuredClone(stopInstances);
    event.detail.eventSource = 'rds.amazonaws.com';

    expect(StopInstancesCallSchema.safeParse(event).success).toBe(false);
  });

  it('rejects the call when source is not aws.ec2', () => {
    const event = structuredClone(stopInstances);
    event.source = 'aws.rds';

    expect(StopInstancesCallSchema.safeParse(event).success).toBe(false);
  });

  it('rejects the call when detail-type is not AWS API Call via CloudTrail', () => {
    const event = structuredClone(stopInstances);
    event['detail-type'] = 'EC2 Instance State-change Notification';

    expect(StopInstancesCallSchema.safeParse(event).success).toBe(false);
  });

  it('rejects a request without instancesSet', () => {
    const event = structuredClone(stopInstances);
    delete event.detail.requestParameters.instancesSet;

    expect(StopInstancesCallSchema.safeParse(event).success).toBe(false);
  });

  it('parses a failed call that has errorCode set and null responseElements', () => {
    const event = structuredClone(stopInstances);
    event.detail.errorCode = 'Client.UnauthorizedOperation';
    event.detail.errorMessage = 'You are not authorized to perform this operation.';
    event.detail.responseElements = null;

    const call = StopInstancesCallSchema.parse(event);

    expect(call.detail.errorCode).toBe('Client.UnauthorizedOperation');
    expect(call.detail.responseElements).toBeNull();
  });
});

describe('StartInstancesCallSchema', () => {
  it('parses the StartInstances sample from the CloudTrail documentation', () => {
    const call = StartInstancesCallSchema.parse(startInstances);

    expect(call.detail.responseElements?.instancesSet.items).toEqual([
      { instanceId: 'i-ebeaf9e2', currentState: { code: 0, name: 'pending' }, previousState: { code: 80, name: 'stopped' } },
    ]);
  });

  it('rejects a StopInstances call', () => {
    expect(StartInstancesCallSchema.safeParse(stopInstances).success).toBe(false);
  });

  it('rejects a response whose instance has no currentState', () => {
    const event = structuredClone(startInstances);
    delete event.detail.responseElements.instancesSet.items[0].currentState;

    expect(StartInstancesCallSchema.safeParse(event).success).toBe(false);
  });
});

describe('ec2CallSchema', () => {
  const TerminateInstancesCallSchema = ec2CallSchema(
    'TerminateInstances',
    z.object({ instancesSet: z.object({ items: z.array(z.object({ instanceId: z.string() })) }) }),
    z.object({ instancesSet: z.object({ items: z.array(z.object({ instanceId: z.string() })) }) }),
  );

  it('parses a call with the event name it was built for', () => {
    const event = structuredClone(stopInstances);
    event.detail.eventName = 'TerminateInstances';

    expect(TerminateInstancesCallSchema.safeParse(event).success).toBe(true);
  });

  it('rejects a call with another event name', () => {
    expect(TerminateInstancesCallSchema.safeParse(stopInstances).success).toBe(false);
  });

  it('parses a failed call whose response is null even when the response schema has required fields', () => {
    const event = structuredClone(stopInstances);
    event.detail.eventName = 'TerminateInstances';
    event.detail.errorCode = 'Client.UnauthorizedOperation';
    event.detail.responseElements = null;

    const result = TerminateInstancesCallSchema.safeParse(event);

    expect(result.success).toBe(true);
  });
});

describe('AwsApiCallSchema', () => {
  it.each([
    ['StopInstances', stopInstances],
    ['StartInstances', startInstances],
  ])('parses the %s sample', (eventName, sample) => {
    const call = AwsApiCallSchema.parse(sample);

    expect(call.detail.eventName).toBe(eventName);
    expect(call.detail.userIdentity.userName).toBe('Alice');
  });

  it('accepts an API call of any service', () => {
    const event = structuredClone(stopInstances);
    event.source = 'aws.s3';
    event.detail.eventSource = 's3.amazonaws.com';
    event.detail.eventName = 'CreateBucket';

    expect(AwsApiCallSchema.safeParse(event).success).toBe(true);
  });

  it('rejects an event whose detail-type is not AWS API Call via CloudTrail', () => {
    const event = structuredClone(stopInstances);
    event['detail-type'] = 'AWS Console Sign In via CloudTrail';

    expect(AwsApiCallSchema.safeParse(event).success).toBe(false);
  });

  it('rejects a record without userIdentity', () => {
    const event = structuredClone(stopInstances);
    delete event.detail.userIdentity;

    expect(AwsApiCallSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an event without the envelope field account', () => {
    const event = structuredClone(stopInstances);
    delete event.account;

    expect(AwsApiCallSchema.safeParse(event).success).toBe(false);
  });
});

describe('principalArn', () => {
  it('is the user ARN for an IAM user', () => {
    const identity = UserIdentitySchema.parse(stopInstances.detail.userIdentity);

    expect(principalArn(identity)).toBe('arn:aws:iam::123456789012:user/Alice');
  });

  it('is the session issuer role ARN for an assumed role', () => {
    const identity = UserIdentitySchema.parse(callByAssumedRole('reflex-dev-scheduler').detail.userIdentity);

    expect(principalArn(identity)).toBe('arn:aws:iam::123456789012:role/reflex-dev-scheduler');
  });

  it('is the caller ARN for an assumed role whose session issuer is not recorded', () => {
    const event = callByAssumedRole('ops');
    delete event.detail.userIdentity.sessionContext;
    const identity = UserIdentitySchema.parse(event.detail.userIdentity);

    expect(principalArn(identity)).toBe('arn:aws:sts::123456789012:assumed-role/ops/session-1');
  });

  it('is undefined for a caller without an ARN', () => {
    const identity = UserIdentitySchema.parse({ type: 'AWSService', invokedBy: 'ec2.amazonaws.com' });

    expect(principalArn(identity)).toBeUndefined();
  });
});

describe('AwsApiCallSchema and the composed create-call records', () => {
  it.each(['create-vpc.json', 'create-subnet.json'])('parses %s, a successful call with its response', (file) => {
    const call = AwsApiCallSchema.parse(fixture(`cloudtrail/${file}`));

    expect(call.detail.errorCode).toBeUndefined();
    expect(call.detail.responseElements).toBeDefined();
  });

  it.each(['iam-user', 'assumed-role', 'identity-center-user', 'aws-service', 'aws-service-cloudformation', 'root'])(
    'parses the %s userIdentity case',
    (name) => {
      expect(UserIdentitySchema.safeParse(fixture(`cloudtrail/user-identity/${name}.json`).userIdentity).success).toBe(true);
    },
  );
});

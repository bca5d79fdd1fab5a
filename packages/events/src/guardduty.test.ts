import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { GuardDutyFindingSchema, isTargetOfRemote, remoteIps } from './guardduty';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/guardduty/finding.json', import.meta.url), 'utf8'));

describe('GuardDutyFindingSchema', () => {
  it('parses the sample SSH brute force finding', () => {
    const finding = GuardDutyFindingSchema.parse(fixture);

    expect(finding.detail.type).toBe('UnauthorizedAccess:EC2/SSHBruteForce');
    expect(finding.detail.severity).toBe(2);
    expect(finding.detail.resource.instanceDetails?.instanceId).toBe('i-99999999');
  });

  it('rejects a severity above 10', () => {
    const event = structuredClone(fixture);
    event.detail.severity = 11;

    expect(GuardDutyFindingSchema.safeParse(event).success).toBe(false);
  });

  it('rejects a finding without type', () => {
    const event = structuredClone(fixture);
    delete event.detail.type;

    expect(GuardDutyFindingSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an event whose source is not aws.guardduty', () => {
    const event = structuredClone(fixture);
    event.source = 'aws.securityhub';

    expect(GuardDutyFindingSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an event whose detail-type is not GuardDuty Finding', () => {
    const event = structuredClone(fixture);
    event['detail-type'] = 'Security Hub Findings - Imported';

    expect(GuardDutyFindingSchema.safeParse(event).success).toBe(false);
  });
});

describe('remoteIps', () => {
  it('returns the remote address of a network connection finding', () => {
    const finding = GuardDutyFindingSchema.parse(fixture);

    expect(remoteIps(finding.detail)).toEqual(['198.51.100.0']);
  });

  it('returns the port probe addresses once each, IPv4 and IPv6', () => {
    const event = structuredClone(fixture);
    event.detail.service.action = {
      actionType: 'PORT_PROBE',
      portProbeAction: {
        portProbeDetails: [
          { remoteIpDetails: { ipAddressV4: '198.51.100.7' } },
          { remoteIpDetails: { ipAddressV4: '198.51.100.7' } },
          { remoteIpDetails: { ipAddressV6: '2001:db8::7' } },
          { localPortDetails: { port: 22 } },
        ],
      },
    };

    const ips = remoteIps(GuardDutyFindingSchema.parse(event).detail);

    expect(ips).toEqual(['198.51.100.7', '2001:db8::7']);
  });

  it('returns no address for a finding without an action', () => {
    const event = structuredClone(fixture);
    delete event.detail.service.action;

    expect(remoteIps(GuardDutyFindingSchema.parse(event).detail)).toEqual([]);
  });
});

describe('isTargetOfRemote', () => {
  const detailWith = (mutate: (d: any) => void) => {
    const event = structuredClone(fixture);
    mutate(event.detail);
    return GuardDutyFindingSchema.parse(event).detail;
  };

  it('is true for the sample: an inbound brute force against the instance', () => {
    expect(isTargetOfRemote(GuardDutyFindingSchema.parse(fixture).detail)).toBe(true);
  });

  it('is false when the instance is the actor', () => {
    expect(isTargetOfRemote(detailWith((d) => (d.service.resourceRole = 'ACTOR')))).toBe(false);
  });

  it('is false for an outbound connection', () => {
    expect(isTargetOfRemote(detailWith((d) => (d.service.action.networkConnectionAction.connectionDirection = 'OUTBOUND')))).toBe(false);
  });

  it('is true for a port probe', () => {
    const detail = detailWith((d) => {
      delete d.service.resourceRole;
      d.service.action = { actionType: 'PORT_PROBE', portProbeAction: { portProbeDetails: [{ remoteIpDetails: { ipAddressV4: '198.51.100.7' } }] } };
    });
    expect(isTargetOfRemote(detail)).toBe(true);
  });
});

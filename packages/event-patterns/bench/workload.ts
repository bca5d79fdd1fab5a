// A deterministic, realistic workload: EC2 state changes, CloudTrail API calls and GuardDuty findings as
// JSON text, and rule sets mixing exact, prefix, cidr, numeric and exists matching.

let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
const ip = () => `${pick([10, 172, 192, 198, 203])}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`;

const REGIONS = ['us-east-1', 'eu-central-1', 'eu-west-1', 'ap-southeast-2'];
const ACCOUNTS = ['111111111111', '222222222222', '333333333333', '444444444444'];
const STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'];
const EVENT_NAMES = [
  'RunInstances', 'StopInstances', 'StartInstances', 'TerminateInstances', 'CreateVpc', 'CreateSubnet',
  'CreateRoute', 'DeleteRoute', 'ReplaceRoute', 'CreateSecurityGroup', 'AuthorizeSecurityGroupIngress',
  'CreateTags', 'CreateNetworkAcl', 'CreateNetworkAclEntry', 'CreateTransitGateway', 'AllocateAddress',
];
const FINDINGS = [
  'UnauthorizedAccess:EC2/SSHBruteForce', 'UnauthorizedAccess:EC2/RDPBruteForce', 'Recon:EC2/PortProbeUnprotectedPort',
  'CryptoCurrency:EC2/BitcoinTool.B!DNS', 'Backdoor:EC2/C&CActivity.B',
];

function envelope(source: string, detailType: string, detail: object, resources: string[] = []) {
  const region = pick(REGIONS);
  return {
    version: '0',
    id: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`,
    'detail-type': detailType,
    source,
    account: pick(ACCOUNTS),
    time: '2026-11-22T10:00:00Z',
    region,
    resources,
    detail,
  };
}

function ec2StateChange() {
  const id = `i-${hex(17)}`;
  return envelope('aws.ec2', 'EC2 Instance State-change Notification', { 'instance-id': id, state: pick(STATES) }, [
    `arn:aws:ec2:us-east-1:111111111111:instance/${id}`,
  ]);
}

function cloudTrailCall() {
  const eventName = pick(EVENT_NAMES);
  const role = pick(['ops-admin', 'ci-deployer', 'reflex-prod-tagger', 'NetworkEngineer', 'reflex-prod-scheduler']);
  const failed = random() < 0.1;
  return envelope('aws.ec2', 'AWS API Call via CloudTrail', {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROA${hex(16).toUpperCase()}:session`,
      arn: `arn:aws:sts::111111111111:assumed-role/${role}/session`,
      accountId: '111111111111',
      sessionContext: {
        sessionIssuer: { type: 'Role', arn: `arn:aws:iam::111111111111:role/${role}`, userName: role },
        attributes: { creationDate: '2026-11-22T09:00:00Z', mfaAuthenticated: 'false' },
      },
    },
    eventTime: '2026-11-22T10:00:00Z',
    eventSource: 'ec2.amazonaws.com',
    eventName,
    awsRegion: pick(REGIONS),
    sourceIPAddress: ip(),
    userAgent: pick(['aws-cli/2.15.0', 'console.amazonaws.com', 'Terraform/1.11.4', 'Boto3/1.34.0']),
    ...(failed ? { errorCode: 'Client.UnauthorizedOperation', errorMessage: 'You are not authorized' } : {}),
    requestParameters: { vpcId: `vpc-${hex(17)}`, cidrBlock: `10.${Math.floor(random() * 256)}.0.0/24`, tagSpecificationSet: { items: [] } },
    responseElements: failed ? null : { requestId: hex(32), subnet: { subnetId: `subnet-${hex(17)}`, state: 'available' } },
    requestID: hex(32),
    eventID: hex(32),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111111111111',
  });
}

function guardDutyFinding() {
  const type = pick(FINDINGS);
  return envelope('aws.guardduty', 'GuardDuty Finding', {
    schemaVersion: '2.0',
    accountId: pick(ACCOUNTS),
    region: pick(REGIONS),
    id: hex(32),
    type,
    severity: Math.round(random() * 80) / 10,
    resource: {
      resourceType: 'Instance',
      instanceDetails: {
        instanceId: `i-${hex(17)}`,
        networkInterfaces: [
          { privateIpAddress: `10.0.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`, subnetId: `subnet-${hex(17)}`, vpcId: `vpc-${hex(17)}` },
        ],
      },
    },
    service: {
      serviceName: 'guardduty',
      action: {
        actionType: 'NETWORK_CONNECTION',
        networkConnectionAction: {
          connectionDirection: 'INBOUND',
          remoteIpDetails: { ipAddressV4: ip(), country: { countryName: pick(['Germany', 'Brazil', 'Unknown']) } },
          localPortDetails: { port: pick([22, 3389, 443]) },
          protocol: 'TCP',
        },
      },
      count: Math.floor(random() * 100),
    },
  });
}

/** `count` events as JSON text: 40% EC2 state changes, 40% CloudTrail calls, 20% GuardDuty findings. */
export function events(count: number): string[] {
  seed = 42;
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify(i % 5 < 2 ? ec2StateChange() : i % 5 < 4 ? cloudTrailCall() : guardDutyFinding()),
  );
}

const octet = () => Math.floor(random() * 256);
/** Excludes one random 3-hex-digit prefix: keeps nearly every event, and makes the pattern distinct. */
const notPrefixed = (prefix: string) => [{ 'anything-but': { prefix: `${prefix}${hex(3)}` } }];

/**
 * `count` distinct rules: the instance guard's first, then eight shapes reflexes use — exact values,
 * anything-but prefix, exists, cidr, numeric ranges, prefix, wildcard, nested fields.
 */
export function rules(count: number): object[] {
  seed = 7;
  const shapes: (() => object)[] = [
    () => ({
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: [pick(STATES)], 'instance-id': notPrefixed('i-') },
    }),
    () => ({
      source: ['aws.ec2'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventName: [pick(EVENT_NAMES)], errorCode: [{ exists: false }], eventID: notPrefixed('') },
    }),
    () => ({
      source: ['aws.ec2'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventName: [pick(EVENT_NAMES), pick(EVENT_NAMES)],
        userIdentity: { sessionContext: { sessionIssuer: { userName: [{ 'anything-but': { prefix: 'reflex-' } }] } } },
        requestID: notPrefixed(''),
      },
    }),
    () => ({ source: ['aws.ec2'], detail: { sourceIPAddress: [{ cidr: `${pick([10, 198, 203])}.${octet()}.0.0/16` }] } }),
    () => ({
      source: ['aws.guardduty'],
      'detail-type': ['GuardDuty Finding'],
      detail: {
        severity: [{ numeric: ['>=', Math.round(random() * 80) / 10, '<', 9] }],
        type: [{ prefix: pick(['UnauthorizedAccess:', 'Recon:', 'Backdoor:']) }],
        id: notPrefixed(''),
      },
    }),
    () => ({
      source: ['aws.guardduty'],
      detail: { service: { action: { networkConnectionAction: { remoteIpDetails: { ipAddressV4: [{ cidr: `${pick([172, 192])}.${octet()}.0.0/16` }] } } } } },
    }),
    () => ({ 'detail-type': [{ prefix: pick(['EC2 ', 'AWS API', 'Guard']) }], region: [pick(REGIONS)], id: notPrefixed('') }),
    () => ({
      source: ['aws.ec2'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventName: [pick(EVENT_NAMES)],
        userAgent: [{ wildcard: `*${pick(['Terraform', 'aws-cli', 'Boto3', 'console'])}*` }],
        requestID: notPrefixed(''),
      },
    }),
  ];
  const guard = { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['stopped'] } };
  return [guard, ...Array.from({ length: count - 1 }, (_, i) => shapes[i % shapes.length]!())];
}

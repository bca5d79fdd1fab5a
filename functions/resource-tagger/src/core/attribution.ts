import type { CloudTrailDetail, UserIdentity } from '@reflex/events';
import type { Tags } from './resources';

/** The kinds of principal CloudTrail records, as the tagger names them. */
export type CreatorKind =
  | 'iam-user'
  | 'assumed-role'
  | 'identity-center-user'
  | 'federated-user'
  | 'aws-service'
  | 'aws-account'
  | 'root'
  | 'unknown';

/** Who created a resource, resolved as far as CloudTrail tells. */
export interface Creator {
  readonly kind: CreatorKind;
  /** The value of `reflex:created-by`: `user/Alice`, `role/Deploy/ci-run-42`, `sso-user/alice@example.com via cloudformation.amazonaws.com stack/network-core`… */
  readonly label: string;
  /** The principal's ARN, when the record has one. */
  readonly arn?: string;
  /** The IAM role of an assumed-role session (for Identity Center, the permission set's role). */
  readonly role?: string;
  /** The session name of an assumed role (for Identity Center, the user). */
  readonly session?: string;
  /** The AWS service that made the call on the principal's behalf (`invokedBy`). */
  readonly service?: string;
  /** The CloudFormation stack that created the resource. */
  readonly stack?: string;
}

/** Identity Center (SSO) permission sets are provisioned as roles named `AWSReservedSSO_<set>_<id>`. */
const SSO_ROLE_PREFIX = 'AWSReservedSSO_';
const STACK_TAG = 'aws:cloudformation:stack-name';
const TAG_VALUE_MAX = 256;

const lastSegment = (arn: string | undefined) => arn?.split('/').pop() || undefined;

/** Role and session of `arn:aws:sts::123456789012:assumed-role/<role>/<session>`. */
function assumedRoleParts(arn: string | undefined): { role?: string; session?: string } {
  const match = /:assumed-role\/([^/]+)\/(.+)$/.exec(arn ?? '');
  return match ? { role: match[1], session: match[2] } : {};
}

/** The stack named by the request's tag specifications (CloudFormation passes its own tags there) or the resource's tags. */
function stackOf(requestParameters: unknown, resourceTags: Tags | undefined): string | undefined {
  const items = (requestParameters as { tagSpecificationSet?: { items?: unknown } } | undefined)?.tagSpecificationSet?.items;
  for (const spec of Array.isArray(items) ? items : []) {
    const tags = (spec as { tags?: unknown }).tags;
    for (const tag of Array.isArray(tags) ? tags : []) {
      const { key, value } = tag as { key?: unknown; value?: unknown };
      if (key === STACK_TAG && typeof value === 'string' && value) return value;
    }
  }
  return resourceTags?.[STACK_TAG] || undefined;
}

/** The AWS service behind a call: `invokedBy`, or a service name as the source address (`cloudformation.amazonaws.com`). */
function serviceOf(identity: UserIdentity, sourceIPAddress: string | undefined, userAgent: string | undefined): string | undefined {
  if (identity.invokedBy) return identity.invokedBy;
  for (const candidate of [sourceIPAddress, userAgent]) {
    if (candidate && /^[a-z0-9.-]+\.amazonaws\.com$/.test(candidate)) return candidate;
  }
  return undefined;
}

function principalOf(identity: UserIdentity): Omit<Creator, 'service' | 'stack'> {
  const arn = identity.arn;
  switch (identity.type) {
    case 'IAMUser':
      return { kind: 'iam-user', label: `user/${identity.userName ?? lastSegment(arn) ?? identity.principalId ?? 'unknown'}`, ...(arn ? { arn } : {}) };
    case 'Root':
      return { kind: 'root', label: 'root', ...(arn ? { arn } : {}) };
    case 'AssumedRole': {
      const parts = assumedRoleParts(arn);
      const role = identity.sessionContext?.sessionIssuer?.userName ?? parts.role ?? 'unknown';
      const session = parts.session ?? identity.principalId?.split(':')[1] ?? 'unknown';
      const sourceIdentity = identity.sessionContext?.sourceIdentity;
      if (role.startsWith(SSO_ROLE_PREFIX)) {
        // The session of an Identity Center role is named after the user who signed in.
        return { kind: 'identity-center-user', label: `sso-user/${session}`, role, session, ...(arn ? { arn } : {}) };
      }
      const label = `role/${role}/${session}${sourceIdentity ? ` source/${sourceIdentity}` : ''}`;
      return { kind: 'assumed-role', label, role, session, ...(arn ? { arn } : {}) };
    }
    case 'FederatedUser':
      return { kind: 'federated-user', label: `federated-user/${lastSegment(arn) ?? identity.principalId ?? 'unknown'}`, ...(arn ? { arn } : {}) };
    case 'IdentityCenterUser': {
      const onBehalfOf = (identity as { onBehalfOf?: { userId?: string } }).onBehalfOf;
      return { kind: 'identity-center-user', label: `sso-user/${onBehalfOf?.userId ?? identity.principalId ?? 'unknown'}` };
    }
    case 'AWSService':
      return { kind: 'aws-service', label: `service/${identity.invokedBy ?? 'unknown'}` };
    case 'AWSAccount':
      return { kind: 'aws-account', label: `account/${identity.accountId ?? identity.principalId ?? 'unknown'}` };
    default: {
      const name = identity.userName ?? lastSegment(arn) ?? identity.principalId;
      return { kind: 'unknown', label: name ? `${identity.type}/${name}` : identity.type, ...(arn ? { arn } : {}) };
    }
  }
}

/**
 * Who created a resource, from a CloudTrail record: the IAM user; the role and session of an assumed role;
 * the person behind an IAM Identity Center role (its session name); the AWS service that acted for them
 * (`invokedBy`), with the CloudFormation stack when the request or the resource's tags name it; root.
 *
 * @example
 * attributeCreator(createSubnetCall.detail).label; // "role/RoleToBeAssumed/MySessionName"
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
 */
export function attributeCreator(
  detail: Pick<CloudTrailDetail, 'userIdentity' | 'sourceIPAddress' | 'userAgent' | 'requestParameters'>,
  resourceTags?: Tags,
): Creator {
  const identity = detail.userIdentity;
  const principal = principalOf(identity);
  const service = serviceOf(identity, detail.sourceIPAddress, detail.userAgent);
  const stack = stackOf(detail.requestParameters, resourceTags);
  let label = principal.label;
  if (service && principal.kind !== 'aws-service') label += ` via ${service}`;
  if (stack) label += ` stack/${stack}`;
  return {
    ...principal,
    label: label.length > TAG_VALUE_MAX ? `${label.slice(0, TAG_VALUE_MAX - 1)}…` : label,
    ...(service ? { service } : {}),
    ...(stack ? { stack } : {}),
  };
}

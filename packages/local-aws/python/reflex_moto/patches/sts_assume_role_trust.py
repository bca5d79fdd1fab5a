"""AssumeRole honours the role's trust policy.

AWS lets a caller assume a role only when the role exists and its trust policy (AssumeRolePolicyDocument) has
an Allow statement for sts:AssumeRole whose principal is the caller and whose conditions hold (an ExternalId,
say), and no Deny statement that applies; otherwise AssumeRole fails with HTTP 403 `AccessDenied`, "User:
<caller> is not authorized to perform: sts:AssumeRole on resource: <role>". moto 5.2.1 hands out credentials for
any role ARN ("the role does not need to exist"): a hub account could act in a member account that never
trusted it, and the trust a landing zone sets up between accounts is never tested locally.

Patched: `TokenResponse.assume_role` (the AssumeRole request, where moto knows the caller: its access key, and
from it, as GetCallerIdentity does, its account and ARN) checks first, then runs moto's own; a refusal is STS's
error document (`<ErrorResponse><Error><Code>AccessDenied</Code>…`, HTTP 403). The role must be in the IAM
backend of the ARN's account and partition; its trust policy is read as AWS reads it:
  - Action `sts:AssumeRole`, `sts:*`, `*` or a wildcard matching it (string or list; NotAction too);
  - Principal `"*"` or `{"AWS": ...}` (string or list; NotPrincipal too): `"*"`; `arn:<p>:iam::<account>:root`
    or the bare 12-digit id, any caller of that account; a role ARN, a session of that role (the ARN the session
    was assumed with, compared exactly); any other ARN (a user, an assumed-role session), the caller's ARN
    exactly. `Service` and `Federated` principals never match a caller with AWS credentials;
  - Conditions on `sts:ExternalId` (StringEquals, StringNotEquals, StringLike, StringNotLike, their
    IgnoreCase forms, …IfExists, Null) are evaluated against the request's ExternalId; a missing ExternalId
    fails the positive operators;
  - an Allow statement must match; a Deny statement that matches denies, whatever allows.
Leniencies, for what moto cannot know:
  - a caller that is neither a session moto issued nor an IAM user's key — the `test` key of local mode, which
    moto answers as `arn:aws:sts::<account>:user/moto` of the default account 123456789012 (or the account of
    MOTO_ACCOUNT_ID / the `x-moto-account-id` header) — could be any identity of its account: a role ARN in the
    trust policy matches it when the role's account is the caller's;
  - condition keys other than `sts:ExternalId` cannot be evaluated: `aws:PrincipalOrgID` (moto has no
    organization for the caller), `aws:PrincipalTag/…`, `aws:SourceIp`, … An Allow statement treats them as
    met; a Deny statement with one does not apply (the lenient side both ways);
  - the caller's own IAM policies are not evaluated (moto evaluates none unless its IAM authorization is on),
    nor session tags (sts:TagSession) or source identity.
AssumeRoleWithWebIdentity and AssumeRoleWithSAML are left as moto has them. A too-long RoleSessionName still
gets moto's ValidationError first, as AWS validates before it authorizes.

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = (
    "moto.sts.responses.TokenResponse.assume_role",
    "moto.sts.responses.TokenResponse.backend",
    "moto.sts.responses.MAX_ROLE_NAME_LENGTH",
    "moto.sts.models.STSBackend.get_caller_identity",
    "moto.sts.models.STSBackend.get_assumed_role_from_access_key",
    "moto.iam.models.iam_backends",
    "moto.iam.models.IAMBackend.get_role_by_arn",
    "moto.iam.models.IAMBackend.get_user_from_access_key_id",
    "moto.iam.models.Role.__init__",
    "moto.core.exceptions.AccessDeniedError",
    "moto.core.responses.BaseResponse.get_access_key",
)

_ACCOUNT = r"(\d{12})"
_NEGATED = ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike")


def _listed(value):
    return value if isinstance(value, list) else [value]


def _wildcard(pattern, value, ignore_case=False):
    """IAM's wildcard match: `*` any run of characters, `?` one."""
    import re

    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in str(pattern))
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def _action_matches(statement):
    if "Action" in statement:
        return any(_wildcard(a, "sts:AssumeRole", ignore_case=True) for a in _listed(statement["Action"]))
    if "NotAction" in statement:
        return not any(_wildcard(a, "sts:AssumeRole", ignore_case=True) for a in _listed(statement["NotAction"]))
    return False


def _aws_principal_matches(principal, caller):
    import re

    principal = str(principal)
    if principal == "*" or principal == caller["arn"]:
        return True
    if re.fullmatch(_ACCOUNT, principal):
        return principal == caller["account"]
    root = re.fullmatch(rf"arn:[^:]+:iam::{_ACCOUNT}:root", principal)
    if root:
        return root.group(1) == caller["account"]
    role = re.fullmatch(rf"arn:[^:]+:iam::{_ACCOUNT}:role/.+", principal)
    if role:
        if caller["kind"] == "session":
            return principal == caller["role_arn"]
        if caller["kind"] == "key":  # moto cannot tell which identity of its account the key is
            return role.group(1) == caller["account"]
    return False


def _principal_matches(statement, caller):
    def matches(value):
        if value == "*":
            return True
        if isinstance(value, dict):
            return any(_aws_principal_matches(p, caller) for p in _listed(value.get("AWS", [])))
        return False  # a malformed principal names nobody

    if "Principal" in statement:
        return matches(statement["Principal"])
    if "NotPrincipal" in statement:
        return not matches(statement["NotPrincipal"])
    return False


def _condition(operator, key, values, external_id):
    """True or False for a condition on sts:ExternalId; None for one this cannot evaluate."""
    if key.lower() != "sts:externalid":
        return None
    operator = operator.split(":")[-1]  # ForAnyValue:/ForAllValues: on a single-valued key: as the plain one
    if_exists = operator.endswith("IfExists")
    operator = operator[: -len("IfExists")] if if_exists else operator
    values = [str(v) for v in _listed(values)]
    if operator == "Null":
        return (external_id is None) == (values[0].lower() == "true")
    if external_id is None:
        return if_exists or operator in _NEGATED
    if operator in ("StringEquals", "StringNotEquals"):
        found = external_id in values
    elif operator in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        found = external_id.lower() in [v.lower() for v in values]
    elif operator in ("StringLike", "StringNotLike"):
        found = any(_wildcard(v, external_id) for v in values)
    else:
        return None
    return not found if operator in _NEGATED else found


def _conditions_hold(statement, external_id, unknown):
    """Whether the statement's conditions hold; `unknown` is taken for each one that cannot be evaluated."""
    conditions = statement.get("Condition") or {}
    if not isinstance(conditions, dict):
        return unknown
    for operator, block in conditions.items():
        for key, values in (block.items() if isinstance(block, dict) else [("", None)]):
            held = _condition(operator, key, values, external_id)
            if not (unknown if held is None else held):
                return False
    return True


def trusts(document, caller, external_id):
    """Whether a trust policy (a JSON string or a dict) lets `caller` assume the role, as AWS decides."""
    import json
    import urllib.parse

    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            try:
                document = json.loads(urllib.parse.unquote(document))  # as IAM's API may carry it
            except ValueError:
                return False
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    allowed = False
    for statement in _listed(statements):
        if not isinstance(statement, dict) or not _action_matches(statement) or not _principal_matches(statement, caller):
            continue
        if statement.get("Effect") == "Deny" and _conditions_hold(statement, external_id, unknown=False):
            return False
        if statement.get("Effect") == "Allow" and _conditions_hold(statement, external_id, unknown=True):
            allowed = True
    return allowed


def apply():
    import inspect
    import re
    from xml.sax.saxutils import escape

    from moto.core.exceptions import AccessDeniedError
    from moto.iam.models import Role, iam_backends
    from moto.sts import responses
    from moto.sts.responses import TokenResponse

    if "assume_role_policy_document" not in inspect.signature(Role.__init__).parameters:
        return "Role takes no assume_role_policy_document"

    class AccessDenied(AccessDeniedError):
        """moto's 403 AccessDenied, in STS's error document (moto's is EC2's, `<Errors><Error>`)."""

        def __init__(self, caller_arn, role_arn):
            super().__init__(caller_arn, f"sts:AssumeRole on resource: {role_arn}")
            self.content_type = "text/xml"
            self.description = (  # moto writes its request id into <RequestId>
                '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>'
                f"<Message>{escape(self.message)}</Message></Error><RequestId>-</RequestId></ErrorResponse>"
            )

    denied = AccessDenied("arn:aws:sts::123456789012:user/moto", "r")
    if denied.code != 403 or denied.message != "User: arn:aws:sts::123456789012:user/moto is not authorized to perform: sts:AssumeRole on resource: r":
        return f"AccessDeniedError answers {denied.code}: {denied.message}"
    original = TokenResponse.assume_role

    def caller_of(response):
        """The caller of a request: its account, ARN and kind (a session moto issued, an IAM user, a key)."""
        access_key = response.get_access_key()
        backend = response.backend
        _, arn, account = backend.get_caller_identity(access_key, response.region)
        caller = {"account": account, "arn": arn, "kind": "key", "role_arn": None}
        session = backend.get_assumed_role_from_access_key(access_key)
        if session is not None:
            caller.update(kind="session", role_arn=session.role_arn)
        elif iam_backends[backend.account_id][response.partition].get_user_from_access_key_id(access_key):
            caller["kind"] = "user"
        return caller

    def role_at(role_arn):
        found = re.fullmatch(rf"arn:([^:]+):iam::{_ACCOUNT}:role/.+", role_arn)
        if not found:
            return None
        partition, account = found.groups()
        try:
            return iam_backends[account][partition].get_role_by_arn(role_arn)
        except Exception:  # noqa: BLE001 - no such role, or no such partition: not there
            return None

    def assume_role(self):
        role_arn = self._get_param("RoleArn")
        session_name = self._get_param("RoleSessionName")
        if not isinstance(role_arn, str) or len(session_name or "") > responses.MAX_ROLE_NAME_LENGTH:
            return original(self)  # moto's validation first
        caller = caller_of(self)
        role = role_at(role_arn)
        if role is None or not trusts(role.assume_role_policy_document, caller, self._get_param("ExternalId")):
            raise AccessDenied(caller["arn"], role_arn)
        return original(self)

    TokenResponse.assume_role = assume_role
    return None

"""Network ACL entry calls honour DryRun, and missing entries and ACLs get AWS's error codes.

moto's CreateNetworkAclEntry, ReplaceNetworkAclEntry and DeleteNetworkAclEntry ignore `DryRun`: a dry-run
writes the entry. And DeleteNetworkAclEntry of a rule number the ACL does not have ends in a StopIteration
(an HTTP 500 without a code) where EC2 answers `InvalidNetworkAclEntry.NotFound`. DescribeNetworkAcls of
an id that does not exist answers `InvalidRouteTableID.NotFound` where EC2 answers `InvalidNetworkAclID.NotFound`.

Patched: the three response methods first raise moto's own DryRunOperation error when DryRun is set (as its
other EC2 calls do), and the backend's delete raises InvalidNetworkAclEntry.NotFound for a missing entry, its describe
InvalidNetworkAclID.NotFound for a missing id.
The ACL must exist first either way (moto's InvalidNetworkAclID.NotFound, as EC2).

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
# Applied when moto first loads EC2 (the launcher defers it: the import costs ~2 s of CPU).
DEFER_UNTIL = "moto.ec2"
REQUIRES = (
    "moto.ec2.responses.network_acls.NetworkACLs.create_network_acl_entry",
    "moto.ec2.responses.network_acls.NetworkACLs.replace_network_acl_entry",
    "moto.ec2.responses.network_acls.NetworkACLs.delete_network_acl_entry",
    "moto.ec2.responses.network_acls.NetworkACLs.error_on_dryrun",
    "moto.ec2.models.network_acls.NetworkAclBackend.delete_network_acl_entry",
    "moto.ec2.models.network_acls.NetworkAclBackend.get_network_acl",
    "moto.ec2.models.network_acls.NetworkAclBackend.describe_network_acls",
    "moto.ec2.exceptions.EC2ClientError",
    "moto.ec2.exceptions.InvalidNetworkAclIdError",
)


def apply():
    from moto.ec2.exceptions import EC2ClientError, InvalidNetworkAclIdError
    from moto.ec2.models.network_acls import NetworkAclBackend
    from moto.ec2.responses.network_acls import NetworkACLs

    class InvalidNetworkAclEntryNotFound(EC2ClientError):
        def __init__(self, rule_number):
            super().__init__(
                "InvalidNetworkAclEntry.NotFound",
                f"The network ACL entry identified by {rule_number} could not be found.",
            )

    def dry_run_first(original):
        def method(self):
            self.error_on_dryrun()
            return original(self)

        method.__name__ = original.__name__
        method.__doc__ = original.__doc__
        return method

    for name in ("create_network_acl_entry", "replace_network_acl_entry", "delete_network_acl_entry"):
        setattr(NetworkACLs, name, dry_run_first(getattr(NetworkACLs, name)))

    original_delete = NetworkAclBackend.delete_network_acl_entry

    def delete_network_acl_entry(self, network_acl_id, rule_number, egress):
        acl = self.get_network_acl(network_acl_id)
        if not any(e.egress == egress and e.rule_number == rule_number for e in acl.network_acl_entries):
            raise InvalidNetworkAclEntryNotFound(rule_number)
        return original_delete(self, network_acl_id, rule_number, egress)

    original_describe = NetworkAclBackend.describe_network_acls

    def describe_network_acls(self, network_acl_ids=None, filters=None):
        for acl_id in network_acl_ids or []:
            if acl_id not in self.network_acls:
                raise InvalidNetworkAclIdError(acl_id)
        return original_describe(self, network_acl_ids, filters)

    NetworkAclBackend.delete_network_acl_entry = delete_network_acl_entry
    NetworkAclBackend.describe_network_acls = describe_network_acls
    return None

"""DescribeVpnConnections reports the tunnels of an available VPN connection (VgwTelemetry), UP unless a tag says not.

moto's VPN connections have no VgwTelemetry: DescribeVpnConnections of an available connection (on a virtual
private gateway or a transit gateway) answers no tunnels at all, where EC2 always reports two, each UP or DOWN.
A reflex that watches tunnel status (route failover) sees neither a healthy connection nor a failed one in the
local mode, and moto has no tunnels to bring down.

Patched: a connection in state `available` reports two tunnels, as EC2's VgwTelemetry shape: OutsideIpAddress
(documentation addresses fixed per connection, 203.0.113.x and 198.51.100.x; moto models no tunnel addresses),
Status `UP` or `DOWN`, StatusMessage `IPSEC IS UP` or `IPSEC IS DOWN`, LastStatusChange (the connection's creation,
then the time a describe first saw the tunnel's status change: the first describe takes the status as it
finds it, since creation), AcceptedRouteCount 0 (moto has no BGP). Other
states report none, as before.

Local only, no AWS API: the tag `reflex:local-tunnels-up` on the connection, "0", "1" or "2", says how many
tunnels are UP, the first ones (no tag, or any other value: both). CreateTags / DeleteTags bring tunnels down and
up for tests and demos; EC2 decides this from the tunnels themselves and knows no such tag.

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
# Applied when moto first loads EC2 (the launcher defers it: the import costs ~2 s of CPU).
DEFER_UNTIL = "moto.ec2"
REQUIRES = (
    "moto.ec2.models.vpn_connections.VPNConnection.__init__",
    "moto.ec2.models.vpn_connections.VPNConnection.get_tags",
    "moto.core.utils.utcnow",
)

# The tag that says how many of a connection's two tunnels are UP. Local only: EC2 knows no such tag.
TAG = "reflex:local-tunnels-up"


def apply():
    import hashlib

    from moto.core.utils import utcnow
    from moto.ec2.models.vpn_connections import VPNConnection

    if "vgw_telemetry" in dir(VPNConnection) or "VgwTelemetry" in dir(VPNConnection):
        return "moto.ec2.models.vpn_connections.VPNConnection has a vgw_telemetry of its own"
    if not {"id", "state"} <= set(VPNConnection.__init__.__code__.co_names):
        return "moto.ec2.models.vpn_connections.VPNConnection.__init__ sets no id or state"

    original_init = VPNConnection.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self._reflex_created = utcnow()

    def tunnels_up(self):
        for tag in self.get_tags():
            if tag.get("key") == TAG and str(tag.get("value")).strip() in ("0", "1", "2"):
                return int(str(tag["value"]).strip())
        return 2

    def outside_addresses(self):
        host = 1 + int(hashlib.sha256(self.id.encode()).hexdigest(), 16) % 254
        return (f"203.0.113.{host}", f"198.51.100.{host}")

    def vgw_telemetry(self):
        if self.state != "available":
            return None
        up = tunnels_up(self)
        statuses = ["UP" if i < up else "DOWN" for i in range(2)]
        since = self.__dict__.setdefault("_reflex_created", utcnow())
        # Each tunnel's status when last described and since when; the first describe: as created.
        last = self.__dict__.setdefault("_reflex_tunnels", [(status, since) for status in statuses])
        now = None
        telemetry = []
        for i, (address, status) in enumerate(zip(outside_addresses(self), statuses)):
            if last[i][0] != status:
                now = now or utcnow()
                last[i] = (status, now)
            telemetry.append({
                "AcceptedRouteCount": 0,
                "LastStatusChange": last[i][1],
                "OutsideIpAddress": address,
                "Status": status,
                "StatusMessage": f"IPSEC IS {status}",
            })
        return telemetry

    VPNConnection.__init__ = __init__
    VPNConnection.vgw_telemetry = property(vgw_telemetry)
    return None

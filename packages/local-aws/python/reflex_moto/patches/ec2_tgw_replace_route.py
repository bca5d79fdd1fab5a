"""ReplaceTransitGatewayRoute, which moto does not implement.

EC2's ReplaceTransitGatewayRoute points an existing static route of a Transit Gateway route table at another
attachment (or makes it a blackhole) in one call, so that the destination is never without a route. moto 5.2.1
has no such action: the call ends in an HTTP 500 (`replace_transit_gateway_route` is not a method of its
TransitGatewayRouteTable responses), and tools that repoint routes cannot be tested against it.

Patched: a response method and a backend method. The backend raises InvalidRouteTableID.NotFound for a table
that does not exist and InvalidRoute.NotFound ("Route … does not exists in Transit Gateway Route Table …", EC2's
words) for a destination without a static route; otherwise it rewrites the route in place with the new
attachment as a one-item list (as the `ec2_routes` patch stores created routes). `DryRun` raises DryRunOperation
first, as moto's other EC2 calls do.

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
# Applied when moto first loads EC2 (the launcher defers it: the import costs ~2 s of CPU).
DEFER_UNTIL = "moto.ec2"
REQUIRES = (
    "moto.ec2.responses.transit_gateway_route_tables.TransitGatewayRouteTable.error_on_dryrun",
    "moto.ec2.responses.transit_gateway_route_tables.TransitGatewayRouteTable.create_transit_gateway_route",
    "moto.ec2.models.transit_gateway_route_tables.TransitGatewayRouteTableBackend",
    "moto.ec2.exceptions.EC2ClientError",
    "moto.ec2.exceptions.InvalidRouteTableIdError",
    "moto.core.responses.ActionResult",
)


def apply():
    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import EC2ClientError, InvalidRouteTableIdError
    from moto.ec2.models.transit_gateway_route_tables import TransitGatewayRouteTableBackend
    from moto.ec2.responses.transit_gateway_route_tables import TransitGatewayRouteTable

    if hasattr(TransitGatewayRouteTable, "replace_transit_gateway_route"):
        return "moto implements ReplaceTransitGatewayRoute itself"

    class RouteNotFound(EC2ClientError):
        def __init__(self, cidr, table_id):
            super().__init__("InvalidRoute.NotFound", f"Route {cidr} does not exists in Transit Gateway Route Table {table_id}.")

    def replace_in_backend(self, transit_gateway_route_table_id, destination_cidr_block, transit_gateway_attachment_id=None, blackhole=False):
        table = self.transit_gateways_route_tables.get(transit_gateway_route_table_id)
        if table is None:
            raise InvalidRouteTableIdError(transit_gateway_route_table_id)
        route = table.routes.get(destination_cidr_block)
        if route is None or route.get("type") != "static":
            raise RouteNotFound(destination_cidr_block, transit_gateway_route_table_id)
        route["state"] = "blackhole" if blackhole else "active"
        route.pop("transitGatewayAttachments", None)
        attachment = self.transit_gateway_attachments.get(transit_gateway_attachment_id) if transit_gateway_attachment_id else None
        if attachment is not None:
            route["transitGatewayAttachments"] = [
                {
                    "resourceId": attachment.resource_id,
                    "resourceType": attachment.resource_type,
                    "transitGatewayAttachmentId": transit_gateway_attachment_id,
                }
            ]
        return route

    def replace_transit_gateway_route(self):
        self.error_on_dryrun()
        route = self.ec2_backend.replace_transit_gateway_route(
            transit_gateway_route_table_id=self._get_param("TransitGatewayRouteTableId"),
            destination_cidr_block=self._get_param("DestinationCidrBlock"),
            transit_gateway_attachment_id=self._get_param("TransitGatewayAttachmentId"),
            blackhole=str(self._get_param("Blackhole")).lower() == "true",
        )
        return ActionResult({"route": route})

    TransitGatewayRouteTableBackend.replace_transit_gateway_route = replace_in_backend
    TransitGatewayRouteTable.replace_transit_gateway_route = replace_transit_gateway_route
    return None

"""Route calls honour DryRun; transit gateway routes keep their attachment and get EC2's answers for conflicts.

moto's CreateRoute, DeleteRoute, CreateTransitGatewayRoute and DeleteTransitGatewayRoute ignore `DryRun`: a
dry-run writes or deletes the route. CreateTransitGatewayRoute keeps the route's attachment as one mapping
where its serializer expects a list, so every transit gateway route reads `TransitGatewayAttachments: []`:
what a route points at is lost. It also replaces a static route the table has for that destination, where EC2
answers `RouteAlreadyExists` ("Route 10.0.0.0/16 already exists in Transit Gateway Route Table tgw-rtb-…").
DeleteTransitGatewayRoute of a destination the table has no route for, and both calls on a table that does
not exist, end in a KeyError (an HTTP 500 without a code), where EC2 answers `InvalidRoute.NotFound` ("Route
10.0.0.0/16 does not exists in Transit Gateway Route Table tgw-rtb-…", sic) and
`InvalidRouteTableID.NotFound`.

Patched: the four response methods first raise moto's own DryRunOperation error when DryRun is set (as its
other EC2 calls do); the backend's transit gateway route create raises InvalidRouteTableID.NotFound for a
missing table and RouteAlreadyExists for a destination with a static route, and stores the attachment as a
one-item list; its delete raises InvalidRouteTableID.NotFound and InvalidRoute.NotFound.
Not changed: moto makes no propagated routes (enabling a propagation records it, no more), and its
SearchTransitGatewayRoutes ignores the `route-search.subnet-of-match` filter (it answers every route).

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
# Applied when moto first loads EC2 (the launcher defers it: the import costs ~2 s of CPU).
DEFER_UNTIL = "moto.ec2"
REQUIRES = (
    "moto.ec2.responses.route_tables.RouteTables.create_route",
    "moto.ec2.responses.route_tables.RouteTables.delete_route",
    "moto.ec2.responses.route_tables.RouteTables.error_on_dryrun",
    "moto.ec2.responses.transit_gateway_route_tables.TransitGatewayRouteTable.create_transit_gateway_route",
    "moto.ec2.responses.transit_gateway_route_tables.TransitGatewayRouteTable.delete_transit_gateway_route",
    "moto.ec2.responses.transit_gateway_route_tables.TransitGatewayRouteTable.error_on_dryrun",
    "moto.ec2.models.transit_gateway_route_tables.TransitGatewayRouteTableBackend.create_transit_gateway_route",
    "moto.ec2.models.transit_gateway_route_tables.TransitGatewayRouteTableBackend.delete_transit_gateway_route",
    "moto.ec2.exceptions.EC2ClientError",
    "moto.ec2.exceptions.InvalidRouteTableIdError",
)


def apply():
    from moto.ec2.exceptions import EC2ClientError, InvalidRouteTableIdError
    from moto.ec2.models.transit_gateway_route_tables import TransitGatewayRouteTableBackend
    from moto.ec2.responses.route_tables import RouteTables
    from moto.ec2.responses.transit_gateway_route_tables import TransitGatewayRouteTable

    class RouteAlreadyExists(EC2ClientError):
        def __init__(self, cidr, table_id):
            super().__init__("RouteAlreadyExists", f"Route {cidr} already exists in Transit Gateway Route Table {table_id}.")

    class RouteNotFound(EC2ClientError):
        def __init__(self, cidr, table_id):
            super().__init__("InvalidRoute.NotFound", f"Route {cidr} does not exists in Transit Gateway Route Table {table_id}.")

    def dry_run_first(original):
        def method(self):
            self.error_on_dryrun()
            return original(self)

        method.__name__ = original.__name__
        method.__doc__ = original.__doc__
        return method

    def table_of(backend, table_id):
        table = backend.transit_gateways_route_tables.get(table_id)
        if table is None:
            raise InvalidRouteTableIdError(table_id)
        return table

    original_create = TransitGatewayRouteTableBackend.create_transit_gateway_route
    original_delete = TransitGatewayRouteTableBackend.delete_transit_gateway_route

    def create_transit_gateway_route(self, transit_gateway_route_table_id, destination_cidr_block, transit_gateway_attachment_id=None, blackhole=False):
        existing = table_of(self, transit_gateway_route_table_id).routes.get(destination_cidr_block)
        if existing is not None and existing.get("type") == "static":
            raise RouteAlreadyExists(destination_cidr_block, transit_gateway_route_table_id)
        route = original_create(self, transit_gateway_route_table_id, destination_cidr_block, transit_gateway_attachment_id, blackhole)
        if isinstance(route.get("transitGatewayAttachments"), dict):
            route["transitGatewayAttachments"] = [route["transitGatewayAttachments"]]
        return route

    def delete_transit_gateway_route(self, transit_gateway_route_table_id, destination_cidr_block):
        if destination_cidr_block not in table_of(self, transit_gateway_route_table_id).routes:
            raise RouteNotFound(destination_cidr_block, transit_gateway_route_table_id)
        return original_delete(self, transit_gateway_route_table_id, destination_cidr_block)

    for cls, names in ((RouteTables, ("create_route", "delete_route")), (TransitGatewayRouteTable, ("create_transit_gateway_route", "delete_transit_gateway_route"))):
        for name in names:
            setattr(cls, name, dry_run_first(getattr(cls, name)))
    TransitGatewayRouteTableBackend.create_transit_gateway_route = create_transit_gateway_route
    TransitGatewayRouteTableBackend.delete_transit_gateway_route = delete_transit_gateway_route
    return None

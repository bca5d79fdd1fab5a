"""A transit gateway route table lists the routes its VPC attachments propagate, and filters routes as EC2 does.

moto records EnableTransitGatewayRouteTablePropagation (GetTransitGatewayRouteTablePropagations lists it) but
propagates no route: SearchTransitGatewayRoutes of a route table with a VPC attachment associated and
propagating answers no routes, where EC2 lists the VPC's CIDR blocks as routes of type `propagated`. moto's
SearchTransitGatewayRoutes filters only on `type`, `state` and `route-search.exact-match` (any other filter is
ignored: every route matches it), its MaxResults ends in a TypeError (an HTTP 500), and it answers a static
route's attachment as an empty TransitGatewayAttachments. A reflex that reads a transit gateway's routes (route
failover) finds nothing to read in the local mode.

Patched, SearchTransitGatewayRoutes:
- lists, besides the static routes, a propagated route for each associated IPv4 CIDR block (and IPv6 ones when
  the attachment has Ipv6Support enabled) of each VPC whose attachment propagates to the table and is there:
  Type `propagated`, State `active`, TransitGatewayAttachments [{TransitGatewayAttachmentId, ResourceId (the
  VPC), ResourceType `vpc`}]. Computed when asked, from moto's propagations and the VPC's CIDR blocks, so
  DisableTransitGatewayRouteTablePropagation, deleting the attachment or associating a CIDR block with the VPC
  show at once. Other attachment types propagate nothing (moto has no BGP), and nothing propagates to the
  default propagation route table by itself (moto enables no propagation there);
- lists one route per destination, as EC2 does: a static route and a propagated one for the same CIDR are
  listed once, as the static route (static routes take precedence over propagated ones); delete the static
  route and the propagated one is listed again. Two VPCs propagating the same CIDR: the first one enabled.
  Static routes stay moto's (`routes` of the table), so CreateTransitGatewayRoute for a destination that only
  has a propagated route succeeds and DeleteTransitGatewayRoute removes only the static route;
- filters, ANDed across names and ORed across values, on `type`, `state`, `prefix-list-id`,
  `attachment.transit-gateway-attachment-id`, `attachment.resource-id`, `attachment.resource-type`,
  `route-search.exact-match` (the same network), `route-search.subnet-of-match` (routes whose destination lies
  within the given CIDR, the CIDR itself included), `route-search.supernet-of-match` (routes whose destination
  contains the given CIDR, itself included) and `route-search.longest-prefix-match` (of the routes the other
  filters leave, those with the longest prefix containing the given CIDR); other names are ignored, as moto does;
- orders routes by destination (IPv4 first, then address, then prefix length); MaxResults keeps the first ones
  and sets AdditionalRoutesAvailable when it left some out;
- answers a static route's attachment as a one-item TransitGatewayAttachments (the stored mapping becomes a
  list, as ec2_routes stores new ones).

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
# Applied when moto first loads EC2 (the launcher defers it: the import costs ~2 s of CPU).
DEFER_UNTIL = "moto.ec2"
REQUIRES = (
    "moto.ec2.models.transit_gateway_route_tables.TransitGatewayRouteTable",
    "moto.ec2.models.transit_gateway_route_tables.TransitGatewayRouteTableBackend.search_transit_gateway_routes",
    "moto.ec2.models.transit_gateway_attachments.TransitGatewayAttachmentBackend",
    "moto.ec2.models.vpcs.VPC.get_cidr_block_association_set",
    "moto.ec2.models.vpcs.VPCBackend",
    "moto.ec2.responses.transit_gateway_route_tables.TransitGatewayRouteTable.search_transit_gateway_routes",
    "moto.ec2.responses._base_response.EC2BaseResponse._filters_from_querystring",
    "moto.core.responses.ActionResult",
)


def apply():
    import inspect
    import ipaddress

    from moto.core.responses import ActionResult
    from moto.ec2.models.transit_gateway_attachments import TransitGatewayAttachmentBackend
    from moto.ec2.models.transit_gateway_route_tables import TransitGatewayRouteTable, TransitGatewayRouteTableBackend
    from moto.ec2.models.vpcs import VPCBackend
    from moto.ec2.responses.transit_gateway_route_tables import TransitGatewayRouteTable as Responses

    # What this reads: attributes that moto's constructors set; the backend method it replaces takes the same parameters.
    stored = (
        (TransitGatewayRouteTable, ("routes", "route_table_propagation")),
        (TransitGatewayAttachmentBackend, ("transit_gateway_attachments",)),
        (VPCBackend, ("vpcs",)),
    )
    for cls, names in stored:
        missing = [n for n in names if n not in cls.__init__.__code__.co_names]
        if missing:
            return f"{cls.__module__}.{cls.__name__}.__init__ sets no {', '.join(missing)}"
    backend = TransitGatewayRouteTableBackend
    parameters = ["self", "transit_gateway_route_table_id", "filters", "max_results"]
    found = list(inspect.signature(backend.search_transit_gateway_routes).parameters)
    if found != parameters:
        return f"{backend.__module__}.{backend.__name__}.search_transit_gateway_routes takes {found}, not {parameters}"

    def network(cidr):
        try:
            return ipaddress.ip_network(str(cidr).strip(), strict=False)
        except ValueError:
            return None

    def attachment_list(route):
        # moto stores a static route's attachment as one dict; EC2's shape is a list.
        attachments = route.get("transitGatewayAttachments")
        if isinstance(attachments, dict):
            route["transitGatewayAttachments"] = [attachments]
        return route

    def propagated_routes(self, table):
        routes, seen = {}, set()
        for propagation in table.route_table_propagation:
            attachment_id = propagation.transitGatewayAttachmentId
            if attachment_id in seen:
                continue
            seen.add(attachment_id)
            attachment = self.transit_gateway_attachments.get(attachment_id)
            if attachment is None or attachment.resource_type != "vpc" or attachment.state != "available":
                continue
            vpc = self.vpcs.get(attachment.resource_id)
            if vpc is None:
                continue
            blocks = vpc.get_cidr_block_association_set(ipv6=False)
            if (getattr(attachment, "options", None) or {}).get("Ipv6Support") == "enable":
                blocks = blocks + vpc.get_cidr_block_association_set(ipv6=True)
            for block in blocks:
                if (block.get("cidr_block_state") or {}).get("state") != "associated":
                    continue
                cidr = block["cidr_block"]
                routes.setdefault(cidr, {
                    "destinationCidrBlock": cidr,
                    "prefixListId": None,
                    "state": "active",
                    "type": "propagated",
                    "transitGatewayAttachments": [{
                        "resourceId": attachment.resource_id,
                        "resourceType": attachment.resource_type,
                        "transitGatewayAttachmentId": attachment_id,
                    }],
                })
        return routes

    def values_of(filters, name):
        values = (filters or {}).get(name)
        if values is None:
            return None
        return [values] if isinstance(values, str) else list(values)

    def matches(route, filters):
        destination = network(route.get("destinationCidrBlock"))
        attachments = route.get("transitGatewayAttachments") or []
        for name, field in (("type", "type"), ("state", "state"), ("prefix-list-id", "prefixListId")):
            values = values_of(filters, name)
            if values is not None and route.get(field) not in values:
                return False
        for name, field in (("attachment.transit-gateway-attachment-id", "transitGatewayAttachmentId"),
                            ("attachment.resource-id", "resourceId"),
                            ("attachment.resource-type", "resourceType")):
            values = values_of(filters, name)
            if values is not None and not any(a.get(field) in values for a in attachments):
                return False
        relations = (
            ("route-search.exact-match", lambda d, n: d == n),
            ("route-search.subnet-of-match", lambda d, n: d.subnet_of(n)),
            ("route-search.supernet-of-match", lambda d, n: d.supernet_of(n)),
        )
        for name, related in relations:
            values = values_of(filters, name)
            if values is None:
                continue
            wanted = [n for n in map(network, values) if n is not None]
            if destination is None or not any(n.version == destination.version and related(destination, n) for n in wanted):
                return False
        return True

    def longest_prefix(routes, values):
        keep = set()
        for wanted in filter(None, map(network, values)):
            covering = [
                (i, d) for i, d in ((i, network(r.get("destinationCidrBlock"))) for i, r in enumerate(routes))
                if d is not None and d.version == wanted.version and wanted.subnet_of(d)
            ]
            if covering:
                longest = max(d.prefixlen for _, d in covering)
                keep.update(i for i, d in covering if d.prefixlen == longest)
        return [r for i, r in enumerate(routes) if i in keep]

    def order(route):
        destination = network(route.get("destinationCidrBlock"))
        if destination is None:
            return (2, 0, 0, str(route.get("destinationCidrBlock")))
        return (destination.version, int(destination.network_address), destination.prefixlen, "")

    def search_transit_gateway_routes(self, transit_gateway_route_table_id, filters, max_results=None):
        table = self.transit_gateways_route_tables.get(transit_gateway_route_table_id)
        if not table:
            return []  # moto's answer
        routes = propagated_routes(self, table)
        for cidr, route in table.routes.items():
            routes[cidr] = attachment_list(route)  # static routes take precedence over propagated ones
        found = sorted((r for r in routes.values() if matches(r, filters)), key=order)
        values = values_of(filters, "route-search.longest-prefix-match")
        if values is not None:
            found = longest_prefix(found, values)
        if max_results:
            found = found[: int(max_results)]
        return found

    def search_response(self):
        max_results = self._get_param("MaxResults")
        routes = self.ec2_backend.search_transit_gateway_routes(
            transit_gateway_route_table_id=self._get_param("TransitGatewayRouteTableId"),
            filters=self._filters_from_querystring(),
        )
        shown = routes[: int(max_results)] if max_results else routes
        return ActionResult({"routeSet": shown, "additionalRoutesAvailable": len(shown) < len(routes)})

    search_response.__name__ = "search_transit_gateway_routes"
    backend.search_transit_gateway_routes = search_transit_gateway_routes
    Responses.search_transit_gateway_routes = search_response
    return None

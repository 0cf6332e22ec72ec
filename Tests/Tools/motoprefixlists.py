#!/usr/bin/env python3
"""Run moto_server with routes to managed prefix lists completed.

Usage: motoprefixlists.py [moto_server arguments...]   (e.g. -H 127.0.0.1 -p 5055)

moto 5.2.1 creates a route with DestinationPrefixListId and a NetworkInterfaceId, but its
create_route looks the prefix list up only in the branch taken when no interface is given. The
route is then stored with no destination, under an id ending in "~None", so:
  * DescribeRouteTables shows it with no destination field at all,
  * ReplaceRoute fails with InvalidParameterValue ("There is no route defined for 'pl-...'"),
  * DeleteRoute fails with InvalidRoute.NotFound.
This wrapper adds exactly one behaviour before starting the server: when CreateRoute names a prefix
list, the route keeps that list as its destination and is keyed under its id, as moto keys every
other route. Describe, Replace and Delete then work for it unchanged. Nothing else differs from
plain moto_server (prefix lists themselves, version checks included, are moto's own).

Only the suites that need routes to prefix lists start moto this way; the rest use plain moto.
"""
import sys

from moto.ec2.models.route_tables import RouteBackend
from moto.ec2.utils import generate_route_id

_original_create_route = RouteBackend.create_route


def _create_route(self, route_table_id, destination_cidr_block, *args, **kwargs):
    destination_prefix_list_id = kwargs.get("destination_prefix_list_id")
    if destination_prefix_list_id is None and len(args) >= 2:
        destination_prefix_list_id = args[1]
    route = _original_create_route(self, route_table_id, destination_cidr_block, *args, **kwargs)
    if destination_prefix_list_id and route.destination_prefix_list is None:
        table = self.get_route_table(route_table_id)
        table._routes.pop(route.id, None)
        route.destination_prefix_list = self.managed_prefix_lists.get(destination_prefix_list_id)
        route.id = generate_route_id(table.id, None, None, destination_prefix_list_id)
        table._routes[route.id] = route
    return route


RouteBackend.create_route = _create_route

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main(sys.argv[1:]))

"""TCP_NODELAY on the connections of werkzeug's development server, which moto runs.

werkzeug sends a response in two writes, its status line and headers, then its body. On a connection kept
open (http_keep_alive), Nagle's algorithm holds the body back until the client has acknowledged the headers,
and the client delays that acknowledgement (40 ms on Linux): about half of all requests answered in ~45 ms
instead of ~5 ms (DynamoDB PutItem, UpdateItem, DeleteItem; EC2 DescribeNetworkAcls, DescribeVpcs…).

Patched: werkzeug's request handler sets `disable_nagle_algorithm`, which socketserver's
StreamRequestHandler.setup() reads to set TCP_NODELAY on each accepted connection. Same responses, same bytes.

Written for werkzeug 3.1.8 (under moto 5.2.1).
"""

WRITTEN_FOR = "werkzeug 3.1.8"
REQUIRES = (
    "werkzeug.serving.WSGIRequestHandler",
    "socketserver.StreamRequestHandler.disable_nagle_algorithm",
    "socketserver.StreamRequestHandler.setup",
)


def apply():
    import socketserver

    from werkzeug.serving import WSGIRequestHandler

    # The flag only counts if StreamRequestHandler.setup() is the one that runs.
    setup_owner = next(c for c in WSGIRequestHandler.__mro__ if "setup" in c.__dict__)
    if setup_owner is not socketserver.StreamRequestHandler:
        return f"{setup_owner.__module__}.{setup_owner.__qualname__} sets up connections, not socketserver.StreamRequestHandler"

    WSGIRequestHandler.disable_nagle_algorithm = True
    return None

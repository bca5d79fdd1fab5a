"""HTTP/1.1 keep-alive in werkzeug's development server, which moto runs.

werkzeug 3 sends `Connection: close` with every response (Python's http.server cannot skip a body the app
left unread before the next request line): each request costs a new TCP connection and server thread, and
the client (the AWS SDK's keep-alive agent, Terraform) a new socket.

Patched: an HTTP/1.1 request whose body has a Content-Length (or none) has that body read whole before the app
runs, werkzeug's after-response drain of the socket is skipped for it, and its connection stays open for the
next request (werkzeug already gives HTTP/1.1 responses a Content-Length or chunks them). A chunked request
body, an HTTP/1.0 client or the client's `Connection: close` closes as before. Same responses.

Written for werkzeug 3.1.8 (under moto 5.2.1).
"""

WRITTEN_FOR = "werkzeug 3.1.8"
REQUIRES = (
    "werkzeug.serving.selectors",
    "werkzeug.serving.WSGIRequestHandler.make_environ",
    "werkzeug.serving.WSGIRequestHandler.send_header",
)


def apply():
    import io
    import selectors
    import threading

    import werkzeug.serving as serving
    from werkzeug.serving import WSGIRequestHandler

    original_make_environ = WSGIRequestHandler.make_environ
    original_send_header = WSGIRequestHandler.send_header
    if serving.selectors is not selectors:
        return "werkzeug.serving does not drain request bodies through the selectors module"

    # After each response werkzeug reads whatever the client sent meanwhile and throws it away: on a kept
    # connection that would be the next request. Its body read whole already, a kept request skips that.
    current = threading.local()

    class NothingToDrain:
        def register(self, *args, **kwargs):
            return None

        def select(self, timeout=None):
            return []

        def close(self):
            return None

    class Selectors:
        def __getattr__(self, name):
            return getattr(selectors, name)

        def DefaultSelector(self):  # noqa: N802 - the name werkzeug calls
            return NothingToDrain() if getattr(current, "keep_alive", False) else selectors.DefaultSelector()

    def make_environ(self):
        environ = original_make_environ(self)
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        length = self.headers.get("Content-Length")
        self.reflex_keep_alive = (
            self.request_version == "HTTP/1.1"
            and not self.close_connection
            and not chunked
            and (length is None or length.isdigit())
        )
        current.keep_alive = self.reflex_keep_alive
        if self.reflex_keep_alive and length:
            # The whole body, read here: the next request starts right after it, whatever the app reads.
            environ["wsgi.input"] = io.BytesIO(self.rfile.read(int(length)))
        return environ

    def send_header(self, keyword, value):
        if keyword.lower() == "connection" and value.lower() == "close" and getattr(self, "reflex_keep_alive", False):
            return
        original_send_header(self, keyword, value)

    serving.selectors = Selectors()
    WSGIRequestHandler.make_environ = make_environ
    WSGIRequestHandler.send_header = send_header
    return None

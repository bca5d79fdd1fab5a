"""moto's dispatcher remembers which backend serves a host.

For every request `DomainDispatcherApplication.get_backend_for_host` calls
`moto.backends.list_of_moto_modules()`, which lists moto's package directory and stats its ~180 entries,
then tries the backends' URL patterns one by one (SQS is the 158th): over a millisecond of CPU per request,
under the dispatcher's global lock.

Patched: each host's backend is remembered. Same answers: they depend only on the host, the installed moto
and its URL patterns, none of which change while the server runs. A host no backend serves is asked about
again each time (and moto prints its hint as before).

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = ("moto.moto_server.werkzeug_app.DomainDispatcherApplication.get_backend_for_host",)


def apply():
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.get_backend_for_host

    def get_backend_for_host(self, host):
        found = self.__dict__.setdefault("_backend_for_host", {})
        backend = found.get(host)
        if backend is None:
            backend = original(self, host)
            if backend:  # a miss (None) asks moto again next time, and prints what it prints
                found[host] = backend
        return backend

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host
    return None

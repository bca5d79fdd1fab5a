"""A moto server factory for a test run: imports moto, its services and Reflex's patches once, then forks a
fresh server for each test that asks, so that no test pays moto's imports (~3-5 s of CPU, EC2's alone ~2.8 s).

    python moto_zygote.py /tmp/reflex-moto.sock

scripts/src/test-all.ts starts one per `pnpm test` (REFLEX_MOTO_ZYGOTE names its socket) and startMoto() in
../src/moto.ts uses it when it is there. A client connects, sends the port as one line and reads the server's
pid as one line; the forked server is a moto server like moto_server_fast.py's (same patches, empty state),
and exits when the client's connection closes (the test process ended or stopped it) or on SIGTERM. The
factory exits when its standard input closes (REFLEX_MOTO_EXIT_WITH_PARENT=1): with the test run.
"""

import importlib
import os
import signal
import socket
import sys
import threading

# The services Reflex's tests use: imported once here, inherited by every fork.
SERVICES = ("ec2", "sqs", "events", "dynamodb", "s3", "iam", "sts", "logs", "cloudwatch", "sns", "apigatewayv2")


def serve_forked(conn, port):
    """In the forked child: serve on `port` until the client's connection closes."""

    def watch():
        try:
            while conn.recv(4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, name="exit-with-client", daemon=True).start()
    # Nobody reads the factory's output after "ready": the server's request lines would fill the pipe.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    from moto.server import main

    main(["-H", "127.0.0.1", "-p", str(port)])
    os._exit(0)


def main(path):
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    sys.dont_write_bytecode = True
    from reflex_moto import apply_patches
    from reflex_moto.exit_with_parent import exit_with_parent

    exit_with_parent()
    apply_patches()
    import moto.server  # noqa: F401 (werkzeug, flask)

    for service in SERVICES:
        for part in ("models", "responses", "urls"):
            try:
                importlib.import_module(f"moto.{service}.{part}")
            except ImportError:
                pass
    # The default account's backends in the default Region, created as a first request would (EC2 loads its
    # AMIs and instance types, makes the default VPC): every fork starts from that state, as a new server would.
    from moto.backends import get_backend

    for service in SERVICES:
        try:
            get_backend(service)["123456789012"]["us-east-1"]
        except Exception:  # noqa: BLE001 (a service without that backend is left to the first request)
            pass
    # Forked servers are reaped by the kernel: the factory never waits for them.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        line = b""
        while not line.endswith(b"\n"):
            chunk = conn.recv(64)
            if not chunk:
                break
            line += chunk
        try:
            port = int(line.strip())
        except ValueError:
            conn.close()
            continue
        pid = os.fork()
        if pid == 0:
            listener.close()
            serve_forked(conn, port)
        conn.sendall(f"{pid}\n".encode())
        conn.close()


if __name__ == "__main__":
    main(sys.argv[1])

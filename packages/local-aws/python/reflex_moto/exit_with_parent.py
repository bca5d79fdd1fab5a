"""Ends the server with the process that started it (REFLEX_MOTO_EXIT_WITH_PARENT=1).

startMoto() keeps the server's standard input open as a pipe and never writes to it: the pipe closes when
that process ends, however it ends (SIGKILL, a crash), and the server then exits too.
"""

import os
import sys
import threading


def exit_with_parent():
    """With REFLEX_MOTO_EXIT_WITH_PARENT=1, exits when standard input closes. Returns the watching thread, or None."""
    if os.environ.get("REFLEX_MOTO_EXIT_WITH_PARENT") != "1":
        return None

    def watch():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            os._exit(0)

    thread = threading.Thread(target=watch, name="exit-with-parent", daemon=True)
    thread.start()
    return thread

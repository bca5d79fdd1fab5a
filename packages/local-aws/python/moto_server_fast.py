"""moto_server with a cheap clock: a drop-in for `moto_server`, same arguments.

    python moto_server_fast.py -H 127.0.0.1 -p 5000

startMoto() in ../src/moto.ts runs this file with the Python that has moto installed
(set REFLEX_MOTO_PLAIN=1 to run the unpatched `moto_server` instead).

What it patches
---------------
`moto.core.utils.unix_time()` and `unix_time_millis()`, called without an argument, return "now" in
seconds / milliseconds since the epoch. moto computes that through datetime objects on every call:
`utcnow()` (`datetime.now(UTC).replace(tzinfo=None)`), `utcfromtimestamp(0)` and a timedelta.
Here, without an argument, they return `time.time()` (x 1000.0) instead; with an argument they still
call moto's original.

Modules that import the functions by name (`from moto.core.utils import unix_time`) hold their own
reference, so their namespaces are patched too:
  - moto.sqs.models (the hot path; imported here and checked, or nothing is patched),
  - moto.logs.models and moto.ec2.models.hosts (plain by-name imports as well, if already loaded).
moto loads its services lazily, on the first request to each, after this patch: any module imported
later that imports the functions by name binds the fast ones.

Why
---
moto's SQS reads the clock for every message of a queue on every receive (`Message.visible`,
`Message.delayed`), and `Queue.attributes` (read for every received message through
`is_message_valid_based_on_retention_period` -> `get_queue_attributes`) scans the queue three times.
Profiling the local mode's queues put ~80% of moto's CPU in these two functions; patched,
ReceiveMessage / DeleteMessageBatch run several times faster.

The values are the same: both read the system's real-time clock, the datetime path only rounds to
the microsecond. moto takes the datetime path so that Python tests can freeze its clock with
freezegun; the local mode runs moto as a standalone server and never freezes time.

Second, `SQSBackend.is_message_valid_based_on_retention_period` (called for every message a receive
hands out) reads the queue's MessageRetentionPeriod directly. moto's own asks get_queue_attributes for it,
which builds `Queue.attributes` three times, and each build counts the queue's delayed, hidden and visible
messages: a dozen scans of the whole queue per received message. Same answer: the retention period (an
int that `_set_attributes` keeps on the queue) plus the sent time, against the clock.

Best effort: when another moto version lacks these functions, does not import them by name in
moto.sqs.models, or they do not behave as expected, moto starts without that patch and one line on stderr says so.
"""

import sys
import time


def _fast_clock(original_unix_time):
    def unix_time(dt=None):
        return time.time() if dt is None else original_unix_time(dt)

    def unix_time_millis(dt=None):
        return time.time() * 1000.0 if dt is None else original_unix_time(dt) * 1000.0

    return unix_time, unix_time_millis


# Modules that import `unix_time` / `unix_time_millis` by name and matter to the local mode, beyond
# moto.sqs.models: patched only if already loaded (a later import binds the patched functions).
_OPTIONAL_MODULES = ("moto.logs.models", "moto.ec2.models.hosts")
_NAMES = ("unix_time", "unix_time_millis")


def patch_moto_clock():
    """Patches moto's clock; returns None, or why it left moto unpatched."""
    try:
        import moto.core.utils as utils
        import moto.sqs.models as sqs_models

        originals = {name: getattr(utils, name) for name in _NAMES}
        for name in _NAMES:
            if getattr(sqs_models, name) is not originals[name]:
                return f"moto.sqs.models.{name} is not moto.core.utils.{name}"
        fast = dict(zip(_NAMES, _fast_clock(originals["unix_time"])))
        # The same clock, or leave moto alone (e.g. a version where "now" means something else).
        if abs(fast["unix_time"]() - originals["unix_time"]()) > 1.0:
            return "moto.core.utils.unix_time() disagrees with time.time()"
        if abs(fast["unix_time_millis"]() - originals["unix_time_millis"]()) > 1000.0:
            return "moto.core.utils.unix_time_millis() disagrees with time.time()"
    except Exception as error:  # noqa: BLE001 - best effort: any surprise means "run moto as is"
        return f"{type(error).__name__}: {error}"

    modules = [utils, sqs_models] + [sys.modules[m] for m in _OPTIONAL_MODULES if m in sys.modules]
    for module in modules:
        for name in _NAMES:
            if getattr(module, name, None) is originals[name]:
                setattr(module, name, fast[name])
    return None


def patch_retention_check():
    """Lets receives check retention without building every queue attribute; returns None, or why not."""
    try:
        import moto.sqs.models as sqs_models

        backend = sqs_models.SQSBackend
        original = backend.is_message_valid_based_on_retention_period
    except Exception as error:  # noqa: BLE001 - best effort, as above
        return f"{type(error).__name__}: {error}"

    def is_message_valid_based_on_retention_period(self, queue_name, message):
        period = getattr(self.get_queue(queue_name), "message_retention_period", None)
        if not isinstance(period, int) or not isinstance(getattr(message, "sent_timestamp", None), (int, float)):
            return original(self, queue_name, message)
        return period + message.sent_timestamp / 1000 > sqs_models.unix_time()

    backend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period
    return None


if __name__ == "__main__":
    for patch in (patch_moto_clock, patch_retention_check):
        why_not = patch()
        if why_not is not None:
            print(f"moto_server_fast: starting moto without {patch.__name__} ({why_not})", file=sys.stderr, flush=True)
    from moto.server import main

    main(sys.argv[1:])

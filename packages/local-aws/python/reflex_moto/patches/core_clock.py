"""moto's "now" from time.time() instead of through datetime objects.

`moto.core.utils.unix_time()` and `unix_time_millis()` without an argument build `utcnow()`,
`utcfromtimestamp(0)` and a timedelta on every call, and moto's SQS reads the clock for every message of a
queue on every receive (`Message.visible`, `Message.delayed`) and more through `Queue.attributes`.

Patched: without an argument they return `time.time()` (x 1000.0); with one, moto's original. The same
real-time clock (the datetime path rounds to the microsecond); moto takes that path so that Python tests
can freeze it with freezegun, which a standalone server never does. Modules that import the functions by
name are patched too: moto.sqs.models (the hot path; required), and moto.logs.models and
moto.ec2.models.hosts if already loaded (modules loaded later import the patched functions).

Written for moto 5.2.1.
"""

import sys
import time

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = (
    "moto.core.utils.unix_time",
    "moto.core.utils.unix_time_millis",
    "moto.sqs.models.unix_time",
    "moto.sqs.models.unix_time_millis",
)

# Other modules that import the functions by name and matter to the local mode: patched if already loaded.
_OPTIONAL_MODULES = ("moto.logs.models", "moto.ec2.models.hosts")
_NAMES = ("unix_time", "unix_time_millis")


def _fast_clock(original_unix_time):
    def unix_time(dt=None):
        return time.time() if dt is None else original_unix_time(dt)

    def unix_time_millis(dt=None):
        return time.time() * 1000.0 if dt is None else original_unix_time(dt) * 1000.0

    return unix_time, unix_time_millis


def apply():
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

    modules = [utils, sqs_models] + [sys.modules[m] for m in _OPTIONAL_MODULES if m in sys.modules]
    for module in modules:
        for name in _NAMES:
            if getattr(module, name, None) is originals[name]:
                setattr(module, name, fast[name])
    return None

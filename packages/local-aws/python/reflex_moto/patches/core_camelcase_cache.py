"""moto's `camelcase_to_underscores` cached.

It costs ~15 us a call and runs once per request for the action's name and once per attribute each time
`Queue.attributes` is built (for every SQS message sent).

Patched: an LRU cache of 4,096 names in front of it; it is a pure function of its string, so the answers are
the same (checked on samples), and anything but a str goes to moto's. moto modules import it by name: every
one loaded so far that holds moto's function gets the cached one (moto.core.responses, moto.sqs.models);
modules loaded later import the cached one anyway.

Written for moto 5.2.1.
"""

import functools
import sys

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = ("moto.core.utils.camelcase_to_underscores",)

_SAMPLES = ("ApproximateNumberOfMessagesNotVisible", "ReceiveMessage", "SqsManagedSseEnabled", "KMSKey", "")


def apply():
    import moto.core.utils as utils

    original = utils.camelcase_to_underscores
    cached = functools.lru_cache(maxsize=4096)(original)
    for sample in _SAMPLES:
        if cached(sample) != original(sample):
            return f"camelcase_to_underscores({sample!r}) differs when cached"

    def camelcase_to_underscores(argument):
        return cached(argument) if type(argument) is str else original(argument)

    for name, module in list(sys.modules.items()):
        is_moto = name == "moto" or name.startswith("moto.")
        if is_moto and getattr(module, "camelcase_to_underscores", None) is original:
            module.camelcase_to_underscores = camelcase_to_underscores
    return None

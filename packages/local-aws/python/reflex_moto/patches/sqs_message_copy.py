"""Received SQS messages copied without deepcopy's generic machinery.

`receive_message` deep-copies every message it hands out, so that filtering the copy's message attributes
(MessageAttributeNames) leaves the stored message whole; `copy.deepcopy` dispatches on every attribute.

Patched: `deepcopy` in moto.sqs.models copies a Message the way deepcopy does for a class without copy hooks
(checked): a new instance through `Message.__new__` (so moto tracks the copy, as it does deepcopy's), the
values deepcopy returns as they are (str, numbers, None, bytes) shared, dicts and lists deep-copied with the
same memo. Anything else goes to `copy.deepcopy`. Same copy: equal, sharing nothing mutable with the message.

Written for moto 5.2.1.
"""

import copy
import copyreg

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = ("moto.sqs.models.deepcopy", "moto.sqs.models.Message")

_HOOKS = ("__deepcopy__", "__reduce_ex__", "__reduce__", "__getstate__", "__setstate__", "__slots__")


def apply():
    import moto.sqs.models as sqs_models

    message_class = sqs_models.Message
    if sqs_models.deepcopy is not copy.deepcopy:
        return "moto.sqs.models.deepcopy is not copy.deepcopy"
    # deepcopy(message) must be the default one: a new instance through cls.__new__(cls) whose __dict__ is a
    # deep copy of the message's; anything customising that is left to copy.deepcopy.
    custom = [name for name in _HOOKS if getattr(message_class, name, None) is not getattr(object, name, None)]
    if custom or message_class in copyreg.dispatch_table:
        return f"moto.sqs.models.Message customises copying ({', '.join(custom) or 'copyreg'})"

    deepcopy = copy.deepcopy
    immutable = (str, int, float, bool, type(None), bytes)

    def copy_message(message, memo):
        # What deepcopy does for such an object, minus its per-attribute dispatch: values deepcopy would
        # return as they are (immutable atoms) are shared, the rest (dicts, lists) deep-copied with the same memo.
        clone = message_class.__new__(message_class)  # BaseModel.__new__: moto tracks the copy, as with deepcopy
        memo[id(message)] = clone
        for key, value in message.__dict__.items():
            clone.__dict__[key] = value if type(value) in immutable else deepcopy(value, memo)
        return clone

    def fast_deepcopy(x, memo=None):
        if type(x) is message_class:
            return copy_message(x, {} if memo is None else memo)
        return deepcopy(x, memo)

    sqs_models.deepcopy = fast_deepcopy
    return None

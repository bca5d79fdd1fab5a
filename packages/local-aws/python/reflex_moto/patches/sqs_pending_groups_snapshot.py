"""A queue's pending message groups read from a snapshot of its pending messages.

Every SQS receive builds the set of message groups of the queue's in-flight messages by iterating the set of
pending messages. When another thread adds to or removes from that set meanwhile, the receive fails ("Set
changed size during iteration", HTTP 500, retried by the SDK).

Patched: it iterates over `list(set)`, which copies the set in C without running Python code, so no other
thread changes it meanwhile. Same set.

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = ("moto.sqs.models.Queue.pending_message_groups",)


def apply():
    import moto.sqs.models as sqs_models

    queue_class = sqs_models.Queue
    if not isinstance(queue_class.__dict__.get("pending_message_groups"), property):
        return "moto.sqs.models.Queue.pending_message_groups is not a property"
    probe = object.__new__(queue_class)  # not Queue.__new__: moto would list it among its queues' instances
    probe._pending_messages = set()
    if queue_class.pending_message_groups.fget(probe) != set():
        return "moto.sqs.models.Queue.pending_message_groups is not a set of the pending messages' groups"

    def pending_message_groups(self):
        return {message.group_id for message in list(self._pending_messages) if message.group_id is not None}

    queue_class.pending_message_groups = property(pending_message_groups)
    return None

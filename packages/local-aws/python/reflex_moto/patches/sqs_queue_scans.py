"""SQS queue scans read the clock once, not twice per message.

`Queue.messages` (the visible messages, read by every receive) and the counts of delayed and hidden messages
(read with it by `Queue.attributes`, for every message sent) scan the queue calling `Message.visible` and
`Message.delayed`, which each read the clock: four Python calls per queued message.

Patched: a scan reads the clock once (moto.sqs.models.unix_time_millis) and compares `visible_at` and
`delayed_until` itself, as the properties do (checked). Same answers, but for the microseconds a scan takes:
moto's own readings drift by as much from the first message to the last.

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = (
    "moto.sqs.models.Queue.messages",
    "moto.sqs.models.Queue.approximate_number_of_messages_delayed",
    "moto.sqs.models.Queue.approximate_number_of_messages_not_visible",
    "moto.sqs.models.Message.visible",
    "moto.sqs.models.Message.delayed",
    "moto.sqs.models.unix_time_millis",
)

_PROPERTIES = ("messages", "approximate_number_of_messages_delayed", "approximate_number_of_messages_not_visible")


def apply():
    import moto.sqs.models as sqs_models

    message_class, queue_class = sqs_models.Message, sqs_models.Queue
    for name in _PROPERTIES:
        if not isinstance(queue_class.__dict__.get(name), property):
            return f"moto.sqs.models.Queue.{name} is not a property"
    # What the scans below inline: a message is visible once the clock is past visible_at, and delayed
    # while the clock is before delayed_until (both in milliseconds, from moto.sqs.models.unix_time_millis).
    probe = object.__new__(message_class)  # not Message.__new__: moto would list it among its messages
    message_class.__init__(probe, "id", "body")
    now = sqs_models.unix_time_millis()
    for offset, visible, delayed in ((-1e6, True, False), (1e6, False, True)):
        probe.visible_at = probe.delayed_until = now + offset
        if (probe.visible, probe.delayed) != (visible, delayed):
            return "Message.visible / delayed do not compare the clock with visible_at / delayed_until"

    def messages(self):
        now = sqs_models.unix_time_millis()
        return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]

    def approximate_number_of_messages_delayed(self):
        now = sqs_models.unix_time_millis()
        return len([m for m in self._messages if now < m.delayed_until])

    def approximate_number_of_messages_not_visible(self):
        now = sqs_models.unix_time_millis()
        return len([m for m in self._messages if not now > m.visible_at])

    queue_class.messages = property(messages)
    queue_class.approximate_number_of_messages_delayed = property(approximate_number_of_messages_delayed)
    queue_class.approximate_number_of_messages_not_visible = property(approximate_number_of_messages_not_visible)
    return None

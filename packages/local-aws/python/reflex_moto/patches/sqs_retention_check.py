"""SQS receives check a message's retention from the queue, not from every queue attribute.

`SQSBackend.is_message_valid_based_on_retention_period`, called for every message a receive hands out, asks
get_queue_attributes for MessageRetentionPeriod: that builds `Queue.attributes` three times, each build
counting the queue's delayed, hidden and visible messages, a dozen scans of the whole queue per message.

Patched: it reads the retention period (an int that `_set_attributes` keeps on the queue) and the message's
sent time, against moto.sqs.models' clock. Same answer; anything but an int period or a numeric sent time
goes to moto's.

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = (
    "moto.sqs.models.SQSBackend.is_message_valid_based_on_retention_period",
    "moto.sqs.models.SQSBackend.get_queue",
    "moto.sqs.models.unix_time",
)


def apply():
    import moto.sqs.models as sqs_models

    backend = sqs_models.SQSBackend
    original = backend.is_message_valid_based_on_retention_period

    def is_message_valid_based_on_retention_period(self, queue_name, message):
        period = getattr(self.get_queue(queue_name), "message_retention_period", None)
        if not isinstance(period, int) or not isinstance(getattr(message, "sent_timestamp", None), (int, float)):
            return original(self, queue_name, message)
        return period + message.sent_timestamp / 1000 > sqs_models.unix_time()

    backend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period
    return None

"""SQS deletes find their message through an index, and delete under the queue's lock.

moto finds the message a receipt handle deletes by building every queued message's list of handles, twice:
O(queue depth) per deleted message. It then rebuilds the queue's list of messages without a lock, so two
deletes at once (concurrent DeleteMessageBatch on a queue) can each write back a list that still holds the
other's message: deleted messages come back after their visibility timeout (up to 5% in bench/sqs.ts).

Patched: each receipt handle moto hands out (`Message.mark_received`) goes into an index to its message (weak
references: moto's reset lets messages go), and a delete removes that message under the queue's lock, the one
sends append under. Same outcomes: an already deleted handle is accepted again, first; a handle the index does
not know, or whose message is not in this queue (another queue's, or moved to the dead-letter queue), goes to
moto's own delete_message (ReceiptHandleIsInvalid, as before).

Written for moto 5.2.1.
"""

import weakref

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = (
    "moto.sqs.models.Message.mark_received",
    "moto.sqs.models.Message.had_receipt_handle",
    "moto.sqs.models.Message.all_receipt_handles",
    "moto.sqs.models.Queue.delete_message",
    "moto.sqs.models.Queue.pending_messages",
)


def apply():
    import moto.sqs.models as sqs_models

    message_class, queue_class = sqs_models.Message, sqs_models.Queue
    original_mark_received = message_class.mark_received
    original_delete = queue_class.delete_message
    probe = object.__new__(message_class)  # not Message.__new__: moto would list it among its messages
    message_class.__init__(probe, "id", "body")
    probe.mark_received(visibility_timeout=0)
    if not (isinstance(probe.receipt_handle, str) and probe.had_receipt_handle(probe.receipt_handle)):
        return "moto.sqs.models.Message.mark_received does not give the message a new receipt handle"

    # Every receipt handle moto hands out, to the message it was handed out for (the message, not the copy a
    # receive returns). Weak: a message nothing else holds any more (after moto's reset) drops out.
    by_handle = weakref.WeakValueDictionary()

    def mark_received(self, visibility_timeout=None):
        original_mark_received(self, visibility_timeout=visibility_timeout)
        by_handle[self.receipt_handle] = self

    def delete_message(self, receipt_handle):
        if receipt_handle in self.deleted_messages:
            return  # already deleted: moto accepts it again
        message = by_handle.get(receipt_handle)
        if message is None or not message.had_receipt_handle(receipt_handle):
            return original_delete(self, receipt_handle)  # a handle moto did not hand out here: moto's answer
        with self._messages_lock:
            messages = self._messages
            # `in` and the comprehension compare by identity (Message has no __eq__): no Python code runs in
            # between, and the lock keeps sends (which append under it) and other deletes out.
            if message not in messages:
                found = False
            else:
                found = True
                self.pending_messages.discard(message)
                self.deleted_messages.update(message.all_receipt_handles)
                self._messages = [m for m in messages if m is not message]
        if not found:
            # Not in this queue (another queue's handle, or moved to its dead-letter queue): moto's answer.
            return original_delete(self, receipt_handle)
        return None

    message_class.mark_received = mark_received
    queue_class.delete_message = delete_message
    return None

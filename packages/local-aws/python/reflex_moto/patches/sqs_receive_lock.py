"""SQS receives run under their queue's lock, as sends and (patched) deletes do.

moto's receives take no lock: concurrent receives on a queue can hand out the same message twice (up to 2%
of the messages in bench/sqs.ts, with 5 receives per queue), and race with deletes.

Patched: each receive runs under the queue's lock, a Condition over an RLock (checked). A long poll waits on
that Condition, which releases the lock while it waits, so sends, deletes and other receives go on; receives
on one queue take turns, as the GIL makes them do anyway. A receive moves messages to the dead-letter queue
under its lock, taking that queue's lock inside: on a cycle of dead-letter queues (A's is B, B's is A) two
receives could wait for each other, so receives on such a queue run without the lock, as in moto. Same
results otherwise, each message to one receive.

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = (
    "moto.sqs.models.SQSBackend.receive_message",
    "moto.sqs.models.SQSBackend.get_queue",
    "moto.sqs.models.Queue.wait_for_messages",
)


def _on_dead_letter_cycle(queue):
    """Whether following dead-letter queues from `queue` leads back to it."""
    seen, dead_letter_queue = set(), queue.dead_letter_queue
    while dead_letter_queue is not None and id(dead_letter_queue) not in seen:
        if dead_letter_queue is queue:
            return True
        seen.add(id(dead_letter_queue))
        dead_letter_queue = dead_letter_queue.dead_letter_queue
    return False


def apply():
    import moto.sqs.models as sqs_models

    backend, queue_class = sqs_models.SQSBackend, sqs_models.Queue
    original = backend.receive_message
    # The lock must be reentrant and released entirely while a receive waits for messages: moto waits in
    # Queue.wait_for_messages, under the same lock (a Condition over an RLock does both).
    probe = object.__new__(queue_class)  # not Queue.__new__: moto would list it among its queues
    queue_class.__init__(probe, "probe", region="us-east-1", account_id="123456789012")
    lock = getattr(probe, "_messages_lock", None)
    if lock is None:
        return "moto.sqs.models.Queue has no _messages_lock"
    with lock:
        if not lock.acquire(blocking=False):
            return "moto.sqs.models.Queue._messages_lock is not reentrant"
        lock.release()
        if not hasattr(lock, "wait_for") or not hasattr(getattr(lock, "_lock", None), "_release_save"):
            return "moto.sqs.models.Queue._messages_lock is not a Condition over an RLock"

    def receive_message(self, queue_name, *args, **kwargs):
        queue = self.get_queue(queue_name)  # moto's first step too: the same QueueDoesNotExist
        if _on_dead_letter_cycle(queue):
            return original(self, queue_name, *args, **kwargs)
        with queue._messages_lock:
            return original(self, queue_name, *args, **kwargs)

    backend.receive_message = receive_message
    return None

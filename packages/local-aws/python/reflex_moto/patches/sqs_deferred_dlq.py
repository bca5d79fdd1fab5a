"""An SQS queue may name a dead-letter queue (by ARN) that is created after it.

Not about speed but about Terraform's apply. The AWS provider waits ~25 s after every write of SQS queue
attributes, and moto (as AWS) refuses a RedrivePolicy whose dead-letter queue does not exist yet, so a stack
would create each DLQ, wait, then its queue, and wait again. The local environment names its DLQs by ARN
instead of by reference, so that Terraform creates a queue and its DLQ in the same wave.

Patched: a queue whose dead-letter queue is not there yet keeps its RedrivePolicy (GetQueueAttributes shows
it as given) and looks the DLQ up by ARN when it first needs it, when a message has been received
maxReceiveCount times; until the DLQ exists such a message stays in its queue, as with no DLQ. A DLQ that
exists is found at once, with moto's FIFO check; a malformed policy is refused as before.

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = (
    "moto.sqs.models.Queue._setup_dlq",
    "moto.sqs.models.sqs_backends",
    "moto.sqs.models.SQSException",
)


def apply():
    import moto.sqs.models as sqs_models

    queue_class, backends = sqs_models.Queue, sqs_models.sqs_backends
    original_setup = queue_class._setup_dlq
    if isinstance(queue_class.__dict__.get("dead_letter_queue"), property):
        return "moto.sqs.models.Queue.dead_letter_queue is a property already"

    def _setup_dlq(self, policy):
        try:
            original_setup(self, policy)
        except sqs_models.SQSException as error:
            # moto stores the parsed policy before it looks the DLQ up: keep it, and look again when needed.
            if getattr(error, "code", "") != "AWS.SimpleQueueService.NonExistentQueue" or not getattr(self, "redrive_policy", None):
                raise
            self.__dict__["_reflex_dead_letter_queue"] = None

    def get_dead_letter_queue(self):
        queue = self.__dict__.get("_reflex_dead_letter_queue")
        policy = self.__dict__.get("redrive_policy")
        if queue is None and policy:
            arn = policy.get("deadLetterTargetArn")
            queues = list(backends[self.account_id][self.region].queues.values())
            queue = next((q for q in queues if q.queue_arn == arn), None)
            self.__dict__["_reflex_dead_letter_queue"] = queue
        return queue

    def set_dead_letter_queue(self, queue):
        self.__dict__["_reflex_dead_letter_queue"] = queue

    queue_class._setup_dlq = _setup_dlq
    queue_class.dead_letter_queue = property(get_dead_letter_queue, set_dead_letter_queue)
    return None

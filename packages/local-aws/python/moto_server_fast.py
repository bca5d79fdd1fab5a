"""moto_server with cheaper SQS: a drop-in for `moto_server`, same arguments.

    python moto_server_fast.py -H 127.0.0.1 -p 5000

startMoto() in ../src/moto.ts runs this file with the Python that has moto installed
(set REFLEX_MOTO_PLAIN=1 to run the unpatched `moto_server` instead). With REFLEX_MOTO_EXIT_WITH_PARENT=1 it
exits when its standard input closes, which startMoto() keeps open as a pipe: the server goes when the process
that started it goes, even one killed with SIGKILL.

Each patch below is a function (PATCHES, applied in that order) that changes one thing in moto and returns
None, or why it left moto as it is. Best effort: when another moto version lacks what a patch changes, holds
it somewhere else, or it does not behave as the patch expects, moto starts without that patch and one line on
stderr says so.

moto's CPU per message, ../bench/sqs.ts (25 queues x 200 messages of 1.5 KB, filled by SendMessageBatch,
drained by 5 concurrent ReceiveMessage(10, WaitTimeSeconds 1) + DeleteMessageBatch loops per queue):
plain moto ~6.6 ms to send and ~23 ms to receive and delete; with the clock and retention patches 1.3 and
1.8-2.0 ms; with all of them 0.6 and 1.1-1.2 ms, most of it now moto's per-request cost (werkzeug, flask,
moto's request parsing and response serialisation: 2-3 ms of CPU per request).

Keep-alive (patch_keep_alive)
-----------------------------
werkzeug 3's development server, which moto runs, sends `Connection: close` with every response (Python's
http.server cannot skip a body the app left unread before the next request line): each request costs a new
TCP connection and a new server thread, and the client (the AWS SDK's keep-alive agent, Terraform) a new
socket. Patched, an HTTP/1.1 request whose body has a Content-Length (or none) has that body read whole
before the app runs, and its connection stays open for the next request; werkzeug already gives HTTP/1.1
responses a Content-Length or chunks them. A chunked request body, an HTTP/1.0 client or `Connection: close`
from the client closes as before. Same responses.

The clock (patch_moto_clock)
----------------------------
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

Why: moto's SQS reads the clock for every message of a queue on every receive (`Message.visible`,
`Message.delayed`), and `Queue.attributes` (read for every received message through
`is_message_valid_based_on_retention_period` -> `get_queue_attributes`) scans the queue three times.

The values are the same: both read the system's real-time clock, the datetime path only rounds to
the microsecond. moto takes the datetime path so that Python tests can freeze its clock with
freezegun; the local mode runs moto as a standalone server and never freezes time.

Retention (patch_retention_check)
---------------------------------
`SQSBackend.is_message_valid_based_on_retention_period` (called for every message a receive hands out)
reads the queue's MessageRetentionPeriod directly. moto's own asks get_queue_attributes for it, which builds
`Queue.attributes` three times, and each build counts the queue's delayed, hidden and visible messages: a
dozen scans of the whole queue per received message. Same answer: the retention period (an int that
`_set_attributes` keeps on the queue) plus the sent time, against the clock.

Which backend serves a request (patch_backend_lookup)
-----------------------------------------------------
For every request, `DomainDispatcherApplication.get_backend_for_host` looks the host up in
`moto.backends.list_of_moto_modules()`, which lists moto's package directory and stats each of its ~180
entries, then tries the backends' URL patterns one by one (SQS is the 158th): over a millisecond of CPU per
request, under the dispatcher's global lock. Patched, it remembers each host's backend. Same answers: they
depend only on the host, the installed moto and its URL patterns, none of which change while the server runs;
a host no backend serves is asked about again each time (and moto prints its hint as before).

Per-request helpers (patch_camelcase_cache, patch_method_names_cache)
---------------------------------------------------------------------
`camelcase_to_underscores` (~15 us a call) runs once per request for the action's name and once per attribute
each time `Queue.attributes` is built (for every message sent); it is a pure function of its string, so an
LRU cache (4,096 names) gives the same answers; anything but a str goes to moto's. It is imported by name,
so every loaded moto module holding moto's function gets the cached one (later imports get it anyway).
`method_names_from_class` lists the response class's methods with inspect.getmembers (~70 us) on every
request, to check that the action exists; it is listed once per class, and every caller gets its own list.
Same answers: moto's response classes do not change after they are imported.

Receipt handles (patch_receipt_handles)
---------------------------------------
Every received message gets a new receipt handle of 185 lowercase letters, drawn by 185 `random.choice`
calls (~140 us). Patched: one `random.choices(letters, k=185)` call (~25 us) on the same generator (moto's
seedable mock_random). Same length, alphabet and uniform distribution; a seeded moto still gives reproducible
handles (other ones than before for the same seed, as after any change in what moto draws).

Copies of received messages (patch_message_copy)
------------------------------------------------
`receive_message` deep-copies every message it hands out, so that filtering the copy's message attributes
(MessageAttributeNames) leaves the stored message whole; `copy.deepcopy` dispatches on every attribute of the
message. The patch replaces `deepcopy` in moto.sqs.models with a function that copies a Message itself the way
deepcopy does for a class without copy hooks (checked, or it does not apply): a new instance through
`Message.__new__` (so moto tracks the copy, as it does deepcopy's), the values deepcopy returns as they are
(str, numbers, None, bytes) shared, dicts and lists deep-copied with the same memo. Anything else goes to
`copy.deepcopy`. Same copy: equal, and sharing nothing mutable with the message.

Pending message groups (patch_pending_groups_snapshot)
------------------------------------------------------
Every receive builds the set of message groups of the queue's in-flight messages by iterating the set of
pending messages. When another thread adds to or removes from that set meanwhile, the receive fails
("Set changed size during iteration", HTTP 500, retried by the SDK). Patched, it iterates over a copy
(`list()` copies a set in C, without running Python code, so no other thread changes it meanwhile). Same set.

Deletes (patch_delete_by_handle)
--------------------------------
moto finds the message a receipt handle deletes by building every queued message's list of handles, twice:
O(queue depth) per deleted message. It then rebuilds the queue's list of messages without a lock, so two
deletes at once (concurrent DeleteMessageBatch on a queue) can each write back a list that still holds the
other's message: deleted messages come back after their visibility timeout (up to 5% of them in the benchmark).
Patched, each receipt handle moto hands out (`Message.mark_received`) goes into an index to its message (weak
references: moto's reset lets messages go), and a delete removes that message under the queue's lock, the one
sends append under. Same outcomes: an already deleted handle is accepted again, first; a handle the index does
not know, or whose message is not in this queue (another queue's, or moved to the dead-letter queue), goes to
moto's own delete_message (ReceiptHandleIsInvalid, as before).

Receives under the queue's lock (patch_receive_lock)
----------------------------------------------------
moto's receives take no lock: concurrent receives on a queue can hand out the same message twice (up to 2%
of the messages in the benchmark, with 5 receives per queue), and race with deletes. Patched, each receive runs
under the queue's lock (a Condition over an RLock, which sends and patched deletes take too; checked). A long
poll waits on that Condition, which releases the lock while it waits, so sends, deletes and other receives go
on; receives on one queue take turns, as the GIL makes them do anyway. A receive moves messages to the
dead-letter queue under its lock (taking that queue's lock inside): on a cycle of dead-letter queues (A's is
B, B's is A) two receives could wait for each other, so receives on such a queue run without the lock, as in
moto. Same results otherwise, each message to one receive.

Queue scans (patch_queue_scans)
-------------------------------
`Queue.messages` (the visible messages, read by every receive) and the counts of delayed and hidden messages
(read with it by `Queue.attributes`, for every message sent) scan the queue calling `Message.visible` and
`Message.delayed`, which each read the clock: four Python calls per queued message. Patched, a scan reads the
clock once (moto.sqs.models.unix_time_millis) and compares `visible_at` / `delayed_until` itself, as the
properties do (checked). Same answers, but for the microseconds a scan takes: moto's own readings drift by as
much from the first message to the last.

A dead-letter queue created a moment later (patch_deferred_dead_letter_queue)
-----------------------------------------------------------------------------
This one is not about speed inside moto but about Terraform's apply into it. The AWS provider waits ~25 s
after every write of SQS queue attributes (six reads 5 s apart, whatever the API answers), and AWS (as moto)
refuses a queue whose RedrivePolicy names a dead-letter queue that does not exist yet, so a stack creates
each DLQ, waits, then its queue, waits again. The local environment names its DLQs by ARN instead of by
reference, so that Terraform creates a queue and its DLQ in the same wave. Patched, a queue whose
dead-letter queue is not there yet keeps its RedrivePolicy (GetQueueAttributes shows it as given) and finds
the DLQ by ARN when it first needs it: when a message has been received maxReceiveCount times. Until the DLQ
exists such a message stays in its queue, as it would with no DLQ. Everything else is moto's: a DLQ that
exists is found at once, with moto's FIFO check; a malformed policy is refused as before.
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


def patch_backend_lookup():
    """Remembers which moto backend serves a host; returns None, or why it left moto unpatched."""
    try:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication

        original = DomainDispatcherApplication.get_backend_for_host
    except Exception as error:  # noqa: BLE001 - best effort, as above
        return f"{type(error).__name__}: {error}"

    def get_backend_for_host(self, host):
        found = self.__dict__.setdefault("_backend_for_host", {})
        backend = found.get(host)
        if backend is None:
            backend = original(self, host)
            if backend:  # a miss (None) asks moto again next time, and prints what it prints
                found[host] = backend
        return backend

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host
    return None


def patch_camelcase_cache():
    """Caches `camelcase_to_underscores` (a pure string function); returns None, or why not."""
    try:
        import functools

        import moto.core.utils as utils

        original = utils.camelcase_to_underscores
        cached = functools.lru_cache(maxsize=4096)(original)
        for sample in ("ApproximateNumberOfMessagesNotVisible", "ReceiveMessage", "SqsManagedSseEnabled", "KMSKey", ""):
            if cached(sample) != original(sample):
                return f"camelcase_to_underscores({sample!r}) differs when cached"
    except Exception as error:  # noqa: BLE001 - best effort, as above
        return f"{type(error).__name__}: {error}"

    def camelcase_to_underscores(argument):
        return cached(argument) if type(argument) is str else original(argument)

    # moto.core.responses (once per request) and moto.sqs.models import it by name: patch every moto module
    # loaded so far that holds moto's function; modules loaded later import the patched one.
    for name, module in list(sys.modules.items()):
        is_moto = name == "moto" or name.startswith("moto.")
        if is_moto and getattr(module, "camelcase_to_underscores", None) is original:
            module.camelcase_to_underscores = camelcase_to_underscores
    return None


def patch_receipt_handles():
    """Draws SQS receipt handles with one `choices` call instead of 185 `choice` calls; returns None, or why not."""
    try:
        import string

        import moto.sqs.models as sqs_models
        import moto.sqs.utils as sqs_utils

        original = sqs_utils.generate_receipt_handle
        if sqs_models.generate_receipt_handle is not original:
            return "moto.sqs.models.generate_receipt_handle is not moto.sqs.utils.generate_receipt_handle"
        sample = original()
        if len(sample) != _RECEIPT_HANDLE_LENGTH or not set(sample) <= set(string.ascii_lowercase):
            return f"moto's receipt handles are not {_RECEIPT_HANDLE_LENGTH} lowercase letters: {sample!r}"
        rng = sqs_utils.random  # moto's (seedable) random generator
        rng.choices  # noqa: B018 - fail here, not on the first receive, if it has none
    except Exception as error:  # noqa: BLE001 - best effort, as above
        return f"{type(error).__name__}: {error}"

    letters = string.ascii_lowercase

    def generate_receipt_handle():
        return "".join(rng.choices(letters, k=_RECEIPT_HANDLE_LENGTH))

    sqs_utils.generate_receipt_handle = generate_receipt_handle
    sqs_models.generate_receipt_handle = generate_receipt_handle
    return None


_RECEIPT_HANDLE_LENGTH = 185


def patch_message_copy():
    """Copies received SQS messages without the generic deepcopy machinery; returns None, or why not."""
    try:
        import copy
        import copyreg

        import moto.sqs.models as sqs_models

        message_class = sqs_models.Message
        if sqs_models.deepcopy is not copy.deepcopy:
            return "moto.sqs.models.deepcopy is not copy.deepcopy"
        # deepcopy(message) must be the default one: a new instance through cls.__new__(cls) whose __dict__ is a
        # deep copy of the message's; anything customising that is left to copy.deepcopy.
        custom = [
            name
            for name in ("__deepcopy__", "__reduce_ex__", "__reduce__", "__getstate__", "__setstate__", "__slots__")
            if getattr(message_class, name, None) is not getattr(object, name, None)
        ]
        if custom or message_class in copyreg.dispatch_table:
            return f"moto.sqs.models.Message customises copying ({', '.join(custom) or 'copyreg'})"
    except Exception as error:  # noqa: BLE001 - best effort, as above
        return f"{type(error).__name__}: {error}"

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


def patch_pending_groups_snapshot():
    """Reads a queue's pending message groups from a snapshot of its pending messages; returns None, or why not."""
    try:
        import moto.sqs.models as sqs_models

        queue_class = sqs_models.Queue
        if not isinstance(queue_class.__dict__.get("pending_message_groups"), property):
            return "moto.sqs.models.Queue.pending_message_groups is not a property"
        probe = object.__new__(queue_class)  # not Queue.__new__: moto would list it among its queues' instances
        probe._pending_messages = set()
        if queue_class.pending_message_groups.fget(probe) != set():
            return "moto.sqs.models.Queue.pending_message_groups is not a set of the pending messages' groups"
    except Exception as error:  # noqa: BLE001 - best effort, as above
        return f"{type(error).__name__}: {error}"

    def pending_message_groups(self):
        # list(set) copies in C without running Python code, so no other thread can change the set meanwhile.
        return {message.group_id for message in list(self._pending_messages) if message.group_id is not None}

    queue_class.pending_message_groups = property(pending_message_groups)
    return None


def patch_delete_by_handle():
    """Finds the message a receipt handle deletes through an index, and deletes under the queue's lock;
    returns None, or why it left moto unpatched."""
    try:
        import weakref

        import moto.sqs.models as sqs_models

        message_class, queue_class = sqs_models.Message, sqs_models.Queue
        original_mark_received = message_class.mark_received
        original_delete = queue_class.delete_message
        probe = object.__new__(message_class)  # not Message.__new__: moto would list it among its messages
        message_class.__init__(probe, "id", "body")
        probe.mark_received(visibility_timeout=0)
        if not (isinstance(probe.receipt_handle, str) and probe.had_receipt_handle(probe.receipt_handle)):
            return "moto.sqs.models.Message.mark_received does not give the message a new receipt handle"
    except Exception as error:  # noqa: BLE001 - best effort, as above
        return f"{type(error).__name__}: {error}"

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


def patch_receive_lock():
    """Runs each receive under its queue's lock, as sends and (patched) deletes do; returns None, or why not."""
    try:
        import moto.sqs.models as sqs_models

        backend, queue_class = sqs_models.SQSBackend, sqs_models.Queue
        original = backend.receive_message
        # The lock must be reentrant and released entirely while a receive waits for messages: moto waits in
        # Queue.wait_for_messages, under the same lock (a Condition over an RLock does both).
        probe = object.__new__(queue_class)  # not Queue.__new__: moto would list it among its queues
        queue_class.__init__(probe, "probe", region="us-east-1", account_id="123456789012")
        lock = probe._messages_lock
        with lock:
            if not lock.acquire(blocking=False):
                return "moto.sqs.models.Queue._messages_lock is not reentrant"
            lock.release()
            if not hasattr(lock, "wait_for") or not hasattr(getattr(lock, "_lock", None), "_release_save"):
                return "moto.sqs.models.Queue._messages_lock is not a Condition over an RLock"
    except Exception as error:  # noqa: BLE001 - best effort, as above
        return f"{type(error).__name__}: {error}"

    def on_dead_letter_cycle(queue):
        # A receive moves messages to the dead-letter queue under the queue's lock, so it takes that queue's
        # lock inside its own: with queues that are each other's dead-letter queues (A -> B -> A), two receives
        # could wait for each other. Receives on such a queue run without the lock, as in moto.
        seen, dead_letter_queue = set(), queue.dead_letter_queue
        while dead_letter_queue is not None and id(dead_letter_queue) not in seen:
            if dead_letter_queue is queue:
                return True
            seen.add(id(dead_letter_queue))
            dead_letter_queue = dead_letter_queue.dead_letter_queue
        return False

    def receive_message(self, queue_name, *args, **kwargs):
        queue = self.get_queue(queue_name)  # moto's first step too: the same QueueDoesNotExist
        if on_dead_letter_cycle(queue):
            return original(self, queue_name, *args, **kwargs)
        with queue._messages_lock:
            return original(self, queue_name, *args, **kwargs)

    backend.receive_message = receive_message
    return None


def patch_queue_scans():
    """Reads the clock once per scan of a queue's messages instead of twice per message; returns None, or why not."""
    try:
        import moto.sqs.models as sqs_models

        message_class, queue_class = sqs_models.Message, sqs_models.Queue
        names = ("messages", "approximate_number_of_messages_delayed", "approximate_number_of_messages_not_visible")
        for name in names:
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
    except Exception as error:  # noqa: BLE001 - best effort, as above
        return f"{type(error).__name__}: {error}"

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


def patch_method_names_cache():
    """Lists a response class's methods once, not on every request; returns None, or why not."""
    try:
        import moto.core.responses as responses
        import moto.core.utils as utils

        original = utils.method_names_from_class
        if responses.method_names_from_class is not original:
            return "moto.core.responses.method_names_from_class is not moto.core.utils.method_names_from_class"
    except Exception as error:  # noqa: BLE001 - best effort, as above
        return f"{type(error).__name__}: {error}"

    listed = {}

    def method_names_from_class(clazz):
        # moto's response classes are not changed after import; a copy, so that no caller can change the cache.
        names = listed.get(clazz)
        if names is None:
            names = listed[clazz] = tuple(original(clazz))
        return list(names)

    utils.method_names_from_class = method_names_from_class
    responses.method_names_from_class = method_names_from_class
    return None


def patch_keep_alive():
    """Keeps connections open between requests (HTTP/1.1 keep-alive); returns None, or why not."""
    try:
        import io
        import selectors
        import threading

        import werkzeug.serving as serving
        from werkzeug.serving import WSGIRequestHandler

        original_make_environ = WSGIRequestHandler.make_environ
        original_send_header = WSGIRequestHandler.send_header
        if getattr(serving, "selectors", None) is not selectors:
            return "werkzeug.serving does not drain request bodies through the selectors module"
    except Exception as error:  # noqa: BLE001 - best effort, as above
        return f"{type(error).__name__}: {error}"

    # After each response werkzeug reads whatever the client sent meanwhile and throws it away: on a kept
    # connection that would be the next request. Its body read whole already, a kept request skips that.
    current = threading.local()

    class NothingToDrain:
        def register(self, *args, **kwargs):
            return None

        def select(self, timeout=None):
            return []

        def close(self):
            return None

    class Selectors:
        def __getattr__(self, name):
            return getattr(selectors, name)

        def DefaultSelector(self):  # noqa: N802 - the name werkzeug calls
            return NothingToDrain() if getattr(current, "keep_alive", False) else selectors.DefaultSelector()

    serving.selectors = Selectors()

    def make_environ(self):
        environ = original_make_environ(self)
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        length = self.headers.get("Content-Length")
        self.reflex_keep_alive = (
            self.request_version == "HTTP/1.1"
            and not self.close_connection
            and not chunked
            and (length is None or length.isdigit())
        )
        current.keep_alive = self.reflex_keep_alive
        if self.reflex_keep_alive and length:
            # The whole body, read here: the next request starts right after it, whatever the app reads.
            environ["wsgi.input"] = io.BytesIO(self.rfile.read(int(length)))
        return environ

    def send_header(self, keyword, value):
        if keyword.lower() == "connection" and value.lower() == "close" and getattr(self, "reflex_keep_alive", False):
            return
        original_send_header(self, keyword, value)

    WSGIRequestHandler.make_environ = make_environ
    WSGIRequestHandler.send_header = send_header
    return None


def patch_deferred_dead_letter_queue():
    """Lets a queue name a dead-letter queue that is created after it; returns None, or why not."""
    try:
        import moto.sqs.models as sqs_models

        queue_class, backends = sqs_models.Queue, sqs_models.sqs_backends
        original_setup = queue_class._setup_dlq
        if isinstance(queue_class.__dict__.get("dead_letter_queue"), property):
            return "moto.sqs.models.Queue.dead_letter_queue is a property already"
    except Exception as error:  # noqa: BLE001 - best effort, as above
        return f"{type(error).__name__}: {error}"

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
            queue = next((q for q in list(backends[self.account_id][self.region].queues.values()) if q.queue_arn == arn), None)
            self.__dict__["_reflex_dead_letter_queue"] = queue
        return queue

    def set_dead_letter_queue(self, queue):
        self.__dict__["_reflex_dead_letter_queue"] = queue

    queue_class._setup_dlq = _setup_dlq
    queue_class.dead_letter_queue = property(get_dead_letter_queue, set_dead_letter_queue)
    return None


PATCHES = (
    patch_keep_alive,
    patch_moto_clock,
    patch_retention_check,
    patch_backend_lookup,
    patch_camelcase_cache,
    patch_receipt_handles,
    patch_message_copy,
    patch_pending_groups_snapshot,
    patch_delete_by_handle,
    patch_receive_lock,
    patch_queue_scans,
    patch_method_names_cache,
    patch_deferred_dead_letter_queue,
)


def exit_with_parent():
    """With REFLEX_MOTO_EXIT_WITH_PARENT=1, exits when standard input closes: the process that started this
    server holds the other end of that pipe, so it closes when that process ends, however it ends (SIGKILL,
    a crash). Returns a thread, or None."""
    import os
    import threading

    if os.environ.get("REFLEX_MOTO_EXIT_WITH_PARENT") != "1":
        return None

    def watch():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            os._exit(0)

    thread = threading.Thread(target=watch, name="exit-with-parent", daemon=True)
    thread.start()
    return thread


if __name__ == "__main__":
    exit_with_parent()
    for patch in PATCHES:
        why_not = patch()
        if why_not is not None:
            print(f"moto_server_fast: starting moto without {patch.__name__} ({why_not})", file=sys.stderr, flush=True)
    from moto.server import main

    main(sys.argv[1:])

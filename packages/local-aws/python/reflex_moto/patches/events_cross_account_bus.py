"""A rule's event bus target receives the event itself, and a bus in another account only what its policy allows.

When an EventBridge rule's target is an event bus (`arn:<p>:events:<region>:<account>:event-bus/<name>`), AWS
delivers the matched event to that bus as it is — its id, source, detail-type, account (the sender's), time,
region, resources and detail — and the rules of that bus match it there. A bus in another account receives it
only when its resource policy allows the sending account events:PutEvents; otherwise EventBridge does not
deliver it (the rule's invocation fails; nothing reaches the receiver, and PutEvents in the sender's account
still succeeds). An event that reached a bus through such a target is not forwarded by another bus target (AWS:
"these events are not sent to the third account", nor to a third bus of the same account). moto 5.2.1 puts a
NEW event on the target bus instead (`put_events`): a new id, the receiver's account and region, no resources,
a new time; it checks no policy, and a missing target bus fails the sender's PutEvents.

Patched: `Rule.send_to_targets`. A rule without event bus targets is moto's. Otherwise moto's function runs on
a shallow copy of the rule holding only its other targets, whose target list notes that moto went through it,
i.e. that the rule matched (moto's pattern match, and any other patch's say, such as `events_schedule_rules`
on schedule rules, whatever their order). Then, for each bus target, when the bus exists, is in the rule's
account or allows it, and the event did not arrive through a bus target itself: every rule of that bus, in the
bus's account and region, gets its own deep copy of the event, unchanged (`ingestion-time` included, which
moto's input templates read; an input transformer of the sending target is not applied, as AWS applies none to
a bus target). A bus in another account allows the sender when its policy (`EventBus.policy`, the JSON that
PutPermission builds) has an Allow statement for `events:PutEvents` (`events:*`, `*`; string or list) whose
Principal is `"*"`, `{"AWS": ...}` naming `arn:<p>:iam::<sender>:root`, the sender's id, `"*"`, or the target's
RoleArn, and whose conditions hold: StringEquals / StringLike on `events:source` and `events:detail-type` must
list the event's; `aws:PrincipalOrgID` (moto has no organization) and other keys are treated as met. A Deny
statement that matches the same way, with only those two keys in its conditions, drops the event. A dropped
event is dropped silently, as in AWS (where it would count as a failed invocation).

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = (
    "moto.events.models.Rule.send_to_targets",
    "moto.events.models.Rule.__init__",
    "moto.events.models.EventBus.policy",
    "moto.events.models.EventsBackend.describe_event_bus",
    "moto.events.exceptions.ResourceNotFoundException",
    "moto.events.models.events_backends",
    "moto.utilities.arns.parse_arn",
)


def _listed(value):
    return value if isinstance(value, list) else [value]


def _wildcard(pattern, value, ignore_case=False):
    """IAM's wildcard match: `*` any run of characters, `?` one."""
    import re

    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in str(pattern))
    return re.fullmatch(regex, str(value), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def _principal_matches(principal, sender, role_arn):
    import re

    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for name in _listed(principal.get("AWS", [])):
        name = str(name)
        root = re.fullmatch(r"arn:[^:]+:iam::(\d{12}):root", name)
        if name in ("*", sender) or (root and root.group(1) == sender) or (role_arn and name == role_arn):
            return True
    return False


def _condition(operator, key, values, event):
    """True or False for a condition on events:source or events:detail-type; None for one this cannot evaluate."""
    field = {"events:source": "source", "events:detail-type": "detail-type"}.get(key.lower())
    if field is None:
        return None
    operator = operator.split(":")[-1]
    values = _listed(values)
    if operator == "StringEquals":
        return event.get(field) in values
    if operator == "StringLike":
        return any(_wildcard(v, event.get(field, "")) for v in values)
    return None


def allows(policy, sender, event, role_arn=None):
    """Whether a bus policy (JSON or None) lets account `sender` put `event` on the bus, as EventBridge decides."""
    import json

    try:
        document = json.loads(policy) if policy else {}
    except ValueError:
        return False
    allowed = False
    for statement in _listed(document.get("Statement", [])):
        if not isinstance(statement, dict):
            continue
        actions = _listed(statement.get("Action", []))
        if not any(_wildcard(a, "events:PutEvents", ignore_case=True) for a in actions):
            continue
        if not _principal_matches(statement.get("Principal"), sender, role_arn):
            continue
        conditions = statement.get("Condition") or {}
        held = [
            _condition(operator, key, values, event)
            for operator, block in conditions.items()
            for key, values in (block.items() if isinstance(block, dict) else [])
        ]
        if statement.get("Effect") == "Deny" and all(h is True for h in held):
            return False
        if statement.get("Effect") == "Allow" and all(h is not False for h in held):
            allowed = True
    return allowed


def apply():
    import copy
    import threading

    from moto.events.exceptions import ResourceNotFoundException
    from moto.events.models import EventBus, Rule, events_backends
    from moto.utilities.arns import parse_arn

    original = Rule.send_to_targets

    class Targets(list):
        """A rule's target list that notes when moto goes through it: the rule matched the event."""

        gone_through = False

        def __iter__(self):
            self.gone_through = True
            return super().__iter__()

    def matched(rule, event, targets, *args, **kwargs):
        """Runs moto's send_to_targets on a copy of `rule` with `targets`; whether the rule matched."""
        clone = object.__new__(type(rule))  # not copy.copy: moto's models list every instance __new__ makes
        clone.__dict__.update(vars(rule))
        clone.targets = Targets(targets)
        original(clone, event, *args, **kwargs)
        return clone.targets.gone_through

    # Checks: moto goes through a rule's targets when its pattern matches, not otherwise; a bus keeps its policy.
    probe = Rule("probe", "123456789012", "us-east-1", None, '{"source": ["a"]}', None, None, "default", None)
    tracked = getattr(Rule, "instances_tracked", None)
    if isinstance(tracked, list) and tracked and tracked[-1] is probe:
        tracked.pop()  # moto lists every model it makes (moto-api): not this one
    event = {"version": "0", "id": "1", "detail-type": "d", "source": "a", "account": "123456789012", "time": 0.0,
             "region": "us-east-1", "resources": [], "detail": {}, "ingestion-time": 0.0}
    if not matched(probe, event, []) or matched(probe, {**event, "source": "b"}, []):
        return "Rule.send_to_targets does not go through its targets exactly when the rule matches"
    if getattr(probe, "account_id", None) != "123456789012":
        return "Rule keeps its account elsewhere"
    if not isinstance(EventBus.__dict__.get("policy"), property):
        return "EventBus.policy is not the bus's policy document"

    forwarded = threading.local()  # set while an event is delivered through a bus target, in this thread

    def deliver(rule, target, event, *args, **kwargs):
        arn = parse_arn(target["Arn"])
        if getattr(forwarded, "active", False):
            return  # no second hop
        try:
            bus = events_backends[arn.account][arn.region].describe_event_bus(arn.resource_id)
        except (KeyError, ResourceNotFoundException):
            return  # no such bus (or region)
        if arn.account != rule.account_id and not allows(bus.policy, rule.account_id, event, target.get("RoleArn")):
            return
        forwarded.active = True
        try:
            for receiver in list(bus.rules.values()):
                receiver.send_to_targets(copy.deepcopy(event), *args, **kwargs)
        finally:
            forwarded.active = False

    def is_bus(target):
        try:
            arn = parse_arn(target["Arn"])
        except (KeyError, ValueError):
            return False
        return arn.service == "events" and arn.resource_type == "event-bus"

    def send_to_targets(self, original_event, *args, **kwargs):
        buses = [t for t in self.targets if is_bus(t)]
        if not buses:
            return original(self, original_event, *args, **kwargs)
        event = copy.deepcopy(original_event)  # as it was, whatever moto's targets do to theirs
        if matched(self, original_event, [t for t in self.targets if not is_bus(t)], *args, **kwargs):
            for target in buses:
                deliver(self, target, event, *args, **kwargs)
        return None

    Rule.send_to_targets = send_to_targets
    return None

"""Schedule rules match no events.

An EventBridge rule has an event pattern or a schedule expression. A schedule rule fires on its schedule only;
events put on its bus never match it. moto 5.2.1 loads a schedule rule's missing pattern as an empty pattern,
and an empty pattern matches every event: each event on the default bus (an alarm state change, a finding)
reaches the queue of every reflex with a schedule trigger, where it is a malformed Scheduled Event and ends in
the dead-letter queue. moto fires no schedules itself (Reflex's local runner plays them).

Patched: `Rule.send_to_targets` returns at once for a rule with a schedule expression and no event pattern;
rules with a pattern are delivered by moto's own function. Applies while moto's Rule keeps its pattern and
schedule as the attributes `event_pattern` and `scheduled_expression` (checked on a rule it builds).

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = (
    "moto.events.models.Rule.send_to_targets",
    "moto.events.models.Rule.__init__",
)


def apply():
    import inspect

    from moto.events.models import Rule

    parameters = inspect.signature(Rule.__init__).parameters
    if "schedule_exp" not in parameters or "event_pattern" not in parameters:
        return "Rule takes no schedule_exp and event_pattern"
    sample = Rule("probe", "123456789012", "us-east-1", None, None, "rate(1 hour)", None, "default", None)
    if sample.scheduled_expression != "rate(1 hour)" or sample.event_pattern.get_pattern():
        return "Rule keeps its schedule or pattern elsewhere"
    original = Rule.send_to_targets

    def send_to_targets(self, original_event, *args, **kwargs):
        if getattr(self, "scheduled_expression", None) and not self.event_pattern.get_pattern():
            return None
        return original(self, original_event, *args, **kwargs)

    Rule.send_to_targets = send_to_targets
    return None

"""Events delivered without an input transformer carry their `account`.

EventBridge delivers an event to a target with no input transformer (an SQS queue, a log group) as it is: the
envelope's version, id, detail-type, source, account, time, region, resources and detail. moto 5.2.1 renders
such an event through its default input template (`EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE`), which
has every field but `account` — though its default paths map (`DEFAULT_EVENT_INPUT_PATHS_MAP`) reads
`$.account`: a consumer that reads the event's account (which account of a hub and its members an alarm or a
finding is about) finds none.

Patched: the default template gains `"account": "<account>"` after `source`, where AWS puts it; moto's parser
fills it from the event as it fills the others. Applies while the paths map reads `account` from `$.account`
and the template has no `<account>` (checked), and when the template so changed renders a sample event as
moto's does, plus its account.

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = (
    "moto.events.utils.EventTemplateParser.parse",
    "moto.events.utils.EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE",
    "moto.events.utils.EventTemplateParser.DEFAULT_EVENT_INPUT_PATHS_MAP",
)


def apply():
    from moto.events.utils import EventTemplateParser

    template = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
    if "<account>" in template:
        return "moto's default input template has the account already"
    if EventTemplateParser.DEFAULT_EVENT_INPUT_PATHS_MAP.get("account") != "$.account":
        return "moto's default input paths map does not read account from $.account"
    after_source = '"source": "<source>", '
    if template.count(after_source) != 1:
        return f"moto's default input template has no {after_source!r}"
    patched = template.replace(after_source, after_source + '"account": "<account>", ')

    event = {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Reflex Action",
        "source": "reflex",
        "account": "210987654321",
        "time": 1765000000.5,
        "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:210987654321:network-acl/acl-1"],
        "detail": {"action": "ec2:CreateNetworkAclEntry"},
        "ingestion-time": 1765000000.75,
    }
    # The patched template, rendered as moto renders its default one (an empty paths map: the default map).
    expected = {**EventTemplateParser.parse(template, {}, event), "account": event["account"]}
    try:
        rendered = EventTemplateParser.parse(patched, {}, event)
    except Exception as error:  # noqa: BLE001 - moto cannot render it: leave moto's
        rendered = (type(error).__name__, str(error))
    if rendered != expected:
        return f"renders the default template as {rendered!r}, not {expected!r}"

    EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = patched
    return None

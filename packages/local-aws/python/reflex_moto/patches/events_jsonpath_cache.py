"""EventBridge input paths parsed once, not for every target of every event.

For each event a rule matches, moto renders the target's input (`EventTemplateParser.parse`): it parses every
JSONPath of the target's InputPathsMap — or of its default map, eight paths, when the target has no
InputTransformer — with `jsonpath_ng.ext.parse`, which builds a new PLY parser, its tables included, on each
call (~15 ms). A PutEvents of one event matched by one rule costs moto ~125 ms of CPU, with the GIL held: every
other request waits (a Reflex Action event, a forwarded finding).

Patched: `EventTemplateParser.parse` does what moto's does with each path's expression parsed once and kept
(jsonpath_ng expressions are not changed by `find`). The patch first renders a sample event through moto's
function and its own, with an input transformer, and applies only when they agree. Same inputs.

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = (
    "moto.events.utils.EventTemplateParser.parse",
    "moto.events.utils.EventTemplateParser._stringify",
    "moto.events.utils.EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE",
    "moto.events.utils.EventTemplateParser.DEFAULT_EVENT_INPUT_PATHS_MAP",
    "jsonpath_ng.ext.parse",
)


def apply():
    import functools
    import json

    from jsonpath_ng.ext import parse as parse_path
    from moto.events.utils import EventTemplateParser

    original = EventTemplateParser.parse
    expression = functools.lru_cache(maxsize=1024)(parse_path)

    # moto's EventTemplateParser.parse, with `expression(path)` for `parse(path)`.
    def parse(input_template, input_paths_map, event):
        template_to_use = input_template or EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
        input_paths_map = input_paths_map or EventTemplateParser.DEFAULT_EVENT_INPUT_PATHS_MAP
        for input_path in input_paths_map:
            matches = expression(input_paths_map[input_path]).find(event)
            result = EventTemplateParser._stringify(matches[0].value) if matches else None
            if result:
                template_to_use = template_to_use.replace(f"<{input_path}>", result)

        default_inputs_map = {
            "aws.events.event.json": event,
            "aws.events.event.ingestion-time": event["ingestion-time"],
        }
        for input_path in default_inputs_map:
            result = EventTemplateParser._stringify(default_inputs_map[input_path])
            template_to_use = template_to_use.replace(f"<{input_path}>", result)

        return json.loads(template_to_use)

    event = {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Reflex Action",
        "source": "reflex",
        "account": "123456789012",
        "time": 1765000000.5,
        "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:network-acl/acl-1"],
        "detail": {"action": "ec2:CreateNetworkAclEntry", "targets": [{"id": "acl-1"}]},
        "ingestion-time": 1765000000.75,
    }
    # Through both, an input transformer with a path that matches and one that does not (each path parsed costs
    # moto ~15 ms: two, not the eight of the default map; both take the same steps).
    template = '{"where": <where>, "missing": "<nothing>", "at": <aws.events.event.ingestion-time>, "event": <aws.events.event.json>}'
    paths = {"where": "$.detail.targets[0].id", "nothing": "$.detail.none"}
    results = []
    for render in (original, parse):
        try:
            results.append(render(template, paths, event))
        except Exception as error:  # noqa: BLE001 - moto's own answer is an error: compare errors
            results.append(("error", type(error).__name__))
    if results[0] != results[1]:
        return f"renders {template!r} with {paths!r} as {results[1]!r}, moto as {results[0]!r}"

    EventTemplateParser.parse = staticmethod(parse)
    return None

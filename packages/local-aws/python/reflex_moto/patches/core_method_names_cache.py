"""A response class's methods listed once, not on every request.

On every request moto lists the response class's methods with `method_names_from_class`
(inspect.getmembers, ~70 us) to check that the action exists.

Patched: each class is listed once and every caller gets its own copy of the list. Same answers: moto's
response classes do not change after they are imported.

Written for moto 5.2.1.
"""

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = ("moto.core.utils.method_names_from_class", "moto.core.responses.method_names_from_class")


def apply():
    import moto.core.responses as responses
    import moto.core.utils as utils

    original = utils.method_names_from_class
    if responses.method_names_from_class is not original:
        return "moto.core.responses.method_names_from_class is not moto.core.utils.method_names_from_class"

    listed = {}

    def method_names_from_class(clazz):
        # A copy, so that no caller can change the cache.
        names = listed.get(clazz)
        if names is None:
            names = listed[clazz] = tuple(original(clazz))
        return list(names)

    utils.method_names_from_class = method_names_from_class
    responses.method_names_from_class = method_names_from_class
    return None

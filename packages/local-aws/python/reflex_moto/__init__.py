"""Reflex's patches of moto, applied in order by apply_patches(); the policy is in packages/local-aws/README.md.

A patch applies when what it needs is there and behaves as it expects, whatever moto's version: each names
the attributes it needs (REQUIRES, checked here) and checks the rest itself (apply()). A patch that does not
apply is skipped with one line on stderr; moto then runs as it is in that respect. When the installed version
is not the one the patches were written for, one more line says so.
"""

import importlib
import importlib.metadata
import importlib.util
import sys
import types

# In the order they are applied. None relies on another: each works with or without the others.
PATCHES = (
    "http_keep_alive",
    "http_no_delay",
    "core_clock",
    "sqs_retention_check",
    "core_backend_lookup",
    "core_camelcase_cache",
    "sqs_receipt_handles",
    "sqs_message_copy",
    "sqs_pending_groups_snapshot",
    "sqs_delete_by_handle",
    "sqs_receive_lock",
    "sqs_queue_scans",
    "core_method_names_cache",
    "sqs_deferred_dlq",
    "ec2_nacl_entries",
    "ec2_routes",
    "events_jsonpath_cache",
    "events_schedule_rules",
    "events_account_field",
    "events_cross_account_bus",
    "sts_assume_role_trust",
    "ec2_tgw_propagation",
    "ec2_vpn_telemetry",
    "ec2_tgw_replace_route",
)

# The prefix of every line this writes: bench/sqs.ts shows the lines that carry it.
PREFIX = "moto_server_fast"


def _say(line):
    print(f"{PREFIX}: {line}", file=sys.stderr, flush=True)


def load(name):
    """The module of patch `name`."""
    return importlib.import_module(f"{__name__}.patches.{name}")


def written_for(patch):
    """(package, version) from the patch module's WRITTEN_FOR, e.g. ("moto", "5.2.1")."""
    package, version = patch.WRITTEN_FOR.split()
    return package, version


def installed_version(package):
    """The version of `package` that Python imports: its __version__, else its distribution's; None if neither."""
    try:
        version = getattr(importlib.import_module(package), "__version__", None)  # werkzeug 3.1 has none
        return version if isinstance(version, str) else importlib.metadata.version(package)
    except Exception:  # noqa: BLE001 - not importable, or no distribution: "none found"
        return None


def why_missing(dotted):
    """None when `dotted` (a module, then attributes: "moto.sqs.models.Queue._setup_dlq") resolves, else why not."""
    parts = dotted.split(".")
    path = parts[0]
    try:
        target = importlib.import_module(path)
    except Exception as error:  # noqa: BLE001 - any failure to import is the answer
        return f"cannot import {path} ({type(error).__name__}: {error})"
    for part in parts[1:]:
        path = f"{path}.{part}"
        if isinstance(target, types.ModuleType) and not hasattr(target, part):
            try:
                importlib.import_module(path)  # a submodule not imported yet
            except ModuleNotFoundError as error:
                if error.name == path:
                    return f"{path} is missing"
                return f"cannot import {path} ({type(error).__name__}: {error})"
            except Exception as error:  # noqa: BLE001 - as above
                return f"cannot import {path} ({type(error).__name__}: {error})"
        try:
            target = getattr(target, part)
        except AttributeError:
            return f"{path} is missing"
    return None


def apply_patch(name):
    """Applies patch `name` if what it needs is there; returns None, or why it left moto as it is."""
    patch = load(name)
    for dotted in patch.REQUIRES:
        why = why_missing(dotted)
        if why is not None:
            return why
    try:
        return patch.apply()
    except Exception as error:  # noqa: BLE001 - apply() patches only after its last check: nothing changed
        return f"{type(error).__name__}: {error}"


def deferred_until(name):
    """The module whose first import applies patch `name` (its DEFER_UNTIL), or None: it applies at once."""
    return getattr(load(name), "DEFER_UNTIL", None)


class _AfterImport:
    """A meta path finder that runs `then()` right after `module` is first executed, inside that import: a
    thread that imports it meanwhile waits on the module's lock, so no request ever sees it unpatched."""

    def __init__(self, module, then):
        self.module, self.then = module, then

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.module:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        exec_module, then = spec.loader.exec_module, self.then

        def exec_then_patch(module):
            exec_module(module)
            # The import system binds the module to its parent package only once this returns: do it now, so
            # that the patches' checks reach it as `moto.ec2` like any attribute.
            parent, _, child = module.__name__.rpartition(".")
            if parent in sys.modules:
                setattr(sys.modules[parent], child, module)
            then()

        spec.loader.exec_module = exec_then_patch
        return spec


def apply_patches(names=PATCHES, say=_say, defer=False):
    """Applies the patches in order, each if it can; says which it skipped, and why. Returns {skipped: why}.

    With `defer`, a patch with DEFER_UNTIL (a module moto loads only when a request needs it, e.g. moto.ec2,
    whose import costs ~2 s of CPU) applies when that module is first imported, not now: a moto server that
    serves SQS alone never pays for EC2's patches. Their lines are said then."""
    if defer:
        later = {}
        for name in names:
            module = deferred_until(name)
            if module and module not in sys.modules:
                later.setdefault(module, []).append(name)
        for module, group in later.items():
            sys.meta_path.insert(0, _AfterImport(module, lambda group=group: apply_patches(group, say)))
        names = [n for n in names if not any(n in g for g in later.values())]
    skipped, versions = {}, {}
    for name in names:
        why = apply_patch(name)
        package, version = written_for(load(name))
        if package not in versions:
            versions[package] = installed_version(package)
        found = versions[package]
        if why is not None:
            skipped[name] = why
            say(f"skipped patch {name} (written for {package} {version}, found {found or 'none'}): {why}")
    # Checks cannot see all that a new version may change: say that the applied ones met another version.
    applied = [written_for(load(name)) for name in names if name not in skipped]
    for package, version in sorted(set(applied)):
        if versions[package] != version:
            count = applied.count((package, version))
            found = f"{package} {versions[package] or 'none'}"
            say(f"{count} patch{'es' if count != 1 else ''} written for {package} {version} passed the checks on {found} and apply")
    return skipped

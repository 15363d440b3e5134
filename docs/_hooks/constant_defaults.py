"""A griffe extension for the reference pages: a default that names a constant shows its value.

``timeout = DEFAULT_TIMEOUT`` tells a reader nothing they can use; the constant is private to
the module. The signature shows what the constant holds instead, as written in the source
(``Timeout(connect=10.0, read=60.0, total=None)``).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

# Only the client's tunables: NOT_GIVEN, say, reads better as itself than as its enum value.
_CONSTANT = re.compile(r"DEFAULT_[A-Z0-9_]+")


def _value_of(module: griffe.Object, name: str) -> str | None:
    """The source text of the constant ``name`` of ``module``, following an import once."""
    member = module.members.get(name)
    try:
        if isinstance(member, griffe.Alias):
            member = member.final_target
    except griffe.AliasResolutionError:
        return None
    if isinstance(member, griffe.Attribute) and member.value is not None:
        return str(member.value)
    return None


def _module(obj: griffe.Object) -> griffe.Object:
    while not obj.is_module and obj.parent is not None:
        obj = obj.parent
    return obj


def _walk(obj: griffe.Object) -> None:
    for member in list(obj.members.values()):
        if isinstance(member, griffe.Alias):
            continue
        if isinstance(member, griffe.Function):
            for param in member.parameters:
                default = str(param.default) if param.default is not None else ""
                if _CONSTANT.fullmatch(default):
                    value = _value_of(_module(member), default)
                    if value is not None:
                        param.default = value
        elif member.is_module or member.is_class:
            _walk(member)


class ConstantDefaults(griffe.Extension):
    """Replace parameter defaults that name a ``DEFAULT_*`` module constant by its value."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Rewrite the defaults once the whole package is loaded (imports can be followed)."""
        _walk(pkg)

    # The name of the same event before griffe 1.x's rename.
    on_package_loaded = on_package

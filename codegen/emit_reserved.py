"""Emit ``botpress_async/_reserved.py``: the route words a path parameter must not take.

A value equal to a literal segment of a sibling route (``search`` for ``/v1/files/{id}``)
turns the request into that other operation once the server routes it, and no encoding
helps: servers decode the path before they route it. The table lists, per operation and
path parameter, every such word with the operation it would reach, so the client can
refuse the value before sending.
"""

from __future__ import annotations

from pathlib import Path

from codegen.ir import Api, Operation
from codegen.writer import header

__all__ = ["emit", "reserved_words"]


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def reserved_words(operations: list[Operation]) -> dict[tuple[str, str], dict[str, dict[str, str]]]:
    """``(method, path) → parameter → word → operationId`` of the route the word reaches.

    A word is reserved for the parameter at position ``i`` of a route when another route of
    the same method has as many segments, the word as its literal segment ``i``, and
    segments elsewhere that can match (equal literals, or a parameter on either side).
    Words are kept lower case: some routers ignore case.
    """
    table: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    for op in operations:
        segments = op.path.split("/")
        for i, segment in enumerate(segments):
            if not _is_param(segment):
                continue
            for other in operations:
                theirs = other.path.split("/")
                if other is op or other.method != op.method or len(theirs) != len(segments):
                    continue
                word = theirs[i]
                if _is_param(word):
                    continue
                if all(
                    j == i or a == b or _is_param(a) or _is_param(b)
                    for j, (a, b) in enumerate(zip(segments, theirs, strict=True))
                ):
                    words = table.setdefault((op.method, op.path), {}).setdefault(segment[1:-1], {})
                    words.setdefault(word.lower(), other.operation_id)
    return table


def emit_reserved_module(apis: tuple[Api, ...]) -> str:
    """The reserved-words module."""
    operations = [op for api in apis for op in api.operations]
    table = reserved_words(operations)
    lines = [
        header(apis),
        '"""Route words that path parameters must not take, per operation (see ``_client``)."""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping",
        "from typing import Final",
        "",
        '__all__ = ["RESERVED"]',
        "",
        "#: (method, path template) → parameter → lower-case word → the operationId it reaches.",
        "RESERVED: Final[Mapping[tuple[str, str], Mapping[str, Mapping[str, str]]]] = {",
    ]
    for (method, path), params in sorted(table.items()):
        lines.append(f"    ({method!r}, {path!r}): {{")
        for name, words in sorted(params.items()):
            body = ", ".join(f"{w!r}: {o!r}" for w, o in sorted(words.items()))
            lines.append(f"        {name!r}: {{{body}}},")
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def emit(apis: tuple[Api, ...], root: Path) -> dict[Path, str]:
    """The reserved-words table."""
    return {root / "botpress_async" / "_reserved.py": emit_reserved_module(apis)}

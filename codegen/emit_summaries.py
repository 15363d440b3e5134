"""Emit ``botpress_async/_summaries.py``: each operation's one-line summary, for the CLI.

``botpress call --list`` prints them beside the operationIds. They come from the overlay
(`codegen.overlay`), never from the documents.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from codegen import overlay
from codegen.ir import Api
from codegen.writer import header

__all__ = ["emit", "emit_summaries_module"]


def _literal(text: str) -> str:
    """A string literal of ``text``, split in pieces that keep the lines under the limit."""
    pieces = textwrap.wrap(text, 80, drop_whitespace=False)
    return "(" + " ".join(repr(p) for p in pieces) + ")"


def emit_summaries_module(apis: tuple[Api, ...]) -> str:
    """The summary table module."""
    lines = [
        header(apis),
        '"""A one-line summary of every operation, by operationId (``botpress call --list``)."""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping",
        "from typing import Final",
        "",
        '__all__ = ["SUMMARIES"]',
        "",
        "SUMMARIES: Final[Mapping[str, str]] = {",
    ]
    for api in apis:
        ov = overlay.overlay_for(api.name)
        for op in api.operations:
            summary = overlay.operation_entry(ov, op).summary
            if summary:
                line = f"    {op.operation_id!r}: {summary!r},"
                if len(line) > 100:
                    line = f"    {op.operation_id!r}: {_literal(summary)},"
                lines.append(line)
    lines.append("}")
    return "\n".join(lines) + "\n"


def emit(apis: tuple[Api, ...], root: Path) -> dict[Path, str]:
    """The summary table."""
    return {root / "botpress_async" / "_summaries.py": emit_summaries_module(apis)}

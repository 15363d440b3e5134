"""Docstrings of generated models, in our own words from the overlay (`codegen.overlay`)."""

from __future__ import annotations

import textwrap

from codegen import overlay
from codegen.ir import Api, Model

__all__ = ["model_docstring"]

_WIDTH = 92


def _article(word: str) -> str:
    return "An" if word[0] in "aeiou" else "A"


def _fallback_summary(model: Model, api: Api) -> str:
    """A summary from the structure alone, for models the overlay gives none."""
    if model.source.endswith(" response"):
        op_id = model.source[: -len(" response")]
        return f"What ``{op_id}`` answers."
    return f"{_article(api.name)} {api.name} API model."


def model_docstring(model: Model, api: Api, indent: str = "    ") -> str:
    """The class docstring of one model: its summary, then one phrase per field."""
    ov = overlay.overlay_for(api.name)
    summary = overlay.model_summary(ov, model) or _fallback_summary(model, api)
    lines = textwrap.wrap(summary, _WIDTH - 3)  # the first line follows the opening quotes
    # Every field is listed (the reference pages show fields only here); one the overlay does
    # not describe yet is named by its wire name.
    described = [
        (f.name, overlay.field_text(ov, model, f) or f"Sent as ``{f.wire}``.") for f in model.fields
    ]
    if described:
        lines += ["", "Attributes:"]
        for name, text in described:
            lines += textwrap.wrap(
                f"{name}: {text}",
                _WIDTH,
                initial_indent="    ",
                subsequent_indent="        ",
            )
    body = "\n".join(indent + line if line else "" for line in lines)
    if len(lines) == 1:
        return f'{indent}"""{lines[0]}"""'
    return f'{indent}"""{body.lstrip()}\n{indent}"""'

"""An mkdocs hook: the rendered site names objects by their public paths only.

mkdocstrings names every object by where it is defined, so tooltips, anchors and links read
``botpress_async._errors.APIError`` although users import ``botpress_async.APIError``. After
each page is rendered (and autorefs has fixed its links), every such path whose last name the
public package exports is rewritten to the public one, and any other to its bare name; the
search index gets the same rewrite, so its links land on the rewritten anchors.
"""

from __future__ import annotations

import functools
import importlib
import re
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority

# A dotted path with one private module in it: package, private module, then the names.
_PRIVATE = re.compile(r"\b(botpress_(?:async|sync)(?:\.[a-z]\w*)*)\.(_[a-z]\w*)((?:\.\w+)+)")


@functools.cache
def _exports(package: str) -> frozenset[str]:
    try:
        module = importlib.import_module(package)
    except ImportError:
        return frozenset()
    return frozenset(getattr(module, "__all__", ()))


def _public(match: re.Match[str]) -> str:
    package, private, rest = match.group(1), match.group(2), match.group(3)
    first = rest[1:].split(".", 1)[0]
    if first in _exports(package):
        return package + rest
    # A generated resource module's classes are exported by its public twin (`runtime`).
    twin = f"{package}.{private[1:]}"
    if first in _exports(twin):
        return twin + rest
    # Not importable from a public module: name it alone rather than by a private path.
    return rest[1:]


def public_paths(text: str) -> str:
    """``text`` with private module paths of exported objects replaced by public ones."""
    return _PRIVATE.sub(_public, text)


@event_priority(-100)  # after autorefs has written its links
def on_post_page(output: str, **kwargs: Any) -> str:
    """Rewrite the page's final HTML."""
    return public_paths(output)


@event_priority(-100)  # after the search plugin has written its index
def on_post_build(config: Any, **kwargs: Any) -> None:
    """Rewrite the search index the same way, so that its links reach the new anchors."""
    index = Path(config["site_dir"]) / "search" / "search_index.json"
    if index.is_file():
        index.write_text(public_paths(index.read_text(encoding="utf-8")), encoding="utf-8")

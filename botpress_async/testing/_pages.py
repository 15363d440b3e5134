"""Page tokens of list operations: opaque, bound to one list and its filters, stable under change.

A walk through a list remembers which items it already returned; a page is the next items of
the list as it is now that the walk has not returned yet. Deleting an item between two pages
therefore neither skips a survivor nor repeats one, and asking again for the same token (a
retried request) answers the same page. The number of walks kept is bounded; the oldest go first.
"""

from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from ._store import Context, invalid

__all__ = ["paginate", "summaries"]

# Walks kept at once; a token of an evicted walk answers 400 and the caller starts again.
MAX_WALKS: Final = 1024


@dataclass
class _Walk:
    binding: str
    order: list[str] = field(default_factory=list)  # keys returned, page after page
    ends: list[int] = field(default_factory=list)  # where each page ends in ``order``


def _walks(ctx: Context) -> collections.OrderedDict[str, _Walk]:
    table = ctx.store.extra.get("page-walks")
    if not isinstance(table, collections.OrderedDict):
        table = collections.OrderedDict()
        ctx.store.extra["page-walks"] = table
    walks: collections.OrderedDict[str, _Walk] = table
    return walks


def _binding(ctx: Context) -> str:
    """What a token is bound to: the operation, its path, the caller's bot or workspace, filters."""
    query = {k: v for k, v in ctx.query.items() if k not in ("nextToken", "limit")}
    owner = ctx.bot.id if ctx.bot is not None else ctx.workspace_id
    text = json.dumps([ctx.op.operation_id, ctx.path, owner, query], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _keys(items: list[Any]) -> list[str]:
    """A stable identity per item: its id, else its content and how often that content came."""
    seen: collections.Counter[str] = collections.Counter()
    out = []
    for item in items:
        ident = item.get("id") if isinstance(item, dict) else None
        if isinstance(ident, (str, int)) and not isinstance(ident, bool):
            key = f"id:{ident}"
        else:
            key = json.dumps(item, sort_keys=True, default=str)
        seen[key] += 1
        out.append(f"{key}#{seen[key]}")
    return out


def _encode(walk_id: str, page: int, binding: str) -> str:
    raw = f"{walk_id}:{page}:{binding}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str) -> tuple[str, int, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        walk_id, page, binding = raw.split(":")
        return walk_id, int(page), binding
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise invalid("nextToken is not a token this server issued") from exc


def paginate(ctx: Context, items: Iterable[Any]) -> tuple[list[Any], dict[str, Any]]:
    """One page of ``items`` for the query's ``nextToken``, and the ``meta`` to answer.

    Args:
        ctx: the request (its query carries ``nextToken`` and ``limit``).
        items: the whole list as it is now, in the list's order.
    """
    seq = list(items)
    size = ctx.page_size
    limit = ctx.query.get("limit")
    if isinstance(limit, int) and 0 < limit < size:
        size = limit
    binding = _binding(ctx)
    walks = _walks(ctx)
    token = ctx.query.get("nextToken")
    walk: _Walk | None = None
    page_no = 0
    if token:
        if not isinstance(token, str):
            raise invalid("nextToken is not a token this server issued")
        walk_id, page_no, token_binding = _decode(token)
        if token_binding != binding:
            raise invalid("nextToken belongs to another list or to other filters")
        walk = walks.get(walk_id)
        if walk is None or walk.binding != binding or not 0 < page_no <= len(walk.ends):
            raise invalid("nextToken has expired; list again from the first page")
        walks.move_to_end(walk_id)
    done = set(walk.order[: walk.ends[page_no - 1]]) if walk is not None else set()
    keys = _keys(seq)
    chosen = [i for i, key in enumerate(keys) if key not in done]
    page_idx, rest = chosen[:size], chosen[size:]
    meta: dict[str, Any] = {}
    if rest:
        if walk is None:
            walk_id = ctx.store.secret(12)
            walk = walks[walk_id] = _Walk(binding)
            while len(walks) > MAX_WALKS:
                walks.popitem(last=False)
        else:
            walk_id = _decode(str(token))[0]
        # A replayed token rewrites its own page and forgets the pages after it.
        start = walk.ends[page_no - 1] if page_no else 0
        del walk.order[start:], walk.ends[page_no:]
        walk.order.extend(keys[i] for i in page_idx)
        walk.ends.append(len(walk.order))
        meta["nextToken"] = _encode(walk_id, page_no + 1, binding)
    return [seq[i] for i in page_idx], meta


def summaries(ctx: Context, key: str, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``items`` cut down to the fields the answer's schema names for an item of list ``key``.

    A stored record also holds what a list never shows (signing secrets, a plugin's code), and
    list item schemas leave other fields allowed, so without this a list would hand them out.
    """
    schema = ctx.op.response_schema.get("properties", {}).get(key, {}).get("items", {})
    names = schema.get("properties")
    if not names:
        return list(items)
    return [{k: v for k, v in item.items() if k in names} for item in items]

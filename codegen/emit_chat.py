"""The Chat API's own path through the generator: its document, a patch step, three emitters.

The Chat API (``chat.botpress.cloud/{webhookId}``) is not one of the five Cloud APIs: it is
reached with a user key, not a token, and has a client of its own
(`botpress_async.chat.AsyncChatClient`). It is built from the vendored ``chat.json`` after
`patch_chat_document`, which adds what the published document (0.0.0) predates, and emits:

- ``botpress_async/models/chat.py``: its models (with the shared models emitter);
- ``botpress_async/chat/_operations.py``: `ChatOperations`, one method per operation, each
  sent through the user-bound sender that fills in ``x-user-key``;
- ``botpress_sync/chat/_user.py`` and ``_client.py``: the blocking twins of the hand-written
  `botpress_async.chat.AsyncChatUser` and `AsyncChatClient` (with the sync emitter's member
  renderer), above the hand-written bases of ``botpress_sync/chat/_base.py``;
- ``botpress_sync/_tables.py``: the blocking `TableHandle`, made the same way from the
  hand-written `botpress_async.AsyncTableHandle` (not a chat class, but the same kind of
  twin), above ``botpress_sync/_table_base.py``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from codegen import emit_models, emit_sync
from codegen.build import ROOT, VENDORED, build_api
from codegen.emit_resources import _OPTIONS, _arg, _describe, _request_call, _used_models
from codegen.ir import Api, Operation
from codegen.pytypes import annotation
from codegen.writer import MARKER, header

__all__ = [
    "STREAMING",
    "SYNC_TWINS",
    "USER_KEY",
    "SyncTwin",
    "emit",
    "emit_sync_twin",
    "load_chat_api",
    "patch_chat_document",
]

CHAT_DOCUMENT = VENDORED / "chat.json"
USER_KEY = "x-user-key"
# Operations answered with a stream, not JSON: the hand-written listener covers them.
STREAMING = frozenset({"listenConversation"})

# -- the patch step -------------------------------------------------------------------------
# What the published document lacks, from the Chat integration's source: the ``bloc``
# payload (a message made of several payloads) and a free-form ``metadata`` object on
# messages (a streamed message's final form carries its ``streamId`` there).
_BLOC_PAYLOAD: dict[str, Any] = {
    "title": "Bloc",
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": {"type": "object", "additionalProperties": {}}},
        "type": {"type": "string", "enum": ["bloc"]},
    },
    "required": ["items", "type"],
}
_METADATA: dict[str, Any] = {"type": "object", "additionalProperties": {}}


def _patch_payloads(node: Any) -> None:
    """Add the bloc payload and message metadata wherever a message payload is declared."""
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict) and isinstance(props.get("payload"), dict):
            variants = props["payload"].get("oneOf")
            if isinstance(variants, list):
                if not any(_BLOC_PAYLOAD["title"] == v.get("title") for v in variants):
                    variants.append(copy.deepcopy(_BLOC_PAYLOAD))
                props.setdefault("metadata", copy.deepcopy(_METADATA))
        for value in node.values():
            _patch_payloads(value)
    elif isinstance(node, list):
        for item in node:
            _patch_payloads(item)


def patch_chat_document(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of the chat document completed for the generator.

    Besides the payload additions, each ``x-user-key`` header parameter is taken out of the
    operation's parameters and recorded as ``x-requires-user-key``: the user-bound client
    sends the key itself, so it never becomes a method argument.

    Args:
        doc: the vendored chat document.
    """
    out = copy.deepcopy(dict(doc))
    _patch_payloads(out)
    for item in out.get("paths", {}).values():
        for op in item.values():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            params = op.get("parameters", [])
            kept = [p for p in params if str(p.get("name", "")).lower() != USER_KEY]
            if len(kept) != len(params):
                op["parameters"] = kept
                op["x-requires-user-key"] = True
    return out


def load_chat_api(path: Path = CHAT_DOCUMENT) -> Api:
    """Read, patch and build the chat document's IR (streaming operations left out)."""
    raw = path.read_bytes()
    patched = patch_chat_document(json.loads(raw))
    api = build_api("chat", patched, source=f"{path.parent.name}/{path.name}", sha256=_sha(raw))
    keyed = {
        str(op["operationId"])
        for item in patched["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("x-requires-user-key")
    }
    ops = tuple(
        attrs.evolve(op, requires=(USER_KEY,) if op.operation_id in keyed else ())
        for op in api.operations
        if op.operation_id not in STREAMING
    )
    return attrs.evolve(api, operations=ops, source=path.relative_to(ROOT).as_posix())


def _sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# -- the async operations -------------------------------------------------------------------


def _docstring(op: Operation) -> str:
    """A chat method's docstring: route, key, arguments and result (no document prose)."""
    lines = [f"{op.method} {op.path} (``{op.operation_id}``).", ""]
    if op.requires:
        lines.append("Sent with the connected user's key (x-user-key).")
    else:
        lines.append("Sent without a user key.")
    if not op.idempotent:
        lines.append("Not repeated after an attempt whose outcome is unknown.")
    if op.pagination:
        lines.append(
            "Returns a pager: ``async for`` walks every item over all pages, ``await`` gives "
            f"the first page (`{op.response}`)."
        )
    if op.parameters:
        lines += ["", "Args:"]
        for p in op.parameters:
            need = "required" if p.required else "optional"
            lines.append(f"    {p.name}: {p.location} ``{p.wire}``, {_describe(p.type)}, {need}.")
    lines += ["", "Returns:"]
    if op.pagination:
        item = _describe(op.pagination.item_type)
        lines.append(f"    `AsyncPager` of {item} items, over `{op.response}` pages.")
    else:
        lines.append(f"    `{op.response}`.")
    wrapped: list[str] = []
    for line in lines:
        indent = "        " if line.startswith("    ") else ""
        wrapped += textwrap.wrap(line, 92, subsequent_indent=indent) or [""]
    body = "\n".join(("        " + line) if line else "" for line in wrapped)
    return f'        """{body.lstrip()}\n        """'


def _method(op: Operation, api: Api) -> str:
    """One chat operation's method; the request goes through ``self._client._request``."""
    signature = "".join(_arg(p) for p in op.parameters) + _OPTIONS_ARGS
    head = f"        self,\n        *,\n{signature}"
    doc = _docstring(op)
    if op.pagination is None:
        return (
            f"    async def {op.name}(\n{head}    ) -> {op.response}:\n{doc}\n"
            f"        data = {_request_call(op, api)}\n"
            f"        return structure(data, {op.response})\n"
        )
    pg = op.pagination
    return (
        f"    def {op.name}(\n{head}    ) -> AsyncPager[{annotation(pg.item_type)}, "
        f"{op.response}]:\n{doc}\n"
        f"        options = {_OPTIONS}\n\n"
        f"        async def fetch(cursor: NotGivenOr[str]) -> {op.response}:\n"
        f"            data = {_request_call(op, api, cursor_var='cursor')}\n"
        f"            return structure(data, {op.response})\n\n"
        f"        return AsyncPager(fetch, first_token=next_token, "
        f"items=lambda page: page.{pg.items_field}, "
        f"next_token=lambda page: page.{'.'.join(pg.token_path)})\n"
    )


_OPTIONS_ARGS = (
    "        timeout: NotGivenOr[Timeout | float | None] = NOT_GIVEN,\n"
    "        max_retries: NotGivenOr[int] = NOT_GIVEN,\n"
    "        extra_headers: Mapping[str, str | None] | None = None,\n"
    "        extra_query: Mapping[str, Any] | None = None,\n"
    "        extra_body: Mapping[str, Any] | None = None,\n"
)


def emit_operations_module(api: Api) -> str:
    """``botpress_async/chat/_operations.py``."""
    parts = [
        header([api]),
        f'"""The {api.title} {api.version}: `ChatOperations`, one method per operation."""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping, Sequence",
        "from typing import TYPE_CHECKING, Any, Literal",
        "",
        "from botpress_async._converter import structure, unstructure",
        "from botpress_async._pagination import AsyncPager",
        "from botpress_async._types import (",
        "    NOT_GIVEN, NotGiven, NotGivenOr, RequestOptions, Timeout,",
        ")",
        "from botpress_async.models.chat import (" + ", ".join(_used_models(api)) + ",)",
        "",
        "if TYPE_CHECKING:",
        "    from botpress_async.chat._sender import ChatSender",
        "",
        '__all__ = ["ChatOperations"]',
        "",
        "",
        "class ChatOperations:",
        '    """Every operation of the Chat API, sent as the connected user."""',
        "",
        '    __slots__ = ("_client",)',
        "",
        "    def __init__(self, client: ChatSender) -> None:",
        '        """Bind the operations to ``client``, which sends them with the user key."""',
        "        self._client = client",
        "",
    ]
    parts += [_method(op, api) for op in api.operations]
    return "\n".join(parts) + "\n"


# -- the blocking twin ----------------------------------------------------------------------


@attrs.frozen
class SyncTwin:
    """One blocking class of ``botpress_sync.chat`` generated from a hand-written async one.

    Attributes:
        module: the async class's module.
        async_class: the async class.
        sync_class: the blocking class generated from it.
        base: the hand-written base it extends (in ``base_module``).
        docstring: the blocking class's docstring.
        skip: members of the async class whose blocking twins the base writes by hand.
        directory: the folder of the generated module, from the checkout's root.
        base_module: the module of the base.
        type_param: the type variable the class is generic in, with its origin, if any.
    """

    module: str
    async_class: str
    sync_class: str
    base: str
    docstring: str
    skip: frozenset[str] = frozenset()
    directory: str = "botpress_sync/chat"
    base_module: str = "botpress_sync.chat._base"
    type_param: emit_sync.Import | None = None


_CLIENT_DOC = """Blocking client of the Chat API: `AsyncChatClient` for plain code.

    Takes the arguments of `AsyncChatClient` (except ``session``). Use it as ``with
    ChatClient(...) as chat:`` or close it with `close`.

    Args:
        webhook_id: the Chat integration's webhook id (default: ``BP_CHAT_WEBHOOK_ID``).
        **kwargs: the other arguments of `AsyncChatClient` (``url=``, ``timeout=``...).
    """

_TABLE_DOC = """One table of the bot, rows typed by ``C``; every method blocks until it is done.

    Made by ``client.tables.table("ordersTable", Order)`` on a blocking `Client`.
    """

#: The generated blocking twins by file name, in the order they are made (the chat client
#: imports the chat user).
SYNC_TWINS: dict[str, SyncTwin] = {
    "_user.py": SyncTwin(
        "botpress_async.chat._user",
        "AsyncChatUser",
        "ChatUser",
        "ChatUserBase",
        "A connected user of the blocking `ChatClient`: each call blocks until done.",
    ),
    "_client.py": SyncTwin(
        "botpress_async.chat._client",
        "AsyncChatClient",
        "ChatClient",
        "ChatClientBase",
        _CLIENT_DOC,
        # The base builds, finds and closes the client; a blocking client is closed once
        # close() ran, whether or not its loop ever started.
        skip=frozenset({"__init__", "for_bot", "aclose", "is_closed"}),
    ),
    # The table handle's methods only forward, so all of them are generated; the base holds
    # the async handle.
    "_tables.py": SyncTwin(
        "botpress_async._table_handle",
        "AsyncTableHandle",
        "TableHandle",
        "TableHandleBase",
        _TABLE_DOC,
        directory="botpress_sync",
        base_module="botpress_sync._table_base",
        type_param=emit_sync.Import("botpress_async._row", "C"),
    ),
}


def emit_sync_twin(twin: SyncTwin, root: Path, fresh: dict[Path, str]) -> str:
    """The module of one generated blocking class.

    Args:
        twin: the class to generate.
        root: the checkout.
        fresh: files generated in this run, read instead of the checkout's.
    """
    sources = emit_sync.Sources(root, fresh)
    out = emit_sync.Rendered()
    for member in emit_sync.members(sources, twin.module, twin.async_class, skip=twin.skip):
        if not member.name.startswith("_"):
            emit_sync.render_member(member, out, is_client=False)
    runtime = dict(out.runtime_names)
    base = twin.base
    if twin.type_param is not None:
        # The type variable is a base class's argument, so it is needed at run time.
        runtime[twin.type_param.name] = twin.type_param
        base = f"{twin.base}[{twin.type_param.name}]"
    typing_only = {k: v for k, v in out.typing_names.items() if k not in runtime}
    # The docstring names the class where users import it: its module's public package.
    public = ".".join(part for part in twin.module.split(".") if not part.startswith("_"))
    lines = [
        f"# Generated by codegen.emit_chat from {twin.module}.{twin.async_class}.",
        f"# {MARKER}",
        f'"""Blocking twin of `{public}.{twin.async_class}` (generated)."""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import TYPE_CHECKING",
        "",
        "from botpress_sync import _loop",
        f"from {twin.base_module} import {twin.base}",
        *emit_sync._import_lines(runtime),
        "",
        "if TYPE_CHECKING:",
        *(["    " + line for line in emit_sync._import_lines(typing_only)] or ["    pass"]),
        "",
        f"__all__ = [{twin.sync_class!r}]",
        "",
        "",
        f"class {twin.sync_class}({base}):",
        f'    """{twin.docstring}"""',
        "",
        "    __slots__ = ()",
        "",
        "\n".join(out.body),
    ]
    return "\n".join(lines) + "\n"


def emit(apis: object, root: Path) -> dict[Path, str]:
    """Every generated file of the Chat API (``apis``, the five Cloud APIs, is not used)."""
    api = load_chat_api()
    ops_path = root / "botpress_async" / "chat" / "_operations.py"
    out = {
        root / "botpress_async" / "models" / "chat.py": emit_models.emit_models_module(api),
        ops_path: emit_operations_module(api),
    }
    for name, twin in SYNC_TWINS.items():
        out[root / twin.directory / name] = emit_sync_twin(twin, root, dict(out))
    return out

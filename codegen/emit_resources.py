"""Emit ``botpress_async/resources/_<api>.py``: a resource class per API, a method per operation."""

from __future__ import annotations

import textwrap
from pathlib import Path

from codegen import overlay
from codegen.ir import Api, ArrayT, MapT, ModelT, Nullable, Operation, Parameter, TypeNode
from codegen.pytypes import annotation, is_passthrough
from codegen.writer import header

__all__ = ["docstring", "emit", "emit_resource_module", "method"]

_OPTIONS_ARGS = (
    "        timeout: NotGivenOr[Timeout | float | None] = NOT_GIVEN,\n"
    "        max_retries: NotGivenOr[int] = NOT_GIVEN,\n"
    "        extra_headers: Mapping[str, str | None] | None = None,\n"
    "        extra_query: Mapping[str, Any] | None = None,\n"
    "        extra_body: Mapping[str, Any] | None = None,\n"
)
_OPTIONS = (
    "RequestOptions(timeout=timeout, max_retries=max_retries, extra_headers=extra_headers, "
    "extra_query=extra_query, extra_body=extra_body)"
)
_TOKEN_NAMES = {"PAT": "personal access token", "BAK": "bot access key", "IAK": "integration key"}
_REQUIRES_TEXT = {
    "x-bot-id": "the client's ``bot_id`` (x-bot-id)",
    "x-workspace-id": "the client's ``workspace_id`` (x-workspace-id)",
    "x-integration-id": "the client's ``integration_id`` (x-integration-id)",
    "x-integration-alias": "the client's ``integration_alias`` (x-integration-alias)",
}


def _describe(node: TypeNode) -> str:
    """A short human description of a type, for ``Args:`` lines."""
    if isinstance(node, Nullable):
        return _describe(node.inner) + " or None"
    if isinstance(node, ArrayT):
        return "list of " + _describe(node.item)
    if isinstance(node, MapT):
        return "mapping of str to " + _describe(node.value)
    if isinstance(node, ModelT):
        return f"`{node.name}`"
    return annotation(node)


def _sentence(text: str) -> str:
    """``text`` ending with a full stop, so that the structural words after it read apart."""
    return text if text.endswith((".", "?", "!")) else text + "."


def docstring(op: Operation, api: Api) -> str:
    """The generated docstring of an operation's method (structure only, no document prose)."""
    kinds = ", ".join(_TOKEN_NAMES[k] for k in api.token_kinds)
    # Our own words from the overlay lead; the structural lines below follow them.
    ov = overlay.overlay_for(api.name)
    entry = overlay.operation_entry(ov, op)
    lines = [entry.summary, ""] if entry.summary else []
    if entry.details:
        lines += [entry.details, ""]
    lines += [f"{op.method} {op.path} (``{op.operation_id}``).", ""]
    lines.append(f"Reached with a {kinds}.")
    if op.requires:
        lines.append("Requires " + " and ".join(_REQUIRES_TEXT[h] for h in op.requires) + ".")
    if op.pagination:
        lines.append(
            "Returns a pager: ``async for`` walks every item over all pages, ``await`` gives "
            f"the first page (`{op.response}`)."
        )
    if op.deprecated:
        lines.append("The API marks this operation deprecated.")
    if op.parameters:
        lines += ["", "Args:"]
        for p in op.parameters:
            need = "required" if p.required else "optional"
            where = f"{p.location} ``{p.wire}``"
            phrase = overlay.param_text(ov, op, p)
            if phrase:
                where = where[0].upper() + where[1:]
                facts = f"{where}, {_describe(p.type)}, {need}."
                lines.append(f"    {p.name}: {_sentence(phrase)} {facts}")
            else:
                lines.append(f"    {p.name}: {where}, {_describe(p.type)}, {need}.")
    lines += ["", "Returns:"]
    if op.pagination:
        item = _describe(op.pagination.item_type)
        lines.append(f"    `AsyncPager` of {item} items, over `{op.response}` pages.")
    else:
        lines.append(f"    `{op.response}`.")
    # The first line shares its row with the opening quotes.
    wrapped = textwrap.wrap(lines[0], 89)
    for line in lines[1:]:
        extra = "    " if line.startswith("    ") else ""
        wrapped += textwrap.wrap(line, 92, subsequent_indent=extra + "    " * bool(extra)) or [""]
    body = "\n".join(("        " + line) if line else "" for line in wrapped)
    return f'        """{body.lstrip()}\n        """'


def _arg(p: Parameter) -> str:
    ann = annotation(p.type, argument=True)
    if p.required:
        return f"        {p.name}: {ann},\n"
    return f"        {p.name}: NotGivenOr[{ann}] = NOT_GIVEN,\n"


def _value(p: Parameter) -> str:
    """The expression sent for a parameter: models are encoded, everything else as given."""
    if is_passthrough(p.type):
        return p.name
    if p.required:
        return f"unstructure({p.name})"
    return f"{p.name} if isinstance({p.name}, NotGiven) else unstructure({p.name})"


def _request_call(op: Operation, api: Api, cursor_var: str | None = None) -> str:
    """The ``await self._client._request(...)`` expression of an operation."""
    by_location: dict[str, list[Parameter]] = {"path": [], "query": [], "header": [], "body": []}
    for p in op.parameters:
        by_location[p.location].append(p)
    args = [repr(op.method), repr(op.path)]

    def mapping(params: list[Parameter]) -> str:
        items = []
        for p in params:
            is_token = cursor_var and p.wire == "nextToken"
            value = cursor_var if is_token else _value(p)
            items.append(f"{p.wire!r}: {value}")
        return "{" + ", ".join(items) + "}"

    if by_location["path"]:
        args.append("path_params=" + mapping(by_location["path"]))
    if by_location["query"]:
        args.append("query=" + mapping(by_location["query"]))
    if by_location["header"]:
        args.append("headers=" + mapping(by_location["header"]))
    if op.has_body:
        args.append("json=" + mapping(by_location["body"]))
    args.append(f"api={api.name!r}")
    args.append(f"idempotent={op.idempotent}")
    if op.requires:
        args.append("requires=(" + "".join(f"{h!r}, " for h in op.requires) + ")")
    # A pager's fetch sends every page with the options its method built once.
    args.append("options=" + ("options" if cursor_var else _OPTIONS))
    return "await self._client._request(" + ", ".join(args) + ")"


def method(op: Operation, api: Api) -> str:
    """The method of one operation."""
    signature = "".join(_arg(p) for p in op.parameters) + _OPTIONS_ARGS
    doc = docstring(op, api)
    if op.pagination is None:
        return (
            f"    async def {op.name}(\n        self,\n        *,\n{signature}"
            f"    ) -> {op.response}:\n"
            f"{doc}\n"
            f"        data = {_request_call(op, api)}\n"
            f"        return structure(data, {op.response})\n"
        )
    pg = op.pagination
    item = annotation(pg.item_type)
    token_expr = "page." + ".".join(pg.token_path)
    return (
        f"    def {op.name}(\n        self,\n        *,\n{signature}"
        f"    ) -> AsyncPager[{item}, {op.response}]:\n"
        f"{doc}\n"
        f"        options = {_OPTIONS}\n\n"
        f"        async def fetch(cursor: NotGivenOr[str]) -> {op.response}:\n"
        f"            data = {_request_call(op, api, cursor_var='cursor')}\n"
        f"            return structure(data, {op.response})\n\n"
        f"        return AsyncPager(\n"
        f"            fetch,\n"
        f"            first_token=next_token,\n"
        f"            items=lambda page: page.{pg.items_field},\n"
        f"            next_token=lambda page: {token_expr},\n"
        f"        )\n"
    )


def _used_models(api: Api) -> list[str]:
    names: set[str] = set()

    def visit(node: TypeNode) -> None:
        if isinstance(node, ModelT):
            names.add(node.name)
        elif isinstance(node, ArrayT):
            visit(node.item)
        elif isinstance(node, MapT):
            visit(node.value)
        elif isinstance(node, Nullable):
            visit(node.inner)

    for op in api.operations:
        visit(op.response_type)
        for p in op.parameters:
            visit(p.type)
        if op.pagination:
            visit(op.pagination.item_type)
    return sorted(names)


def emit_resource_module(api: Api) -> str:
    """The generated resource module of one API."""
    cls = f"{api.class_prefix}Resource"
    models = _used_models(api)
    paged = any(op.pagination for op in api.operations)
    parts = [
        header([api]),
        f'"""The {api.title} {api.version}: `{cls}`, one method per operation."""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping, Sequence",
        "from typing import Any, Literal",
        "",
        "from botpress_async._converter import structure, unstructure",
        "from botpress_async._pagination import AsyncPager" if paged else "",
        "from botpress_async._types import (",
        "    NOT_GIVEN, NotGiven, NotGivenOr, RequestOptions, Timeout,",
        ")",
        "from botpress_async._resource import Resource",
        f"from botpress_async.models.{api.name} import (" + ", ".join(models) + ",)",
        "",
        f'__all__ = ["{cls}"]',
        "",
        "",
        f"class {cls}(Resource):",
        f'    """Every operation of the {api.title}, reached through ``client.{api.name}``."""',
        "",
        "    __slots__ = ()",
        "",
    ]
    for op in api.operations:
        parts.append(method(op, api))
    return "\n".join(parts) + "\n"


def emit(apis: tuple[Api, ...], root: Path) -> dict[Path, str]:
    """Every generated resource module."""
    return {
        root / "botpress_async" / "resources" / f"_{api.name}.py": emit_resource_module(api)
        for api in apis
    }

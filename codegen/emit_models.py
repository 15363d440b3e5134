"""Emit ``botpress_async/models/<api>.py``: attrs models and their converter hooks."""

from __future__ import annotations

from pathlib import Path

from codegen.docstrings import model_docstring
from codegen.ir import Api, Field, Model, Nullable
from codegen.pytypes import annotation, decode_expr, encode_expr, is_passthrough
from codegen.writer import header

__all__ = ["emit", "emit_models_module", "model_class", "model_hooks"]


def _field_line(field: Field, request: bool) -> str:
    """One attrs field declaration."""
    ann = annotation(field.type)
    if field.required:
        return f"    {field.name}: {ann}"
    if request:
        return f"    {field.name}: NotGivenOr[{ann}] = NOT_GIVEN"
    if isinstance(field.type, Nullable) or ann == "Any":
        return f"    {field.name}: {ann} = None"
    return f"    {field.name}: {ann} | None = None"


def model_class(model: Model, api: Api) -> str:
    """The attrs class of one model."""
    # repr comes from BaseModel, which shows a malformed field instead of raising on it.
    lines = ["@attrs.frozen(kw_only=True, repr=False)", f"class {model.name}(BaseModel):"]
    lines.append(model_docstring(model, api))
    lines.append("")
    lines.extend(_field_line(f, model.request) for f in model.fields)
    wires = ", ".join(repr(f.wire) for f in model.fields)
    lines.append(f"    _wire_names: ClassVar[frozenset[str]] = frozenset({{{wires}}})")
    return "\n".join(lines) + "\n"


def _declare_v(lines: list[str]) -> list[str]:
    """Declare the scratch variable ``v`` as Any in each function that uses it.

    One name holds values of different types in turn; mypy needs to be told that is fine.
    """
    out: list[str] = []
    start = 0
    for i, line in enumerate([*lines, "def"]):
        if line.startswith("def") and i > start:
            chunk = lines[start:i]
            uses = any(x.startswith("    v = ") for x in chunk)
            body = next((j for j, x in enumerate(chunk) if x.startswith("    ")), len(chunk))
            if uses and chunk[0].startswith("def"):
                # after the signature, which ends with the line holding "-> ...:"
                sig_end = next(j for j, x in enumerate(chunk) if x.rstrip().endswith(":"))
                body = sig_end + 1
                chunk = [*chunk[:body], "    v: Any", *chunk[body:]]
            out += chunk
            start = i
    return out


def model_hooks(model: Model) -> str:
    """The decode and encode hooks of one model, and their registration on the converter.

    Decoding is lazy per instance: the structure hook (``lazy_decoder``) only keeps the JSON
    object; the first read of any field runs the generated ``_fill_<Model>``, which decodes
    every field into its slot at once.
    """
    n = model.name
    missing = "NOT_GIVEN" if model.request else "None"
    names = ", ".join(repr(f.name) for f in model.fields)
    setters = "".join(f"    _s{i}: Setter = _S_{n}[{i}],\n" for i in range(len(model.fields)))
    star = "    *,\n" if setters else ""
    out = [
        f"_S_{n} = slot_setters({n}, ({names}{',' if len(model.fields) == 1 else ''}))",
        "",
        "",
        f"def _fill_{n}(\n    o: Any,\n    d: Any,\n{star}{setters}) -> None:",
    ]
    for i, field in enumerate(model.fields):
        wire = repr(field.wire)
        if field.required:
            if is_passthrough(field.type):
                out.append(f"    _s{i}(o, d[{wire}])")
            else:
                out.append(f"    v = d[{wire}]")
                out.append(f"    _s{i}(o, {decode_expr(field.type, 'v')})")
        elif is_passthrough(field.type):
            out.append(f"    _s{i}(o, d.get({wire}, {missing}))")
        else:
            out.append(f"    v = d.get({wire}, {missing})")
            out.append(f"    _s{i}(o, v if v is {missing} else {decode_expr(field.type, 'v')})")
    if not model.fields:
        out.append("    return")
    out += ["", "", f"_d_{n} = lazy_decoder({n}, _fill_{n})", "", ""]
    out.append(f"def _e_{n}(o: Any, _t: Any = None) -> Any:")
    out.append(f"    if not isinstance(o, {n}):")
    out.append("        return o  # a plain mapping is sent as the caller wrote it")
    required = [f for f in model.fields if f.required]
    items = ", ".join(f"{f.wire!r}: {encode_expr(f.type, 'o.' + f.name)}" for f in required)
    if all(is_passthrough(f.type) for f in required):
        out.append(f"    d: dict[str, Any] = {{{items}}}")
    else:
        out.append("    d: dict[str, Any] = {}")
        for f in required:
            if is_passthrough(f.type):
                out.append(f"    d[{f.wire!r}] = o.{f.name}")
            else:
                out.append(f"    v = o.{f.name}")
                out.append(f"    d[{f.wire!r}] = {encode_expr(f.type, 'v')}")
    for f in model.fields:
        if f.required:
            continue
        out.append(f"    v = o.{f.name}")
        out.append(f"    if v is not {missing}:")
        out.append(f"        d[{f.wire!r}] = {encode_expr(f.type, 'v')}")
    out.append("    return d")
    out = _declare_v(out)
    out += ["", "", f"register_model({n}, _d_{n}, _e_{n})"]
    return "\n".join(out) + "\n"


def emit_models_module(api: Api) -> str:
    """The whole models module of one API."""
    names = sorted({m.name for m in api.models} | {a for m in api.models for a in m.aliases})
    parts = [
        header([api]),
        f'"""Models of the {api.title} {api.version}: one frozen attrs class per object schema.',
        "",
        "Fields are snake_case; the converter hooks below map them to the camelCase wire names.",
        "Names follow the operation and property that use them (``ListUsersResponse``,",
        "``ListUsersResponseMeta``); a structure used in several places has one class and an",
        'alias per further name.\n"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any, ClassVar, Literal",
        "",
        "import attrs",
        "",
        "from botpress_async._converter import (",
        "    BaseModel, Setter, lazy_decoder, register_model, slot_setters,",
        ")",
        "from botpress_async._types import NOT_GIVEN, NotGivenOr",
        *handwritten_imports(api),
        "",
        "__all__ = [" + ", ".join(repr(n) for n in names) + "]",
        "",
    ]
    # Hand-written models (codegen.overrides.HANDWRITTEN) are imported, not generated.
    generated = [m for m in api.models if not m.handwritten]
    for model in generated:
        parts += ["", model_class(model, api)]
    for model in api.models:
        for alias in model.aliases:
            parts.append(f"{alias} = {model.name}")
    for model in generated:
        parts += ["", model_hooks(model)]
    parts += [
        f"\n\nregister_model({m.name}, _d_{m.name}, _e_{m.name})"
        for m in api.models
        if m.handwritten
    ]
    return "\n".join(parts) + "\n"


def handwritten_imports(api: Api) -> list[str]:
    """Imports that stand in for the models the SDK writes by hand.

    The class keeps the schema's name, and its module's ``from_wire`` / ``to_wire`` functions
    become the ``_d_<Name>`` / ``_e_<Name>`` hooks the generated models call, so nothing else
    in the module changes; the module registers them on the converter like its own.
    """
    lines: list[str] = []
    for model in api.models:
        if not model.handwritten:
            continue
        module, cls = model.handwritten.rsplit(".", 1)
        lines += [
            f"from {module} import {cls} as {model.name}",
            f"from {module} import from_wire as _d_{model.name}",
            f"from {module} import to_wire as _e_{model.name}",
        ]
    return lines


def emit(apis: tuple[Api, ...], root: Path) -> dict[Path, str]:
    """Every models module, plus the package's ``__init__``."""
    out = {
        root / "botpress_async" / "models" / f"{api.name}.py": emit_models_module(api)
        for api in apis
    }
    out[root / "botpress_async" / "models" / "__init__.py"] = (
        header(apis) + '"""The models of each API, one module per API, imported on first use."""\n'
    )
    return out

"""Emit ``botpress_async/models/<api>.py``: attrs models and their converter hooks."""

from __future__ import annotations

from pathlib import Path

from codegen.docstrings import model_docstring
from codegen.ir import Api, Field, Model, ModelT, Nullable
from codegen.overrides import LEAF_MODELS
from codegen.pytypes import annotation, decode_expr, encode_expr, is_passthrough
from codegen.writer import header

__all__ = [
    "emit",
    "emit_models_module",
    "leaf_module",
    "list_models",
    "model_class",
    "model_hooks",
]


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


def _reader(field: Field, missing: str, lists: frozenset[str]) -> str:
    """A one-argument lambda reading ``field`` from the JSON object ``d`` (the slow path)."""
    wire = repr(field.wire)
    if field.required:
        return f"lambda d: {decode_expr(field.type, f'd[{wire}]', lists)}"
    if is_passthrough(field.type):
        return f"lambda d: d.get({wire}, {missing})"
    got = f"(v := d.get({wire}, {missing}))"
    return f"lambda d: {missing} if {got} is {missing} else {decode_expr(field.type, 'v', lists)}"


def _fill(
    model: Model, missing: str, lists: frozenset[str], pad: str, keys: list[str] | None = None
) -> list[str]:
    """The statements that fill the twin ``o`` from the JSON object ``d``, indented by ``pad``.

    Every field is inline; a JSON object they cannot decode raises one of ``SHAPE_ERRORS``,
    and the caller hands the twin to ``salvage``, which reads the fields one by one. The
    fields are looked up by their wire names, or by the names in ``keys`` (one per field).
    """
    n = model.name
    body: list[str] = []
    for i, field in enumerate(model.fields):
        wire = repr(field.wire) if keys is None else keys[i]
        if field.required and is_passthrough(field.type):
            body.append(f"o.{field.name} = d[{wire}]")
        elif field.required:
            body.append(f"v = d[{wire}]")
            body.append(f"o.{field.name} = {decode_expr(field.type, 'v', lists)}")
        elif is_passthrough(field.type):
            body.append(f"o.{field.name} = d.get({wire}, {missing})")
        else:
            body.append(f"v = d.get({wire}, {missing})")
            body.append(
                f"o.{field.name} = v if v is {missing} else {decode_expr(field.type, 'v', lists)}"
            )
    # The twin's __init__ is object's, so calling it is the cheapest way to a new instance.
    head = [
        "if d.__class__ is not dict:",
        f"    check_object(d, {n})",
        f"o = _T_{n}()",
        "o._raw = d",
    ]
    if body:
        head += ["try:", *("    " + line for line in body), "except SHAPE_ERRORS as exc:"]
    return [pad + line for line in head]


def _uses_v(lines: list[str]) -> bool:
    return any(line.lstrip().startswith("v = ") for line in lines)


def _decode_hook(model: Model, missing: str, lists: frozenset[str]) -> list[str]:
    """The structure hook: fill a mutable twin with slot stores, then make it the model."""
    n = model.name
    fill = _fill(model, missing, lists, "    ")
    out = [
        f"def _d_{n}(d: Any, _t: Any = None) -> {n}:",
        *(["    v: Any"] if _uses_v(fill) else []),
        "    o: Any",
        *fill,
    ]
    if fill[-1].endswith("except SHAPE_ERRORS as exc:"):
        out.append(f"        return salvage(o, {n}, _R_{n}, exc)")
    # through a typed name: mypy would flag returning the Any that the slot stores need
    out += [f"    o.__class__ = {n}", f"    done: {n} = o", "    return done"]
    return out


def _list_hook(model: Model, missing: str, lists: frozenset[str]) -> list[str]:
    """The list hook: decode a JSON array of the model, with the structure hook's body inline.

    It gives what ``[_d_<Name>(x) for x in items]`` gives, for less: no call per item, and
    the fields are looked up by the key objects of the page's first item (see
    ``botpress_async._converter.wire_keys``). A page of a pager decodes its items here.
    """
    n = model.name
    keys = [f"k{i}" for i in range(len(model.fields))]
    fill = _fill(model, missing, lists, "        ", keys)
    out = [
        f"def _l_{n}(items: Any) -> list[{n}]:",
        *(["    v: Any"] if _uses_v(fill) else []),
        "    o: Any",
        f"    out: list[{n}] = []",
    ]
    if keys:
        # the parser's own key objects, so that each lookup finds its key by identity
        # (written without a trailing comma, which the formatter would spread over lines)
        names = ", ".join(keys) if len(keys) > 1 else "(k0,)"
        wires = ", ".join(repr(f.wire) for f in model.fields) + ("" if len(keys) > 1 else ",")
        out.append(f"    {names} = wire_keys(items, ({wires}))")
    out += ["    for d in items:", *fill]
    if fill[-1].endswith("except SHAPE_ERRORS as exc:"):
        out += [f"            out.append(salvage(o, {n}, _R_{n}, exc))", "            continue"]
    out += [f"        o.__class__ = {n}", "        out.append(o)", "    return out"]
    return out


def list_models(api: Api) -> frozenset[str]:
    """The models whose arrays decode through a list hook (``_l_<Name>``).

    The items of the API's pagers, when generated here: only those, as a list hook per model
    would double the decoders' code for arrays that are rarely long, and the models modules
    are imported on first use. And every hand-written model: its module writes the hook
    (``list_from_wire``) once, and its arrays are the long ones (pages of table rows).
    """
    generated = {m.name for m in api.models if not m.handwritten and not _is_leaf(api, m)}
    handwritten = {m.name for m in api.models if m.handwritten}
    items = {
        op.pagination.item_type.name
        for op in api.operations
        if op.pagination is not None and isinstance(op.pagination.item_type, ModelT)
    }
    return frozenset((items & generated) | handwritten)


def model_hooks(model: Model, lists: frozenset[str] = frozenset()) -> str:
    """The decode and encode hooks of one model, and their registration on the converter.

    The structure hook fills every field when the model is built; see ``_decode_hook`` and
    the module docstring of ``botpress_async._converter`` for why it is shaped as it is.

    Args:
        model: the model.
        lists: the models of the module that have a list hook (see `list_models`); the
            model gets one too when it is among them.
    """
    n = model.name
    missing = "NOT_GIVEN" if model.request else "None"
    readers = "".join(f"    ({f.name!r}, {_reader(f, missing, lists)}),\n" for f in model.fields)
    out = [
        f"_T_{n} = mutable_twin({n})",
        f"_R_{n}: Readers = (\n{readers})" if readers else f"_R_{n}: Readers = ()",
        "",
        "",
        *_decode_hook(model, missing, lists),
        "",
        "",
    ]
    if n in lists:
        out += [*_list_hook(model, missing, lists), "", ""]
    out.append(f"def _e_{n}(o: Any, _t: Any = None) -> Any:")
    required = [f for f in model.fields if f.required]
    optional = [f for f in model.fields if not f.required]
    encode_at = len(out)  # where ``v: Any`` goes if the encoder uses ``v``
    out.append(f"    if not isinstance(o, {n}):")
    out.append("        return o  # a plain mapping is sent as the caller wrote it")
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
    for f in optional:
        out.append(f"    v = o.{f.name}")
        out.append(f"    if v is not {missing}:")
        out.append(f"        d[{f.wire!r}] = {encode_expr(f.type, 'v')}")
    out.append("    return d")
    if any(x.startswith("    v = ") for x in out[encode_at:]):
        out.insert(encode_at, "    v: Any")
    out += ["", "", f"register_model({n}, _d_{n}, _e_{n})"]
    return "\n".join(out) + "\n"


def _is_leaf(api: Api, model: Model) -> bool:
    return (api.name, model.name) in LEAF_MODELS


def _module_head(api: Api, docstring: list[str]) -> list[str]:
    return [
        header([api]),
        *docstring,
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any, ClassVar, Literal",
        "",
        "import attrs",
        "",
        "from botpress_async._converter import (",
        "    SHAPE_ERRORS, BaseModel, Readers, check_object, mutable_twin, register_model,",
        "    salvage, wire_keys,",
        ")",
        "from botpress_async._types import NOT_GIVEN, NotGivenOr",
    ]


def leaf_module(api: Api) -> str | None:
    """The API's leaf models module (codegen.overrides.LEAF_MODELS), or None when it has none."""
    leaves = [m for m in api.models if _is_leaf(api, m)]
    if not leaves:
        return None
    doc = [
        f'"""Models of the {api.title} that hand-written classes of the SDK build on.',
        "",
        "They import no other model, so those classes can import them while the API's models",
        f'module imports the classes; ``models.{api.name}`` re-exports every name here.\n"""',
    ]
    parts = [
        *_module_head(api, doc),
        "",
        "__all__ = [" + ", ".join(repr(m.name) for m in leaves) + "]",
        "",
    ]
    for model in leaves:
        parts += ["", model_class(model, api)]
    for model in leaves:
        parts += ["", model_hooks(model)]
    return "\n".join(parts) + "\n"


def emit_models_module(api: Api) -> str:
    """The whole models module of one API."""
    names = sorted({m.name for m in api.models} | {a for m in api.models for a in m.aliases})
    doc = [
        f'"""Models of the {api.title} {api.version}: one frozen attrs class per object schema.',
        "",
        "Fields are snake_case; the converter hooks below map them to the camelCase wire names.",
        "Names follow the operation and property that use them (``ListUsersResponse``,",
        "``ListUsersResponseMeta``); a structure used in several places has one class and an",
        'alias per further name.\n"""',
    ]
    leaf_imports = [
        f"from botpress_async.models._{api.name}_leaf import {m.name} as {m.name}\n"
        f"from botpress_async.models._{api.name}_leaf import _d_{m.name}, _e_{m.name}"
        for m in api.models
        if _is_leaf(api, m)
    ]
    lists = list_models(api)
    parts = [
        *_module_head(api, doc),
        *handwritten_imports(api, lists),
        *leaf_imports,
        "",
        "__all__ = [" + ", ".join(repr(n) for n in names) + "]",
        "",
    ]
    # Hand-written models (codegen.overrides.HANDWRITTEN) are imported, not generated, and so
    # are the leaf models (their own module registers them).
    generated = [m for m in api.models if not m.handwritten and not _is_leaf(api, m)]
    for model in generated:
        parts += ["", model_class(model, api)]
    for model in api.models:
        for alias in model.aliases:
            parts.append(f"{alias} = {model.name}")
    for model in generated:
        parts += ["", model_hooks(model, lists)]
    parts += [
        f"\n\nregister_model({m.name}, _d_{m.name}, _e_{m.name})"
        for m in api.models
        if m.handwritten
    ]
    return "\n".join(parts) + "\n"


def handwritten_imports(api: Api, lists: frozenset[str]) -> list[str]:
    """Imports that stand in for the models the SDK writes by hand.

    The class keeps the schema's name, and its module's ``from_wire`` / ``to_wire`` functions
    become the ``_d_<Name>`` / ``_e_<Name>`` hooks the generated models call, and its
    ``list_from_wire`` the ``_l_<Name>`` list hook of a model in ``lists`` (`list_models`), so
    nothing else in the module changes; the module registers them on the converter like its own.
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
        if model.name in lists:
            lines.append(f"from {module} import list_from_wire as _l_{model.name}")
    return lines


def emit(apis: tuple[Api, ...], root: Path) -> dict[Path, str]:
    """Every models module, plus the package's ``__init__``."""
    out = {
        root / "botpress_async" / "models" / f"{api.name}.py": emit_models_module(api)
        for api in apis
    }
    for api in apis:
        leaf = leaf_module(api)
        if leaf is not None:
            out[root / "botpress_async" / "models" / f"_{api.name}_leaf.py"] = leaf
    out[root / "botpress_async" / "models" / "__init__.py"] = (
        header(apis) + '"""The models of each API, one module per API, imported on first use."""\n'
    )
    return out

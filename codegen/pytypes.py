"""Python spellings of IR types: annotations, and decode/encode expressions.

Pure functions shared by the model and resource emitters.
"""

from __future__ import annotations

from codegen.ir import AnyT, ArrayT, EnumT, MapT, ModelT, Nullable, Prim, TypeNode

__all__ = ["annotation", "decode_expr", "encode_expr", "is_passthrough"]


def annotation(node: TypeNode, *, argument: bool = False) -> str:
    """The annotation for ``node``; arguments take read-only containers and plain objects."""
    if isinstance(node, Prim):
        return node.kind
    if isinstance(node, EnumT):
        return "Literal[" + ", ".join(repr(v) for v in node.values) + "]"
    if isinstance(node, AnyT):
        return "Any"
    if isinstance(node, ArrayT):
        outer = "Sequence" if argument else "list"
        return f"{outer}[{annotation(node.item, argument=argument)}]"
    if isinstance(node, MapT):
        outer = "Mapping" if argument else "dict"
        return f"{outer}[str, {annotation(node.value, argument=argument)}]"
    if isinstance(node, ModelT):
        # Arguments also take the plain JSON object, as the official client does: building a
        # model for every row of a bulk insert would only cost time.
        return f"{node.name} | Mapping[str, Any]" if argument else node.name
    inner = annotation(node.inner, argument=argument)
    return inner if inner == "Any" else f"{inner} | None"


def is_passthrough(node: TypeNode) -> bool:
    """Whether JSON for ``node`` is used as is (no model inside, so nothing to convert)."""
    if isinstance(node, ModelT):
        return False
    if isinstance(node, ArrayT):
        return is_passthrough(node.item)
    if isinstance(node, MapT):
        return is_passthrough(node.value)
    if isinstance(node, Nullable):
        return is_passthrough(node.inner)
    return True


def _convert(
    node: TypeNode, var: str, fn: str, depth: int, lists: frozenset[str] = frozenset()
) -> str:
    """An expression converting ``var`` (a plain name) with per-model functions ``fn<Name>``.

    An array of a model named in ``lists`` is converted by that model's list hook
    (``_l_<Name>``) in one call, rather than by a call of its hook per item.
    """
    if is_passthrough(node):
        return var
    if isinstance(node, ModelT):
        return f"{fn}{node.name}({var})"
    if isinstance(node, Nullable):
        return f"None if {var} is None else {_convert(node.inner, var, fn, depth, lists)}"
    item = f"x{depth}"
    if isinstance(node, ArrayT):
        if isinstance(node.item, ModelT) and node.item.name in lists:
            return f"_l_{node.item.name}({var})"
        return f"[{_convert(node.item, item, fn, depth + 1, lists)} for {item} in {var}]"
    assert isinstance(node, MapT)
    key = f"k{depth}"
    value = _convert(node.value, item, fn, depth + 1, lists)
    return f"{{{key}: {value} for {key}, {item} in {var}.items()}}"


def decode_expr(node: TypeNode, var: str, lists: frozenset[str] = frozenset()) -> str:
    """An expression building the Python value of ``node`` from the JSON value in ``var``.

    Args:
        node: the type of the value.
        var: the name holding the JSON value.
        lists: models that have a list hook (``_l_<Name>``) to decode arrays of them with.
    """
    return _convert(node, var, "_d_", 0, lists)


def encode_expr(node: TypeNode, var: str) -> str:
    """An expression building the JSON value of ``node`` from the Python value in ``var``."""
    return _convert(node, var, "_e_", 0)

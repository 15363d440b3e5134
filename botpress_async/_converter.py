"""The one cattrs converter of the SDK, and what every generated model shares.

Generated model modules register a structure hook (JSON → model) and an unstructure hook
(model → JSON) per model on `converter`. The hooks are plain generated functions: they read
the camelCase wire names, which live here and in those hooks, never on the models.

Decoding is lenient: unknown properties are kept (see `BaseModel.extra_fields`), unknown
enum values pass through as strings, and values are not copied. It is also fast: a hook
fills the instance's slots directly instead of going through ``__init__``, at the call.

The hooks are generated rather than made by cattrs' own ``make_dict_structure_fn``: filling
slots through their descriptors skips the frozen ``__setattr__`` and the per-field checks of
``__init__``, and that is the cost a pager pays once per item. Filling them when the model
is built, not on the first read, spares every model an ``AttributeError`` raised and caught
in ``__getattr__`` (about a third of the decode cost of a message). A response that does
not fill is still returned: the read of a field left empty raises `MalformedFieldError`,
unless ``strict_decoding()`` is on, which raises at the call.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import cattrs

from botpress_async._errors import MalformedFieldError, ResponseDecodeError
from botpress_async._strict import STRICT as _STRICT
from botpress_async._strict import strict_decoding

__all__ = [
    "RAW_SETTER",
    "BaseModel",
    "ResponseDecodeError",
    "Setter",
    "converter",
    "lazy_decoder",
    "register_model",
    "slot_setters",
    "strict_decoding",
    "structure",
    "unstructure",
]

_M = TypeVar("_M")
_B = TypeVar("_B", bound="BaseModel")

Setter = Callable[[Any, Any], None]

converter = cattrs.Converter()

# What a generated fill may raise on JSON of another shape than the documents say.
_SHAPE_ERRORS = (LookupError, TypeError, AttributeError, ValueError)


# Hooks of the generated models, found by one factory each way. Registering them one by one
# would make cattrs resolve every model's annotations at import, which costs more than the
# rest of importing a models module.
_DECODERS: dict[type, Callable[[Any, Any], Any]] = {}
_ENCODERS: dict[type, Callable[[Any], Any]] = {}


def _decoder_for(cls: Any) -> Callable[[Any, Any], Any]:
    return _DECODERS[cls]


def _encoder_for(cls: Any) -> Callable[[Any], Any]:
    return _ENCODERS[cls]


converter.register_structure_hook_factory(_DECODERS.__contains__, _decoder_for)
converter.register_unstructure_hook_factory(_ENCODERS.__contains__, _encoder_for)


def register_model(
    cls: type[Any], decode: Callable[[Any, Any], Any], encode: Callable[[Any], Any]
) -> None:
    """Make ``decode`` and ``encode`` the converter's hooks for the generated model ``cls``."""
    _DECODERS[cls] = decode
    _ENCODERS[cls] = encode


_UNREADABLE: Any = object()


class BaseModel:
    """Behaviour shared by every generated model: wire-shaped dicts and unknown fields."""

    __slots__ = ("_raw",)
    _wire_names: ClassVar[frozenset[str]] = frozenset()
    _fill: ClassVar[Callable[[Any, Any], None] | None] = None
    _field_names: ClassVar[frozenset[str]]

    if not TYPE_CHECKING:  # so that type checkers still flag unknown attributes

        def __getattr__(self, name: str) -> Any:
            # Reached only when a slot is empty: a field of a response that did not fill.
            cls = type(self)
            fill = cls._fill
            raw = getattr(self, "_raw", None) if name != "_raw" else None
            if fill is None or raw is None or name not in attrs_field_names(cls):
                raise AttributeError(f"{cls.__name__!r} object has no attribute {name!r}")
            try:
                fill(self, raw)
            except _SHAPE_ERRORS as exc:
                error = MalformedFieldError(
                    f"field {name!r} of {cls.__name__} cannot be read: the response does not "
                    f"match the model ({type(exc).__name__}: {exc}); model.to_dict() gives "
                    "what the server sent"
                )
                error.name = name  # what AttributeError users (and hasattr) look at
                raise error from exc
            return object.__getattribute__(self, name)

    def __repr__(self) -> str:
        # The fields in declaration order, as attrs writes them; a field that cannot be read
        # shows as such, so that printing or logging a model never raises.
        parts = []
        for field in self.__attrs_attrs__:  # type: ignore[attr-defined]
            value = getattr(self, field.name, _UNREADABLE)
            shown = "<malformed>" if value is _UNREADABLE else repr(value)
            parts.append(f"{field.name}={shown}")
        return f"{type(self).__qualname__}({', '.join(parts)})"

    @property
    def extra_fields(self) -> Mapping[str, Any]:
        """Properties the server sent that this version of the SDK does not know, by wire name."""
        raw: Mapping[str, Any] | None = getattr(self, "_raw", None)
        if not raw:
            return {}
        known = self._wire_names
        return {k: v for k, v in raw.items() if k not in known}

    def to_dict(self) -> dict[str, Any]:
        """Return the model as the JSON object the API uses (camelCase), unknown fields included.

        A model decoded from a response gives a copy of exactly what the server sent (a
        field the server left out stays out, a ``null`` stays ``null``); a model built in
        Python is encoded field by field, leaving out fields that were not given.
        """
        raw: Mapping[str, Any] | None = getattr(self, "_raw", None)
        if raw is not None:
            return copy.deepcopy(dict(raw))
        encoded: dict[str, Any] = converter.unstructure(self)
        return encoded

    @classmethod
    def from_dict(cls: type[_M], data: Mapping[str, Any]) -> _M:
        """Build the model from the JSON object the API sends (camelCase keys)."""
        return structure(data, cls)


RAW_SETTER: Setter = BaseModel.__dict__["_raw"].__set__


def attrs_field_names(cls: type[Any]) -> frozenset[str]:
    """The names of the attrs fields of ``cls``, computed once per class."""
    names: frozenset[str] | None = cls.__dict__.get("_field_names")
    if names is None:
        names = frozenset(a.name for a in cls.__attrs_attrs__)
        cls._field_names = names
    return names


def lazy_decoder(cls: type[_B], fill: Callable[[Any, Any], None]) -> Callable[..., _B]:
    """The structure hook of a generated model: keep the JSON object and fill every slot.

    A fill that fails on JSON of an unexpected shape leaves the remaining slots empty; their
    read raises `MalformedFieldError` (see `BaseModel.__getattr__`), or, in
    ``strict_decoding()``, the decode itself raises.

    Args:
        cls: the model.
        fill: the generated function that decodes every field of an instance into its slot.
    """
    cls._fill = fill
    new = object.__new__
    set_raw = RAW_SETTER

    def decode(data: Any, _type: Any = None) -> _B:
        if data.__class__ is not dict and not isinstance(data, Mapping):
            raise ResponseDecodeError(
                f"the response does not match {cls.__name__}: "
                f"expected a JSON object, got {type(data).__name__}"
            )
        instance: _B = new(cls)
        set_raw(instance, data)
        try:
            fill(instance, data)
        except _SHAPE_ERRORS as exc:
            if _STRICT.get():
                raise ResponseDecodeError(
                    f"the response does not match {cls.__name__}: {type(exc).__name__}: {exc}"
                ) from exc
        return instance

    return decode


def slot_setters(cls: type[Any], names: tuple[str, ...]) -> tuple[Setter, ...]:
    """The slot setters of ``names`` on an attrs slotted class, for generated decode hooks.

    Setting a slot through its descriptor skips the frozen ``__setattr__`` guard, which is
    what makes decoding cheap; only generated hooks use it, on instances they just made.
    """
    return tuple(cls.__dict__[name].__set__ for name in names)


def structure(data: Any, cls: type[_M]) -> _M:
    """Decode JSON ``data`` into ``cls`` with the converter; shape errors become one SDK error."""
    try:
        return converter.structure(data, cls)
    except (KeyError, TypeError, AttributeError) as exc:
        name = getattr(cls, "__name__", str(cls))
        raise ResponseDecodeError(
            f"the response does not match {name}: {type(exc).__name__}: {exc}"
        ) from exc


def unstructure(value: Any) -> Any:
    """Encode a model (or a container of models) into JSON-ready values."""
    return converter.unstructure(value)

"""The one cattrs converter of the SDK, and what every generated model shares.

Generated model modules register a structure hook (JSON → model) and an unstructure hook
(model → JSON) per model on `converter`. The hooks are plain generated functions: they read
the camelCase wire names, which live here and in those hooks, never on the models.

Decoding is lenient: unknown properties are kept (see `BaseModel.extra_fields`), unknown
enum values pass through as strings, and values are not copied. It is also fast: a hook
fills the instance's slots directly instead of going through ``__init__``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import cattrs

from botpress_async._errors import ResponseDecodeError

__all__ = [
    "RAW_SETTER",
    "BaseModel",
    "ResponseDecodeError",
    "Setter",
    "converter",
    "lazy_decoder",
    "register_model",
    "slot_setters",
    "structure",
    "unstructure",
]

_M = TypeVar("_M")
_B = TypeVar("_B", bound="BaseModel")

Setter = Callable[[Any, Any], None]

converter = cattrs.Converter()

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


class BaseModel:
    """Behaviour shared by every generated model: wire-shaped dicts and unknown fields."""

    __slots__ = ("_raw",)
    _wire_names: ClassVar[frozenset[str]] = frozenset()
    _fill: ClassVar[Callable[[Any, Any], None] | None] = None

    if not TYPE_CHECKING:  # so that type checkers still flag unknown attributes

        def __getattr__(self, name: str) -> Any:
            # Reached only when a slot is empty: the first field read of a decoded response.
            fill = type(self)._fill
            raw = getattr(self, "_raw", None) if name != "_raw" else None
            if fill is None or raw is None or name.startswith("__"):
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            try:
                fill(self, raw)
            except (KeyError, TypeError, AttributeError) as exc:
                raise ResponseDecodeError(
                    f"the response does not match {type(self).__name__}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            return object.__getattribute__(self, name)

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


def lazy_decoder(cls: type[_B], fill: Callable[[Any, Any], None]) -> Callable[..., _B]:
    """The structure hook of a generated model: keep the JSON object, decode on first read.

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

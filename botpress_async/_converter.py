"""The one cattrs converter of the SDK, and what every generated model shares.

Generated model modules register a structure hook (JSON → model) and an unstructure hook
(model → JSON) per model on `converter`. The hooks are plain generated functions: they read
the camelCase wire names, which live here and in those hooks, never on the models.

Decoding is lenient: unknown properties are kept (see `BaseModel.extra_fields`), unknown
enum values pass through as strings, and values are not copied. A response that does not
match its model is still returned: the read of each field that cannot be decoded raises
`MalformedFieldError`, the other fields read as usual, unless ``strict_decoding()`` is on,
which raises at the call.

Why the hooks are generated rather than made by cattrs' own ``make_dict_structure_fn``: a
pager pays the decode once per item, and the generated hook is about four times cheaper.
Two things make it so, both measured with instruction counts on a page of 100 messages:

- Reads are plain slot reads. A model class has no ``__getattr__`` (one would make every
  attribute read of every model go through the slow generic lookup, since CPython only
  specialises reads on classes without it); only the subclass given to a model that did not
  decode (`malformed_class`) has one.
- Writes are plain slot writes. The hook fills a *mutable twin* of the model (a subclass
  without the frozen ``__setattr__``, see `mutable_twin`), where ``o.id = ...`` is the fast
  slot store, and then sets the instance's class to the model. ``__init__`` or the slots'
  ``__set__`` would cost a call per field.
- The twin is made by calling it: its ``__init__`` is object's, which CPython calls without
  a lookup, and that costs a quarter less than ``object.__new__(twin)``.
- The items of a pager's page are decoded by a list hook (``_l_<Name>``) with the model's
  hook inline, which spares a Python call per item, and which looks the fields up by the
  parser's own key objects (`wire_keys`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import cattrs

from botpress_async._errors import MalformedFieldError, ResponseDecodeError
from botpress_async._strict import STRICT as _STRICT
from botpress_async._strict import strict_decoding

__all__ = [
    "SHAPE_ERRORS",
    "BaseModel",
    "Readers",
    "ResponseDecodeError",
    "check_object",
    "converter",
    "malformed_class",
    "mutable_twin",
    "register_model",
    "salvage",
    "strict_decoding",
    "structure",
    "unstructure",
    "wire_keys",
]

_M = TypeVar("_M")
_B = TypeVar("_B", bound="BaseModel")

converter = cattrs.Converter()

# What a generated hook may raise on JSON of another shape than the documents say.
SHAPE_ERRORS = (LookupError, TypeError, AttributeError, ValueError)


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


def wire_of(model: BaseModel) -> Mapping[str, Any] | None:
    """The JSON object a decoded model was made from, itself (not a copy); None for a model
    built in Python.

    For the SDK's own code that makes one model out of another's wire form (the uploaded
    `File` out of the upserted record) without encoding it again. The object must not be
    changed: the model's ``to_dict`` and ``extra_fields`` read it.
    """
    raw: Mapping[str, Any] | None = getattr(model, "_raw", None)
    return raw


#: How a generated hook reads each field from the JSON object: (field name, reader) pairs.
Readers = tuple[tuple[str, Callable[[Any], Any]], ...]


def mutable_twin(cls: type[BaseModel]) -> Callable[[], Any]:
    """A subclass of the frozen model ``cls`` whose instances accept attribute writes.

    Generated hooks make an empty twin instance by calling the twin with no arguments, fill
    it with plain slot stores, then set its ``__class__`` to ``cls``: the layout is the same
    (the twin adds no slots), so the result is an ordinary, frozen ``cls`` instance. A twin
    instance never reaches a caller.

    Args:
        cls: a generated model class.
    """
    namespace = {
        "__slots__": (),
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        # both, so that CPython uses its plain slot store again (one slot serves the two)
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
        # object's own, so that calling the twin makes an empty instance without running
        # the model's __init__ (which needs every field) and without a Python call
        "__init__": object.__init__,
    }
    twin: Callable[[], Any] = type(cls.__name__, (cls,), namespace)
    return twin


def wire_keys(items: Any, names: tuple[str, ...]) -> tuple[str, ...]:
    """``names``, each replaced by the equal key object of the first JSON object of ``items``.

    A dict lookup that finds the very key object it is given is done at once; an equal key
    of another object costs a comparison of the characters. orjson hands out one object per
    key name for most of the objects of a document, so a list hook that looks every item's
    fields up with the first item's key objects spares that comparison on most fields (about
    a fifth of decoding a message). Whatever ``items`` holds, the result equals ``names``:
    lookups find the same values, only sooner.

    Args:
        items: the JSON array a list hook decodes.
        names: the wire names of the model's fields, in the order of the hook's lookups.
    """
    if items.__class__ is list and items:
        first = items[0]
        if first.__class__ is dict:
            # only exact str keys: a str subclass could hash or compare differently
            seen = {k: k for k in first if k.__class__ is str}
            return tuple([seen.get(name, name) for name in names])
    return names


def check_object(data: Any, cls: type[Any]) -> None:
    """Raise `ResponseDecodeError` unless ``data`` is a JSON object (a mapping).

    Args:
        data: what the response holds where an object of ``cls`` is documented.
        cls: the model expected there.
    """
    if not isinstance(data, Mapping):
        raise ResponseDecodeError(
            f"the response does not match {cls.__name__}: "
            f"expected a JSON object, got {type(data).__name__}"
        )


_MALFORMED: dict[type, type] = {}


def _read_malformed(self: Any, name: str) -> Any:
    # Reached only for an empty slot, so only for the fields that did not decode.
    cls = type(self)
    read = cls._readers.get(name)
    if read is None:
        raise AttributeError(f"{cls.__name__!r} object has no attribute {name!r}")
    try:
        return read(self._raw)
    except SHAPE_ERRORS as exc:
        error = MalformedFieldError(
            f"field {name!r} of {cls.__name__} cannot be read: the response does not "
            f"match the model ({type(exc).__name__}: {exc}); model.to_dict() gives "
            "what the server sent"
        )
        error.name = name  # what AttributeError users (and hasattr) look at
        raise error from exc


def malformed_class(cls: type[_B], readers: Readers) -> type[_B]:
    """The subclass of ``cls`` given to the instances whose JSON did not fully decode.

    It has the name, the fields and the frozen behaviour of ``cls``; its ``__getattr__``
    turns the read of an empty field into `MalformedFieldError`. Only malformed instances
    pay for ``__getattr__``, which slows every attribute read of a class.

    Args:
        cls: a generated model class.
        readers: how each field is read from the JSON object.
    """
    made = _MALFORMED.get(cls)
    if made is None:
        model_init = cls.__init__

        def build_the_model(self: Any, *args: Any, **kwargs: Any) -> None:
            # What builds from a malformed instance (attrs.evolve uses its class) makes a
            # complete one: an instance of the model itself.
            object.__setattr__(self, "__class__", cls)
            model_init(self, *args, **kwargs)

        namespace = {
            "__slots__": (),
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__init__": build_the_model,
            "__getattr__": _read_malformed,
            "_readers": dict(readers),
        }
        made = _MALFORMED[cls] = type(cls.__name__, (cls,), namespace)
    return made


def salvage(instance: Any, cls: type[_B], readers: Readers, exc: Exception) -> _B:
    """Finish a model whose generated hook failed on ``exc``: every field that decodes is set.

    In ``strict_decoding()`` the failure raises `ResponseDecodeError` instead. Otherwise the
    fields are read one by one, so that one bad field leaves the others readable; the
    instance becomes a `malformed_class` of ``cls``, whose empty fields raise
    `MalformedFieldError` when read.

    Args:
        instance: the mutable twin the hook was filling, with its JSON object set.
        cls: the model.
        readers: how each field is read from the JSON object.
        exc: what the hook's fast path raised.
    """
    if _STRICT.get():
        raise ResponseDecodeError(
            f"the response does not match {cls.__name__}: {type(exc).__name__}: {exc}"
        ) from exc
    data = instance._raw
    for name, read in readers:
        try:
            value = read(data)
        except SHAPE_ERRORS:
            continue
        setattr(instance, name, value)
    instance.__class__ = malformed_class(cls, readers)
    result: _B = instance
    return result


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

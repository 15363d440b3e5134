"""`Row`: one row of a table, as every tables operation and helper returns it.

A row has two namespaces that never mix:

- the columns the table's owner defined, read as items (``row["sku"]``, ``row.get("sku")``,
  ``"sku" in row``, ``for name in row``, ``dict(row)``), and typed through ``row.columns``;
- the fields the API adds to every row, read as attributes (``row.id``, ``row.created_at``,
  ``row.updated_at``, ``row.computed``, ``row.stale``, ``row.similarity``).

A row keeps the JSON object the server sent and reads it on demand, so decoding a page of a
thousand rows costs one small object per row. The generated models refer to this class for
the ``Row`` schema (see ``codegen/overrides.py``) and register `from_wire` and `to_wire` as its
converter hooks.
"""

from __future__ import annotations

import copy
import reprlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, cast

from typing_extensions import TypeVar

from ._errors import (
    ColumnNotFoundError,
    ConfigurationError,
    MalformedFieldError,
    ResponseDecodeError,
)

if TYPE_CHECKING:
    from .models._tables_leaf import RowComputedValue

__all__ = ["SYSTEM_FIELDS", "Row", "from_wire", "list_from_wire", "to_wire"]

#: The wire names the API uses for its own fields of a row; they are never columns.
SYSTEM_FIELDS: Final = frozenset(
    {"id", "createdAt", "updatedAt", "computed", "stale", "similarity"}
)

#: The columns of a row: a ``TypedDict`` of the table's columns, or any mapping (the default).
C = TypeVar("C", bound=Mapping[str, Any], default=dict[str, Any])

_REPR_LIMIT: Final = 300
_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxdict = 12
_repr.maxlist = 6


class Row(Mapping[str, Any], Generic[C]):
    """One row of a table: its columns as items, the API's own fields as attributes.

    ``Row`` is a read-only mapping of the user's columns; a column named ``id``, ``items`` or
    ``keys`` is reached as ``row["items"]`` and never shadows a method or a system field.
    Rows are compared by their JSON object.

    Args:
        columns: the row's columns (column name to value).
        id: the row id, for a row that names an existing one (updates, upserts by id).
    """

    __slots__ = ("__weakref__", "_wire")

    _wire: dict[str, Any]

    def __init__(self, columns: Mapping[str, Any] | None = None, /, *, id: int | None = None):
        wire: dict[str, Any] = {}
        given: Any = columns  # checked at run time too: untyped callers pass anything
        if given is not None:
            if not isinstance(given, Mapping):
                raise ConfigurationError(
                    f"Row() takes a mapping of column name to value, got {type(given).__name__}"
                )
            for key in given:
                if key in SYSTEM_FIELDS:
                    raise ConfigurationError(
                        f"{key!r} is a field the API sets on every row, not a column; "
                        f"pass the row id as Row(..., id=...)"
                    )
            wire.update(given)
        if id is not None:
            wire["id"] = id
        self._wire = wire

    # --- the columns -------------------------------------------------------------------------

    def __getitem__(self, name: str) -> Any:
        try:
            if name not in SYSTEM_FIELDS:
                return self._wire[name]
        except (KeyError, TypeError):  # TypeError: an unhashable key, which no column has
            raise ColumnNotFoundError(name) from None
        raise ColumnNotFoundError(name, system=True)

    def get(self, name: str, default: Any = None) -> Any:
        """The value of column ``name``, or ``default`` when the row has no such column.

        Args:
            name: the column name.
            default: what to return for a missing column.
        """
        try:
            if name not in SYSTEM_FIELDS:
                return self._wire.get(name, default)
        except TypeError:  # an unhashable key: no column has it
            pass
        return default

    def __contains__(self, name: object) -> bool:
        try:
            return name in self._wire and name not in SYSTEM_FIELDS
        except TypeError:  # an unhashable key: no column has it
            return False

    def __iter__(self) -> Iterator[str]:
        system = SYSTEM_FIELDS
        return (k for k in self._wire if k not in system)

    def __len__(self) -> int:
        return sum(1 for k in self._wire if k not in SYSTEM_FIELDS)

    @property
    def columns(self) -> C:
        """The row's columns in a new dict, typed by the table's ``TypedDict`` when it has one."""
        system = SYSTEM_FIELDS
        return cast(C, {k: v for k, v in self._wire.items() if k not in system})

    # --- the API's own fields ----------------------------------------------------------------

    @property
    def id(self) -> int:
        """The row id the API gave the row."""
        value = self._wire.get("id")
        if type(value) is int:
            return value
        if value is None:
            raise _bad_id("this row has no id: it was built in Python without one")
        if value.__class__ is float and value.is_integer():
            return int(value)  # a JSON number written as 12.0
        if value.__class__ is str and value.isascii() and value.isdigit():
            return int(value)  # an id sent as text
        raise _bad_id(f"the row's id {_repr.repr(value)} is not an integer")

    @property
    def created_at(self) -> str | None:
        """When the row was created (ISO 8601), if the server said."""
        value: str | None = self._wire.get("createdAt")
        return value

    @property
    def updated_at(self) -> str | None:
        """When the row was last changed (ISO 8601), if the server said."""
        value: str | None = self._wire.get("updatedAt")
        return value

    @property
    def computed(self) -> dict[str, RowComputedValue]:
        """The state of each computed column of the row, by column name."""
        from ._converter import structure
        from .models._tables_leaf import RowComputedValue

        raw = self._wire.get("computed") or {}
        return {k: structure(v, RowComputedValue) for k, v in raw.items()}

    @property
    def stale(self) -> list[str] | None:
        """The computed columns whose value is out of date."""
        value: list[str] | None = self._wire.get("stale")
        return value

    @property
    def similarity(self) -> float | None:
        """How close the row is to the search text (searches only)."""
        value: float | None = self._wire.get("similarity")
        return value

    # --- conversions ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The row as the JSON object of the API: system fields (camelCase) and columns."""
        return copy.deepcopy(self._wire)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Row[C]:
        """Build a row from the JSON object the API sends (``id``, ``createdAt``, columns ...).

        Args:
            data: the row's JSON object.
        """
        return from_wire(data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row):
            return self._wire == other._wire
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # rows are mutable JSON underneath

    def __repr__(self) -> str:
        wire = self._wire
        head = f"id={wire['id']!r}, " if "id" in wire else ""
        shown = [f"{k!r}: {_repr.repr(v)}" for k, v in self.columns.items()]
        if len(shown) > _repr.maxdict:
            shown[_repr.maxdict :] = ["..."]
        text = f"Row({head}{{{', '.join(shown)}}})"
        if len(text) > _REPR_LIMIT:
            text = text[: _REPR_LIMIT - 4] + "...)"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (from_wire, (self._wire,))


_new = object.__new__


def _bad_id(text: str) -> MalformedFieldError:
    # Also an AttributeError: hasattr(row, "id") is False and getattr gives its default.
    error = MalformedFieldError(text)
    error.name = "id"
    return error


def from_wire(data: Any, _type: Any = None) -> Row[Any]:
    """Make a `Row` over the JSON object of a row, without copying or reading it.

    Args:
        data: the row's JSON object as decoded from a response.
    """
    if data.__class__ is not dict:
        if not isinstance(data, Mapping):
            raise ResponseDecodeError(
                f"the response does not match Row: expected a JSON object, got "
                f"{type(data).__name__}"
            )
        data = dict(data)
    row: Row[Any] = _new(Row)
    # A plain attribute store: Row has no __setattr__, so this is CPython's quick slot store
    # (the slot's __set__, called as a function, costs several times more per row).
    row._wire = data
    return row


def list_from_wire(items: Any) -> list[Row[Any]]:
    """Make a `Row` over each JSON object of a page's array of rows.

    Gives what ``[from_wire(x) for x in items]`` gives, with the common case (a plain dict)
    inline: a call per row was a sixth of the cost of walking ``find_rows`` page by page.

    Args:
        items: the array of row objects as decoded from a response.
    """
    out: list[Row[Any]] = []
    append = out.append
    for data in items:
        if data.__class__ is not dict:
            append(from_wire(data))
            continue
        row: Row[Any] = _new(Row)
        row._wire = data
        append(row)
    return out


def to_wire(row: Any, _type: Any = None) -> Any:
    """The JSON object of a `Row` (a plain mapping is sent as it is).

    Args:
        row: a `Row` or a mapping of column name to value.
    """
    if isinstance(row, Row):
        return row._wire
    return row

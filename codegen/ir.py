"""The intermediate representation the emitters work from.

The builder (`codegen.build`) turns the vendored OpenAPI documents into these frozen
classes; every emitter reads only them, never the documents, so a change in the documents'
shape is absorbed in one place.
"""

from __future__ import annotations

from typing import Literal

import attrs

from botpress_async._auth import API_NAMES, kinds_reaching

__all__ = [
    "API_NAMES",
    "CONTEXT_HEADERS",
    "TOKEN_KINDS",
    "AnyT",
    "Api",
    "ArrayT",
    "EnumT",
    "Field",
    "MapT",
    "Model",
    "ModelT",
    "Nullable",
    "Operation",
    "Pagination",
    "Parameter",
    "Prim",
    "TypeNode",
]

# The token kinds that reach each API, from the client's own table, so that the generated
# docstrings cannot disagree with the check the client makes.
TOKEN_KINDS: dict[str, tuple[str, ...]] = {
    api: tuple(kind.name for kind in kinds_reaching(api)) for api in API_NAMES
}

# Headers the client fills from its configuration; they never become method arguments.
CONTEXT_HEADERS = ("x-bot-id", "x-workspace-id", "x-integration-id", "x-integration-alias")


@attrs.frozen
class Prim:
    """A JSON scalar: ``kind`` is one of str, int, float, bool; ``fmt`` the OpenAPI format."""

    kind: Literal["str", "int", "float", "bool"]
    fmt: str | None = None


@attrs.frozen
class EnumT:
    """A string restricted to ``values`` (unknown values still decode, as plain strings)."""

    values: tuple[str, ...]


@attrs.frozen
class AnyT:
    """Any JSON value: a schema without a type."""


@attrs.frozen
class ArrayT:
    """A JSON array of ``item``."""

    item: TypeNode


@attrs.frozen
class MapT:
    """A JSON object with free keys and values of ``value``."""

    value: TypeNode


@attrs.frozen
class ModelT:
    """A JSON object with named properties, generated as the model ``name``."""

    name: str


@attrs.frozen
class Nullable:
    """``inner`` or JSON ``null``."""

    inner: TypeNode


TypeNode = Prim | EnumT | AnyT | ArrayT | MapT | ModelT | Nullable


@attrs.frozen
class Field:
    """One property of a model.

    Attributes:
        name: the Python attribute name (snake_case, never a keyword).
        wire: the JSON property name.
        type: the property's type.
        required: whether the document requires the property.
    """

    name: str
    wire: str
    type: TypeNode
    required: bool


@attrs.frozen
class Model:
    """An object schema turned into one attrs class.

    Attributes:
        name: the class name.
        fields: the properties, in document order.
        request: true when the SDK may send the model (optional fields default to NOT_GIVEN).
        aliases: other guessable names of the same structure, elsewhere in the document.
        source: where the first use sits, e.g. ``listUsers response`` (for docstrings).
        handwritten: ``module.Class`` of the hand-written class that stands for the schema
            (see `codegen.overrides`); empty for a generated model.
    """

    name: str
    fields: tuple[Field, ...]
    request: bool
    aliases: tuple[str, ...] = ()
    source: str = ""
    handwritten: str = ""


@attrs.frozen
class Parameter:
    """One argument of an operation.

    Attributes:
        name: the Python keyword argument name.
        wire: the name on the wire (query key, header name, path placeholder, body property).
        location: where it goes: path, query, header or body.
        type: its type.
        required: whether the caller must give it.
    """

    name: str
    wire: str
    location: Literal["path", "query", "header", "body"]
    type: TypeNode
    required: bool


@attrs.frozen
class Pagination:
    """How to walk a list operation's pages.

    Attributes:
        items_field: the response field (Python name) holding the page's items.
        item_type: the type of one item.
        token_path: the attribute path to the next page's token, e.g. ``("meta", "next_token")``.
    """

    items_field: str
    item_type: TypeNode
    token_path: tuple[str, ...]


@attrs.frozen
class Operation:
    """One HTTP operation of an API.

    Attributes:
        api: the API it belongs to.
        operation_id: the official operationId (camelCase).
        name: the Python method name (snake_case).
        method: the HTTP method, upper case.
        path: the path template, e.g. ``/v1/chat/users/{id}``.
        parameters: the arguments, required first, then in document order.
        has_body: whether the operation takes a JSON body.
        response: the annotation of what the method returns (a model name, or ``list[...]``).
        response_type: the type of the response body.
        status: the success status code.
        requires: the context headers the document marks required.
        idempotent: whether a retry after the request may have reached the server is safe.
        pagination: set for operations that take ``nextToken``.
        hidden: the document marks the operation ``x-hidden`` (not in the public reference).
        deprecated: the document marks the operation deprecated.
    """

    api: str
    operation_id: str
    name: str
    method: str
    path: str
    parameters: tuple[Parameter, ...]
    has_body: bool
    response: str
    response_type: TypeNode
    status: int
    requires: tuple[str, ...]
    idempotent: bool
    pagination: Pagination | None = None
    hidden: bool = False
    deprecated: bool = False


@attrs.frozen
class Api:
    """One of the five APIs, with its models and operations.

    Attributes:
        name: runtime, files, tables, admin or billing.
        title: the document's title.
        version: the document's version.
        source: the vendored document's path relative to the project root.
        sha256: the hash of the vendored document's bytes.
        models: every model the operations use, dependencies before dependents.
        operations: the operations in document order.
    """

    name: str
    title: str
    version: str
    source: str
    sha256: str
    models: tuple[Model, ...]
    operations: tuple[Operation, ...]

    @property
    def class_prefix(self) -> str:
        """The capitalised API name used in class names (``Runtime``)."""
        return self.name.capitalize()

    @property
    def token_kinds(self) -> tuple[str, ...]:
        """The token kinds that reach this API."""
        return TOKEN_KINDS[self.name]

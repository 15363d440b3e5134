"""The one reader of the OpenAPI documents: references, operations, JSON Schema and nullable."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from botpress_async import _openapi
from botpress_async._openapi import Document, is_nullable, to_json_schema
from codegen.build import VENDORED, build_api
from codegen.ir import ModelT, Nullable, Prim

DOC: dict[str, Any] = {
    "info": {"title": "Tiny", "version": "1"},
    "paths": {
        "/v1/chat/things/{id}": {
            "put": {
                "operationId": "updateThing",
                "parameters": [
                    {"$ref": "#/components/parameters/id"},
                    {"name": "X-Bot-Id", "in": "header", "required": True, "schema": {}},
                ],
                "requestBody": {"$ref": "#/components/requestBodies/thing"},
                "responses": {
                    "400": {"description": "bad"},
                    "201": {"$ref": "#/components/responses/thing"},
                    "200": {"$ref": "#/components/responses/thing"},
                },
            },
            "x-extension": {"not": "an operation"},
        }
    },
    "components": {
        "parameters": {"id": {"name": "id", "in": "path", "schema": {"type": "string"}}},
        "requestBodies": {
            "thing": {
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
            }
        },
        "responses": {
            "thing": {
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
            }
        },
        "schemas": {
            "Owner": {"type": "object", "properties": {"name": {"type": "string"}}},
            "Thing": {
                "type": "object",
                "properties": {
                    "note": {"type": "string", "nullable": True},
                    "kind": {"type": "string", "enum": ["a", "b"], "nullable": True},
                    "owner": {"$ref": "#/components/schemas/Owner", "nullable": True},
                    "size": {"type": "integer", "description": "prose", "title": "Size"},
                },
                "required": ["note"],
            },
        },
    },
}


def test_an_operation_is_read_with_its_references_followed() -> None:
    """Parameters and bodies behind ``$ref`` are followed; the success status is the lowest 2xx."""
    (op,) = Document("tiny", DOC).operations()
    assert (op.api, op.operation_id, op.method, op.path) == (
        "tiny",
        "updateThing",
        "PUT",
        "/v1/chat/things/{id}",
    )
    assert [(p.name, p.location, p.required) for p in op.parameters] == [
        ("id", "path", True),
        ("X-Bot-Id", "header", True),
    ]
    assert op.body == {"$ref": "#/components/schemas/Thing"}
    assert op.body_required
    assert op.status == 200
    assert op.response == {"$ref": "#/components/schemas/Thing"}


def test_json_schema_inlines_references_and_admits_null_where_the_document_says() -> None:
    """The converter inlines refs, drops prose, and adds null to nullable types and enums."""
    schema = to_json_schema({"$ref": "#/components/schemas/Thing"}, DOC)
    assert schema["properties"]["note"] == {"type": ["string", "null"]}
    assert schema["properties"]["kind"] == {"type": ["string", "null"], "enum": ["a", "b", None]}
    assert schema["properties"]["size"] == {"type": "integer"}
    # nullable beside a $ref is ignored, as OpenAPI 3.0 ignores the siblings of $ref.
    assert schema["properties"]["owner"] == {
        "type": "object",
        "properties": {"name": {"type": "string"}},
    }
    validator = jsonschema.Draft7Validator(schema)
    assert validator.is_valid({"note": None, "kind": None})
    assert not validator.is_valid({"note": "x", "owner": None})


def test_the_generator_follows_the_same_nullable_rule() -> None:
    """A field is Optional in the generated model exactly when its JSON Schema admits null."""
    api = build_api("tiny", DOC, source="tiny.json", sha256="0")
    thing = next(m for m in api.models if m.name == "Thing")
    types = {f.wire: f.type for f in thing.fields}
    assert types["note"] == Nullable(Prim("str"))
    assert isinstance(types["owner"], ModelT)
    assert types["size"] == Prim("int")
    props = DOC["components"]["schemas"]["Thing"]["properties"]
    for wire, prop in props.items():
        assert is_nullable(prop) == isinstance(types[wire], Nullable), wire


def test_a_recursive_reference_is_refused_by_name() -> None:
    """A schema that refers to itself cannot be inlined; the error names the reference."""
    doc = {"components": {"schemas": {"Node": {"$ref": "#/components/schemas/Node"}}}}
    with pytest.raises(ValueError, match="#/components/schemas/Node"):
        to_json_schema({"$ref": "#/components/schemas/Node"}, doc)


@pytest.mark.parametrize("name", _openapi.DOCUMENT_NAMES)
def test_the_package_data_is_the_vendored_tree(name: str) -> None:
    """The installed package reads the very documents the generator reads from the checkout."""
    document = _openapi.document(name)
    assert document.data == json.loads((VENDORED / f"{name}.json").read_bytes())
    assert document.name == name
    assert sum(1 for _ in document.operations()) > 0


def test_error_types_come_from_errors_json() -> None:
    """The error types keep the order and statuses of the vendored errors.json."""
    raw = json.loads((VENDORED / "errors.json").read_bytes())["errors"]
    assert _openapi.error_types() == tuple((e["type"], e["status"]) for e in raw)

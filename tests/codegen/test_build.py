"""The IR builder: names, types, parameters, pagination and idempotency from a document."""

from __future__ import annotations

from typing import Any

import pytest

from codegen.build import build_api, is_idempotent, load_apis, pascal, snake
from codegen.ir import AnyT, ArrayT, EnumT, MapT, ModelT, Nullable, Prim

THING = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string", "enum": ["a", "b"]},
        "note": {"type": "string", "nullable": True},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "data": {"type": "object", "additionalProperties": True},
        "any": {},
        "grid": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
        "owner": {"type": "object", "properties": {"name": {"type": "string"}}},
    },
    "required": ["id", "kind", "note"],
}


def _doc() -> dict[str, Any]:
    ctx = {"name": "x-bot-id", "in": "header", "required": True, "schema": {"type": "string"}}
    return {
        "info": {"title": "Test API", "version": "9.9.9"},
        "paths": {
            "/v1/things": {
                "get": {
                    "operationId": "listThings",
                    "parameters": [
                        {"name": "nextToken", "in": "query", "schema": {"type": "string"}},
                        {"name": "x-user-id", "in": "header", "schema": {"type": "string"}},
                        ctx,
                    ],
                    "responses": {"200": {"$ref": "#/components/responses/listThingsResponse"}},
                },
                "post": {
                    "operationId": "getOrCreateThing",
                    "parameters": [ctx],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "name": {"type": "string"},
                                        "owner": THING["properties"]["owner"],
                                    },
                                    "required": ["name"],
                                }
                            }
                        }
                    },
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "thing": {"$ref": "#/components/schemas/Thing"}
                                        },
                                        "required": ["thing"],
                                    }
                                }
                            }
                        }
                    },
                },
            }
        },
        "components": {
            "schemas": {"Thing": THING},
            "responses": {
                "listThingsResponse": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "title": "listThingsResponse",
                                "properties": {
                                    "things": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Thing"},
                                    },
                                    "meta": {
                                        "type": "object",
                                        "properties": {"nextToken": {"type": "string"}},
                                    },
                                },
                                "required": ["things", "meta"],
                            }
                        }
                    }
                }
            },
        },
    }


@pytest.mark.parametrize(
    ("wire", "python"),
    [
        ("createConversation", "create_conversation"),
        ("x-user-id", "x_user_id"),
        ("$schema", "schema"),
        ("getAISpendQuota", "get_ai_spend_quota"),
        ("from", "from_"),
        ("id", "id"),
    ],
)
def test_snake(wire: str, python: str) -> None:
    """Wire names become snake_case identifiers that are never Python keywords."""
    assert snake(wire) == python


def test_pascal() -> None:
    """Schema and property names become PascalCase class name parts."""
    assert pascal("listUsersResponse") == "ListUsersResponse"
    assert pascal("x-zui") == "XZui"


def test_idempotency_rules() -> None:
    """GET, PUT and DELETE are idempotent; POST only for reads and create-if-absent."""
    assert is_idempotent("GET", "getUser")
    assert is_idempotent("PUT", "upsertFile")
    assert is_idempotent("DELETE", "deleteUser")
    assert is_idempotent("POST", "getOrCreateUser")
    assert is_idempotent("POST", "findTableRows")
    assert not is_idempotent("POST", "createUser")
    assert not is_idempotent("PATCH", "patchState")


def test_types_of_a_component_schema() -> None:
    """Enums, nullables, maps, free objects, untyped values and nested arrays map to IR types."""
    api = build_api("runtime", _doc(), source="doc.json", sha256="0")
    thing = next(m for m in api.models if m.name == "Thing")
    types = {f.name: f.type for f in thing.fields}
    assert types["id"] == Prim("str")
    assert types["kind"] == EnumT(("a", "b"))
    assert types["note"] == Nullable(Prim("str"))
    assert types["labels"] == MapT(Prim("str"))
    assert types["data"] == MapT(AnyT())
    assert types["any"] == AnyT()
    assert types["grid"] == ArrayT(ArrayT(Prim("int")))
    assert types["owner"] == ModelT("ThingOwner")
    assert [f.name for f in thing.fields if f.required] == ["id", "kind", "note"]


def test_operations_parameters_and_pagination() -> None:
    """Context headers become requirements, other headers arguments; nextToken makes a pager."""
    api = build_api("runtime", _doc(), source="doc.json", sha256="0")
    listing, get_or_create = api.operations
    assert listing.requires == ("x-bot-id",)
    assert [(p.name, p.location) for p in listing.parameters] == [
        ("next_token", "query"),
        ("x_user_id", "header"),
    ]
    assert listing.response == "ListThingsResponse"
    assert listing.pagination is not None
    assert listing.pagination.items_field == "things"
    assert listing.pagination.item_type == ModelT("Thing")
    assert listing.pagination.token_path == ("meta", "next_token")
    assert get_or_create.idempotent
    assert get_or_create.response == "GetOrCreateThingResponse"
    assert [(p.name, p.location, p.required) for p in get_or_create.parameters] == [
        ("name", "body", True),
        ("owner", "body", False),
    ]


def test_shared_structures_get_one_class_and_aliases() -> None:
    """An inline schema met twice is one model; the second name is an alias; sending marks it."""
    api = build_api("runtime", _doc(), source="doc.json", sha256="0")
    owner = next(m for m in api.models if m.name == "ThingOwner")
    assert owner.aliases == ("GetOrCreateThingBodyOwner",)
    assert owner.request
    assert not next(m for m in api.models if m.name == "Thing").request


def test_vendored_documents() -> None:
    """The vendored documents give 197 operations in the expected split, 31 of them paginated."""
    apis = load_apis()
    assert {a.name: len(a.operations) for a in apis} == {
        "runtime": 44,
        "files": 15,
        "tables": 17,
        "admin": 111,
        "billing": 10,
    }
    operations = [op for a in apis for op in a.operations]
    assert sum(1 for op in operations if op.pagination) == 31
    assert sum(1 for op in operations if op.requires == ("x-workspace-id",)) >= 67
    assert sorted(
        op.operation_id for op in operations if op.method == "POST" and op.idempotent
    ) == [
        "findTableRows",
        "getOrCreateConversation",
        "getOrCreateMessage",
        "getOrCreateTable",
        "getOrCreateUser",
        "getOrCreateWorkflow",
        "getOrSetState",
        "upsertTableRows",
    ]

"""Every one of the 197 operations, through its method and through ``client.call()``.

The cases are generated from the generator's IR: each operation gets arguments synthesised
from its document, the checking server validates the request and answers a schema-valid
response, and the method's result must decode into the operation's response model.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from botpress_async import AsyncClient
from botpress_async._converter import structure, unstructure
from codegen.build import load_apis
from codegen.ir import Api, ArrayT, MapT, ModelT, Nullable, Operation, TypeNode
from tests.operations.spec_server import SpecServer, load_docs, synth

pytestmark = pytest.mark.anyio

APIS = load_apis()
DOCS = load_docs()
CASES = [(api, op) for api in APIS for op in api.operations]


def _doc_params(api: Api, op: Operation) -> dict[str, Any]:
    """The official (camelCase) input of ``op``, every parameter given a valid value."""
    doc = DOCS[api.name]
    raw = next(o for o in doc.operations() if o.operation_id == op.operation_id)
    schemas: dict[str, Any] = {p.name: doc.deref(p.schema) for p in raw.parameters}
    if raw.body is not None:
        schemas.update(doc.deref(raw.body).get("properties", {}))
    out = {}
    for p in op.parameters:
        schema = schemas[p.wire]
        if p.location == "query" and "type" not in schema:
            out[p.wire] = "abc"  # an untyped query value still travels as a string
        elif p.wire == "nextToken":
            continue  # a cursor only the server hands out
        else:
            out[p.wire] = synth(doc, schema)
    return out


def _python_value(node: TypeNode, value: Any, models: Any) -> Any:
    """The Python argument for a JSON value: models are built from their wire form."""
    if value is None:
        return None
    if isinstance(node, Nullable):
        return _python_value(node.inner, value, models)
    if isinstance(node, ModelT):
        return structure(value, getattr(models, node.name))
    if isinstance(node, ArrayT):
        return [_python_value(node.item, v, models) for v in value]
    if isinstance(node, MapT):
        return {k: _python_value(node.value, v, models) for k, v in value.items()}
    return value


def _kwargs(api: Api, op: Operation, params: dict[str, Any]) -> dict[str, Any]:
    models = importlib.import_module(f"botpress_async.models.{api.name}")
    return {
        p.name: _python_value(p.type, params[p.wire], models)
        for p in op.parameters
        if p.wire in params
    }


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _to_json(node: TypeNode, value: Any) -> Any:
    """The JSON a decoded value came from, read back through the models' ``to_dict``."""
    if isinstance(node, ModelT):
        return value.to_dict()
    if isinstance(node, ArrayT):
        assert isinstance(value, list)
        return [_to_json(node.item, v) for v in value]
    if isinstance(node, MapT):
        assert isinstance(value, dict)
        return {k: _to_json(node.value, v) for k, v in value.items()}
    return value


def _ids(case: tuple[Api, Operation]) -> str:
    return f"{case[0].name}.{case[1].operation_id}"


def test_every_operation_is_covered() -> None:
    """The cases cover all 197 operations of the five documents, each once."""
    assert len(CASES) == 197
    assert len({op.operation_id for _, op in CASES}) == 197


@pytest.mark.parametrize("case", CASES, ids=_ids)
async def test_method(
    case: tuple[Api, Operation], client: AsyncClient, spec_server: tuple[SpecServer, str]
) -> None:
    """The operation's method sends a request the document accepts and decodes the answer."""
    api, op = case
    state = spec_server[0]
    resource = getattr(client, api.name)
    result = getattr(resource, op.name)(**_kwargs(api, op, _doc_params(api, op)))
    page = await result
    assert [(r.operation_id, r.problems) for r in state.seen] == [(op.operation_id, [])]
    sent = state.seen[0].response
    models = importlib.import_module(f"botpress_async.models.{api.name}")
    if isinstance(op.response_type, ModelT):
        assert isinstance(page, getattr(models, op.response))
        assert page.to_dict() == sent
    else:
        assert _to_json(op.response_type, page) == sent
    # The encode hooks give back the same JSON, less the nulls of optional fields.
    assert _without_nulls(unstructure(page)) == _without_nulls(sent)


@pytest.mark.parametrize("case", CASES, ids=_ids)
async def test_call(
    case: tuple[Api, Operation], client: AsyncClient, spec_server: tuple[SpecServer, str]
) -> None:
    """``client.call()`` with the official input sends an accepted request and returns the JSON."""
    api, op = case
    state = spec_server[0]
    data = await client.call(op.operation_id, _doc_params(api, op))
    assert [(r.operation_id, r.problems) for r in state.seen] == [(op.operation_id, [])]
    assert data == state.seen[0].response

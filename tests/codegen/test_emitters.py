"""The emitters and the writer: generated text, its behaviour once executed, and --check."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import attrs
import pytest

from codegen import emit_docs, emit_models, emit_operations, emit_resources, overlay
from codegen.build import build_api, load_apis
from codegen.ir import AnyT, Api, Operation, Parameter, Prim
from codegen.writer import MARKER, format_python, header, stale_files, write_files
from tests.codegen.test_build import _doc


@pytest.fixture
def api() -> Api:
    """The IR of the small test document (as a runtime API)."""
    return build_api("runtime", _doc(), source="doc.json", sha256="0")


def _execute(source: str, name: str, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType(name)
    # Registered like an imported module, so that annotations resolve against it.
    monkeypatch.setitem(sys.modules, name, module)
    exec(compile(source, name, "exec"), module.__dict__)  # noqa: S102 - the emitter's own output
    return module


def test_models_module_decodes_and_encodes(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The emitted models decode wire JSON into snake_case fields and encode it back."""
    source = emit_models.emit_models_module(api)
    assert source.startswith(header([api]))
    module = _execute(source, "generated_models_under_test", monkeypatch)
    wire = {"id": "t", "kind": "zzz", "note": None, "grid": [[1]], "owner": {"name": "n"}}
    thing = module.Thing.from_dict({**wire, "later": 1})
    assert thing.kind == "zzz"
    assert thing.owner == module.ThingOwner(name="n")
    assert thing.extra_fields == {"later": 1}
    assert thing.to_dict() == {**wire, "later": 1}
    assert module.GetOrCreateThingBodyOwner is module.ThingOwner
    assert set(module.__all__) >= {"Thing", "ThingOwner", "ListThingsResponse"}


def test_resource_method_signature_and_docstring(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A method has keyword-only typed arguments, per-call options and a structural docstring."""
    # Without an overlay entry, the docstring has the structural lines only.
    monkeypatch.setattr(overlay, "overlay_for", lambda _name: overlay.ApiOverlay())
    source = emit_resources.emit_resource_module(api)
    assert "class RuntimeResource(Resource):" in source
    assert "    def list_things(\n        self,\n        *,\n" in source
    assert "next_token: NotGivenOr[str] = NOT_GIVEN" in source
    assert "x_user_id: NotGivenOr[str] = NOT_GIVEN" in source
    assert "-> AsyncPager[Thing, ListThingsResponse]:" in source
    assert "    async def get_or_create_thing(" in source
    for option in ("timeout", "max_retries", "extra_headers", "extra_query", "extra_body"):
        assert f"        {option}:" in source
    doc = emit_resources.docstring(api.operations[0], api)
    assert "GET /v1/things (``listThings``)." in doc
    assert "Requires the client's ``bot_id`` (x-bot-id)." in doc
    assert "next_token: query ``nextToken``, str, optional." in doc


def test_operations_table(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The table records method, path, parameter kinds and requirements of each operation."""
    source = emit_operations.emit_operations_module((api,))
    module = _execute(source, "generated_operations_under_test", monkeypatch)
    spec = module.OPERATIONS["getOrCreateThing"]
    assert (spec.api, spec.method, spec.path) == ("runtime", "POST", "/v1/things")
    assert spec.idempotent
    assert spec.requires == ("x-bot-id",)
    assert [(p.wire, p.location, p.kind) for p in spec.params] == [
        ("name", "body", "string"),
        ("owner", "body", "object"),
    ]


def test_docs_table(api: Api) -> None:
    """The reference table has one row per operation: linked method, id, summary and route."""
    text = emit_docs.emit_operations_table((api,))
    assert MARKER in text.splitlines()[0]
    anchor = "reference/runtime.md#botpress_async.resources.runtime.RuntimeAPI.list_things"
    route = "<code>GET /<wbr>v1/<wbr>things</code>"
    row = f"| [`list_things`]({anchor}) *pager*<br>`listThings` | <br>{route} |"
    assert row in text


def test_migration_table(api: Api) -> None:
    """Each operation maps to its TypeScript call (wire names) and Python call (snake_case)."""
    text = emit_docs.emit_migration_table((api,))
    assert MARKER in text.splitlines()[0]
    ts = emit_docs.breakable("await client.getOrCreateThing({ name })")
    py = emit_docs.breakable("await client.runtime.get_or_create_thing(name=...)")
    assert f"| `getOrCreateThing` | {ts} | {py} |" in text
    ts, py = emit_docs.breakable("await client.listThings({})"), "client.runtime.list_things()"
    assert f"| `listThings` | {ts} | {emit_docs.breakable(py)} *pager* |" in text


def test_breakable_code_wraps_between_names_only() -> None:
    """Table code may wrap after a dot before a name, a parenthesis, a slash or a comma."""
    assert emit_docs.breakable("a.b(x=..., y<1)") == (
        "<code>a.<wbr>b(<wbr>x=...,<wbr> y&lt;1)</code>"
    )


def test_migration_calls_quote_header_names_and_name_required_arguments(api: Api) -> None:
    """A required header becomes a quoted key in TypeScript, a keyword argument in Python.

    An operation the documents hide from their public reference is marked so.
    """
    header = Parameter("x_destination_bot_id", "x-destination-bot-id", "header", Prim("str"), True)
    path = Parameter("user_id", "userId", "path", Prim("str"), True)
    optional = Parameter("note", "note", "body", Prim("str"), False)
    op = Operation(
        api="files",
        operation_id="copyThing",
        name="copy_thing",
        method="POST",
        path="/v1/files/{userId}",
        parameters=(path, header, optional),
        has_body=True,
        response="CopyThingResponse",
        response_type=AnyT(),
        status=200,
        requires=(),
        idempotent=False,
    )
    hidden = attrs.evolve(op, hidden=True)
    assert emit_docs.typescript_call(op) == (
        "await client.copyThing({ userId, 'x-destination-bot-id': ... })"
    )
    assert emit_docs.python_call(op) == (
        "await client.files.copy_thing(user_id=..., x_destination_bot_id=...)"
    )
    assert emit_docs.python_call(op, awaited=False).startswith("client.files.")
    row = emit_docs.emit_migration_table((attrs.evolve(api, operations=(hidden,)),))
    assert "| `copyThing` | <code>await client.<wbr>copyThing(" in row
    assert "})</code> *hidden* | <code>await client.<wbr>files.<wbr>copy_thing(" in row


def test_emit_writes_both_docs_pages(api: Api, tmp_path: Path) -> None:
    """The docs emitter writes the operations table and the migration table."""
    names = sorted(path.name for path in emit_docs.emit((api,), tmp_path))
    assert names == ["migrating-operations.md", "operations.md"]


_TEMPLATE_WORDS = set(
    re.findall(
        r"\w+",
        "Reached with a personal access token bot access key integration key Requires the "
        "client's bot_id workspace_id integration_id integration_alias x bot id workspace "
        "integration alias and Returns a pager async for walks every item over all pages await "
        "gives the first page The API marks this operation deprecated Args Returns required "
        "optional path query header body Path Query Header Body list of mapping str to int float "
        "bool Any Literal None "
        "or AsyncPager items GET POST PUT PATCH DELETE",
    )
)


def test_every_docstring_is_structural() -> None:
    """Generated method docstrings use only template words, structure names and the overlay's."""
    for api in load_apis():
        for op in api.operations:
            ov = overlay.overlay_for(api.name)
            ours = re.findall(r"\w+", repr([overlay.operation_entry(ov, op), ov.common_params]))
            allowed = _TEMPLATE_WORDS | set(re.findall(r"\w+", repr(op))) | set(ours)
            words = set(re.findall(r"\w+", emit_resources.docstring(op, api)))
            assert words <= allowed, (op.operation_id, sorted(words - allowed))


def test_format_python_applies_project_style(tmp_path: Path) -> None:
    """Generated Python is formatted and lint-fixed with the project's ruff settings."""
    out = format_python("import os\nx = {'a':1}\n", Path(__file__).with_name("generated.py"))
    assert out == 'x = {"a": 1}\n'


def test_check_reports_differences_and_orphans(tmp_path: Path) -> None:
    """--check lists changed, missing and orphaned generated files; writing fixes them all."""
    keep = tmp_path / "pkg" / "a.py"
    orphan = tmp_path / "pkg" / "old.py"
    hand = tmp_path / "pkg" / "hand.py"
    files = {keep: f"# {MARKER}\nA = 1\n", tmp_path / "b.md": f"<!-- {MARKER} -->\n"}
    keep.parent.mkdir()
    keep.write_text(f"# {MARKER}\nA = 0\n")
    orphan.write_text(f"# {MARKER}\n")
    hand.write_text("# written by hand\n")
    assert stale_files(files, tmp_path) == [
        "missing: b.md",
        "differs: pkg/a.py",
        "orphan: pkg/old.py",
    ]
    write_files(files, tmp_path)
    assert stale_files(files, tmp_path) == []
    assert not orphan.exists()
    assert hand.exists()

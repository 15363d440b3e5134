"""The overlay of our own descriptions: parsing, coverage, merging into docstrings, originality."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codegen import emit_models, emit_resources, emit_summaries, overlay
from codegen.build import VENDORED, build_api, load_apis
from codegen.ir import Api
from tests.codegen.test_build import _doc

_TEXT = '''
[operation.listThings]
summary = "List the things of the bot."
details = """Pages of things, newest first."""
[operation.listThings.param]
"x-user-id" = "Only the things this user owns."

[operation.getOrCreateThing]
summary = "Find a thing by name, or create it."
[operation.getOrCreateThing.param]
name = "The thing's unique name."

[schema.Thing]
summary = "Something the bot keeps."
[schema.Thing.field]
id = "Its identifier."

[common.param]
nextToken = "The token of the next page."

[common.field]
name = "A name."
'''


@pytest.fixture
def api() -> Api:
    """The IR of the small test document (as a runtime API)."""
    return build_api("runtime", _doc(), source="doc.json", sha256="0")


@pytest.fixture
def ours(monkeypatch: pytest.MonkeyPatch) -> overlay.ApiOverlay:
    """A small overlay, served to the emitters in place of the vendored one."""
    ov = overlay.parse_overlay(_TEXT, "test.toml")
    monkeypatch.setattr(overlay, "overlay_for", lambda _name: ov)
    return ov


def test_method_docstring_leads_with_our_words(api: Api, ours: overlay.ApiOverlay) -> None:
    """The summary, details and parameter phrases come first, the wire facts after them."""
    doc = emit_resources.docstring(api.operations[0], api)
    lines = [line.strip() for line in doc.splitlines()]
    assert lines[0] == '"""List the things of the bot.'
    assert lines[2] == "Pages of things, newest first."
    assert "next_token: The token of the next page. Query ``nextToken``, str, optional." in lines
    assert (
        "x_user_id: Only the things this user owns. Header ``x-user-id``, str, optional." in lines
    )


def test_model_docstring_has_summary_and_attributes(api: Api, ours: overlay.ApiOverlay) -> None:
    """A model's docstring is its summary and one phrase per field, own or common."""
    source = emit_models.emit_models_module(api)
    doc = '    """Something the bot keeps.\n\n    Attributes:\n        id: Its identifier.\n'
    assert doc in source
    # Without an entry, a response model is named after its operation; a common phrase applies.
    assert '"""What ``listThings`` answers.\n' in source
    assert "name: A name." in source
    # A field nobody described yet is still listed, by its wire name.
    assert "next_token: Sent as ``nextToken``." in source


def test_summaries_module(api: Api, ours: overlay.ApiOverlay) -> None:
    """The CLI's summary table has each described operation's line."""
    source = emit_summaries.emit_summaries_module((api,))
    assert "'listThings': 'List the things of the bot.'," in source.replace('"', "'")


def test_coverage_names_what_is_missing_and_what_names_nothing(api: Api) -> None:
    """The check lists each undescribed item and each entry the document does not have."""
    text = _TEXT.replace('"x-user-id" =', "nope =") + '[operation.dropThing]\nsummary = "Gone."\n'
    ov = overlay.parse_overlay(text, "t.toml")
    problems = overlay.coverage(api, ov)
    assert "runtime: operation listThings parameter x-user-id has no phrase" in problems
    assert "runtime: [operation.dropThing] names no operation" in problems
    assert "runtime: [operation.listThings.param] nope is no param of it" in problems
    assert any(p.startswith("runtime: model ListThingsResponse field") for p in problems)
    # Admin and billing need only summaries and required parameters.
    admin = build_api("admin", _doc(), source="doc.json", sha256="0")
    assert not [p for p in overlay.coverage(admin, ov) if "field" in p or "x-user-id" in p]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[operation.a]\nsummary = 1\n", "non-empty strings"),
        ("[operation.a]\nsumary = 'x'\n", "unknown keys"),
        ("[operations.a]\nsummary = 'x'\n", "unknown tables"),
        ("[common.params]\nx = 'y'\n", "[common]"),
        ("[operation.a\n", "t.toml"),
    ],
)
def test_bad_overlay_is_reported_with_its_place(text: str, message: str) -> None:
    """A malformed file fails with a message naming the file and what is wrong."""
    with pytest.raises(overlay.OverlayError, match=message.replace("[", r"\[")):
        overlay.parse_overlay(text, "t.toml")


def _descriptions(node: Any) -> Iterator[str]:
    """Every ``description`` text of a parsed document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield value
            else:
                yield from _descriptions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _descriptions(item)


def _ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    w = overlay.words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def _overlay_texts(ov: overlay.ApiOverlay) -> Iterator[str]:
    for entries in (ov.operations, ov.schemas, ov.models):
        for entry in entries.values():
            yield entry.summary
            yield entry.details
            yield from entry.items.values()
    yield from ov.common_params.values()
    yield from ov.common_fields.values()


def test_overlay_copies_no_sentence_of_the_documents() -> None:
    """No run of eight words of our text appears in the documents' own descriptions."""
    for path in sorted(VENDORED.glob("*.json")):
        if path.name == "errors.json" or path.name == "PROVENANCE.json":
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        theirs: set[tuple[str, ...]] = set()
        for text in _descriptions(doc):
            theirs |= _ngrams(text, 8)
        ov = overlay.load_overlay(path.stem)
        for text in _overlay_texts(ov):
            shared = _ngrams(text, 8) & theirs
            assert not shared, (path.stem, text, sorted(shared)[:1])


def test_vendored_overlay_is_complete_and_names_only_real_things() -> None:
    """Every API's overlay covers what the check demands, and names only what exists."""
    for api in load_apis():
        problems = overlay.coverage(api, overlay.load_overlay(api.name))
        assert not problems, problems


def test_overlay_folder_has_only_api_files_and_readme() -> None:
    """Every file of the overlay folder is an API's TOML or the format's README."""
    names = {p.name for p in Path(overlay.OVERLAY_DIR).iterdir()}
    allowed = {f"{api.name}.toml" for api in load_apis()} | {"README.md"}
    assert names <= allowed, sorted(names - allowed)


def _flat(text: str | None) -> str:
    return " ".join((text or "").split())


def test_shipped_methods_carry_the_overlay_in_both_clients() -> None:
    """``help()`` on a runtime, files or tables method of either client gives our words.

    A method the public class replaces by a hand-written one keeps its own docstring.
    """
    for api in load_apis():
        if api.name not in overlay.FULL_APIS:
            continue
        ov = overlay.load_overlay(api.name)
        name = api.class_prefix + "API"
        generated = getattr(
            importlib.import_module(f"botpress_async.resources._{api.name}"),
            api.class_prefix + "Resource",
        )
        public = getattr(importlib.import_module(f"botpress_async.resources.{api.name}"), name)
        blocking = getattr(importlib.import_module(f"botpress_sync.resources.{api.name}"), name)
        for op in api.operations:
            entry = overlay.operation_entry(ov, op)
            kept = getattr(public, op.name) is getattr(generated, op.name)
            for cls in (generated, blocking) if kept else (generated,):
                doc = _flat(getattr(cls, op.name).__doc__)
                assert doc.startswith(entry.summary), (cls, op.name)
                for param in op.parameters:
                    assert _flat(overlay.param_text(ov, op, param)) in doc, (op.name, param.wire)

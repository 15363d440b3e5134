"""The SDK's own modules import one way: no cycle, even counting type-only imports.

A cycle means two modules lean on each other's insides, so neither can be read, tested or
changed alone. The graph comes from the source (`scripts/import_graph.py`), with the imports
under ``if TYPE_CHECKING:`` and inside functions counted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.import_graph import DOC, Graph, cycles, describe, read_graph, refreshed_doc

#: Cycles tolerated for a stated reason, as (module prefixes, why); none today, and a new entry
#: needs a reason a reviewer accepts. A cycle is exempt when each of its modules starts with
#: one of an entry's prefixes.
EXEMPT: list[tuple[tuple[str, ...], str]] = []


def _covers(prefixes: tuple[str, ...], chain: list[str]) -> bool:
    return all(m.startswith(prefixes) for m in chain)


def _exempt(chain: list[str]) -> bool:
    return any(_covers(prefixes, chain) for prefixes, _ in EXEMPT)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return read_graph()


def test_the_graph_sees_the_packages(graph: Graph) -> None:
    """The reader finds the client modules and the imports between them (type-only too)."""
    assert "botpress_async._base_client" in graph.modules
    assert "botpress_sync._base" in graph.modules
    assert "botpress_pytest" in graph.modules
    # resources._runtime imports Resource at run time; _resource imports BaseClient for
    # type checking only.
    assert "botpress_async._resource" in graph.edges["botpress_async.resources._runtime"]
    assert "botpress_async._base_client" in graph.edges["botpress_async._resource"]


def test_no_import_cycle(graph: Graph) -> None:
    """No module reaches itself through imports (the message shows each cycle's lines)."""
    found = [chain for chain in cycles(graph) if not _exempt(chain)]
    assert not found, "import cycles:\n" + "\n".join(describe(graph, c) for c in found)


def test_a_cycle_is_found_and_shown(tmp_path: Path) -> None:
    """The check itself works: a planted type-only cycle is reported with its lines."""
    package = tmp_path / "botpress_async"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from botpress_async import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from .a import thing\n"
    )
    planted = read_graph(tmp_path, ["botpress_async"])
    found = cycles(planted)
    assert found == [["botpress_async.a", "botpress_async.b", "botpress_async.a"]]
    shown = describe(planted, found[0])
    assert "a.py:1 imports botpress_async.b" in shown
    assert "b.py:4 imports botpress_async.a" in shown


def test_the_exemptions_are_still_needed(graph: Graph) -> None:
    """Each exemption still covers a cycle; once it covers none, it goes."""
    found = cycles(graph)
    unused = [p for p, _ in EXEMPT if not any(_covers(p, chain) for chain in found)]
    assert not unused, f"remove these exemptions, their cycles are gone: {unused}"


def test_the_architecture_page_shows_the_current_graph(graph: Graph) -> None:
    """docs/architecture.md embeds the diagram the script draws now."""
    text = DOC.read_text(encoding="utf-8")
    assert refreshed_doc(text, graph) == text, (
        "the import graph in docs/architecture.md is stale: "
        "run python scripts/import_graph.py --write"
    )

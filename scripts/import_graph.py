"""The SDK's own import graph, read from the source: its cycles and its layers.

Every ``import`` and ``from ... import`` of the packages counts, wherever it stands: at the
top, inside a function, or under ``if TYPE_CHECKING:`` (a type-only import still makes two
modules depend on each other's shape). The one edge left out is the implicit one: a
submodule's parent package runs before it, but that is Python's doing, not an import.

    python scripts/import_graph.py            # print the layer diagram
    python scripts/import_graph.py --cycles   # print each cycle, with its import lines
    python scripts/import_graph.py --write    # refresh the diagram in docs/architecture.md
    python scripts/import_graph.py --check    # fail when that diagram is stale
"""

from __future__ import annotations

import argparse
import ast
import itertools
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = [
    "DOC",
    "PACKAGES",
    "ROOT",
    "Graph",
    "cycles",
    "diagram",
    "group_of",
    "layers",
    "read_graph",
    "refreshed_doc",
]

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("botpress_async", "botpress_sync", "botpress_pytest")
DOC = ROOT / "docs" / "architecture.md"
START = "<!-- import-graph: start (scripts/import_graph.py --write) -->"
END = "<!-- import-graph: end -->"

#: Subpackages drawn as one box each (their insides are one job), checked in order. The
#: generated resource bases get a box of their own, below the hand-written resources.
GROUPED = (
    ("botpress_async.models", "botpress_async.models"),
    ("botpress_async.resources._", "botpress_async.resources._*"),
    ("botpress_async.testing.pytest_plugin", "botpress_async.testing.pytest_plugin"),
    ("botpress_async.testing", "botpress_async.testing"),
    ("botpress_async.chat", "botpress_async.chat"),
    ("botpress_async.distributed", "botpress_async.distributed"),
    ("botpress_async.bot", "botpress_async.bot"),
    ("botpress_async.integration", "botpress_async.integration"),
    ("botpress_sync.resources", "botpress_sync.resources"),
    ("botpress_sync.chat", "botpress_sync.chat"),
)


class Graph:
    """Modules and the imports between them.

    Attributes:
        root: the directory the packages were read from.
        modules: each module's dotted name and source file.
        edges: for each module, the modules it imports, with the line of the first such import.
    """

    def __init__(
        self, root: Path, modules: dict[str, Path], edges: dict[str, dict[str, int]]
    ) -> None:
        self.root = root
        self.modules = modules
        self.edges = edges


def _modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _target(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def read_graph(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> Graph:
    """Parse every module of ``packages`` under ``root`` and collect its imports.

    Args:
        root: the repository's root.
        packages: the top-level packages whose modules are the graph's nodes.
    """
    modules = _modules(root, packages)
    edges: dict[str, dict[str, int]] = {}
    for module, path in modules.items():
        out: dict[str, int] = {}
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                base = _target(module, path.name == "__init__.py", node)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.append(full if full in modules else base)
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                if target in modules and target != module:
                    out.setdefault(target, node.lineno)
        edges[module] = dict(sorted(out.items(), key=lambda kv: kv[0]))
    return Graph(root, modules, edges)


def _components(nodes: Iterable[str], edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan's algorithm, iterative), sorted names each."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(edges.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(edges.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(sorted(component))
    return found


def _loop_through(start: str, members: set[str], edges: Mapping[str, Iterable[str]]) -> list[str]:
    """A shortest import chain from ``start`` back to itself inside one component."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in sorted(edges.get(node, ())):
                if nxt not in members:
                    continue
                if nxt == start:
                    chain = [node]
                    while chain[-1] != start:
                        chain.append(previous[chain[-1]])
                    return [start, *reversed(chain[:-1]), start]
                if nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    return [start]


def cycles(graph: Graph) -> list[list[str]]:
    """One import loop per group of modules that import each other, as a chain of names.

    Each chain starts and ends with the same module (``a -> b -> a``); modules of the group
    that are not on it are reached from it.
    """
    found = []
    for component in _components(graph.modules, graph.edges):
        if len(component) > 1:
            found.append(_loop_through(component[0], set(component), graph.edges))
    return sorted(found)


def describe(graph: Graph, chain: list[str]) -> str:
    """``chain`` as lines naming the file and line of each import on it."""
    lines = [" -> ".join(chain)]
    for a, b in itertools.pairwise(chain):
        path = graph.modules[a].relative_to(graph.root).as_posix()
        lines.append(f"    {path}:{graph.edges[a][b]} imports {b}")
    return "\n".join(lines)


def group_of(module: str) -> str:
    """The box ``module`` is drawn in: its grouped subpackage, or itself."""
    for prefix, box in GROUPED:
        if module == prefix or module.startswith(prefix if prefix.endswith("_") else prefix + "."):
            return box
    return module


def _grouped(graph: Graph) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {group_of(m): set() for m in graph.modules}
    for module, targets in graph.edges.items():
        for target in targets:
            a, b = group_of(module), group_of(target)
            if a != b:
                edges[a].add(b)
    return edges


def layers(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """Nodes by layer: layer 0 imports nothing of the graph, each layer only those below.

    Nodes that import each other (a cycle) share a layer.
    """
    component_of: dict[str, int] = {}
    components = _components(sorted(edges), edges)
    for number, component in enumerate(components):
        for node in component:
            component_of[node] = number
    depth: dict[int, int] = {}
    # Tarjan emits a component after every component it imports, so one pass suffices.
    for number, component in enumerate(components):
        below = [
            depth[component_of[t]]
            for node in component
            for t in edges[node]
            if component_of[t] != number
        ]
        depth[number] = 1 + max(below, default=-1)
    out: list[list[str]] = [[] for _ in range(1 + max(depth.values(), default=-1))]
    for node, number in component_of.items():
        out[depth[number]].append(node)
    return [sorted(layer) for layer in out]


def _reduced(edges: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """Each node's imports minus those it also reaches through another of its imports.

    Worked out between groups of nodes that import each other, so the imports inside a
    cycle are all kept.
    """
    component_of: dict[str, int] = {}
    for number, component in enumerate(_components(sorted(edges), edges)):
        for node in component:
            component_of[node] = number
    above: dict[int, set[int]] = {}
    for node, targets in edges.items():
        above.setdefault(component_of[node], set()).update(component_of[t] for t in targets)
    reach: dict[int, set[int]] = {}

    def reachable(component: int) -> set[int]:
        if component not in reach:
            reach[component] = set()
            for nxt in above.get(component, ()):
                if nxt != component:
                    reach[component] |= {nxt} | reachable(nxt)
        return reach[component]

    reduced: dict[str, list[str]] = {}
    for node, targets in edges.items():
        own = component_of[node]
        direct = {component_of[t] for t in targets} - {own}
        indirect = set().union(*(reachable(c) for c in direct)) if direct else set()
        reduced[node] = sorted(
            t for t in targets if component_of[t] == own or component_of[t] not in indirect
        )
    return reduced


def _short(name: str) -> str:
    return name.replace("botpress_async.", "async.").replace("botpress_sync.", "sync.")


def diagram(graph: Graph) -> str:
    """The layers as text: one block per layer, top layer first, each box with its imports.

    Subpackages in `GROUPED` are one box; an import that a box also reaches through another
    of its imports is left out, so each line names only the next step down. Boxes that
    import each other are marked ``(cycle)`` and share a layer.
    """
    edges = _grouped(graph)
    reduced = _reduced(edges)
    cyclic = {n for c in _components(sorted(edges), edges) if len(c) > 1 for n in c}
    lines = []
    for number, layer in reversed(list(enumerate(layers(edges)))):
        lines.append(f"layer {number}")
        for node in layer:
            name = _short(node) + (" (cycle)" if node in cyclic else "")
            targets = ", ".join(_short(t) for t in reduced[node])
            lines.append(f"  {name:<30}" + (f" -> {targets}" if targets else ""))
    return "\n".join(lines) + "\n"


def refreshed_doc(text: str, graph: Graph) -> str:
    """``text`` (the architecture page) with the diagram between its markers redrawn."""
    head, found, rest = text.partition(START)
    if not found or END not in rest:
        raise ValueError(f"{DOC.name} has no {START!r} ... {END!r} block")
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n```text\n{diagram(graph)}```\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """Print, write or check the diagram, or print the cycles; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--cycles", action="store_true", help="print every import cycle")
    action.add_argument("--write", action="store_true", help=f"refresh {DOC.name}")
    action.add_argument("--check", action="store_true", help=f"fail when {DOC.name} is stale")
    args = parser.parse_args(argv)
    graph = read_graph()
    if args.cycles:
        found = cycles(graph)
        for chain in found:
            print(describe(graph, chain))
        return 1 if found else 0
    if args.write or args.check:
        text = DOC.read_text(encoding="utf-8")
        fresh = refreshed_doc(text, graph)
        if args.check:
            if fresh != text:
                print(f"{DOC.name} is stale: run python scripts/import_graph.py --write")
                return 1
            return 0
        DOC.write_text(fresh, encoding="utf-8")
        return 0
    sys.stdout.write(diagram(graph))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

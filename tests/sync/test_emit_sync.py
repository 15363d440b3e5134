"""The sync facade emitter: renaming, argument passing, name resolution and method shapes."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from codegen import __main__ as codegen_main
from codegen import emit_sync
from codegen.build import ROOT, load_apis
from codegen.emit_sync import (
    ClassSpec,
    Import,
    Sources,
    call_arguments,
    members,
    module_imports,
    render_class_module,
    sync_annotation,
)
from codegen.writer import stale_files

DEMO = textwrap.dedent(
    '''
    from __future__ import annotations

    from collections.abc import AsyncIterator
    from typing import TYPE_CHECKING, overload

    from .._pagination import AsyncPager
    from .._types import NOT_GIVEN, NotGivenOr
    from .base import DemoBase

    if TYPE_CHECKING:
        from botpress_async.models.demo import Thing


    class DemoAPI(DemoBase):
        """Demo."""

        async def get_thing(self, *, id: str, limit: NotGivenOr[int] = NOT_GIVEN) -> Thing:
            """Fetch one thing."""
            return await self._get(id, limit)

        def list_things(self, *, tag: str | None = None) -> AsyncPager[Thing, dict]:
            """Every thing."""
            raise NotImplementedError

        async def stream(self, count: int, /, *names: str, **extra: str) -> AsyncIterator[str]:
            yield "x"

        @property
        def name(self) -> str:
            return "demo"

        @overload
        async def pick(self, a: int) -> int: ...
        async def pick(self, a: int | str) -> int:
            return 1

        async def _private(self) -> None:
            return None
    '''
)
BASE = textwrap.dedent(
    '''
    class DemoBase:
        async def inherited(self, *, x: int = 1) -> int:
            """From the base."""
            return x
    '''
)


def demo_sources(tmp_path: Path) -> Sources:
    pkg = tmp_path / "botpress_async" / "resources"
    return Sources(tmp_path, {pkg / "demo.py": DEMO, pkg / "base.py": BASE})


def test_return_annotations_get_the_blocking_names() -> None:
    """AsyncPager, AsyncIterator and AsyncClient become Pager, Iterator and Client."""
    assert (
        sync_annotation("AsyncPager[User, ListUsersResponse]") == "Pager[User, ListUsersResponse]"
    )
    assert sync_annotation("AsyncIterator[int] | None") == "Iterator[int] | None"
    assert sync_annotation("AsyncClient") == "Client"
    assert sync_annotation("MyAsyncPagerLike") == "MyAsyncPagerLike"


def test_call_arguments_pass_every_parameter_as_declared() -> None:
    """Positional-only and plain parameters go by position, the rest by name or unpacking."""
    node = ast.parse("def f(self, a, /, b, *args, c, d=1, **kw): pass").body[0]
    assert isinstance(node, ast.FunctionDef)
    assert call_arguments(node.args) == "a, b, *args, c=c, d=d, **kw"


def test_module_imports_resolve_relative_and_type_checking_imports() -> None:
    """Names imported relatively, or only for type checking, map to their modules."""
    found = module_imports(ast.parse(DEMO), "botpress_async.resources.demo")
    assert found["AsyncPager"] == Import("botpress_async._pagination", "AsyncPager")
    assert found["Thing"] == Import("botpress_async.models.demo", "Thing")
    assert found["DemoBase"] == Import("botpress_async.resources.base", "DemoBase")
    assert found["DemoAPI"] == Import("botpress_async.resources.demo", "DemoAPI")


def test_members_cover_own_and_inherited_public_methods(tmp_path: Path) -> None:
    """Public methods and properties are found with their kinds; overloads and privates are not."""
    found = {m.name: m.kind for m in members(demo_sources(tmp_path), *_demo_class())}
    assert found == {
        "get_thing": "coroutine",
        "list_things": "function",
        "stream": "asyncgen",
        "name": "property",
        "pick": "coroutine",
        "inherited": "coroutine",
    }


def _demo_class() -> tuple[str, str]:
    return "botpress_async.resources.demo", "DemoAPI"


def test_rendered_methods_hand_each_call_to_the_loop(tmp_path: Path) -> None:
    """Coroutines run on the loop, pagers become Pager, async iterators become iterators."""
    spec = ClassSpec(
        source_module="botpress_async.resources.demo",
        source_class="DemoAPI",
        target=Path("botpress_sync/resources/demo.py"),
        target_class="DemoAPI",
        base="ResourceBase",
        docstring="Demo.\n",
        api="demo",
    )
    text = render_class_module(spec, demo_sources(tmp_path))
    compile(text, "demo.py", "exec")
    assert "return _loop.run(self._async.get_thing(id=id, limit=limit))" in text
    assert "-> Pager[Thing, dict]:" in text
    assert "return Pager(self._async.list_things(tag=tag))" in text
    assert "-> Iterator[str]:" in text
    assert "return _loop.iterate(self._async.stream(count, *names, **extra))" in text
    assert "return self._async.name" in text
    assert "from botpress_async._types import NOT_GIVEN" in text
    assert '"""From the base."""' in text
    assert "@overload\n    def pick(self, a: int) -> int: ..." in text
    assert "_private" not in text


def test_the_one_check_driver_covers_the_facade() -> None:
    """``python -m codegen --check`` compares the facade with the rest, and finds it current."""
    assert emit_sync.emit in codegen_main.EMITTERS
    files = codegen_main.generate()
    facade = emit_sync.emit(load_apis())
    assert set(facade) <= set(files)
    assert stale_files(files, ROOT) == []


@pytest.mark.parametrize(
    ("written", "blocking"),
    [
        ("Iterable[int] | AsyncIterable[int]", "Iterable[int]"),
        ("AsyncIterable[Row]", "Iterable[Row]"),
        ("Callable[[int], None] | Callable[[int], Awaitable[None]]", "Callable[[int], None]"),
        ("Callable[[int], Awaitable[None]]", "Callable[[int], Awaitable[None]]"),
        ("AsyncClient | None", "Client | None"),
        ("int | str | None", "int | str | None"),
    ],
)
def test_argument_annotations_name_what_a_blocking_caller_passes(
    written: str, blocking: str
) -> None:
    """Async types in a parameter's annotation become their blocking twins; duplicates merge."""
    node = ast.parse(written, mode="eval").body
    assert ast.unparse(emit_sync.sync_argument(node)) == blocking


def test_docstring_examples_lose_await_in_the_blocking_twin() -> None:
    """Code examples in a docstring read as blocking code on the sync facade."""
    doc = "Run ``await client.bulk(op, items)``; walk ``async for x in pager``; await nothing."
    assert emit_sync.blocking_doc(doc) == (
        "Run ``client.bulk(op, items)``; walk ``for x in pager``; await nothing."
    )
    assert emit_sync.blocking_doc(None) is None


PARTS = textwrap.dedent(
    '''
    from __future__ import annotations

    from typing_extensions import Unpack

    from ._options import AsyncPartitionOptions
    from ._summary import Summary


    def blocking_twin(doc): ...


    @blocking_twin("""Count the items, blocking.""")
    async def acount(
        items: list[int], *, scale: int = 1, **options: Unpack[AsyncPartitionOptions]
    ) -> Summary:
        """Count the items.

        Args:
            items: what to count.
            options: see `AsyncPartitionOptions`.
        """
        return Summary()


    @blocking_twin("""Ping, blocking.""")
    async def aping(host: str, /) -> None:
        return None


    async def aunmarked() -> None:
        return None
    '''
)


def test_marked_coroutine_functions_get_blocking_twins(tmp_path: Path) -> None:
    """A ``@blocking_twin(doc)`` coroutine ``aname`` becomes ``name``: same parameters, the
    blocking options, the given docstring, its options checked, its coroutine run blocking."""
    module = tmp_path / "botpress_async" / "parts" / "_work.py"
    spec = emit_sync.FunctionSpec(
        source_module="botpress_async.parts._work",
        target=Path("botpress_async/parts/_blocking.py"),
        docstring="Demo twins.\n",
        runner="_run",
        checker="_check",
    )
    text = emit_sync.render_function_module(spec, Sources(tmp_path, {module: PARTS}))
    compile(text, "_blocking.py", "exec")
    assert "**options: Unpack[PartitionOptions]) -> Summary:" in text.replace("\n", "")
    assert (
        '"""Count the items, blocking.\n\n    Args:\n        items: what to count.\n'
        '        options: see `PartitionOptions`.\n    """' in text
    )
    expected = [
        '"""Ping, blocking."""',
        "_check(options, PartitionOptions, 'count')",
        "return _run(acount(items, scale=scale, **options))",
        "def ping(host: str, /) -> None:",
        "return _run(aping(host))",
        "from botpress_async.parts._work import _check, _run, acount, aping",
        "from botpress_async.distributed._partitions import PartitionOptions",
    ]
    assert [line for line in expected if line not in text] == []
    assert "unmarked" not in text
    assert "__all__ = ['count', 'ping']" in text


def test_the_blocking_partition_functions_are_the_generated_twins() -> None:
    """The public blocking partition functions come from the generated module."""
    import inspect

    from botpress_async import distributed
    from botpress_async.distributed import _blocking

    for name in _blocking.__all__:
        blocking, coroutine = getattr(distributed, name), getattr(distributed, "a" + name)
        assert blocking is getattr(_blocking, name)
        assert inspect.iscoroutinefunction(coroutine)
        assert not inspect.iscoroutinefunction(blocking)
        assert blocking.__doc__
        assert blocking.__doc__ != coroutine.__doc__
        expected = inspect.signature(coroutine).parameters.keys()
        assert inspect.signature(blocking).parameters.keys() == expected

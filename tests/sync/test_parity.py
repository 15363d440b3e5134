"""The blocking facade mirrors the async SDK exactly: same methods, signatures and docs."""

from __future__ import annotations

import importlib
import inspect
import re
import typing
from typing import Any

import pytest

import botpress_async
import botpress_sync
from codegen.emit_sync import blocking_doc

APIS = ("runtime", "files", "tables", "admin", "billing")
#: The one renaming rule between the two facades.
RENAMES = {
    "AsyncClient": "Client",
    "AsyncPager": "Pager",
    "AsyncIterator": "Iterator",
    "AsyncIterable": "Iterable",
    "AbstractAsyncContextManager": "AbstractContextManager",
    "AsyncTableHandle": "TableHandle",
}
#: Async members whose twin has another name, and what has no twin at all.
TWIN_NAMES = {"aclose": "close"}
NOT_MIRRORED_INIT_ARGS = {"session"}  # an aiohttp session belongs to its caller's loop
#: Exported coroutine functions take coroutine functions; blocking code uses Client.bulk instead.
COROUTINE_FUNCTIONS = {
    name
    for name in botpress_async.__all__
    if inspect.iscoroutinefunction(getattr(botpress_async, name))
}


def renamed(annotation: Any) -> Any:
    if not isinstance(annotation, str):
        return annotation
    for old, new in RENAMES.items():
        annotation = re.sub(rf"\b{old}\b", new, annotation)
    return annotation


def pairs() -> list[tuple[type, type]]:
    out: list[tuple[type, type]] = [(botpress_async.AsyncClient, botpress_sync.Client)]
    for api in APIS:
        name = api.capitalize() + "API"
        async_mod = importlib.import_module(f"botpress_async.resources.{api}")
        sync_mod = importlib.import_module(f"botpress_sync.resources.{api}")
        out.append((getattr(async_mod, name), getattr(sync_mod, name)))
    return out


def public_members(cls: type) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass is object:
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_") and (callable(value) or isinstance(value, property)):
                found[name] = value
    return found


def assert_same_signature(async_fn: Any, sync_fn: Any, where: str, skip: set[str]) -> None:
    a_sig = inspect.signature(async_fn)
    s_sig = inspect.signature(sync_fn)
    a_params = [p for p in a_sig.parameters.values() if p.name not in skip]
    s_params = list(s_sig.parameters.values())
    assert [p.name for p in s_params] == [p.name for p in a_params], where
    for a, s in zip(a_params, s_params, strict=True):
        assert s.kind == a.kind, f"{where}({a.name}): kind"
        assert s.default is a.default or s.default == a.default, f"{where}({a.name}): default"
        # Arguments pass through to the async method unchanged, so they accept the same types.
        assert s.annotation == a.annotation, f"{where}({a.name}): annotation"
    assert s_sig.return_annotation == renamed(a_sig.return_annotation), f"{where}: return"
    # The same text, but for examples written as blocking code (no ``await``).
    assert inspect.getdoc(sync_fn) == blocking_doc(inspect.getdoc(async_fn)), f"{where}: docstring"


def assert_same_overloads(async_fn: Any, sync_fn: Any, where: str) -> None:
    get_overloads = getattr(typing, "get_overloads", None)
    if get_overloads is None:  # Python 3.10 does not record overloads
        return
    a_over, s_over = get_overloads(async_fn), get_overloads(sync_fn)
    assert len(s_over) == len(a_over), f"{where}: overloads"
    for a, s in zip(a_over, s_over, strict=True):
        a_sig, s_sig = inspect.signature(a), inspect.signature(s)
        assert list(s_sig.parameters.values()) == list(a_sig.parameters.values()), where
        assert s_sig.return_annotation == renamed(a_sig.return_annotation), where


@pytest.mark.parametrize(("async_cls", "sync_cls"), pairs(), ids=lambda c: c.__qualname__)
def test_every_public_member_has_a_blocking_twin(async_cls: type, sync_cls: type) -> None:
    """Each public method and property of the async class has a twin with the same signature."""
    async_members = public_members(async_cls)
    sync_members = public_members(sync_cls)
    assert async_members, async_cls
    for name, value in async_members.items():
        twin_name = TWIN_NAMES.get(name, name)
        assert twin_name in sync_members, f"{sync_cls.__qualname__} lacks {twin_name}"
        twin = sync_members[twin_name]
        where = f"{sync_cls.__qualname__}.{twin_name}"
        if isinstance(value, property):
            assert isinstance(twin, property), where
            assert_same_signature(value.fget, twin.fget, where, set())
        elif name in TWIN_NAMES:
            assert not inspect.iscoroutinefunction(twin), where
        else:
            assert not inspect.iscoroutinefunction(twin), where
            assert_same_signature(value, twin, where, set())
            assert_same_overloads(value, twin, where)
    extra = set(sync_members) - {TWIN_NAMES.get(n, n) for n in async_members}
    assert extra == set(), f"{sync_cls.__qualname__} has members the async class lacks"


def test_constructor_takes_the_async_arguments() -> None:
    """Client() takes AsyncClient's arguments, with the same defaults, except ``session``."""
    assert_same_signature(
        botpress_async.AsyncClient.__init__,
        botpress_sync.Client.__init__,
        "Client.__init__",
        NOT_MIRRORED_INIT_ARGS,
    )


def test_paginated_methods_return_blocking_pagers() -> None:
    """Every method that returns an AsyncPager has a twin annotated to return a Pager."""
    paged = 0
    for async_cls, sync_cls in pairs()[1:]:
        for name, value in public_members(async_cls).items():
            annotation = inspect.signature(value).return_annotation
            if isinstance(annotation, str) and annotation.startswith("AsyncPager["):
                paged += 1
                twin = inspect.signature(getattr(sync_cls, name)).return_annotation
                assert twin.startswith("Pager["), name
    assert paged > 0


def test_public_names_are_the_async_ones_plus_client() -> None:
    """botpress_sync exports Client and the public names of botpress_async but AsyncClient."""
    assert botpress_sync.__all__ == sorted(botpress_sync.__all__)
    expected = (set(botpress_async.__all__) - {"AsyncClient"} - COROUTINE_FUNCTIONS) | {
        "Client",
        "LoopThreadError",
        "Pager",
        "TableHandle",
    }
    assert set(botpress_sync.__all__) == expected
    public = {n for n in vars(botpress_sync) if not n.startswith("_")} - {
        "resources",  # the subpackage, loaded when first used
        "chat",  # the Chat API's blocking client, a subpackage of its own
    }
    assert public <= set(botpress_sync.__all__) | {"__version__"}


def test_models_and_errors_are_the_very_same_objects() -> None:
    """Errors and shared types are re-exported from botpress_async, not copied."""
    for name in set(botpress_async.__all__) - {"AsyncClient"} - COROUTINE_FUNCTIONS:
        assert getattr(botpress_sync, name) is getattr(botpress_async, name), name

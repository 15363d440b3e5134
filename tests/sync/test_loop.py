"""The private loop under a blocking client: threads, running loops, errors, lifecycle."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import pickle
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator
from typing import Any

import pytest

import botpress_async
import botpress_sync
from botpress_sync import _loop
from tests.core.test_decoding import _message
from tests.loopback import FAKE_PAT
from tests.sync.server import ThreadedServer, serve

BOT = "bot_sync_1"
THREADS = 32
CALLS_PER_THREAD = 200


def make_client(server: ThreadedServer, **kwargs: Any) -> botpress_sync.Client:
    return botpress_sync.Client(FAKE_PAT, api_url=server.url, bot_id=BOT, **kwargs)


def test_request_returns_decoded_json(threaded_server: ThreadedServer) -> None:
    """A blocking request reaches the server with the client's headers and returns the JSON."""
    with make_client(threaded_server) as client:
        answer = client.request("GET", "/v1/chat/echo/abc", query={"x": "1"})
    assert answer["path"] == "/v1/chat/echo/abc"
    assert answer["query"] == "x=1"


def test_many_threads_share_one_client(threaded_server: ThreadedServer) -> None:
    """32 threads making 200 calls each on one client all get their own answers."""
    failures: list[str] = []
    done = [0] * THREADS

    def worker(n: int) -> None:
        try:
            for i in range(CALLS_PER_THREAD):
                path = f"/v1/chat/echo/{n}-{i}"
                answer = client.request("GET", path)
                if answer["path"] != path:
                    failures.append(f"{path} got {answer['path']}")
                done[n] += 1
        except Exception as exc:  # the assertion below reports it
            failures.append(repr(exc))

    with make_client(threaded_server) as client:
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert failures == []
    assert done == [CALLS_PER_THREAD] * THREADS


def test_connection_closed_by_the_server_while_idle_is_not_reused() -> None:
    """A POST after the server closed the idle pooled connection goes out on a new one."""
    for server in serve(keepalive_timeout=0.1):
        with make_client(server) as client:
            first = client.request("POST", "/v1/chat/echo/one", json={"n": 1})
            time.sleep(0.5)  # nobody runs the loop meanwhile; the server drops the connection
            second = client.request("POST", "/v1/chat/echo/two", json={"n": 2})
        assert first["port"] != second["port"]


def test_call_from_a_thread_running_an_event_loop(threaded_server: ThreadedServer) -> None:
    """Blocking calls made by async code (as in Jupyter) work instead of raising or deadlocking."""

    async def notebook_cell() -> Any:
        asyncio.get_running_loop()  # this thread's loop is running, as in a notebook
        return client.request("GET", "/v1/chat/echo/from-a-loop")

    with make_client(threaded_server) as client:
        answer = asyncio.run(notebook_cell())
    assert answer["path"] == "/v1/chat/echo/from-a-loop"


def test_call_from_the_loop_thread_raises(threaded_server: ThreadedServer) -> None:
    """A blocking call made on the private loop's own thread raises a clear error."""

    async def on_the_loop() -> Any:
        return client.request("GET", "/v1/chat/echo/x")

    with make_client(threaded_server) as client:
        client.request("GET", "/v1/chat/echo/warm-up")
        with pytest.raises(botpress_sync.LoopThreadError, match="deadlock"):
            _loop.run(on_the_loop())


def test_error_keeps_class_message_and_the_callers_line(threaded_server: ThreadedServer) -> None:
    """An API error arrives as the async SDK's class, with a traceback that shows the call."""
    body = {"id": "err_1", "code": 404, "type": "ResourceNotFound", "message": "no such user"}
    threaded_server.script.reply(404, body)
    with (
        make_client(threaded_server) as client,
        pytest.raises(botpress_async.ResourceNotFoundError) as info,
    ):
        client.request("GET", "/v1/chat/users/u1")  # the caller's line
    assert info.value.message == "no such user"
    assert info.value.status == 404
    frames = traceback.extract_tb(info.value.__traceback__)
    assert any(f.filename == __file__ and "the caller's line" in (f.line or "") for f in frames)


def test_close_is_idempotent_and_later_calls_raise(threaded_server: ThreadedServer) -> None:
    """close() may be called twice; a call after it raises ClientStateError."""
    client = make_client(threaded_server)
    client.request("GET", "/v1/chat/echo/once")
    client.close()
    client.close()
    assert client.is_closed
    with pytest.raises(botpress_sync.ClientStateError):
        client.request("GET", "/v1/chat/echo/after")


def test_closing_an_unused_client_starts_no_thread(threaded_server: ThreadedServer) -> None:
    """A client that never sent a request closes without the loop thread."""
    client = make_client(threaded_server)
    client.close()
    assert client.is_closed


def test_pickling_is_refused_clearly(threaded_server: ThreadedServer) -> None:
    """Pickling a client raises a TypeError that says what to do instead."""
    with make_client(threaded_server) as client, pytest.raises(TypeError, match="each worker"):
        pickle.dumps(client)


def test_repr_hides_the_token(threaded_server: ThreadedServer) -> None:
    """The client's repr names the class and ids but never the token."""
    with make_client(threaded_server) as client:
        text = repr(client)
        api_text = repr(client.runtime)
    assert text.startswith("<Client")
    assert BOT in text
    assert FAKE_PAT not in text
    assert FAKE_PAT not in api_text


def test_pager_crosses_the_thread_boundary_once_per_page(
    threaded_server: ThreadedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Iterating a pager of 10 items in pages of 3 makes 4 requests and at most 5 loop hops."""
    hops = [0]
    real_run = _loop.run

    def counting_run(coro: Any) -> Any:
        hops[0] += 1
        return real_run(coro)

    with make_client(threaded_server) as client:
        from botpress_async._pagination import AsyncPager

        async def fetch(token: Any) -> Any:
            query = {"n": "10", "page": "3"}
            if token:
                query["nextToken"] = token
            return await client._async.request("GET", "/v1/chat/pages", query=query)

        apager: AsyncPager[int, Any] = AsyncPager(
            fetch, items=lambda page: page["items"], next_token=lambda p: p["meta"]["nextToken"]
        )
        monkeypatch.setattr(_loop, "run", counting_run)
        items = list(botpress_sync.Pager(apager))
        monkeypatch.undo()
    assert items == list(range(10))
    assert len(threaded_server.ports) == 4
    assert hops[0] <= 5  # four pages, then the round trip that finds no fifth


def test_iterator_dropped_early_is_closed_on_the_loop() -> None:
    """Leaving a blocking iteration early closes the async generator it drives."""
    closed = threading.Event()

    async def numbers() -> AsyncIterator[int]:
        try:
            for i in range(100):
                yield i
        finally:
            closed.set()

    iterator = _loop.iterate(numbers())
    assert next(iterator) == 0
    assert next(iterator) == 1
    iterator.close()
    assert closed.is_set()


def test_context_manager_wraps_an_async_one() -> None:
    """An async context manager becomes a blocking one whose enter and exit run on the loop."""
    events: list[str] = []

    class Managed:
        async def __aenter__(self) -> str:
            events.append("enter")
            return "value"

        async def __aexit__(self, *exc: object) -> None:
            events.append("exit")

    from botpress_sync._pager import BlockingContextManager

    with BlockingContextManager(Managed()) as value:
        assert value == "value"
    assert events == ["enter", "exit"]


def _message_without_user() -> dict[str, Any]:
    return {"message": _message(userId=...)}


def test_strict_decoding_reaches_the_loop(threaded_server: ThreadedServer) -> None:
    """strict_decoding() around a blocking call makes that call raise on a malformed body,
    whether the caller runs the loop itself or hands the call to the loop's thread."""
    script = threaded_server.script

    async def notebook_cell() -> None:
        with (
            botpress_async.strict_decoding(),
            pytest.raises(botpress_async.ResponseDecodeError, match="userId"),
        ):
            client.runtime.get_message(id="msg_1")

    with make_client(threaded_server) as client:
        script.reply(200, _message_without_user())
        lenient = client.runtime.get_message(id="msg_1")
        assert not hasattr(lenient.message, "user_id")
        script.reply(200, _message_without_user())
        with (
            botpress_async.strict_decoding(),
            pytest.raises(botpress_async.ResponseDecodeError, match="userId"),
        ):
            client.runtime.get_message(id="msg_1")
        script.reply(200, _message_without_user())
        asyncio.run(notebook_cell())
        # the setting ends with the block, in the loop's tasks as well
        script.reply(200, _message_without_user())
        assert client.runtime.get_message(id="msg_1").message.id == "msg_1"


def test_each_call_runs_in_its_callers_context() -> None:
    """Calls queued together from many threads each see their own caller's context variables."""
    var: contextvars.ContextVar[int] = contextvars.ContextVar("caller", default=-1)
    seen: list[tuple[int, int]] = []

    async def read() -> int:
        await asyncio.sleep(0)
        return var.get()

    def caller(number: int) -> None:
        var.set(number)
        for _ in range(CALLS_PER_THREAD):
            seen.append((number, _loop.run(read())))

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(seen) == THREADS * CALLS_PER_THREAD
    assert [pair for pair in seen if pair[0] != pair[1]] == []


def test_a_call_runs_on_a_running_loop_and_leaves_the_thread_as_it_found_it() -> None:
    """Inside a blocking call the private loop is the thread's running loop, with its async
    generator hooks and a named task; afterwards the thread has its own hooks back and no loop."""
    seen: dict[str, Any] = {}

    async def inspect() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        seen.update(
            loop=loop,
            running=loop.is_running(),
            thread=threading.get_ident(),
            task=task.get_name(),
            hooks=sys.get_asyncgen_hooks(),
        )

    def first_iter(agen: object) -> None:
        pass

    def finalizer(agen: object) -> None:
        pass

    # A caller runs the loop itself only when no other thread is running it: the standby
    # thread may still be closing what earlier tests left to the collector. Let that finish.
    gc.collect()
    state = _loop._state()
    deadline = time.monotonic() + 10
    while not state.runner.acquire(False):
        assert time.monotonic() < deadline, "the private loop stayed busy for 10 s"
        time.sleep(0.01)
    state.runner.release()
    previous = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(first_iter, finalizer)
    try:
        _loop.run(inspect())
        after = sys.get_asyncgen_hooks()
    finally:
        sys.set_asyncgen_hooks(*previous)
    loop = seen["loop"]
    assert seen["running"] is True
    assert seen["thread"] == threading.get_ident()  # the caller ran the loop itself
    assert seen["task"] == _loop.TASK_NAME
    assert seen["hooks"] == (loop._asyncgen_firstiter_hook, loop._asyncgen_finalizer_hook)
    assert after == (first_iter, finalizer)
    assert asyncio._get_running_loop() is None
    assert not loop.is_running()


def test_an_async_generator_left_open_by_a_call_is_closed_on_the_loop() -> None:
    """An async generator a call drops half-way is finalized by the loop, so that its
    ``finally`` may await (without the loop's hooks, Python could only throw into it)."""
    closed = threading.Event()

    async def numbers() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            await asyncio.sleep(0)
            closed.set()

    async def leave_open() -> None:
        agen = numbers()
        assert await agen.__anext__() == 1

    async def turns() -> None:
        for _ in range(5):
            await asyncio.sleep(0)

    _loop.run(leave_open())
    _loop.run(turns())
    assert closed.is_set()


def test_a_loop_in_debug_mode_is_run_by_run_forever() -> None:
    """A private loop switched to debug mode gets asyncio's own checks (coroutine origins)."""
    loop = _loop._state().loop

    async def origin_depth() -> int:
        return sys.get_coroutine_origin_tracking_depth()

    loop.set_debug(True)
    try:
        assert _loop.run(origin_depth()) > 0
    finally:
        loop.set_debug(False)
    assert _loop.run(origin_depth()) == 0


def test_a_loop_with_its_own_run_forever_is_run_by_it() -> None:
    """Only asyncio's own loop is iterated directly; a loop that changes how it runs is not."""

    class OwnLoop(asyncio.SelectorEventLoop):
        def run_forever(self) -> None:
            super().run_forever()

    own = OwnLoop()
    try:
        assert _loop._spinner(own) is None
        plain = asyncio.new_event_loop()
        try:
            assert _loop._spinner(plain) is not None
        finally:
            plain.close()
    finally:
        own.close()

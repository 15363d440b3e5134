"""Which event loop serves a local server, and which loops are blocked by a blocking call.

A blocking client called from a thread that runs an event loop (a notebook cell) parks
that thread until its call is done. When the server it calls (the emulator, started with
``async with`` in an earlier cell) is served by that very loop, the server can never answer:
the call would hang until its read timeout. The emulator records here the loop serving each
of its ports, the blocking client records the loops it blocks, and a request whose target is
served by a blocked loop raises `LoopThreadError` at once instead.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Final

from ._errors import LoopThreadError

__all__ = ["blocked_loops", "block", "check_target", "serve", "unblock", "unserve"]

_lock: Final = threading.Lock()
_serving: dict[int, asyncio.AbstractEventLoop] = {}  # loopback port → the loop serving it
#: Loops whose thread waits on a blocking call now; empty nearly always, so checks are free.
blocked_loops: set[asyncio.AbstractEventLoop] = set()


def serve(port: int, loop: asyncio.AbstractEventLoop) -> None:
    """Record that ``loop`` serves the loopback ``port``."""
    with _lock:
        _serving[port] = loop


def unserve(port: int) -> None:
    """Forget the server on ``port``."""
    with _lock:
        _serving.pop(port, None)


def block(loop: asyncio.AbstractEventLoop) -> None:
    """Record that ``loop``'s thread waits on a blocking call."""
    with _lock:
        blocked_loops.add(loop)


def unblock(loop: asyncio.AbstractEventLoop) -> None:
    """The blocking call of ``loop``'s thread is over."""
    with _lock:
        blocked_loops.discard(loop)


def check_target(host: str, port: int | None) -> None:
    """Raise `LoopThreadError` when the server at ``host:port`` runs on a blocked loop.

    Args:
        host: the request's host, lower case.
        port: its port.
    """
    if port is None or host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
        return
    with _lock:
        loop = _serving.get(port)
        stuck = loop is not None and loop in blocked_loops
    if stuck:
        raise LoopThreadError(
            f"a blocking botpress_sync call to {host}:{port} was made from the thread whose "
            "event loop serves that address (an emulator started with `async with` in this "
            "notebook or program): the server cannot answer while its loop waits for the "
            "call. Start the emulator in a thread of its own (emu.start_in_thread(), or "
            "`with Emulator().run_in_thread() as emu:`), or await the botpress_async client"
        )

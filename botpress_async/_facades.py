"""What the core knows of the blocking facade: only what the facade registers here.

``botpress_sync`` wraps every async method in a blocking one. Where the core must undo that
(``client.bulk(client.runtime.create_message, ...)`` given a blocking method), it asks the
resolvers registered here, so it never reads the facade's private attributes itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["AsyncTwinResolver", "async_twin", "register_async_twin"]

#: Given a callable, its coroutine-function twin, or ``None`` when it is not the resolver's.
AsyncTwinResolver = Callable[[Callable[..., Any]], "Callable[..., Awaitable[Any]] | None"]

_RESOLVERS: list[AsyncTwinResolver] = []


def register_async_twin(resolver: AsyncTwinResolver) -> None:
    """Add ``resolver`` to those `async_twin` asks (registering one twice keeps one).

    Args:
        resolver: maps a blocking method to the async method it forwards to, or to ``None``.
    """
    if resolver not in _RESOLVERS:
        _RESOLVERS.append(resolver)


def async_twin(operation: Callable[..., Any]) -> Callable[..., Awaitable[Any]] | None:
    """The async method a blocking ``operation`` forwards to, if a registered facade knows it.

    Args:
        operation: any callable, typically a bound method of a blocking client.
    """
    for resolver in _RESOLVERS:
        twin = resolver(operation)
        if twin is not None:
            return twin
    return None

"""The strict-decoding switch, apart from the converter so that importing the SDK stays cheap."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

__all__ = ["STRICT", "strict_decoding"]

# Whether responses decoded in this context must fill completely (see strict_decoding).
STRICT: contextvars.ContextVar[bool] = contextvars.ContextVar("botpress_strict", default=False)


@contextlib.contextmanager
def strict_decoding() -> Iterator[None]:
    """Decode every response inside the block completely, and fail at the call when one is off.

    By default a model whose JSON misses a required field (or holds an object where a list is
    documented...) is still returned, and only the read of that field raises. In this block
    the call itself raises `ResponseDecodeError`, naming the model and what was wrong. The
    setting follows the context: it covers the calls awaited inside the block, in this task.
    """
    token = STRICT.set(True)
    try:
        yield
    finally:
        STRICT.reset(token)

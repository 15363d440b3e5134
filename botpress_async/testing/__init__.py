"""A local stand-in for the Botpress Cloud API, for tests, demos and benchmarks.

``Emulator`` is a real HTTP server on 127.0.0.1 that keeps the API's state in memory, enforces
the same tokens and scopes, validates requests against the OpenAPI documents, and injects
faults from a seed. It needs the ``testing`` extra (``python -m pip install '.[testing]'``
in a clone of the SDK). In a notebook, start it with ``Emulator().start_in_thread()`` so
that blocking clients can call it from the notebook's own thread.
"""

from __future__ import annotations

from ._emulator import Emulator
from ._faults import FaultRule, Faults, LogEntry, RequestLog
from ._validation import MissingDependencyError
from ._wiring import Wired, wire, wire_in_thread

__all__ = [
    "Emulator",
    "FaultRule",
    "Faults",
    "LogEntry",
    "MissingDependencyError",
    "RequestLog",
    "Wired",
    "wire",
    "wire_in_thread",
]

"""Registers the handler modules of the hub, bot extras, usage and billing with the dispatcher.

Importing this module is what puts their handlers in ``HANDLERS``; ``observe`` is the hook the
dispatcher calls after each successful handler so activity can be derived from it.
"""

from __future__ import annotations

from . import _billing, _hub, _usage, _versions
from ._activity import observe

__all__ = ["MODULES", "observe"]

# The modules whose handlers this registers (kept referenced, so the imports are used).
MODULES = (_billing, _hub, _usage, _versions)

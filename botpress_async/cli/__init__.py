"""The ``botpress`` command: ``call``, ``emulator``, ``demo``, ``serve``, ``integration``,
``chat`` and ``tables``.

An application on top of the library: nothing under ``botpress_async`` outside this package
imports it, and ``import botpress_async`` does not load it. `main` is the console script's
entry point and what ``python -m botpress_async`` runs.
"""

from botpress_async.cli._main import main

__all__ = ["main"]

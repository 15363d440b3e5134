"""The public surface of botpress_async is exactly its sorted __all__."""

from __future__ import annotations

import subprocess
import sys

import botpress_async


def test_all_is_sorted_and_exact() -> None:
    """Every public name of the package is in __all__ and nothing else is."""
    public = {name for name in vars(botpress_async) if not name.startswith("_")}
    public -= {"annotations"}
    modules = {name for name in public if type(getattr(botpress_async, name)).__name__ == "module"}
    assert set(botpress_async.__all__) | {"__version__"} >= public - modules
    assert botpress_async.__all__ == sorted(botpress_async.__all__)
    for name in botpress_async.__all__:
        assert hasattr(botpress_async, name), name


def test_import_is_lazy() -> None:
    """Importing the package loads neither cattrs, the models nor the emulator."""
    code = (
        "import sys, botpress_async; "
        "bad = [m for m in sys.modules if m.startswith(('cattrs', 'botpress_async.models', "
        "'botpress_async.testing', 'botpress_async.resources', 'jsonschema'))]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

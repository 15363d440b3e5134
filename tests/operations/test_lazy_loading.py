"""The APIs' modules load on first use, so a runtime-only service never imports admin models."""

from __future__ import annotations

import subprocess
import sys

import pytest

from botpress_async import AsyncClient
from tests.loopback import FAKE_PAT


def _loaded_after(code: str) -> set[str]:
    probe = (
        f"{code}\nimport sys\n"
        "print(' '.join(m for m in sys.modules if m.startswith('botpress_async.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(out.stdout.split())


def test_importing_the_package_loads_no_api() -> None:
    """Importing botpress_async loads no models and no resource module."""
    loaded = _loaded_after("import botpress_async")
    assert not {m for m in loaded if ".models." in m or ".resources." in m}


def test_runtime_use_loads_only_runtime() -> None:
    """Touching client.runtime loads the runtime modules and nothing of admin or billing."""
    loaded = _loaded_after(
        "import botpress_async\n"
        "c = botpress_async.AsyncClient('bp_pat_' + 'x' * 40, bot_id='b')\n"
        "c.runtime\n"
    )
    assert "botpress_async.models.runtime" in loaded
    assert "botpress_async.resources.runtime" in loaded
    assert not {m for m in loaded if m.endswith((".admin", ".billing", ".tables", ".files"))}


@pytest.mark.anyio
async def test_each_api_is_one_shared_resource() -> None:
    """client.<api> returns the same resource object each time, of the API's public class."""
    async with AsyncClient(FAKE_PAT, bot_id="b") as client:
        assert client.runtime is client.runtime
        assert type(client.admin).__name__ == "AdminAPI"
        assert type(client.billing).__name__ == "BillingAPI"

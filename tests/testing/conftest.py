"""Fixtures of the emulator's own tests: a running emulator that checks its own answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from botpress_async.testing import Emulator

from .world import World, build_world


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """An emulator with small pages that answers 500 when an answer leaves the schema."""
    async with Emulator(seed=7, page_size=2, validate_responses=True) as emulator:
        yield emulator


@pytest.fixture
async def session(emu: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    """A raw aiohttp client pointed at the emulator."""
    async with aiohttp.ClientSession(emu.url) as client:
        yield client


@pytest.fixture
async def world(emu: Emulator, session: aiohttp.ClientSession) -> World:
    """The emulator with one of each stateful resource already created."""
    return await build_world(emu, session)

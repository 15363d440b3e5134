"""The performance table reads the figures that the benchmark modules really print.

``python -m benchmarks`` quotes the ratios of the modules without a ``summary()`` of their
own by regular expressions over their printout. Here each such module's ``main()`` runs on
made-up measurements (nothing is sent, nothing is timed) and every pattern must find its
figure, so a reworded printout fails here rather than showing ``n/a`` in the table.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from benchmarks import __main__ as table
from benchmarks import bench_decode, bench_upload
from benchmarks._summary import quoted


@contextlib.contextmanager
def _nothing_served() -> Iterator[dict[str, str]]:
    yield {"url": "http://127.0.0.1:9", "bak": "key", "bot_id": "bot_1"}


def _decode(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    # CPU seconds and instructions per walk, the SDK's side a known multiple of the floor's
    cpu = {"paging.raw": 1.0, "paging.json": 1.2, "paging.typed": 1.1}
    cpu |= {"messages.raw": 1.0, "rows.raw": 1.0}
    counted = {name: value * 1e6 for name, value in cpu.items()}
    counted |= {"paging.sdk": 1.14e6, "messages.sdk": 1.25e6, "rows.sdk": 1.36e6}

    async def measured_cpu(url: str) -> tuple[dict[str, float], dict[str, float]]:
        # the paired ratios differ from the medians' ratios: the table must quote the former
        paired = {"paging": 1.11, "paging.json": 0.9, "messages": 1.22, "rows": 1.33}
        return {**cpu, "paging.sdk": 2.0, "messages.sdk": 2.0, "rows.sdk": 2.0}, paired

    monkeypatch.setattr(bench_decode, "page_server", lambda: _nothing_served())
    monkeypatch.setattr(bench_decode, "_cpu", measured_cpu)
    monkeypatch.setattr(bench_decode, "_instructions", lambda url: counted)
    return {
        "client CPU vs raw aiohttp + orjson": 1.11,
        "instructions vs raw aiohttp + orjson": 1.14,
        "messages through a pager, client CPU": 1.22,
        "messages through a pager, instructions": 1.25,
        "find_rows, client CPU": 1.33,
        "find_rows, instructions": 1.36,
    }


def _upload(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    def rounds(cpu: float) -> list[tuple[float, float]]:
        return [(1.0, cpu)] * bench_upload.ROUNDS

    async def measure(info: dict[str, str]) -> dict[str, list[tuple[float, float]]]:
        return {"raw": rounds(2.0), "sdk": rounds(2.25)}

    monkeypatch.setattr(bench_upload, "emulator_process", _nothing_served)
    monkeypatch.setattr(bench_upload, "_measure", measure)
    monkeypatch.setattr(bench_upload, "_instructions", lambda info, files: (1e6, 1.1e6))
    return {"upload_files, client CPU": 1.125, "upload_files, instructions": 1.1}


#: For each module that the table quotes: what fakes its measurements, and the figure each
#: quoted workload must then read (by a part of the workload's name).
FAKES: dict[str, tuple[Callable[[pytest.MonkeyPatch], dict[str, float]], Any]] = {
    "decode": (_decode, bench_decode),
    "upload": (_upload, bench_upload),
}


def test_every_quoted_module_has_a_fake_here() -> None:
    """A module added to QUOTED gets its wording checked too."""
    assert sorted(table.QUOTED) == sorted(FAKES)


@pytest.mark.parametrize("name", sorted(FAKES))
def test_each_pattern_reads_its_figure(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every quoted workload gets the figure its module printed, from the right line."""
    fake, module = FAKES[name]
    expected = fake(monkeypatch)
    figures, text = quoted(module.main, table.QUOTED[name])
    assert len(figures) == len(expected), text
    for figure in figures:
        (want,) = [value for part, value in expected.items() if part in figure.workload]
        assert figure.value == pytest.approx(want, abs=0.005), (figure, text)
        assert "\n" not in figure.detail

"""A stateful property run: create, read, list, update and delete in random orders, with every
read checked against what was written before."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from botpress_async.testing import Emulator

KINDS = ("plugin", "interface")
TITLES = st.text(alphabet="abcxyz -", min_size=1, max_size=12)
_CODE = {"node": "n", "browser": "b"}


class _Emulated:
    """One emulator in a thread, shared by the run's examples (each uses fresh names)."""

    emu: Emulator | None = None
    counter = 0


def _send(method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Any:
    emu = _Emulated.emu
    assert emu is not None
    headers = {"Authorization": f"Bearer {emu.pat}", "x-workspace-id": emu.workspace_id}
    data = None
    if method != "GET":
        data = json.dumps(body or {}).encode()
        headers["content-type"] = "application/json"
    url = emu.url + path + ("?" + urlencode(query) if query else "")
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - same URL
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


class WorkspaceRecords(RuleBasedStateMachine):
    """The workspace's plugins, interfaces and bot versions against a model of them."""

    records = Bundle("records")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, dict[str, Any]] = {}
        self.deleted: set[tuple[str, str]] = set()
        self.versions: set[str] = set()

    @rule(target=records, kind=st.sampled_from(KINDS), title=TITLES)
    def create(self, kind: str, title: str) -> tuple[str, str]:
        _Emulated.counter += 1
        body: dict[str, Any] = {"name": f"r{_Emulated.counter}", "version": "1.0.0", "title": title}
        if kind == "plugin":
            body["code"] = _CODE
        status, made = _send("POST", f"/v1/admin/{kind}s", body)
        assert status == 200, made
        record_id = made[kind]["id"]
        self.model[record_id] = {"kind": kind, "title": title, "name": body["name"]}
        return kind, record_id

    @rule(ref=records)
    def read(self, ref: tuple[str, str]) -> None:
        kind, record_id = ref
        status, got = _send("GET", f"/v1/admin/{kind}s/{record_id}")
        if record_id in self.model:
            assert status == 200, got
            assert got[kind]["title"] == self.model[record_id]["title"]
            name = self.model[record_id]["name"]
            status, by_name = _send("GET", f"/v1/admin/{kind}s/{name}/1.0.0")
            assert (status, by_name[kind]["id"]) == (200, record_id)
        else:
            assert (status, got["type"]) == (404, "ResourceNotFound")

    @rule(ref=records, title=TITLES)
    def update(self, ref: tuple[str, str], title: str) -> None:
        kind, record_id = ref
        status, got = _send("PUT", f"/v1/admin/{kind}s/{record_id}", {"title": title})
        if record_id in self.model:
            assert status == 200, got
            self.model[record_id]["title"] = title
        else:
            assert status == 404

    @rule(ref=records)
    def delete(self, ref: tuple[str, str]) -> None:
        kind, record_id = ref
        status, _ = _send("DELETE", f"/v1/admin/{kind}s/{record_id}")
        assert status == (200 if record_id in self.model else 404)
        self.model.pop(record_id, None)
        self.deleted.add((kind, record_id))

    @rule(name=TITLES)
    def save_bot_version(self, name: str) -> None:
        emu = _Emulated.emu
        assert emu is not None
        base = f"/v1/admin/bots/{emu.bot_id}/versions"
        status, made = _send("POST", base, {"name": name})
        assert status == 200, made
        version_id = made["version"]["id"]
        self.versions.add(version_id)
        _, listed = _send("GET", base)
        assert self.versions <= {v["id"] for v in listed["versions"]}
        assert _send("GET", f"{base}/{version_id}")[0] == 200
        assert _send("GET", f"{base}/botver_{name.replace(' ', '')}x")[0] == 404

    @invariant()
    def lists_hold_exactly_the_live_records(self) -> None:
        for kind in KINDS:
            seen: list[str] = []
            query: dict[str, str] = {}
            for _ in range(50):
                status, page = _send("GET", f"/v1/admin/{kind}s", query=query)
                assert status == 200, page
                seen += [item["id"] for item in page[kind + "s"]]
                token = page["meta"].get("nextToken")
                if not token:
                    break
                query = {"nextToken": token}
            mine = {i for i, r in self.model.items() if r["kind"] == kind}
            assert len(seen) == len(set(seen))
            assert mine <= set(seen)
            assert not (set(seen) & {i for (k, i) in self.deleted if k == kind})


def test_random_orders_of_writes_and_reads_agree_with_a_model() -> None:
    """Whatever the order of create, read, update and delete, reads and lists match the model."""
    with Emulator(seed=3, page_size=2).run_in_thread() as emu:
        _Emulated.emu = emu
        try:
            run = settings(
                max_examples=10,
                stateful_step_count=10,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=[HealthCheck.too_slow],
            )(WorkspaceRecords)
            run.TestCase().runTest()
        finally:
            _Emulated.emu = None

"""A stateful property run over all the operations of the documents.

Each example starts a fresh emulator with one of each resource (``world.build_world``) and runs
random steps: create, read, list, update and delete records of every record family (see
``families``), steps whose answers the emulator derives from activity (usage, logs, analytics,
action runs, audit records, activities), and every other operation against the world. A model
of what was written is kept by the test and every read is checked against it. At the end of an
example, the operations its steps did not reach are sent once, so every example exercises all
of them; ``test_every_operation_is_covered_by_a_rule`` keeps a newer document from adding one
that no rule sends.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections import Counter
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import aiohttp
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from botpress_async.testing import Emulator
from botpress_async.testing._activity import _AUDITED, _INVOCATIONS
from botpress_async.testing._spec import Operation
from botpress_async.testing._validation import Validators

from .families import BY_ID, OPERATIONS, Records, record_families
from .world import TABLE, World, build_world, valid_request

FAMILIES = record_families()
VALIDATORS = Validators()
TEXT = st.text(alphabet="abcxyz -", min_size=1, max_size=10)
NUMBERS = st.integers(0, 1000)
SINCE = "2000-01-01T00:00:00.000Z"

# Operations whose second call on the world answers differently from the first (the world's
# table column is renamed, an invoice paid, the bot transferred ...): the end of an example
# sends them once, after all the others, in this order.
ONCE = (
    "renameTableColumn",
    "duplicateTable",
    "importTable",
    "createIntegrationShareableId",
    "deleteIntegrationShareableId",
    "unlinkSandboxedConversations",
    "payInvoice",
    "chargeWorkspaceUnpaidInvoices",
    "migrateWorkspaceToV4",
    "deleteBotIssue",
    "cancelScheduledEvent",
    "deleteTableRows",
    "deleteAccount",
    "transferBot",
)
# Operations the dedicated rules below send, with their own checks.
DEDICATED = {
    "state": {"setState", "getState", "patchState", "getOrSetState", "setStateExpiry"},
    "preference": {
        "setAccountPreference",
        "getAccountPreference",
        "setWorkspacePreference",
        "getWorkspacePreference",
    },
    "participant": {"addParticipant", "getParticipant", "listParticipants", "removeParticipant"},
    "rows": {
        "createTableRows",
        "findTableRows",
        "getTableRow",
        "updateTableRows",
        "upsertTableRows",
    },
    "bot_versions": {"createBotVersion", "listBotVersions", "getBotVersion", "deployBotVersion"},
    "derived": {
        "createMessage",
        "getUsage",
        "getMultipleUsages",
        "listWorkspaceUsages",
        "breakDownWorkspaceUsageByBot",
        "getBotLogs",
        "getIntegrationLogs",
        "getBotAnalytics",
        "trackAnalytics",
        "getAuditRecords",
        "captureObservation",
        "listActivities",
        "callAction",
        "listActionRuns",
        "listWorkspaceQuotas",
        "getWorkspaceQuota",
        "getAllWorkspaceQuotaCompletion",
        "changeAISpendQuota",
    },
}
_RECORDS = set().union(*(f.operations for f in FAMILIES))
_SPECIAL = set(ONCE).union(*DEDICATED.values())
# Everything else: repeatable against the world, sent by ``any_other_operation``.
OTHERS = sorted(op.operation_id for op in OPERATIONS if op.operation_id not in _RECORDS | _SPECIAL)


# Records that can also be read by name and version.
_BY_NAME = {
    "createPlugin": "getPluginByName",
    "createInterface": "getInterfaceByName",
    "createIntegration": "getIntegrationByName",
}


class Run:
    """What the whole run did: the operations it sent, for the coverage check."""

    sent: ClassVar[Counter[str]] = Counter()
    examples: ClassVar[int] = 0


def _resource(answer: Any) -> dict[str, Any]:
    """The record an answer carries: the answer itself or its one member with an ``id``."""
    if isinstance(answer, dict) and "id" in answer:
        return answer
    found = [v for v in answer.values() if isinstance(v, dict) and "id" in v]
    assert len(found) == 1, answer
    return found[0]


def _item_fields(op: Operation) -> set[str] | None:
    """The fields the item schema of a list operation names, if it names any."""
    lists = [v for v in op.response_schema.get("properties", {}).values() if "items" in v]
    names = lists[0]["items"].get("properties") if len(lists) == 1 else None
    return set(names) if names else None


def _items(answer: dict[str, Any]) -> list[dict[str, Any]]:
    lists = [v for k, v in answer.items() if isinstance(v, list) and k != "meta"]
    assert len(lists) == 1, answer
    return lists[0]


class Emulated(RuleBasedStateMachine):
    """Records of every family, the world's extras and the derived answers against a model."""

    records = Bundle("records")

    def __init__(self) -> None:
        super().__init__()
        Run.examples += 1
        self.emu = Emulator(seed=Run.examples, page_size=3, validate_responses=True)
        self.emu.start_in_thread()
        self.world = asyncio.run(self._build())
        self.sent: set[str] = set()
        self.counter = 0
        # family name -> record id -> the fields written
        self.model: dict[str, dict[str, dict[str, Any]]] = {f.name: {} for f in FAMILIES}
        self.gone: dict[str, set[str]] = {f.name: set() for f in FAMILIES}
        self.states: dict[str, Any] = {}
        self.preferences: dict[tuple[str, str], Any] = {}
        self.participants: set[str] = set()
        self.table_rows: dict[int, str] = {1: "a"}
        self.versions: set[str] = set()
        self.analytics: Counter[str] = Counter()
        self.observations: Counter[str] = Counter()
        self.successes: Counter[str] = Counter()
        # What the derived answers already count after building the world.
        self.base = self._derived_counts()
        self.successes.clear()

    async def _build(self) -> World:
        async with aiohttp.ClientSession(self.emu.url) as session:
            return await build_world(self.emu, session)

    def teardown(self) -> None:
        try:
            self._send_the_rest()
        finally:
            self.emu.stop_thread()

    # --- sending ---------------------------------------------------------------------------

    def send(
        self,
        operation_id: str,
        path: str | None = None,
        body: Any = None,
        query: list[tuple[str, str]] | None = None,
    ) -> tuple[int, Any]:
        """Send one operation; a success must fit the operation's response schema."""
        op = BY_ID[operation_id]
        default_path, default_query, default_body = valid_request(self.world, op)
        path = path or default_path
        query = default_query if query is None else query
        body = default_body if body is None else body
        headers = self.world.headers_for(op)
        data = None
        if op.method != "GET":
            data = json.dumps(body if body is not None else {}).encode()
            headers["content-type"] = "application/json"
        url = self.emu.url + path + ("?" + urlencode(query, quote_via=quote) if query else "")
        request = urllib.request.Request(  # noqa: S310 - an http URL on loopback
            url, data=data, headers=headers, method=op.method
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - same URL
                status, answer = resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, json.loads(exc.read())
        self.sent.add(operation_id)
        Run.sent[operation_id] += 1
        assert status < 500, (operation_id, path, body, answer)
        if 200 <= status < 300:
            VALIDATORS.check_response(op, answer)
            self.successes[operation_id] += 1
        else:
            assert set(answer) == {"id", "code", "type", "message"}, answer
        return status, answer

    def ok(self, operation_id: str, **kwargs: Any) -> Any:
        """Send one operation that must succeed with its documented status."""
        status, answer = self.send(operation_id, **kwargs)
        assert status == BY_ID[operation_id].status, (operation_id, status, answer)
        return answer

    def walk(self, operation_id: str, path: str | None = None, **kwargs: Any) -> list[Any]:
        """Every item of a list, page after page; no item twice."""
        query = list(kwargs.pop("query", None) or valid_request(self.world, BY_ID[operation_id])[1])
        seen: list[Any] = []
        token = None
        for _ in range(200):
            page = self.ok(
                operation_id,
                path=path,
                query=query + ([("nextToken", token)] if token else []),
                **kwargs,
            )
            seen += _items(page)
            token = page.get("meta", {}).get("nextToken") or page.get("nextToken")
            if not token:
                break
        else:
            raise AssertionError(f"{operation_id} still had pages after {len(seen)} items")
        # A list answers summaries: nothing beyond the fields its item schema names (stored
        # records also hold secrets and code that no list shows).
        named = _item_fields(BY_ID[operation_id])
        for item in seen:
            assert named is None or set(item) <= named, (operation_id, set(item) - named)
        # Items without an id (log lines) may repeat; items with one may not.
        ids = [item["id"] for item in seen if isinstance(item, dict) and "id" in item]
        assert len(ids) == len(set(ids)), operation_id
        return seen

    def _send_the_rest(self) -> None:
        """Send every operation this example's steps did not reach, the ONCE ones last."""
        for operation_id in OTHERS:
            if operation_id not in self.sent:
                self.ok(operation_id)
        for family in FAMILIES:
            if family.operations - self.sent:
                ref = self.create(family)
                self.read(ref)
                self.update(ref, "last")
                self.listed(family)
                self.delete(ref)
                self.read(ref)
        steps = {
            "state": lambda: (self.state("one", 1, False), self.state("one", 2, True)),
            "preference": lambda: (
                self.preference("Account", "a"),
                self.preference("Workspace", "a"),
            ),
            "participant": lambda: (self.participant(True), self.participant(False)),
            "rows": lambda: [self.rows("last", how) for how in ("create", "update", "upsert")],
            "bot_versions": lambda: self.bot_versions("last", True),
            "derived": lambda: (
                self.message("last"),
                self.track("signup", 1),
                self.observe("t1"),
                self.action_without_an_url(),
                self.quotas(5),
                self.derived_answers_reflect_the_run(),
            ),
        }
        for group, operation_ids in DEDICATED.items():
            if operation_ids - self.sent:
                steps[group]()
        for operation_id in ONCE:
            self.ok(operation_id)

    # --- record families -------------------------------------------------------------------

    def _fresh_body(self, family: Records) -> Any:
        """A create body with names no other record of the run uses."""
        self.counter += 1
        n = self.counter
        body = valid_request(self.world, family.create)[2]
        op = family.create.operation_id
        if op == "createTable":
            body = {"name": f"Run{n}Table", "schema": {"properties": {"name": {"type": "string"}}}}
        elif op == "upsertFile":
            body = {"key": f"run/{n}.txt", "size": 3, "tags": {"run": str(n)}}
        elif op == "createWorkspaceMember":
            body = {"email": f"member{n}@example.com", "role": "viewer"}
        elif op in ("createPlugin", "createInterface", "createIntegration"):
            body["name"] = f"run-{n}"
            body["version"] = "1.0.0"
            if op == "createPlugin":
                body["code"] = {"node": "n", "browser": "b"}
        elif isinstance(body, dict):
            for key in ("name", "note", "title"):
                if isinstance(body.get(key), str):
                    body[key] = f"{key}{n}"
        return body

    def _item_path(self, op: Operation, record_id: str) -> str:
        default = valid_request(self.world, op)[0]
        last = op.path_params[-1].name
        values = dict.fromkeys((p.name for p in op.path_params), None)
        values[last] = record_id
        path = op.template
        for param in op.path_params:
            value = values[param.name]
            if value is None:
                # The same value the default request uses for the enclosing resource.
                index = op.template.split("/").index("{" + param.name + "}")
                value = default.split("/")[index]
            path = path.replace("{" + param.name + "}", quote(str(value), safe=""))
        return path

    @rule(target=records, family=st.sampled_from(FAMILIES))
    def create(self, family: Records) -> tuple[Records, str]:
        body = self._fresh_body(family)
        made = _resource(self.ok(family.create.operation_id, body=body))
        record_id = str(made["id"] if family.create.operation_id != "createTable" else made["name"])
        written = {k: v for k, v in body.items() if isinstance(v, (str, int, bool))}
        self.model[family.name][record_id] = written
        return family, record_id

    @rule(ref=records)
    def read(self, ref: tuple[Records, str]) -> None:
        family, record_id = ref
        if family.get is None:
            return self.listed(family)
        status, got = self.send(
            family.get.operation_id, path=self._item_path(family.get, record_id)
        )
        written = self.model[family.name].get(record_id)
        if written is None:
            assert (status, got["type"]) == (404, "ResourceNotFound"), got
            return None
        assert status == 200, got
        found = _resource(got)
        for key, value in written.items():
            if key in found:
                assert found[key] == value, (family.name, key, found[key], value)
        by_name = _BY_NAME.get(family.create.operation_id)
        if by_name is not None:
            path = f"{family.name.split(' ', 1)[1]}/{written['name']}/{written['version']}"
            assert _resource(self.ok(by_name, path=path))["id"] == record_id
        return None

    @rule(ref=records, text=TEXT)
    def update(self, ref: tuple[Records, str], text: str) -> None:
        family, record_id = ref
        if family.update is None:
            return
        body = valid_request(self.world, family.update)[2]
        props = family.update.body_schema.get("properties", {}) if family.update.body_schema else {}
        key = next((k for k in ("title", "description", "note") if k in props), None)
        if key is not None and props[key].get("type") in ("string", ["string", "null"]):
            body[key] = text
        path = self._item_path(family.update, record_id)
        status, got = self.send(family.update.operation_id, path=path, body=body)
        written = self.model[family.name].get(record_id)
        if written is None:
            assert status in (403, 404), got
            return
        assert status == family.update.status, got
        if key is not None:
            written[key] = text

    @rule(ref=records)
    def delete(self, ref: tuple[Records, str]) -> None:
        family, record_id = ref
        path = self._item_path(family.delete, record_id)
        status, got = self.send(family.delete.operation_id, path=path, body={})
        if record_id in self.model[family.name]:
            assert status == family.delete.status, got
            del self.model[family.name][record_id]
            self.gone[family.name].add(record_id)
        else:
            assert status in (403, 404), got

    @rule(family=st.sampled_from([f for f in FAMILIES if f.list is not None]))
    def listed(self, family: Records) -> None:
        assert family.list is not None
        items = self.walk(family.list.operation_id)
        key = "name" if family.create.operation_id == "createTable" else "id"
        seen = {str(item.get(key)) for item in items}
        assert set(self.model[family.name]) <= seen, family.name
        assert not seen & self.gone[family.name], family.name

    @rule(operation_id=st.sampled_from(OTHERS))
    def any_other_operation(self, operation_id: str) -> None:
        self.ok(operation_id)

    # --- the world's extras ----------------------------------------------------------------

    @rule(name=st.sampled_from(["one", "two"]), value=NUMBERS, patch=st.booleans())
    def state(self, name: str, value: int, patch: bool) -> None:
        conv = self.world.ids["conv"]
        path = f"/v1/chat/states/conversation/{conv}/{name}"
        if patch and name in self.states:
            self.ok("patchState", path=path, body={"payload": {"patched": value}})
            self.states[name] = {**self.states[name], "patched": value}
        else:
            body = {"payload": {"n": value}}
            got = self.ok("getOrSetState", path=path + "/get-or-set", body=body)
            if name in self.states:
                assert got["state"]["payload"] == self.states[name]
            self.ok("setState", path=path, body=body)
            self.states[name] = {"n": value}
        self.ok("setStateExpiry", path=path + "/expiry", body={"expiry": 3_600_000})
        assert self.ok("getState", path=path)["state"]["payload"] == self.states[name]

    @rule(scope=st.sampled_from(["Account", "Workspace"]), key=st.sampled_from(["a", "b"]))
    def preference(self, scope: str, key: str) -> None:
        area = "account" if scope == "Account" else "workspaces"
        path = f"/v1/admin/{area}/preferences/{key}"
        self.counter += 1
        self.ok(f"set{scope}Preference", path=path, body={"value": self.counter})
        self.preferences[scope, key] = self.counter
        path_of = {
            (s, k): f"/v1/admin/{'account' if s == 'Account' else 'workspaces'}/preferences/{k}"
            for (s, k) in self.preferences
        }
        for (s, k), value in self.preferences.items():
            assert self.ok(f"get{s}Preference", path=path_of[s, k])["value"] == value

    @rule(add=st.booleans())
    def participant(self, add: bool) -> None:
        conv = self.world.ids["conv"]
        base = f"/v1/chat/conversations/{conv}/participants"
        if add or not self.participants:
            user = _resource(self.ok("createUser", body={"tags": {}}))["id"]
            self.ok("addParticipant", path=base, body={"userId": user})
            self.participants.add(user)
        else:
            user = sorted(self.participants)[0]
            self.ok("removeParticipant", path=f"{base}/{user}", body={})
            self.participants.discard(user)
            status, got = self.send("getParticipant", path=f"{base}/{user}")
            assert (status, got["type"]) == (404, "ResourceNotFound"), got
        listed = {p["id"] for p in self.walk("listParticipants", path=base)}
        assert self.participants <= listed
        for user in self.participants:
            assert self.ok("getParticipant", path=f"{base}/{user}")["participant"]["id"] == user

    @rule(text=TEXT)
    def dependents_go_with_their_record(self, text: str) -> None:
        ids = self.world.ids
        conv = _resource(self.ok("createConversation", body={"channel": "web", "tags": {}}))["id"]
        message = {"payload": {"text": text}, "type": "text", "tags": {}}
        message.update(userId=ids["user"], conversationId=conv)
        msg = _resource(self.ok("createMessage", body=message))["id"]
        user = _resource(self.ok("createUser", body={"tags": {}}))["id"]
        base = f"/v1/chat/conversations/{ids['conv']}/participants"
        self.ok("addParticipant", path=base, body={"userId": user})
        self.ok("deleteConversation", path=f"/v1/chat/conversations/{conv}", body={})
        self.ok("deleteUser", path=f"/v1/chat/users/{user}", body={})
        assert self.send("getMessage", path=f"/v1/chat/messages/{msg}")[0] == 404
        assert self.walk("listMessages", query=[("conversationId", conv)]) == []
        assert self.send("getParticipant", path=f"{base}/{user}")[0] == 404
        assert user not in {p["id"] for p in self.walk("listParticipants", path=base)}

    @rule(name=TEXT, how=st.sampled_from(["create", "update", "upsert"]))
    def rows(self, name: str, how: str) -> None:
        base = f"/v1/tables/{TABLE}/rows"
        if how == "update" and self.table_rows:
            row_id = max(self.table_rows)
            self.ok("updateTableRows", path=base, body={"rows": [{"id": row_id, "name": name}]})
        elif how == "upsert":
            # An existing id updates its row, a row without one is inserted.
            old = min(self.table_rows)
            body = {"rows": [{"id": old, "name": name}, {"name": name}]}
            made = self.ok("upsertTableRows", path=base + "/upsert", body=body)
            assert [r["id"] for r in made["updated"]] == [old], made
            assert len(made["inserted"]) == 1, made
            self.table_rows[old] = name
            row_id = made["inserted"][0]["id"]
        else:
            made = self.ok("createTableRows", path=base, body={"rows": [{"name": name}]})
            row_id = made["rows"][0]["id"]
        self.table_rows[row_id] = name
        got = self.ok("getTableRow", path=f"/v1/tables/{TABLE}/row", query=[("id", str(row_id))])
        assert got["row"]["name"] == name
        found = self.ok("findTableRows", path=base + "/find", body={"limit": 1000})["rows"]
        assert {r["id"]: r["name"] for r in found} == self.table_rows

    @rule(name=TEXT, deploy=st.booleans())
    def bot_versions(self, name: str, deploy: bool) -> None:
        base = f"/v1/admin/bots/{self.emu.bot_id}/versions"
        version = self.ok("createBotVersion", path=base, body={"name": name})["version"]["id"]
        self.versions.add(version)
        assert self.versions <= {v["id"] for v in self.walk("listBotVersions", path=base)}
        assert version in self.ok("getBotVersion", path=f"{base}/{version}")["url"]
        if deploy:
            self.ok("deployBotVersion", path=base + "/deploy", body={"versionId": version})

    # --- derived answers -------------------------------------------------------------------

    @rule(text=TEXT)
    def message(self, text: str) -> None:
        ids = self.world.ids
        body = {
            "payload": {"text": text},
            "userId": ids["user"],
            "conversationId": ids["conv"],
            "type": "text",
            "tags": {},
        }
        self.ok("createMessage", body=body)

    @rule(name=st.sampled_from(["signup", "click"]), count=st.integers(1, 5))
    def track(self, name: str, count: int) -> None:
        self.ok("trackAnalytics", body={"name": name, "count": count})
        self.analytics[name] += count

    @rule(task=st.sampled_from(["t1", "t2"]))
    def observe(self, task: str) -> None:
        self.counter += 1
        body = {"name": f"step{self.counter}", "data": {}, "traceId": task}
        self.ok("captureObservation", body=body)
        self.observations[task] += 1
        query = [("taskId", task), ("botId", self.emu.bot_id)]
        assert len(self.walk("listActivities", query=query)) == self.observations[task]

    @rule()
    def action_without_an_url(self) -> None:
        body = {"type": "emulated-integration:act", "input": {}}
        status, got = self.send("callAction", body=body)
        assert status == 400, got
        assert "integration" in got["message"], got
        bot = self.emu.bot_id
        runs = self.ok("listActionRuns", path=f"/v1/admin/bots/{bot}/action-runs")
        assert _items(runs) == []

    @rule(limit=st.integers(1, 50))
    def quotas(self, limit: int) -> None:
        self.ok("changeAISpendQuota", body={"monthlySpendingLimit": limit})
        ws = self.emu.workspace_id
        quota = self.ok(
            "getWorkspaceQuota",
            path=f"/v1/admin/workspaces/{ws}/quota",
            query=[("type", "ai_spend")],
        )
        assert quota["quota"]["value"] == limit, quota
        self.ok("listWorkspaceQuotas")
        self.ok("getAllWorkspaceQuotaCompletion")

    def _derived_counts(self) -> dict[str, float]:
        bot = self.emu.bot_id
        usage = self.ok(
            "getUsage",
            path=f"/v1/admin/usages/{bot}",
            query=[("type", "invocation_calls")],
        )
        kind = [("type", "invocation_calls")]
        workspace = self.ok("listWorkspaceUsages", query=kind)["usages"]
        by_bot = self.ok("breakDownWorkspaceUsageByBot", query=kind)["data"]
        several = self.ok("getMultipleUsages", query=[("types", "invocation_calls"), ("ids", bot)])
        since = [("timeStart", SINCE)]
        return {
            "usage": usage["usage"]["value"],
            "workspace": workspace[0]["value"],
            "by bot": next(b["value"] for b in by_bot if b["botId"] == bot),
            "several": several["usages"][0]["value"],
            "logs": len(self.walk("getBotLogs", query=since)),
            "integration logs": len(self.walk("getIntegrationLogs", query=since)),
            "audit": len(self.walk("getAuditRecords")),
        }

    @invariant()
    def derived_answers_reflect_the_run(self) -> None:
        invocations = sum(self.successes[op] for op in _INVOCATIONS)
        # A workspace's own create, update and close are recorded in that workspace, not ours.
        audited = sum(self.successes[op] for op in _AUDITED if not op.endswith("Workspace"))
        expected = {
            **{key: self.base[key] + invocations for key in ("usage", "workspace", "by bot")},
            "several": self.base["several"] + invocations,
            "logs": self.base["logs"] + invocations,
            # Nothing in the run calls with the integration's key.
            "integration logs": self.base["integration logs"],
            "audit": self.base["audit"] + audited,
        }
        counts = self._derived_counts()
        assert counts == expected, (counts, expected)
        record = self.ok("getBotAnalytics")["records"][0]
        custom = record.get("customEvents", {})
        assert {k: v for k, v in custom.items() if k in self.analytics} == dict(self.analytics)


def test_every_operation_is_covered_by_a_rule() -> None:
    """Each operation of the documents is sent by a record rule, a dedicated rule or the rest."""
    covered = _RECORDS | _SPECIAL | set(OTHERS)
    documented = {op.operation_id for op in OPERATIONS}
    assert documented <= covered
    assert not _SPECIAL - documented, "a rule names an operation the documents no longer have"
    assert len(covered) == len(OPERATIONS) == 197
    assert not set(ONCE) & (_RECORDS | set().union(*DEDICATED.values()))


def test_random_orders_of_all_operations_agree_with_a_model() -> None:
    """Whatever the order of the steps, reads, lists and derived answers match the model."""
    Run.sent.clear()
    run = settings(
        max_examples=8,
        stateful_step_count=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )(Emulated)
    run.TestCase().runTest()
    assert set(Run.sent) == {op.operation_id for op in OPERATIONS}

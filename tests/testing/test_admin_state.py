"""The hub, bot extras, usage, audit and billing operations keep state like the rest."""

from __future__ import annotations

import aiohttp
import pytest

from botpress_async.testing._handlers import observe
from botpress_async.testing._spec import load_operations
from botpress_async.testing._store import HANDLERS

from .world import World, call

pytestmark = pytest.mark.anyio

# Operations still answered without state, and why. Shrinks to empty; never grows.
STATELESS_ALLOWED: set[str] = set()


def test_every_operation_has_a_stateful_handler() -> None:
    """A document that adds an operation fails here until the emulator keeps state for it."""
    assert observe is not None  # importing the registry is what fills HANDLERS
    missing = {op.operation_id for op in load_operations()} - set(HANDLERS)
    assert missing == STATELESS_ALLOWED


async def test_plugins_are_created_listed_fetched_and_deleted(
    world: World, session: aiohttp.ClientSession
) -> None:
    """A created plugin is in the list, readable by id and name, and gone after a delete."""
    adm = world.admin_headers()
    body = {"name": "p2", "version": "2.0.0", "code": {"node": "n", "browser": "b"}}
    status, made = await call(session, "POST", "/v1/admin/plugins", adm, body)
    assert status == 200, made
    plugin_id = made["plugin"]["id"]
    seen: list[str] = []
    params: dict[str, str] = {}
    for _ in range(10):
        status, page = await call(session, "GET", "/v1/admin/plugins", adm, params=params)
        seen += [p["id"] for p in page["plugins"]]
        if "nextToken" not in page["meta"]:
            break
        params = {"nextToken": page["meta"]["nextToken"]}
    assert plugin_id in seen
    status, got = await call(session, "GET", "/v1/admin/plugins/p2/2.0.0", adm)
    assert (status, got["plugin"]["id"]) == (200, plugin_id)
    status, code = await call(session, "GET", f"/v1/admin/plugins/{plugin_id}/code/browser", adm)
    assert (status, code) == (200, {"code": "b"})
    assert (await call(session, "DELETE", f"/v1/admin/plugins/{plugin_id}", adm))[0] == 200
    status, gone = await call(session, "GET", f"/v1/admin/plugins/{plugin_id}", adm)
    assert (status, gone["type"]) == (404, "ResourceNotFound")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/admin/plugins/plugin_NEVER",
        "/v1/admin/interfaces/intrface_NEVER",
        "/v1/admin/hub/plugins/plugin_NEVER",
        "/v1/admin/hub/integrations/nothing/1.0.0",
        "/v2/billing/plans/no-such-plan",
    ],
)
async def test_unknown_ids_answer_404(
    world: World, session: aiohttp.ClientSession, path: str
) -> None:
    """An id that was never created answers 404 ResourceNotFound, never a made-up body."""
    status, body = await call(session, "GET", path, world.admin_headers())
    assert (status, body["type"]) == (404, "ResourceNotFound")


async def test_another_workspaces_plugin_is_forbidden(
    world: World, session: aiohttp.ClientSession
) -> None:
    """A plugin of a workspace the caller does not act for answers 403."""
    other = {**world.admin_headers(), "x-workspace-id": world.ids["second_workspace"]}
    status, body = await call(session, "GET", f"/v1/admin/plugins/{world.ids['plugin']}", other)
    assert (status, body["type"]) == (403, "Forbidden")


async def test_plugin_depending_on_a_missing_interface_is_refused(
    world: World, session: aiohttp.ClientSession
) -> None:
    """A dependency on an interface that is not in the hub answers 400 ReferenceNotFound."""
    body = {
        "name": "needy",
        "version": "1.0.0",
        "code": {"node": "", "browser": ""},
        "dependencies": {"interfaces": {"x": {"name": "not-in-the-hub", "version": "9.9.9"}}},
    }
    status, answer = await call(session, "POST", "/v1/admin/plugins", world.admin_headers(), body)
    assert (status, answer["type"]) == (400, "ReferenceNotFound")


async def test_public_integrations_include_the_workspaces_public_ones(
    world: World, session: aiohttp.ClientSession
) -> None:
    """Making an integration public puts it in the hub, without its signing secret."""
    adm = world.admin_headers()
    integration = world.emu.integration_id
    await call(session, "PUT", f"/v1/admin/integrations/{integration}", adm, {"public": True})
    status, got = await call(session, "GET", f"/v1/admin/hub/integrations/{integration}", adm)
    assert status == 200
    secret = world.emu.store.integrations[integration]["signingSecret"]
    assert secret not in str(got)


async def test_messages_count_towards_usage_and_seeds_win(
    world: World, session: aiohttp.ClientSession
) -> None:
    """Each message created counts one invocation; a seeded value replaces the count."""
    adm, ws = world.admin_headers(), world.emu.workspace_id
    params = {"type": "invocation_calls"}
    _, before = await call(session, "GET", f"/v1/admin/usages/{ws}", adm, params=params)
    body = {
        "payload": {"text": "again"},
        "userId": world.ids["user"],
        "conversationId": world.ids["conv"],
        "type": "text",
        "tags": {},
    }
    await call(session, "POST", "/v1/chat/messages", world.runtime_headers(), body)
    _, after = await call(session, "GET", f"/v1/admin/usages/{ws}", adm, params=params)
    assert after["usage"]["value"] == before["usage"]["value"] + 1
    world.emu.set_usage(ws, "invocation_calls", 4999)
    _, seeded = await call(session, "GET", f"/v1/admin/usages/{ws}", adm, params=params)
    assert seeded["usage"]["value"] == 4999
    _, quota = await call(session, "GET", f"/v1/admin/workspaces/{ws}/quota", adm, params=params)
    assert quota["quota"]["value"] == seeded["usage"]["quota"]


async def test_admin_changes_leave_audit_records(
    world: World, session: aiohttp.ClientSession
) -> None:
    """Creating a bot leaves a CREATE_BOT audit record naming the account and the bot."""
    adm, emu = world.admin_headers(), world.emu
    _, made = await call(session, "POST", "/v1/admin/bots", adm, {"name": "audited"})
    path = f"/v1/admin/workspaces/{emu.workspace_id}/audit-records"
    status, body = await call(session, "GET", path, adm, params={})
    assert status == 200
    newest = body["records"][0]
    assert (newest["action"], newest["resourceId"], newest["userId"]) == (
        "CREATE_BOT",
        made["bot"]["id"],
        emu.account_id,
    )


async def test_bot_versions_deploy_what_was_saved(
    world: World, session: aiohttp.ClientSession
) -> None:
    """Deploying a saved version brings back the bot's name; an unknown one is refused."""
    adm, bot = world.admin_headers(), world.emu.bot_id
    await call(session, "PUT", f"/v1/admin/bots/{bot}", adm, {"name": "renamed"})
    deploy = f"/v1/admin/bots/{bot}/versions/deploy"
    status, _ = await call(session, "POST", deploy, adm, {"versionId": world.ids["bot_version"]})
    assert status == 200
    _, got = await call(session, "GET", f"/v1/admin/bots/{bot}", adm)
    assert got["bot"]["name"] == "emulated-bot"
    status, err = await call(session, "POST", deploy, adm, {"versionId": "botver_NEVER"})
    assert (status, err["type"]) == (400, "ReferenceNotFound")


async def test_invoices_are_paid_once(world: World, session: aiohttp.ClientSession) -> None:
    """Paying an open invoice marks it paid in the list; an unknown invoice answers 404."""
    adm = world.admin_headers()
    invoice = world.ids["invoice"]
    status, paid = await call(session, "POST", f"/v2/billing/invoices/{invoice}/pay", adm, {})
    assert (status, paid["status"]) == (200, "paid")
    _, listed = await call(session, "GET", "/v2/billing/invoices", adm)
    assert {i["id"]: i["status"] for i in listed["invoices"]}[invoice] == "paid"
    status, _ = await call(session, "POST", "/v2/billing/invoices/invoice_NEVER/pay", adm, {})
    assert status == 404


async def test_issues_are_deleted(world: World, session: aiohttp.ClientSession) -> None:
    """A seeded issue is listed, then gone after its delete."""
    adm, bot, issue = world.admin_headers(), world.emu.bot_id, world.ids["issue"]
    _, listed = await call(session, "GET", f"/v1/admin/bots/{bot}/issues", adm)
    assert [i["id"] for i in listed["issues"]] == [issue]
    assert (await call(session, "DELETE", f"/v1/admin/bots/{bot}/issues/{issue}", adm))[0] == 200
    status, _ = await call(session, "GET", f"/v1/admin/bots/{bot}/issues/{issue}", adm)
    assert status == 404


async def test_vrl_subset_runs_and_refuses_the_rest(
    world: World, session: aiohttp.ClientSession
) -> None:
    """runVrl applies the assignments it knows and answers 400 Runtime for anything else."""
    adm = world.admin_headers()
    body = {"script": '.b = "x"\ndel(.a)', "data": {"a": 1}}
    status, ran = await call(session, "POST", "/v1/admin/helper/vrl", adm, body)
    assert (status, ran["data"]) == (200, {"b": "x"})
    body = {"script": "upcase(.b)", "data": {}}
    status, err = await call(session, "POST", "/v1/admin/helper/vrl", adm, body)
    assert (status, err["type"]) == (400, "Runtime")


def test_the_operations_page_is_current() -> None:
    """docs/emulator-operations.md is what the coverage module renders now."""
    from pathlib import Path

    from botpress_async.testing._coverage import render

    page = Path(__file__).parents[2] / "docs" / "emulator-operations.md"
    assert page.read_text(encoding="utf-8") == render(), (
        "run: python -m botpress_async.testing._coverage"
    )


@pytest.mark.parametrize(
    ("route", "query"),
    [
        ("logs", {"timeStart": "yesterday"}),
        ("logs", {"timeStart": "2026-01-01T00:00:00.000Z", "timeEnd": "soon"}),
        ("analytics", {"startDate": "2026-01-01", "endDate": "next week"}),
    ],
)
async def test_a_window_bound_that_is_no_date_is_refused(
    world: World, session: aiohttp.ClientSession, route: str, query: dict[str, str]
) -> None:
    """A log or analytics window bound that is not ISO 8601 is a 400, not an empty answer."""
    path = f"/v1/admin/bots/{world.emu.bot_id}/{route}"
    status, got = await call(session, "GET", path, world.admin_headers(), params=query)
    assert (status, got["type"]) == (400, "InvalidQuery"), got
    bad = next(key for key, value in query.items() if not value[:1].isdigit())
    assert bad in got["message"]


async def test_bot_logs_since_a_date_hold_the_bot_s_invocations(
    world: World, session: aiohttp.ClientSession
) -> None:
    """With a real window start, the world's message and events are in the bot's log."""
    path = f"/v1/admin/bots/{world.emu.bot_id}/logs"
    query = {"timeStart": "2000-01-01"}
    lines: list[str] = []
    for _ in range(20):
        status, page = await call(session, "GET", path, world.admin_headers(), params=query)
        assert status == 200, page
        lines += [line["message"] for line in page["logs"]]
        if "nextToken" not in page:
            break
        query["nextToken"] = page["nextToken"]
    assert sorted(lines) == ["createEvent ping", "createEvent ping", "createMessage text"]


@pytest.mark.parametrize("kind", ["integrations", "plugins", "interfaces"])
async def test_the_hub_catalogue_is_seeded_once(
    world: World, session: aiohttp.ClientSession, kind: str
) -> None:
    """Listing the hub again answers the same entries: the catalogue does not grow per call."""
    walks = []
    for _ in range(2):
        ids: list[str] = []
        params: dict[str, str] = {}
        for _ in range(20):
            path = f"/v1/admin/hub/{kind}"
            status, page = await call(session, "GET", path, world.admin_headers(), params=params)
            assert status == 200, page
            ids += [item["id"] for item in page[kind]]
            if "nextToken" not in page["meta"]:
                break
            params = {"nextToken": page["meta"]["nextToken"]}
        walks.append(ids)
    assert walks[0] == walks[1]
    assert len(walks[0]) == {"integrations": 3, "plugins": 2, "interfaces": 3}[kind]


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/v1/admin/bots", "bots"),
        ("/v1/admin/integrations", "integrations"),
        ("/v1/admin/workspaces", "workspaces"),
        ("/v1/admin/plugins", "plugins"),
        ("/v1/admin/interfaces", "interfaces"),
        ("/v1/admin/hub/integrations", "integrations"),
        ("/v1/admin/hub/plugins", "plugins"),
    ],
)
async def test_lists_hold_no_secrets_or_code(
    world: World, session: aiohttp.ClientSession, path: str, key: str
) -> None:
    """List items carry the summary fields only: no signing secret, secrets, code or limits."""
    adm = world.admin_headers()
    await call(session, "PUT", "/v1/admin/quotas/ai-spend", adm, {"monthlySpendingLimit": 7})
    status, page = await call(session, "GET", path, adm)
    assert status == 200, page
    assert page[key]
    for item in page[key]:
        leaked = {"signingSecret", "secrets", "code", "aiSpendLimit", "workspaceId"} & set(item)
        assert not leaked, (path, leaked)

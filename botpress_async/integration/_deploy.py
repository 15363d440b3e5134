"""Deployment helpers on the admin API (a Personal Access Token): register a self-hosted
integration or bot at its URL, and make, list and revoke Integration Access Keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from botpress_async._config import Redacted
from botpress_async._errors import ConfigurationError, ResourceNotFoundError

if TYPE_CHECKING:
    from botpress_async._client import AsyncClient

__all__ = [
    "IntegrationKey",
    "create_integration_key",
    "list_integration_keys",
    "register_bot",
    "register_integration",
    "revoke_integration_key",
]


@attrs.frozen(kw_only=True)
class IntegrationKey:
    """An Integration Access Key; ``value`` is only known when it was just made.

    Attributes:
        id: the key's id (what revoking takes).
        created_at: when it was made (ISO 8601).
        note: the note given when it was made.
        value: the secret itself; Botpress shows it once, and ``repr`` never does.
    """

    id: str
    created_at: str
    note: str
    value: str | None = attrs.field(default=None, repr=False)


def _check_url(url: str) -> str:
    if not url.startswith(("https://", "http://")):
        raise ConfigurationError(f"url must be an absolute http(s) URL, got {url!r}")
    return url


async def register_integration(
    client: AsyncClient,
    *,
    url: str,
    name: str | None = None,
    version: str = "0.1.0",
    integration_id: str | None = None,
    fields: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Point an integration at a self-hosted URL: update it, or create it when it is new.

    Args:
        client: a client with a Personal Access Token and a workspace id.
        url: where Botpress will send the integration's operations; use an unguessable path.
        name: the integration's name (to find or create it); needed without ``integration_id``.
        version: the version to find or create.
        integration_id: the id of an existing integration, instead of ``name``.
        fields: more fields for ``createIntegration`` / ``updateIntegration`` (``title``,
            ``channels``, ``actions``...).
    """
    body = {**(fields or {}), "url": _check_url(url)}
    if integration_id is None:
        if not name:
            raise ConfigurationError("pass name= (and version=) or integration_id=")
        try:
            found = await client.call("getIntegrationByName", {"name": name, "version": version})
        except ResourceNotFoundError:
            created = await client.call(
                "createIntegration", {"name": name, "version": version, **body}
            )
            integration: dict[str, Any] = created["integration"]
            return integration
        integration_id = str(found["integration"]["id"])
    updated = await client.call("updateIntegration", {"id": integration_id, **body})
    result: dict[str, Any] = updated["integration"]
    return result


async def register_bot(
    client: AsyncClient, *, url: str, bot_id: str | None = None, name: str | None = None
) -> dict[str, Any]:
    """Point a bot at the URL its Python service listens on: update it, or create a new one.

    Args:
        client: a client with a Personal Access Token and a workspace id.
        url: where Botpress will send the bot's events.
        bot_id: the bot to update; without it a bot is created.
        name: the new bot's name.
    """
    _check_url(url)
    if bot_id is not None:
        answer = await client.call("updateBot", {"id": bot_id, "url": url})
    else:
        answer = await client.call("createBot", {"name": name or "python-bot", "url": url})
    bot: dict[str, Any] = answer["bot"]
    return bot


async def create_integration_key(
    client: AsyncClient, integration_id: str, *, note: str = ""
) -> IntegrationKey:
    """Make an Integration Access Key; keep its ``value``, Botpress never shows it again.

    Args:
        client: a client with a Personal Access Token and a workspace id.
        integration_id: the integration the key acts as.
        note: a note to recognise the key by later.
    """
    answer = await client.call(
        "createIntegrationApiKey", {"integrationId": integration_id, "note": note}
    )
    return IntegrationKey(
        id=str(answer["id"]),
        created_at=str(answer.get("createdAt", "")),
        note=str(answer.get("note", "")),
        value=Redacted(answer["value"]),
    )


async def list_integration_keys(client: AsyncClient, integration_id: str) -> list[IntegrationKey]:
    """The integration's keys, without their values.

    Args:
        client: a client with a Personal Access Token and a workspace id.
        integration_id: the integration whose keys to list.
    """
    answer = await client.call("listIntegrationApiKeys", {"integrationId": integration_id})
    return [
        IntegrationKey(
            id=str(k["id"]), created_at=str(k.get("createdAt", "")), note=str(k.get("note", ""))
        )
        for k in answer.get("iaks", [])
    ]


async def revoke_integration_key(client: AsyncClient, key_id: str) -> None:
    """Revoke a key; calls made with it fail from then on.

    Args:
        client: a client with a Personal Access Token and a workspace id.
        key_id: the key's id (from `list_integration_keys`).
    """
    await client.call("deleteIntegrationApiKey", {"id": key_id})

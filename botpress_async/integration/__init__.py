"""Be a self-hosted Botpress integration: decorated Python functions that Botpress calls.

``Integration`` receives the operations Botpress sends to an integration's URL (actions,
messages of its channels, webhooks, registration) and calls your handlers with an
`IntegrationContext` whose client is scoped to the request and authenticated with the
integration's own key.
"""

from __future__ import annotations

from ._app import (
    Integration,
    IntegrationContext,
    IntegrationMessage,
    WebhookRequest,
    WebhookResponse,
)
from ._deploy import (
    IntegrationKey,
    create_integration_key,
    list_integration_keys,
    register_bot,
    register_integration,
    revoke_integration_key,
)

__all__ = [
    "Integration",
    "IntegrationContext",
    "IntegrationKey",
    "IntegrationMessage",
    "WebhookRequest",
    "WebhookResponse",
    "create_integration_key",
    "list_integration_keys",
    "register_bot",
    "register_integration",
    "revoke_integration_key",
]

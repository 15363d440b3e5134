"""Run a bot's logic as a Python service: decorated functions that Botpress calls.

``Bot`` receives the operations Botpress sends to a bot's URL (events, among them new
messages, and actions) and calls your handlers with a `BotContext` whose client is scoped to
the request and authenticated with the bot's key.
"""

from __future__ import annotations

from ._app import Bot, BotContext, BotEvent, BotMessage

__all__ = ["Bot", "BotContext", "BotEvent", "BotMessage"]

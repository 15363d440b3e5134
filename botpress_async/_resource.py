"""`Resource`: the base of every API object, such as ``client.runtime``.

Generated resources (``resources/_<api>.py``) and the hand-written ones above them subclass
it. It is typed against `BaseClient`, never the concrete `AsyncClient`, so the concrete
client can import the resources without an import cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._base_client import BaseClient

__all__ = ["Resource"]


class Resource:
    """One API of a client: its methods build requests and hand them to the client."""

    __slots__ = ("_client",)

    def __init__(self, client: BaseClient) -> None:
        """Bind the operations to ``client``, which sends them."""
        self._client = client

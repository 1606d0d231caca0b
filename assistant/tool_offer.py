"""Whether a turn offers tools to the model that answers it (``[tools] offer``).

``auto`` (the default): hosted models and other providers with native tool calling get the
tools; a local GGUF gets them only when :mod:`providers.tool_capability` says it can call
them (its chat template renders tools, or a capable family). The embedded SmolLM2 gets none:
it keeps the project's code context and the user's own commands (``/web``, ``/fetch``,
``/search``). ``always`` offers tools to every model; ``never`` to none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.config import Settings
    from providers.base import Provider

WEAK_MODEL = "tools off: this model cannot call them reliably; /web, /fetch, /search still work"
NEVER = 'tools off ([tools] offer = "never"); /web, /fetch, /search still work'


def tools_off_reason(settings: Settings, provider: Provider) -> str | None:
    """Why tools are not offered to ``provider`` (the model answering now), or None."""
    offer = settings.tools.offer
    if offer == "never":
        return NEVER
    if offer == "always":
        return None
    # A router: the model it picked. Hosted models call tools natively.
    if provider.active.calls_tools_reliably:
        return None
    return WEAK_MODEL


class OfferNotes:
    """Says why tools are off once per reason (not on every turn)."""

    def __init__(self) -> None:
        self._told: set[str] = set()

    def take(self, reason: str | None) -> str | None:
        if reason is None or reason in self._told:
            return None
        self._told.add(reason)
        return reason

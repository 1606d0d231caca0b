"""One chat turn, front-end agnostic: load history → fit the prompt → stream → persist.

Exports :class:`Orchestrator` (``run_turn``), :class:`FittedPrompt`, :func:`title_for`,
:func:`compose_user_message` and :func:`provider_of`. Its parts, each testable alone:
:mod:`.budget` (what fits the context), :mod:`.state` (a running turn),
:mod:`.steps` (generations and tool steps), :mod:`.record` (saving the answer and steps).
"""

from assistant.orchestrator.budget import FittedPrompt, compose_user_message
from assistant.orchestrator.core import TITLE_CHARS, Orchestrator, title_for
from assistant.orchestrator.record import provider_of

__all__ = [
    "TITLE_CHARS",
    "FittedPrompt",
    "Orchestrator",
    "compose_user_message",
    "provider_of",
    "title_for",
]

"""Model providers: one interface (:class:`providers.base.Provider`) and its implementations.

Exports :class:`Provider`, :class:`GenerationOptions`, :class:`Finish`, :class:`ToolCall`,
:class:`ToolSpec`, :func:`local_provider`, and :func:`json_chat` (earlier tool steps written as
plain user/assistant turns, for a generation that offers no tools).
``providers.llama_cpp`` imports llama_cpp only when a model is loaded.
"""

from providers._local_tools import json_chat
from providers.base import ChatMessage, Finish, GenerationOptions, Provider, ToolCall, ToolSpec
from providers.models import local_provider

__all__ = [
    "ChatMessage",
    "Finish",
    "GenerationOptions",
    "Provider",
    "ToolCall",
    "ToolSpec",
    "json_chat",
    "local_provider",
]

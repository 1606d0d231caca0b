"""Model providers: one interface (:class:`providers.base.Provider`) and its implementations.

Exports :class:`Provider`, :class:`GenerationOptions`, :class:`Finish`, :class:`ToolCall`,
:class:`ToolSpec`, :func:`local_provider`.
``providers.llama_cpp`` imports llama_cpp only when a model is loaded.
"""

from providers.base import ChatMessage, Finish, GenerationOptions, Provider, ToolCall, ToolSpec
from providers.models import local_provider

__all__ = [
    "ChatMessage",
    "Finish",
    "GenerationOptions",
    "Provider",
    "ToolCall",
    "ToolSpec",
    "local_provider",
]

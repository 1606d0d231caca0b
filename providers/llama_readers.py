"""How llama.cpp's generated text is read: plain text, grammar-constrained JSON (a call
comes at the end), or a template's native ``<tool_call>`` blocks (see
:mod:`providers._local_tools`). Each reader shows text as it streams and hands over the tool
calls once generation ends."""

from __future__ import annotations

from providers import _local_tools as local_tools
from providers.base import ToolCall, ToolSpec


def reader_for(tools: tuple[ToolSpec, ...], native: bool) -> TextReader:
    """The reader for a generation offering ``tools`` (``native``: the template renders them)."""
    if tools and native:
        return NativeReader()
    if tools:
        return JsonReader()
    return TextReader()


class TextReader:
    """Plain generation: every piece is text."""

    def feed(self, piece: str) -> str:
        return piece

    def finish(self) -> tuple[str, list[ToolCall]]:
        return "", []


class JsonReader(TextReader):
    """Grammar-constrained JSON: the answer's text streams, a call comes at the end."""

    def __init__(self) -> None:
        self.decoder = local_tools.JsonReplyDecoder()

    def feed(self, piece: str) -> str:
        return self.decoder.feed(piece)

    def finish(self) -> tuple[str, list[ToolCall]]:
        call = self.decoder.finish()
        if call is not None:
            return "", [call]
        if self.decoder.kind is None:  # not JSON after all: show it as it is
            return self.decoder.raw, []
        return "", []


class NativeReader(TextReader):
    def __init__(self) -> None:
        self.parser = local_tools.NativeCallParser()

    def feed(self, piece: str) -> str:
        return self.parser.feed(piece)

    def finish(self) -> tuple[str, list[ToolCall]]:
        return self.parser.finish()

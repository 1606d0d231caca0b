"""The conversation: a scrolling list of messages, with answers streamed in as Markdown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Markdown, Static
from textual.widgets.markdown import MarkdownStream

from assistant.events import Source
from assistant.sessions import Message
from tui.output_block import SourcesBlock

EMPTY_HINT = (
    "[b $foreground]Ask anything — your chats are saved locally[/]\n\n"
    "Enter sends · Ctrl+J adds a new line · Esc stops an answer"
)
STOPPED_NOTE = "[stopped]"
FAILED_NOTE = "✗ failed"


class MessageView(Vertical):
    """One message: who wrote it, its text (Markdown for answers), and a note if it stopped.

    CSS classes: ``-user`` / ``-assistant``, ``-streaming`` while an answer arrives, then
    ``-cancelled`` or ``-error`` when it did not complete; ``-hosted`` for an answer from a
    hosted model (its author line then reads ``via acme/gpt-4o (hosted)``).
    """

    def __init__(
        self,
        role: str,
        content: str = "",
        *,
        author: str | None = None,
        status: str = "complete",
        error: str | None = None,
        streaming: bool = False,
        hosted: bool = False,
        sources: Sequence[Source] = (),
    ) -> None:
        super().__init__(classes=f"-{role}")
        self.sources: tuple[Source, ...] = tuple(sources)
        self.left_out = 0  # chunks found but not relevant (shown only live, not saved)
        self.role = role
        self.author = author or ("You" if role == "user" else "Assistant")
        self.hosted = hosted
        self.set_class(hosted, "-hosted")
        self.status = status
        self.error = error
        self._parts: list[str] = [content] if content else []
        self._stream: MarkdownStream | None = None
        self.set_class(streaming, "-streaming")

    def compose(self) -> ComposeResult:
        yield Label(self._author_line(), classes="author", markup=False)
        if self.role == "assistant":
            yield Markdown(self.text, classes="body")
        else:
            yield Static(self.text, markup=False, classes="body")
        if self.sources:
            yield SourcesBlock(self.sources)
        yield Static("", markup=False, classes="note")

    def on_mount(self) -> None:
        self._show_status()

    @property
    def text(self) -> str:
        """The message text as received so far."""
        return "".join(self._parts)

    @property
    def streaming(self) -> bool:
        return self.has_class("-streaming")

    async def append(self, fragment: str) -> None:
        """Add a piece of a streaming answer (batched into the Markdown by a MarkdownStream)."""
        if not fragment:
            return
        if self._stream is None:
            self._stream = Markdown.get_stream(self.query_one(".body", Markdown))
        self._parts.append(fragment)
        await self._stream.write(fragment)
        if len(self._parts) == 1:
            self._show_status()

    async def finish(
        self, status: str, content: str | None = None, error: str | None = None
    ) -> None:
        """End streaming; ``content`` (the saved text) wins over what was streamed."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        self.remove_class("-streaming")
        if content is not None and content != self.text:
            self._parts = [content]
            if self.role == "assistant":
                await self.query_one(".body", Markdown).update(content)
        self.status = status
        if error:
            self.error = error
        self._show_status()

    def _author_line(self) -> str:
        return f"via {self.author} (hosted)" if self.hosted else self.author

    def set_author(self, author: str, *, hosted: bool | None = None) -> None:
        """Who answers: a model name; ``hosted`` marks a model off this machine."""
        changed = bool(author) and author != self.author
        if changed:
            self.author = author
        if hosted is not None and hosted != self.hosted:
            self.hosted = hosted
            self.set_class(hosted, "-hosted")
            changed = True
        if changed:
            self.query_one(".author", Label).update(self._author_line())

    async def set_sources(self, sources: Sequence[Source], left_out: int = 0) -> None:
        """Show (folded) which code chunks went into this answer's prompt, and how many the
        relevance floor left out."""
        sources = tuple(sources)
        if sources == self.sources and left_out == self.left_out:
            return
        self.sources, self.left_out = sources, left_out
        await self.query(SourcesBlock).remove()
        if sources or left_out:
            await self.mount(SourcesBlock(sources, left_out), before=self.query_one(".note"))

    def mark_failed(self, error: str) -> None:
        """Show that this answer failed (the worker may still finish it)."""
        self.status = "error"
        self.error = error
        self._show_status()

    def _show_status(self) -> None:
        note = self.query_one(".note", Static)
        self.set_class(self.status == "cancelled", "-cancelled")
        self.set_class(self.status == "error", "-error")
        if self.status == "cancelled":
            text = STOPPED_NOTE
        elif self.status == "error":
            text = f"{FAILED_NOTE}: {self.error}" if self.error else FAILED_NOTE
        elif self.streaming and not self._parts:
            text = "…"
        else:
            text = ""
        note.update(text)
        note.display = bool(text)


class MessageList(VerticalScroll):
    """The messages of the current chat, newest at the bottom (kept in view while streaming)."""

    def compose(self) -> ComposeResult:
        yield Static(EMPTY_HINT, id="empty-hint")
        # Fills the space below short chats, so they start at the top while the list stays
        # anchored to the bottom (an anchored list bottom-aligns content that fits).
        yield Static(id="spacer")

    def on_mount(self) -> None:
        self._show_empty(True)
        self.anchor()

    def _show_empty(self, empty: bool) -> None:
        self.query_one("#empty-hint").display = empty
        self.query_one("#spacer").display = not empty

    @property
    def views(self) -> list[MessageView]:
        return list(self.query_children(MessageView))

    def last_answer(self) -> MessageView | None:
        """The newest assistant message on screen, if any."""
        answers = [v for v in self.views if v.role == "assistant"]
        return answers[-1] if answers else None

    async def add(self, view: MessageView) -> None:
        self._show_empty(False)
        await self.mount(view, before="#spacer")
        self.anchor()

    async def clear(self) -> None:
        # Messages and command output blocks alike (everything but the hint and the spacer).
        await self.remove_children(
            [child for child in self.children if child.id not in ("empty-hint", "spacer")]
        )
        self._show_empty(True)

    async def show_history(
        self,
        messages: Sequence[Message],
        sources: Mapping[int, Sequence[Source]] | None = None,
    ) -> None:
        """Replace the list with a stored conversation (stopped and failed answers marked;
        ``sources``: the code chunks each answer was given, by message id)."""
        await self.clear()
        views = [
            MessageView(
                m.role,
                m.content,
                author=(m.model or "Assistant") if m.role == "assistant" else None,
                status=m.status,
                hosted=m.role == "assistant" and (m.provider or "local") != "local",
                sources=(sources or {}).get(m.id, ()),
            )
            for m in messages
            if m.role in ("user", "assistant")
        ]
        if views:
            self._show_empty(False)
            await self.mount_all(views, before="#spacer")
        self.scroll_end(animate=False)
        self.anchor()

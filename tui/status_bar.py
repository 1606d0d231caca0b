"""The bottom line: model, what is happening, the project index, speed of the last answer,
and the chat's title."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.reactive import reactive
from textual.widgets import Label

# Kinds of state; each is a CSS class (``-ready`` …) on the state label.
LOADING, READY, BUSY, FAILED = "loading", "ready", "busy", "failed"
_KINDS = (LOADING, READY, BUSY, FAILED)


class StatusBar(Horizontal):
    """Shows ``● model  state  index  tok/s  title``; assign the reactives to update it.

    ``hosted`` marks a model that runs off this machine: ``● acme/gpt-4o (hosted)``.
    """

    model: reactive[str] = reactive("…")
    hosted: reactive[bool] = reactive(False)
    state: reactive[str] = reactive("ready")
    kind: reactive[str] = reactive(READY)
    speed: reactive[float | None] = reactive(None)
    index: reactive[str] = reactive("")  # "indexing 120/900 files", "index: 900 files"
    index_busy: reactive[bool] = reactive(False)
    title: reactive[str] = reactive("New chat")
    api: reactive[str] = reactive("")  # "API http://127.0.0.1:8765" while /serve runs
    tools: reactive[bool] = reactive(True)  # may the model call tools (Ctrl+T)
    model_tools: reactive[bool] = reactive(True)  # does [tools] offer give this model tools
    ctx: reactive[str] = reactive("")  # "ctx 2,310/4,096": the last prompt against the window

    def compose(self) -> ComposeResult:
        yield Label(id="model", markup=False)
        yield Label(id="state", markup=False)
        yield Label(id="index", markup=False)
        yield Label(id="speed", markup=False)
        yield Label(id="ctx", markup=False)
        yield Label(id="tools", markup=False)
        yield Label(id="api", markup=False)
        yield Label(id="title", markup=False)

    def on_mount(self) -> None:
        self._paint()

    def set_state(self, text: str, kind: str) -> None:
        self.state = text
        self.kind = kind

    def watch_model(self) -> None:
        self._paint()

    def watch_hosted(self) -> None:
        self._paint()

    def watch_state(self) -> None:
        self._paint()

    def watch_kind(self) -> None:
        self._paint()

    def watch_index(self) -> None:
        self._paint()

    def watch_index_busy(self) -> None:
        self._paint()

    def watch_speed(self) -> None:
        self._paint()

    def watch_title(self) -> None:
        self._paint()

    def watch_api(self) -> None:
        self._paint()

    def watch_tools(self) -> None:
        self._paint()

    def watch_model_tools(self) -> None:
        self._paint()

    def watch_ctx(self) -> None:
        self._paint()

    def _paint(self) -> None:
        try:
            model = self.query_one("#model", Label)
        except NoMatches:  # not composed yet; on_mount paints
            return
        model.update(f"● {self.model} (hosted)" if self.hosted else f"● {self.model}")
        model.set_class(self.hosted, "-hosted")
        state = self.query_one("#state", Label)
        state.update(self.state)
        for kind in _KINDS:
            state.set_class(kind == self.kind, f"-{kind}")
        index = self.query_one("#index", Label)
        index.update(self.index)
        index.display = bool(self.index)
        index.set_class(self.index_busy, "-busy")
        speed = self.query_one("#speed", Label)
        speed.update(f"{self.speed:.1f} tok/s" if self.speed else "")
        speed.display = bool(self.speed)
        ctx = self.query_one("#ctx", Label)
        ctx.update(self.ctx)
        ctx.display = bool(self.ctx)
        tools = self.query_one("#tools", Label)
        on = self.tools and self.model_tools
        tools.update("tools on" if on else "tools off" if not self.tools else "tools off (model)")
        tools.set_class(not on, "-off")
        api = self.query_one("#api", Label)
        api.update(self.api)
        api.display = bool(self.api)
        self.query_one("#title", Label).update(self.title)

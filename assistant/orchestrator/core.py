"""The orchestrator: one chat turn, front-end agnostic (load history → fit the prompt →
stream → persist), and what turns share (the provider, tools, per-session model state).

Front ends call :meth:`Orchestrator.run_turn` and render the events it yields. The user's
message is saved before generation starts and the answer is saved however the turn ends
(complete, cancelled by the user, or failed), so nothing typed or shown is lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from assistant.agent import ToolLoop
from assistant.config import Settings
from assistant.errors import FiresideError
from assistant.events import (
    DoneEvent,
    ErrorEvent,
    Event,
    StatusEvent,
)
from assistant.orchestrator.budget import (
    FittedPrompt,
    PromptBudget,
    ToolsCost,
    compose_user_message,
    history_turns,
    reserve_for,
)
from assistant.orchestrator.record import provider_of, save_step, save_turn
from assistant.orchestrator.state import start_turn
from assistant.orchestrator.steps import run_steps
from assistant.store import Store
from assistant.tool_offer import OfferNotes, tools_off_reason
from providers.base import ChatMessage, ConfirmHosted, Provider, ToolSpec

if TYPE_CHECKING:
    from pathlib import Path

    from assistant.background import Background
    from assistant.pins import Pin, PinnedFile
    from assistant.retrieval import Retrieved, Retriever
    from assistant.session_state import SessionStates
    from assistant.sessions import Sessions
    from assistant.tools.registry import Approver, Registry

TITLE_CHARS = 60


def title_for(prompt: str) -> str:
    line = " ".join(prompt.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


class Orchestrator:
    """Runs turns for any front end. ``provider_factory`` is called once, lazily.

    ``retriever`` (an :class:`assistant.retrieval.Retriever`; may be set or cleared between
    turns) adds code chunks from the codebase index to each turn's prompt, unless
    ``[index] context_tokens`` is 0.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        provider_factory: Callable[[Settings], Provider] | None = None,
        retriever: Retriever | None = None,
        tools: Registry | None = None,
        project_root: Path | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.retriever = retriever
        self._tools = tools
        self.project_root = project_root  # the folder read_file and code_search work in
        self._tools_cost = ToolsCost()  # what offering the tools takes (cached)
        self._factory = provider_factory
        self._provider: Provider | None = None
        self._provider_lock = threading.Lock()
        self._offer_notes = OfferNotes()  # "tools off: …" is said once
        self._state_cache: SessionStates | None = None  # per-session model state on disk
        self._after_turn: Background | None = None  # context reports, saved after a turn

    @property
    def sessions(self) -> Sessions:
        """The saved chats of this orchestrator's store (list, find, rename, delete…), for
        front ends: see :mod:`assistant.sessions`."""
        from assistant.sessions import Sessions

        return Sessions(self.store)

    # -- provider -------------------------------------------------------------------------

    @property
    def provider(self) -> Provider:
        with self._provider_lock:
            if self._provider is None:
                if self._factory is None:
                    # The local provider, or a router when hosted providers are configured.
                    from providers.router import provider_for

                    self._provider = provider_for(self.settings)
                else:
                    self._provider = self._factory(self.settings)
            return self._provider

    @property
    def model_name(self) -> str:
        try:
            return self.provider.name
        except FiresideError:
            return self.settings.model or "default"

    @property
    def model_provider(self) -> str:
        """``"local"``, or the hosted ``[providers.NAME]`` that answers the next turn."""
        try:
            return provider_of(self.provider.active)
        except FiresideError:
            return "local"

    @property
    def made_provider(self) -> Provider | None:
        """The provider if it was made already (never makes one: e.g. for a health check)."""
        return self._provider

    def use_settings(self, settings: Settings) -> None:
        """Use ``settings`` from the next turn on (e.g. another model picked in the TUI):
        the current provider is closed and a new one made lazily. Call between turns."""
        with self._provider_lock:
            old, self._provider = self._provider, None
            self.settings = settings
        if old is not None:
            old.close()

    def system_prompt(self) -> str:
        if self.settings.system_prompt:
            return self.settings.system_prompt
        from data import read_text

        return read_text("system_prompt.md").strip()

    def load_model(self) -> None:
        """Load the model now (raises ModelError); a no-op once loaded."""
        self.provider.load()

    def warm_up(self) -> None:
        """Load the model and evaluate the system prompt (with the tools a turn would offer:
        a local model sees them in its prompt) so the first answer starts fast, from that
        prefix in the KV cache."""
        provider = self.provider
        provider.load()
        system: list[ChatMessage] = [{"role": "system", "content": self.system_prompt()}]
        loop = self.tool_loop(threading.Event(), None)
        provider.warm_up(system, tools=loop.specs if loop is not None else ())

    def close(self) -> None:
        """Wait for state saves under way, then free the model."""
        if self._state_cache is not None:
            self._state_cache.close()
        if self._after_turn is not None:
            self._after_turn.close()
        if self._provider is not None:
            self._provider.close()
        if self._tools is not None:
            self._tools.close()

    @property
    def after_turn(self) -> Background:
        """The thread that saves each turn's context report after its answer."""
        if self._after_turn is None:
            from assistant.background import Background

            self._after_turn = Background()
        return self._after_turn

    # -- per-session model state (assistant.session_state) --------------------------------

    @property
    def session_states(self) -> SessionStates | None:
        """The state cache (None when ``[state] enabled`` is false)."""
        if not self.settings.state.enabled:
            return None
        if self._state_cache is None:
            from assistant.session_state import SessionStates

            self._state_cache = SessionStates(self.settings.state.max_bytes)
        return self._state_cache

    def _restore_state(
        self, session_id: str, fitted: FittedPrompt, specs: tuple[ToolSpec, ...]
    ) -> Iterator[Event]:
        """Before a local turn: load the session's saved state when it helps."""
        from assistant.session_state import local_model

        states, local = self.session_states, local_model(self.provider)
        if states is None or local is None:
            return
        note = states.restore(session_id, local, local.prompt_tokens(fitted.messages, specs))
        if note:
            yield StatusEvent(note)

    def _save_state_later(
        self, session_id: str, history: list[ChatMessage], fitted: FittedPrompt,
        specs: tuple[ToolSpec, ...], answer: str,
    ) -> None:
        """After a local turn: save the state the next turn will start from (background)."""
        from assistant.session_state import local_model

        states, local = self.session_states, local_model(self.provider)
        if states is None or local is None or fitted.dropped < 0 or not answer:
            return
        system: ChatMessage = {"role": "system", "content": self.system_prompt()}
        following: list[ChatMessage] = [
            system, *history[fitted.dropped :], {"role": "assistant", "content": answer},
            {"role": "user", "content": ""},
        ]
        states.save_later(session_id, local, lambda: local.prompt_tokens(following, specs))

    # -- prompt ---------------------------------------------------------------------------

    def history(self, session_id: str) -> list[ChatMessage]:
        """The session's saved messages as chat turns (see :func:`history_turns`)."""
        return history_turns(self.store.messages(session_id))

    def budget(self) -> PromptBudget:
        """Prompt budgeting for the current provider and settings."""
        return PromptBudget(
            self.provider, self.system_prompt(), self.settings.max_tokens, self._tools_cost
        )

    def reserve_tokens(self, n_ctx: int) -> int:
        """Tokens kept free for the answer in an ``n_ctx``-token context."""
        return reserve_for(self.settings.max_tokens, n_ctx)

    def tools_tokens(self, tools: tuple[ToolSpec, ...]) -> int:
        """About how many prompt tokens offering ``tools`` takes (cached per set)."""
        return self._tools_cost.tokens(self.provider, tools)

    def fit_prompt(
        self,
        history: list[ChatMessage],
        retrieved: Retrieved | None = None,
        *,
        tail: list[ChatMessage] | None = None,
        tools: tuple[ToolSpec, ...] = (),
        pinned: Sequence[PinnedFile] = (),
    ) -> FittedPrompt:
        """See :meth:`PromptBudget.fit`."""
        return self.budget().fit(history, retrieved, tail=tail or (), tools=tools, pinned=pinned)

    # -- a turn ---------------------------------------------------------------------------

    def run_turn(
        self,
        prompt: str,
        *,
        session_id: str | None = None,
        context: str | None = None,
        cancel: threading.Event | None = None,
        tools: bool = True,
        approve: Approver | None = None,
        pins: Sequence[Pin] = (),
        confirm_hosted: ConfirmHosted | None = None,
    ) -> Iterator[Event]:
        """Run one turn, yielding events; the last one is always :class:`DoneEvent`.

        ``pins``: files pinned for this turn only, besides the session's saved pins.

        With ``tools`` (and ``[tools] enabled``) the model may call tools: each call is a
        :class:`ToolCallEvent` then a :class:`ToolResultEvent`, and the model goes on with
        the result (see :mod:`assistant.agent`). ``approve(tool, arguments) -> bool`` is
        asked before a tool whose policy is "ask" runs (without it such tools are refused).
        ``confirm_hosted(preview) -> bool`` is asked before a fallback turn goes to a hosted
        model (without it, it goes as policy says).

        Raises FiresideError only for an unknown ``session_id`` or one another turn is
        answering in (SessionBusyError; any process), before anything is saved.
        """
        cancel = cancel or threading.Event()
        if session_id is None:
            session_id = self.store.create_session(title_for(prompt)).id
        else:
            session_id = self.store.resolve_session_id(session_id)
        turn = self.store.turn_lock(session_id)  # one turn per session at a time
        try:
            content = compose_user_message(prompt, context)
            self.store.add_message(session_id, "user", content)
            try:
                yield from self._generate(
                    session_id, cancel, tools, approve, pins, confirm_hosted
                )
            except FiresideError as exc:
                yield ErrorEvent(str(exc))
        finally:
            turn.release()
        yield DoneEvent(session_id)

    def _generate(
        self,
        session_id: str,
        cancel: threading.Event,
        use_tools: bool = True,
        approve: Approver | None = None,
        pins: Sequence[Pin] = (),
        confirm_hosted: ConfirmHosted | None = None,
    ) -> Iterator[Event]:
        """The story of a turn once the question is saved: pick the model, gather what goes
        into the prompt, generate (with tool steps), record the answer however it ends."""
        from assistant.context_inspect import read_turn_pins, save_report_later

        provider = yield from self._loaded_provider()
        history = self.history(session_id)
        # A router picks the provider for this turn (local, or hosted by policy).
        system: ChatMessage = {"role": "system", "content": self.system_prompt()}
        provider.route([system, *history], self.reserve_tokens, confirm_hosted)
        yield from _statuses(provider.take_notes())
        note = provider.template_note
        if note:
            yield StatusEvent(note)
        pinned, pin_notes = read_turn_pins(self, session_id, pins)
        yield from _statuses(pin_notes)
        loop = yield from self._offer_tools(cancel, approve, session_id, use_tools)
        state = yield from start_turn(
            self.budget(), self.retriever, self.settings, history, loop, pinned,
            self._tools_off() if use_tools else None,
        )
        specs = state.options.tools  # offered (the tool loop may withdraw them later)
        yield from self._restore_state(session_id, state.fitted, specs)
        try:
            yield from run_steps(
                provider, self.budget(), state, cancel,
                lambda call, result: save_step(self.store, session_id, call, result),
            )
        except FiresideError as exc:
            state.fail(str(exc))
        except (KeyboardInterrupt, GeneratorExit):
            state.status = "cancelled"
            save_turn(self.store, provider, session_id, state)
            raise
        if cancel.is_set() and state.status == "complete":
            state.status = "cancelled"
        done = save_turn(self.store, provider, session_id, state)
        self._save_state_later(session_id, history, state.fitted, specs, done.content)
        save_report_later(
            self, session_id, done.message_id, history, state.fitted, state.options.tools
        )
        yield from _statuses(provider.take_notes())
        if state.error:
            yield ErrorEvent(state.error + (" (partial answer saved)" if state.pieces else ""))
        yield done

    def _loaded_provider(self) -> Generator[Event, None, Provider]:
        provider = self.provider
        if not provider.loaded:
            yield StatusEvent(f"loading {provider.name}…")
            provider.load()
        return provider

    def _offer_tools(
        self, cancel: threading.Event, approve: Approver | None, session_id: str, use_tools: bool
    ) -> Generator[Event, None, ToolLoop | None]:
        """This turn's tool loop (None: no tools offered), and why tools are off (once)."""
        if not use_tools:
            return None
        if not self._tools_off():
            # MCP servers start only on a turn that offers tools to a model able to call them.
            yield from self._load_tools()
        loop = self.tool_loop(cancel, approve, session_id)
        off = self._offer_notes.take(self._tools_off())
        if off:
            yield StatusEvent(off)
        return loop

    # -- tools ----------------------------------------------------------------------------

    @property
    def tools(self) -> Registry | None:
        """The tool registry (built-in tools and plugins), made on first use; None when
        ``[tools] enabled`` is false."""
        if not self.settings.tools.enabled:
            return None
        if self._tools is None:
            from assistant.tools.registry import default_registry

            self._tools = default_registry(self.settings)
        return self._tools

    def _tools_off(self) -> str | None:
        """Why this turn's model is offered no tools (``[tools] offer``), or None."""
        return tools_off_reason(self.settings, self.provider)

    def _load_tools(self) -> Iterator[Event]:
        """Tools that load on the first turn offering tools (MCP servers start): a status
        line while they start, and one per problem (a server that failed)."""
        registry = self.tools
        if registry is None:
            return
        if registry.loading_note:
            yield StatusEvent(registry.loading_note)
        registry.load()
        for text in registry.take_notes():
            yield StatusEvent(text)

    def tool_loop(
        self, cancel: threading.Event, approve: Approver | None, session_id: str | None = None
    ) -> ToolLoop | None:
        """This turn's tool loop, or None when no tool is offered (tools off, none usable,
        or a model that cannot call them: ``[tools] offer``)."""
        registry = self.tools
        if registry is None or self._tools_off():
            return None
        loop = ToolLoop.start(
            self.settings, registry, store=self.store, project_root=self.project_root,
            cancel=cancel, approve=approve, session_id=session_id,
        )
        return loop if loop.specs else None


def _statuses(texts: Iterable[str]) -> Iterator[StatusEvent]:
    for text in texts:
        yield StatusEvent(text)

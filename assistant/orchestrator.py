"""One chat turn, front-end agnostic: load history → fit the prompt → stream → persist.

Front ends call :meth:`Orchestrator.run_turn` and render the events it yields. The user's
message is saved before generation starts and the answer is saved however the turn ends
(complete, cancelled by the user, or failed), so nothing typed or shown is lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from assistant.agent import (
    ToolLoop,
    call_message,
    plain_steps,
    result_message,
    shrink_results,
    tools_overhead_text,
)
from assistant.config import Settings
from assistant.errors import ContextOverflowError, FiresideError
from assistant.events import (
    ContextEvent,
    DoneEvent,
    ErrorEvent,
    Event,
    MessageDoneEvent,
    Source,
    StatusEvent,
    Timings,
    TokenEvent,
    ToolResultEvent,
    Usage,
)
from assistant.store import Message, Store
from assistant.tool_offer import OfferNotes, tools_off_reason
from providers.base import (
    ChatMessage,
    Finish,
    GenerationOptions,
    Provider,
    ToolCall,
    ToolSpec,
)

if TYPE_CHECKING:
    from pathlib import Path

    from assistant.context_inspect import Background
    from assistant.pins import Pin, PinnedFile
    from assistant.retrieval import Retrieved, Retriever
    from assistant.session_state import SessionStates
    from assistant.sessions import Sessions
    from assistant.tools.registry import Approver, Registry

TITLE_CHARS = 60


@dataclass(frozen=True)
class FittedPrompt:
    messages: list[ChatMessage]
    prompt_tokens: int
    dropped: int
    sources: tuple[Source, ...] = ()  # code chunks in the prompt (retrieved for this turn)
    # What went in, for the context report (assistant.context_report):
    retrieved: Retrieved | None = None
    pinned: tuple[PinnedFile, ...] = ()
    tail: tuple[ChatMessage, ...] = ()


def compose_user_message(prompt: str, context: str | None = None) -> str:
    """The user's text with piped-in context (e.g. ``cat file.py | fireside chat``) before it."""
    if not context or not context.strip():
        return prompt
    body = context.rstrip("\n")
    fence = "````" if "```" in body else "```"
    return f"{fence}\n{body}\n{fence}\n\n{prompt}".strip()


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
        self._tools_cost: tuple[tuple[ToolSpec, ...], int] = ((), 0)
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
            provider = self.provider
            return _provider_of(getattr(provider, "active", provider))
        except FiresideError:
            return "local"

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
        """Load the model and evaluate the system prompt so the first answer starts fast."""
        provider = self.provider
        provider.load()
        warm = getattr(provider, "warm_up", None)
        if warm is not None:
            system: list[ChatMessage] = [{"role": "system", "content": self.system_prompt()}]
            loop = self._tool_loop(threading.Event(), None)
            if loop is not None and getattr(provider, "tool_mode", None):
                # A local model sees the tools in its prompt: evaluate them too, so the
                # first question reuses that prefix from the KV cache.
                warm(system, tools=loop.specs)
            else:
                warm(system)

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
            from assistant.context_inspect import Background

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

    def _history(self, messages: list[Message]) -> list[ChatMessage]:
        """Saved messages as chat turns. A question that got no answer (the model failed to
        load, say) is joined with the next one: many chat templates require user and
        assistant turns to alternate and refuse anything else. Earlier turns' tool calls and
        results are not sent again (they stay in the store): each answer holds what its tools
        found, and old results would crowd a small model's context."""
        turns: list[ChatMessage] = []
        for m in messages:
            if m.role not in ("user", "assistant") or not m.content:
                continue
            # An imported message's attachments (their extracted text) go before it.
            content = compose_user_message(m.content, m.attachment_text)
            if turns and turns[-1]["role"] == m.role:
                turns[-1] = {"role": m.role, "content": turns[-1]["content"] + "\n\n" + content}
            else:
                turns.append({"role": m.role, "content": content})
        return turns

    def _reserve(self, n_ctx: int) -> int:
        """Tokens kept free for the answer."""
        return min(self.settings.max_tokens, max(64, n_ctx // 4))

    def fit_prompt(
        self,
        history: list[ChatMessage],
        retrieved: Retrieved | None = None,
        *,
        tail: list[ChatMessage] | None = None,
        tools: tuple[ToolSpec, ...] = (),
        pinned: Sequence[PinnedFile] = (),
    ) -> FittedPrompt:
        """System prompt + as much recent history as fits, leaving room for the answer.

        Oldest turns go first; the latest user message always stays, with the ``retrieved``
        code chunks before it (their budget was set by :meth:`_retrieve`; they are dropped,
        lowest-ranked first, only when the latest message alone leaves no room). Raises
        ContextOverflowError when even that does not fit. ``tail`` (this turn's tool calls
        and results) always stays after the latest message; ``tools`` offered count too.
        """
        from assistant.pins import apply_pins
        from assistant.retrieval import apply_context

        provider = self.provider
        n_ctx = provider.context_size
        reserve = self._reserve(n_ctx)
        system: ChatMessage = {"role": "system", "content": self.system_prompt()}
        kept = list(history)
        dropped = 0
        while True:
            latest = apply_pins(apply_context(kept, retrieved), pinned)
            messages = [system, *latest, *(tail or ())]
            tokens = provider.count_tokens(messages) + self._tools_tokens(tools)
            if tokens + reserve <= n_ctx:
                sources = retrieved.sources if retrieved is not None else ()
                return FittedPrompt(
                    messages, tokens, dropped, sources, retrieved, tuple(pinned),
                    tuple(tail or ()),
                )
            if len(kept) <= 1:
                if retrieved is not None and retrieved.chunks:
                    retrieved = retrieved.without_last()
                    continue
                raise ContextOverflowError(
                    f"the message is about {tokens} tokens but the model's context holds "
                    f"{n_ctx} (with {reserve} kept for the answer); shorten it or raise "
                    "context_size"
                )
            # Drop the oldest message; never leave an assistant message first.
            kept.pop(0)
            dropped += 1
            while len(kept) > 1 and kept[0]["role"] != "user":
                kept.pop(0)
                dropped += 1

    def _tools_tokens(self, tools: tuple[ToolSpec, ...]) -> int:
        """About how many prompt tokens offering ``tools`` takes (cached per set)."""
        if not tools:
            return 0
        if self._tools_cost[0] != tools:
            text = tools_overhead_text(tools)
            self._tools_cost = (tools, self.provider.count_tokens(
                [{"role": "system", "content": text}]))
        return self._tools_cost[1]

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
    ) -> Iterator[Event]:
        """Run one turn, yielding events; the last one is always :class:`DoneEvent`.

        ``pins``: files pinned for this turn only, besides the session's saved pins.

        With ``tools`` (and ``[tools] enabled``) the model may call tools: each call is a
        :class:`ToolCallEvent` then a :class:`ToolResultEvent`, and the model goes on with
        the result (see :mod:`assistant.agent`). ``approve(tool, arguments) -> bool`` is
        asked before a tool whose policy is "ask" runs (without it such tools are refused).

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
                yield from self._generate(session_id, cancel, tools, approve, pins)
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
    ) -> Iterator[Event]:
        from assistant.context_inspect import read_turn_pins, save_report_later

        provider = self.provider
        if not provider.loaded:
            yield StatusEvent(f"loading {provider.name}…")
            provider.load()
        history = self._history(self.store.messages(session_id))
        route = getattr(provider, "route", None)
        if route is not None:
            # A router picks the provider for this turn (local, or hosted by policy).
            system: ChatMessage = {"role": "system", "content": self.system_prompt()}
            route([system, *history], self._reserve)
        for text in _notes(provider):
            yield StatusEvent(text)
        note = getattr(provider, "template_note", None)
        if note:
            yield StatusEvent(note)
        pinned, pin_notes = read_turn_pins(self, session_id, pins)
        for text in pin_notes:
            yield StatusEvent(text)
        if use_tools and not self._tools_off():
            # MCP servers start only on a turn that offers tools to a model able to call them.
            yield from self._load_tools()
        loop = self._tool_loop(cancel, approve, session_id) if use_tools else None
        specs = loop.specs if loop is not None else ()
        off = self._offer_notes.take(self._tools_off()) if use_tools else None
        if off:
            yield StatusEvent(off)
        retrieved = yield from self._retrieve(history, specs, pinned)
        try:
            fitted = self.fit_prompt(history, retrieved, tools=specs, pinned=pinned)
        except ContextOverflowError:
            if not specs:
                raise
            # The tools' descriptions leave no room: answer without tools rather than fail.
            loop, specs = None, ()
            fitted = self.fit_prompt(history, retrieved, pinned=pinned)
            yield StatusEvent("no tools for this answer: the prompt leaves no room for them")
        if fitted.dropped:
            yield StatusEvent(
                f"dropped the {fitted.dropped} oldest message(s) to fit the "
                f"{provider.context_size}-token context"
            )
        context = ContextEvent(
            messages=len(fitted.messages),
            prompt_tokens=fitted.prompt_tokens,
            context_size=provider.context_size,
            dropped_messages=fitted.dropped,
            model=provider.name,
            provider=_provider_of(provider),
            sources=fitted.sources,
            left_out=retrieved.left_out if retrieved is not None else 0,
            tools_off=self._tools_off() if use_tools else None,
        )
        yield context
        yield from self._restore_state(session_id, fitted, specs)
        options = GenerationOptions(
            max_tokens=self.settings.max_tokens,
            temperature=self.settings.temperature,
            top_p=self.settings.top_p,
            repeat_penalty=self.settings.repeat_penalty,
            seed=self.settings.seed,
            tools=specs,
        )
        pieces: list[str] = []
        finishes: list[Finish] = []
        scratch: list[ChatMessage] = []  # this turn's calls and results, sent back each step
        status = "complete"
        error: str | None = None
        stopped: str | None = None  # why the tool loop stopped early
        start = time.perf_counter()
        first: float | None = None
        step_first: float | None = None  # first text of the latest generation (its speed)

        def save() -> MessageDoneEvent:
            text = pieces if pieces or stopped is None else [f"[{stopped}]"]
            finish = _combined(finishes, "tool_limit" if stopped else None)
            rate = None
            if len(finishes) > 1 and step_first is not None:
                rate = (finishes[-1].completion_tokens, step_first)
            done = self._save_answer(
                session_id, text, status, finish, fitted, start, first, rate
            )
            if loop is not None:
                self.store.link_tool_steps(loop.step_ids, done.message_id)
            return done

        try:
            while True:
                step_text: list[str] = []
                calls: list[ToolCall] = []
                step_first = None
                for item in provider.stream(fitted.messages, options, cancel):
                    notes = _notes(provider)
                    for text in notes:
                        yield StatusEvent(text)
                    if notes and provider.name != context.model:
                        # A router moved the turn (the local model failed before its first
                        # token).
                        context = replace(
                            context, model=provider.name, provider=_provider_of(provider)
                        )
                        yield context
                    if isinstance(item, Finish):
                        finishes.append(item)
                        continue
                    if isinstance(item, ToolCall):
                        calls.append(item)
                        continue
                    if first is None:
                        first = time.perf_counter()
                    if step_first is None:
                        step_first = time.perf_counter()
                    if not step_text and pieces:  # text after a tool step: a new paragraph
                        pieces.append("\n\n")
                        yield TokenEvent("\n\n")
                    step_text.append(item)
                    pieces.append(item)
                    yield TokenEvent(item)
                    if cancel.is_set():
                        break
                if cancel.is_set() or not calls:
                    break
                if loop is None:  # the model called a tool the turn did not offer
                    status, error = "error", _tool_call_error(provider, calls)
                    break
                if not options.tools:  # the answer after the loop stopped: no more calls
                    break
                results = []
                for call in calls:
                    stopped = loop.check(call)
                    if stopped:
                        break
                    yield loop.announce(call)
                    result = loop.run(call)
                    yield result
                    loop.step_ids.append(self._save_step(session_id, call, result))
                    results.append(result)
                    stopped = loop.stop_reason
                    if stopped or cancel.is_set():
                        break
                if results:
                    scratch.append(call_message("".join(step_text), calls[: len(results)]))
                    scratch.extend(result_message(r) for r in results)
                if cancel.is_set():
                    break
                if stopped:
                    # One last answer from what the tools returned, with no tools offered
                    # (the steps as plain turns, which every API and template accepts).
                    yield StatusEvent(f"{stopped}; answering with the results so far")
                    scratch[:] = plain_steps(scratch)
                    options = replace(options, tools=())
                fitted = yield from self._refit(
                    history, retrieved, scratch, options.tools, pinned
                )
                if fitted.dropped < 0:
                    stopped = "stopped: the tool results no longer fit the model's context"
                    yield StatusEvent(stopped)
                    break
        except FiresideError as exc:
            status, error = "error", str(exc)
        except (KeyboardInterrupt, GeneratorExit):
            status = "cancelled"
            save()
            raise
        if cancel.is_set() and status == "complete":
            status = "cancelled"
        done = save()
        self._save_state_later(session_id, history, fitted, specs, done.content)
        save_report_later(self, session_id, done.message_id, history, fitted, options.tools)
        for text in _notes(provider):
            yield StatusEvent(text)
        if error:
            yield ErrorEvent(error + (" (partial answer saved)" if pieces else ""))
        yield done

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

    def _tool_loop(
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

    def _save_step(self, session_id: str, call: ToolCall, result: ToolResultEvent) -> int:
        return self.store.add_tool_step(
            session_id, step=result.step, call_id=call.id, name=call.name,
            arguments=call.arguments, ok=result.ok, result=result.content,
            truncated=result.truncated, duration_ms=result.duration_ms,
        )

    def _refit(
        self,
        history: list[ChatMessage],
        retrieved: Retrieved | None,
        scratch: list[ChatMessage],
        specs: tuple[ToolSpec, ...],
        pinned: Sequence[PinnedFile] = (),
    ) -> Generator[Event, None, FittedPrompt]:
        """The prompt for the next step: the context budget is checked again with the tool
        results; the oldest results are replaced by a note while it does not fit (a
        FittedPrompt with ``dropped`` -1 when nothing is left to remove)."""
        while True:
            try:
                return self.fit_prompt(
                    history, retrieved, tail=scratch, tools=specs, pinned=pinned
                )
            except ContextOverflowError:
                if not shrink_results(scratch):
                    return FittedPrompt([], 0, -1)
                yield StatusEvent("removed an earlier tool result to fit the context")

    def _retrieve(
        self, history: list[ChatMessage], tools: tuple[ToolSpec, ...] = (),
        pinned: Sequence[PinnedFile] = (),
    ) -> Generator[Event, None, Retrieved | None]:
        """Code chunks for the latest question (None without a retriever), within half the
        room the system prompt, ``tools``, the question and the answer leave; an index that
        fails is a status line, never a failed turn."""
        retriever = self.retriever
        if retriever is None or self.settings.index.context_tokens <= 0:
            return None
        if not history or history[-1]["role"] != "user":
            return None
        from assistant.retrieval import budget_for, token_counter

        provider = self.provider
        n_ctx = provider.context_size
        system: ChatMessage = {"role": "system", "content": self.system_prompt()}
        room = (
            n_ctx
            - self._reserve(n_ctx)
            - provider.count_tokens([system, history[-1]])
            - self._tools_tokens(tools)
            - sum(p.tokens for p in pinned)
        )
        budget = budget_for(self.settings.index, room)
        try:
            return retriever.retrieve(
                history[-1]["content"], budget, token_counter(provider.count_tokens)
            )
        except FiresideError as exc:
            yield StatusEvent(f"no code context for this answer: {exc}")
            return None

    def _save_answer(
        self,
        session_id: str,
        pieces: list[str],
        status: str,
        finish: Finish | None,
        fitted: FittedPrompt,
        start: float,
        first: float | None,
        rate: tuple[int, float] | None = None,
    ) -> MessageDoneEvent:
        """``rate``: (tokens, first-text time) of the last generation when a turn had several
        (tool steps); its speed is the answer's speed."""
        end = time.perf_counter()
        text = "".join(pieces)
        completion = finish.completion_tokens if finish else len(pieces)
        prompt_tokens = finish.prompt_tokens if finish else fitted.prompt_tokens
        decoded, since = rate if rate is not None else (completion, first)
        decode_s = end - since if since is not None else 0.0
        timings = Timings(
            ttft_ms=round((first - start) * 1000, 2) if first is not None else None,
            tokens_per_s=round((decoded - 1) / decode_s, 2)
            if decode_s > 0 and decoded > 1
            else None,
            total_ms=round((end - start) * 1000, 2),
        )
        reason = "cancelled" if status == "cancelled" else (finish.reason if finish else None)
        provider = self.provider
        model = provider.name
        cost_of = getattr(provider, "cost", None)
        cost = cost_of(prompt_tokens, completion) if cost_of is not None else None
        message_id = self.store.add_message(
            session_id,
            "assistant",
            text,
            model=model,
            status=status,
            finish_reason=reason,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion,
            ttft_ms=timings.ttft_ms,
            tokens_per_s=timings.tokens_per_s,
            total_ms=timings.total_ms,
            provider=_provider_of(provider),
            cost_usd=cost,
        )
        self.store.add_message_sources(session_id, message_id, fitted.sources)
        return MessageDoneEvent(
            message_id=message_id,
            session_id=session_id,
            model=model,
            content=text,
            status=status,  # type: ignore[arg-type]
            finish_reason=reason,
            usage=Usage(prompt_tokens, completion),
            timings=timings,
            provider=_provider_of(provider),
            cost_usd=cost,
        )


def _provider_of(provider: Provider) -> str:
    """``"local"``, or the hosted ``[providers.NAME]`` answering now."""
    return getattr(provider, "hosted_provider", None) or "local"


def _tool_call_error(provider: Provider, calls: list[ToolCall]) -> str:
    """The message for tool calls a turn cannot run: it offered no tools (tools are off)."""
    names = list(dict.fromkeys(repr(c.name) for c in calls))
    what = ("the tools " if len(names) > 1 else "the tool ") + ", ".join(names)
    return (
        f"{provider.name} asked to call {what}, but this turn offered no tools "
        "(tools are off); nothing was run"
    )


def _combined(finishes: list[Finish], reason: str | None) -> Finish | None:
    """One Finish for a turn of several generations: the last prompt, all answer tokens."""
    if not finishes:
        return None
    last = finishes[-1]
    return Finish(
        reason or last.reason,
        prompt_tokens=last.prompt_tokens,
        completion_tokens=sum(f.completion_tokens for f in finishes),
    )


def _notes(provider: Provider) -> list[str]:
    """Notices a provider gathered for the user (a router: "sending this turn to …")."""
    take = getattr(provider, "take_notes", None)
    return list(take()) if take is not None else []

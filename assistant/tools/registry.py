"""The tool registry: which tools exist, which the model is offered, and running one call.

``Registry.run(call, ctx, approve)`` is the only way the agent loop runs a tool. It never
raises for a bad call: an unknown tool, invalid arguments, a refusal by policy, a tool error,
a crash, a timeout or a cancel each become a ``ToolResultEvent`` with ``ok=False`` and a
one-line message the model (and the user) can act on. A successful result is capped to
``settings.tools.result_tokens`` tokens with a visible marker.

Policy per tool (see :mod:`assistant.tools.consent`): ``[tools] permissions`` (tool name ->
deny/ask/allow) first, else the tool's risk (READ allowed; NETWORK, WRITE, EXECUTE, UNKNOWN
ask). deny refuses, ask calls ``approve(tool, arguments)`` with the exact arguments, allow
runs. WRITE/EXECUTE tools always ask, even when the config says allow.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from assistant.errors import ToolDeniedError, ToolError
from assistant.events import ToolResultEvent
from assistant.tools.base import Tool, ToolContext, ToolOutput
from assistant.tools.consent import (
    Approval,
    Approver,
    Decision,
    as_approval,
    default_decision,
)

if TYPE_CHECKING:
    from assistant.config import Settings
    from providers.base import ToolCall, ToolSpec

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "fireside.tools"

__all__ = ["Approval", "Approver", "Decision", "Registry", "default_registry"]

_POLL_SECONDS = 0.05
# A name the model calls: an identifier, or ``server.tool`` for tools of MCP servers.
_TOOL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)?$")
_MAX_CHARS_PER_TOKEN = 16


def estimate_tokens(text: str) -> int:
    """A rough token count (about four characters a token) when no tokenizer is at hand."""
    return (len(text) + 3) // 4


def cap_text(
    text: str, max_tokens: int, count: Callable[[str], int] | None = None
) -> tuple[str, bool]:
    """``text`` cut to at most ``max_tokens`` tokens (marker included), and whether it was cut.
    The cut keeps the beginning and ends on a line break when one is near."""
    count = count or estimate_tokens
    # A token is rarely longer than 16 characters: beyond that bound the text is not fed to
    # the tokenizer whole (a fetched page can be megabytes; the search below tokenizes
    # prefixes ~20 times).
    window = max_tokens * _MAX_CHARS_PER_TOKEN
    if len(text) <= window:
        total = count(text)
        if total <= max_tokens:
            return text, False
    else:
        total = estimate_tokens(text)
    marker = f"\n[… truncated: the result had about {total} tokens; the first part is shown]"
    if count(marker) > max_tokens // 2:
        marker = "\n[… truncated]"
    budget = max(0, max_tokens - count(marker) - 2)  # 2: tokens may merge at the joint
    # Largest prefix within budget: binary search on characters.
    lo, hi = 0, min(len(text), window)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(text[:mid]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    cut = text[:lo]
    if not cut:
        return marker.lstrip(), True
    newline = cut.rfind("\n")
    if newline > len(cut) * 0.8:
        cut = cut[:newline]
    return cut.rstrip() + marker, True


class Registry:
    """Tools by name, in registration order."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._tools: dict[str, Tool] = {}
        self.warnings: list[str] = []  # plugin problems, for front ends to show
        self._always: set[str] = set()  # "allow always" answers given this session
        self._granted: set[tuple[str | None, str]] = set()  # (chat, tool) "for this session"
        # Loaders add tools the first time a turn offers tools (MCP servers start then).
        self._loaders: list[tuple[Callable[[Registry], None], str | None]] = []
        self._load_lock = threading.Lock()
        self._notes: list[str] = []  # one-line notices for the next turn (a failed server)
        self._closers: list[Callable[[], None]] = []

    # -- contents -------------------------------------------------------------------------

    def register(self, tool: Tool) -> Tool:
        """Add ``tool``; a second tool with the same name is a ValueError."""
        if not isinstance(tool, Tool):
            raise TypeError(f"not a Tool: {tool!r}")
        if not _TOOL_NAME.match(tool.name):
            raise ValueError(f"tool name {tool.name!r} must be an identifier (or server.tool)")
        if tool.name in self._tools:
            raise ValueError(f"a tool named {tool.name!r} is already registered")
        self._tools[tool.name] = tool
        return tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return list(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def add_loader(
        self, loader: Callable[[Registry], None], note: str | None = None
    ) -> None:
        """Run ``loader(registry)`` once, when :meth:`load` is first called (the first turn
        that offers tools); ``note`` tells the user what is happening meanwhile."""
        with self._load_lock:
            self._loaders.append((loader, note))

    @property
    def loading_note(self) -> str | None:
        """What :meth:`load` will do (a status line), or None when nothing is pending."""
        notes = [note for _, note in list(self._loaders) if note]
        return "; ".join(notes) or None

    def load(self) -> None:
        """Run the pending loaders (once each; a failing one becomes a note)."""
        with self._load_lock:
            while self._loaders:
                loader, _ = self._loaders.pop(0)
                try:
                    loader(self)
                except Exception as exc:
                    log.warning("tool loader failed", exc_info=True)
                    self.note(f"tools were not loaded: {exc}")

    def note(self, text: str) -> None:
        self._notes.append(_one_line(text))

    def take_notes(self) -> list[str]:
        """Notices gathered since the last call (for the front end, once each)."""
        notes, self._notes = self._notes, []
        return notes

    def on_close(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    def close(self) -> None:
        """Release what loaders started (MCP servers); they also end at exit."""
        closers, self._closers = self._closers, []
        for closer in closers:
            try:
                closer()
            except Exception:
                log.warning("closing tools failed", exc_info=True)

    def tools(self, ctx: ToolContext) -> list[Tool]:
        """The tools usable now: available in ``ctx`` and not denied by config."""
        out = []
        for tool in self._tools.values():
            if self.permission(tool) == "deny":
                continue
            try:
                if tool.available(ctx):
                    out.append(tool)
            except Exception:  # a broken availability check hides the tool, nothing more
                log.warning("tool %s: availability check failed", tool.name, exc_info=True)
        return out

    def specs(self, ctx: ToolContext) -> tuple[ToolSpec, ...]:
        """What the model is offered (name, description, JSON schema of the arguments)."""
        from providers.base import ToolSpec

        return tuple(ToolSpec(t.name, t.description, t.json_schema()) for t in self.tools(ctx))

    # -- policy ---------------------------------------------------------------------------

    def permission(self, tool: Tool, session_id: str | None = None) -> Decision:
        """deny / ask / allow for ``tool`` (in chat ``session_id``): config first, then the
        user's "allow for this session" answers, then the tool's risk; WRITE/EXECUTE never
        get past ask."""
        configured = self.settings.tools.permissions.get(tool.name)
        if configured == "deny":
            return "deny"
        if tool.risk.always_asks:
            return "ask"
        if tool.name in self._always or (session_id, tool.name) in self._granted:
            return "allow"
        if configured is not None:
            return configured
        return default_decision(tool.risk)

    def allow_always(self, name: str) -> None:
        """Stop asking about ``name`` for the life of this registry (the user's "always
        allow"). Refused for tools that write or execute: those always ask."""
        self._grantable(name)
        self._always.add(name)

    def allow_for_session(self, name: str, session_id: str | None) -> None:
        """The user's "allow for this session": ``name`` runs without asking in chat
        ``session_id`` while this registry lives. Refused for tools that write or execute."""
        self._grantable(name)
        self._granted.add((session_id, name))

    def _grantable(self, name: str) -> None:
        """Raise unless ``name`` is a tool a standing "allow" may cover."""
        tool = self._tools.get(name)
        if tool is None:
            raise ToolError(f"unknown tool {name!r}")
        if tool.risk.always_asks:
            raise ToolDeniedError(f"{name} can change things; it always asks before it runs")

    def _check_policy(
        self, tool: Tool, arguments: dict[str, Any], approve: Approver | None,
        session_id: str | None = None,
    ) -> None:
        decision = self.permission(tool, session_id)
        if decision == "deny":
            raise ToolDeniedError(
                f"{tool.name} is turned off in the settings ([tools] permissions)"
            )
        if decision == "ask":
            if approve is None:
                raise ToolDeniedError(
                    f"{tool.name} needs the user's approval and nobody can give it here; "
                    "it was not run"
                )
            try:
                answer = as_approval(approve(tool, arguments))
            except ToolDeniedError:
                raise
            except Exception as exc:
                log.warning("approval for %s failed", tool.name, exc_info=True)
                raise ToolDeniedError(f"{tool.name} was not approved ({exc})") from None
            if answer is Approval.DENY:
                raise ToolDeniedError(f"the user declined to run {tool.name}; it was not run")
            if answer is Approval.SESSION and not tool.risk.always_asks:
                self._granted.add((session_id, tool.name))

    # -- running --------------------------------------------------------------------------

    def run(
        self,
        call: ToolCall,
        ctx: ToolContext,
        approve: Approver | None = None,
        step: int = 1,
    ) -> ToolResultEvent:
        """Run one call the model made; always returns a result event (never raises for a
        bad call). ``ok=False`` results carry the reason in ``content``."""
        started = time.monotonic()

        def result(ok: bool, content: str, truncated: bool = False) -> ToolResultEvent:
            return ToolResultEvent(
                call_id=call.id,
                name=call.name,
                ok=ok,
                content=content,
                truncated=truncated,
                duration_ms=round((time.monotonic() - started) * 1000, 2),
                step=step,
            )

        tool = self._tools.get(call.name)
        usable = self.tools(ctx)
        if tool is None or tool not in usable:
            available = ", ".join(t.name for t in usable) or "none"
            if tool is None:
                why = f"unknown tool {call.name!r}"
            elif self.permission(tool) == "deny":
                why = f"{call.name} is turned off in the settings"
            else:
                why = f"{call.name} is not available here"
            return result(False, f"{why}; available tools: {available}")
        arguments = call.arguments if isinstance(call.arguments, dict) else {}
        try:
            args = tool.args.model_validate(arguments)
        except ValidationError as exc:
            return result(False, _invalid_arguments(tool, exc))
        try:
            self._check_policy(tool, args.model_dump(), approve, ctx.session_id)
            output = self._run_guarded(tool, args, ctx)
        except ToolError as exc:
            return result(False, _one_line(str(exc)) or f"{tool.name} failed")
        except Exception as exc:
            log.warning("tool %s crashed", tool.name, exc_info=True)
            return result(False, _one_line(f"{tool.name} failed: {type(exc).__name__}: {exc}"))
        text, truncated = cap_text(
            output.text, self.settings.tools.result_tokens, ctx.count_tokens
        )
        return result(True, text, truncated)

    def run_tool(self, name: str, arguments: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        """Run a tool directly (the CLI's ``fireside web`` / ``fetch``): validated, not
        policy-checked or capped; raises ToolError."""
        tool = self._tools.get(name)
        if tool is None:
            raise ToolError(f"unknown tool {name!r}; available tools: {', '.join(self._tools)}")
        try:
            args = tool.args.model_validate(arguments)
        except ValidationError as exc:
            raise ToolError(_invalid_arguments(tool, exc)) from None
        return self._run_guarded(tool, args, ctx)

    def _run_guarded(self, tool: Tool, args: Any, ctx: ToolContext) -> ToolOutput:
        """Run in a worker thread and stop waiting on cancel or at the deadline (a tool
        should notice them itself; this is the backstop for one that does not)."""
        if ctx.cancel.is_set():
            raise ToolError(f"{tool.name} was cancelled")
        if ctx.deadline is not None and time.monotonic() >= ctx.deadline:
            raise ToolError(f"no time left to run {tool.name} (the turn's tool time is used up)")
        box: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                box["output"] = tool.run(args, ctx)
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc
            finally:
                done.set()

        worker = threading.Thread(target=work, name=f"tool-{tool.name}", daemon=True)
        worker.start()
        while not done.wait(_POLL_SECONDS):
            if ctx.cancel.is_set():
                raise ToolError(f"{tool.name} was cancelled")
            if ctx.deadline is not None and time.monotonic() >= ctx.deadline + 1.0:
                raise ToolError(f"{tool.name} took too long and was stopped")
        if "error" in box:
            raise box["error"]
        output = box.get("output")
        if isinstance(output, str):
            output = ToolOutput(output)
        if not isinstance(output, ToolOutput):
            raise ToolError(f"{tool.name} returned no result")
        return output

    # -- plugins --------------------------------------------------------------------------

    def load_entry_points(self, entry_points: Iterable[Any] | None = None) -> None:
        """Add tools from the ``fireside.tools`` entry point group. An entry point may name a
        Tool, a list of Tools, or a callable taking the registry (``register(registry)``),
        which may also return a Tool or a list of them. A broken plugin is a warning."""
        if entry_points is None:
            from importlib.metadata import entry_points as _entry_points

            entry_points = _entry_points(group=ENTRY_POINT_GROUP)
        for ep in entry_points:
            try:
                obj = ep.load()
                if callable(obj) and not isinstance(obj, Tool):
                    obj = obj(self)
                items = [] if obj is None else [obj] if isinstance(obj, Tool) else list(obj)
                for item in items:
                    self.register(item)
            except Exception as exc:
                message = f"tool plugin {ep.name!r} ({ep.value}) was not loaded: {exc}"
                log.warning(message)
                self.warnings.append(_one_line(message))


def _invalid_arguments(tool: Tool, exc: ValidationError) -> str:
    problems = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        problems.append(f"{where}: {err['msg']}")
    fields = tool.json_schema().get("properties", {})
    required = tool.json_schema().get("required", [])
    shape = ", ".join(
        f"{name}{'' if name in required else '?'}: {spec.get('type', 'any')}"
        for name, spec in fields.items()
    )
    return _one_line(
        f"invalid arguments for {tool.name}: {'; '.join(problems)}. "
        f"Expected {{{shape}}}; fix the arguments and call again"
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def builtin_tools() -> list[Tool]:
    """The tools Fireside ships (their heavy imports stay inside the functions)."""
    from assistant.tools import code_search, fetch_url, read_file, web_search

    return [web_search.TOOL, fetch_url.TOOL, code_search.TOOL, read_file.TOOL]


def default_registry(settings: Settings, plugins: bool = True) -> Registry:
    """The built-in tools plus the ``fireside.tools`` plugins."""
    registry = Registry(settings)
    for tool in builtin_tools():
        registry.register(tool)
    if plugins:
        registry.load_entry_points()
    if settings.mcp.servers:
        from assistant import mcp

        registry.add_loader(mcp.loader(settings), mcp.loading_note(settings))
    return registry

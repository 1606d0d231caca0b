"""``/web QUERY`` and ``/fetch URL``: run the tool now, show its result in the conversation
(a ToolCallView), and send the result with the next question as context."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from assistant.errors import FiresideError
from tui.commands import CommandError, CommandRegistry
from tui.tool_call_view import ToolCallView

if TYPE_CHECKING:
    from tui.chat_screen import ChatScreen


def register(commands: CommandRegistry) -> None:
    @commands.command(
        "web", "Search the web; the results go with your next question", usage="/web QUERY"
    )
    async def web(screen: ChatScreen, args: str) -> None:
        if not args:
            raise CommandError("Give a query: /web QUERY")
        await run_tool_command(screen, "web_search", {"query": args}, f"Web search: {args}")

    @commands.command(
        "fetch", "Fetch a web page; its text goes with your next question", usage="/fetch URL"
    )
    async def fetch(screen: ChatScreen, args: str) -> None:
        if not args or len(args.split()) != 1:
            raise CommandError("Give one URL: /fetch https://example.com/page")
        await run_tool_command(screen, "fetch_url", {"url": args}, f"Page {args}")


def _registry(screen: ChatScreen) -> Any:
    registry = screen.orchestrator.tools
    if registry is None:  # [tools] enabled = false: the model gets none, commands still work
        from assistant.tools.registry import default_registry

        registry = default_registry(screen.orchestrator.settings)
    return registry


async def run_tool_command(
    screen: ChatScreen, name: str, arguments: dict[str, Any], label: str
) -> None:
    registry = _registry(screen)
    tool = registry.get(name)
    if tool is None:
        raise CommandError(f"The {name} tool is not installed.")
    if registry.permission(tool) == "deny":
        raise CommandError(f"{name} is turned off in the settings ([tools] permissions).")
    view = ToolCallView(name, arguments)
    await screen.message_list.add(view)
    screen.run_worker(
        lambda: _run(screen, registry, view, label), thread=True, group="tool-command",
        name=name,
    )


def _run(screen: ChatScreen, registry: Any, view: ToolCallView, label: str) -> None:
    """On a worker thread: run the tool, then show the result and keep it as context."""
    from assistant.tools.base import ToolContext
    from assistant.tools.registry import cap_text

    orchestrator = screen.orchestrator
    settings = orchestrator.settings
    ctx = ToolContext(
        settings=settings, store=orchestrator.store, project_root=orchestrator.project_root,
        cancel=threading.Event(), deadline=time.monotonic() + settings.tools.max_tool_seconds,
    )
    app = screen.app
    started = time.monotonic()
    try:
        output = registry.run_tool(view.tool_name, view.arguments, ctx)
        text, truncated = cap_text(output.text, settings.tools.result_tokens)
    except FiresideError as exc:
        ms = (time.monotonic() - started) * 1000
        app.call_from_thread(view.set_result, str(exc), ok=False, duration_ms=ms)
        return
    except Exception as exc:  # a tool bug: say so instead of killing the worker silently
        ms = (time.monotonic() - started) * 1000
        app.call_from_thread(view.set_result, f"{type(exc).__name__}: {exc}", ok=False,
                             duration_ms=ms)
        return
    ms = (time.monotonic() - started) * 1000
    app.call_from_thread(view.set_result, text, ok=True, duration_ms=ms, truncated=truncated)
    app.call_from_thread(screen.add_context, label, text)

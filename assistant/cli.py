"""The ``fireside`` command. Commands are split by topic: chat here, sessions in
``cli_sessions``, doctor in ``doctor``. ``fireside`` with no command opens the TUI."""

from __future__ import annotations

import dataclasses
import errno
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant import __version__
from assistant.cli_exit import fail
from assistant.errors import FiresideError

app = typer.Typer(
    name="fireside",
    help="Fireside: a local-first assistant for people who code in a terminal.\n\n"
    "Run with no command to open the chat TUI.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)




def _version(value: bool) -> None:
    if value:
        typer.echo(f"fireside {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    model: Annotated[
        str | None, typer.Option(
            "--model", "-m", help="A GGUF file, or a name from `fireside models list`.")
    ] = None,
    session: Annotated[
        str | None, typer.Option("--session", "-s", help="Open this session in the TUI.")
    ] = None,
) -> None:
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"model": model}
        return
    from assistant.entry import open_tui

    code = open_tui(model=model, session=session)
    if code:
        raise typer.Exit(code)


def _read_stdin() -> str | None:
    if sys.stdin is None or sys.stdin.isatty():
        return None
    try:
        data = sys.stdin.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read standard input: {exc}") from None
    return data if data.strip() else None


@app.command()
def chat(
    ctx: typer.Context,
    prompt: Annotated[str | None, typer.Argument(help="Your question.")] = None,
    session: Annotated[
        str | None,
        typer.Option("--session", "-s", help="Continue this session (id or unique prefix)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of streaming text.")
    ] = False,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="A GGUF file, a local model's name, or PROVIDER/MODEL for a configured "
            "hosted model (see `fireside models list`).",
        ),
    ] = None,
    system: Annotated[
        str | None, typer.Option("--system", help="System prompt for this answer.")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", help="Most tokens in the answer.", min=1)
    ] = None,
    temperature: Annotated[
        float | None, typer.Option("--temperature", "-t", help="Sampling temperature.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Sampling seed.")] = None,
    no_context: Annotated[
        bool,
        typer.Option(
            "--no-context",
            help="Do not add code from the project's index (`fireside index`) to the prompt.",
        ),
    ] = False,
    no_tools: Annotated[
        bool,
        typer.Option(
            "--no-tools",
            help="Do not let the model call tools (web search, fetch, code search, read file).",
        ),
    ] = False,
    allow_web: Annotated[
        bool,
        typer.Option(
            "--allow-web",
            help="Let the model's web_search/fetch_url calls run without asking (they are "
            "refused when there is no terminal to ask on).",
        ),
    ] = False,
    add: Annotated[
        list[str] | None,
        typer.Option(
            "--add", help="Pin a project file (PATH or PATH:START-END) into this turn's "
            "prompt; repeatable.",
        ),
    ] = None,
    show_context: Annotated[
        bool,
        typer.Option(
            "--show-context",
            help="Print what the prompt held, part by part with token counts, on stderr.",
        ),
    ] = False,
) -> None:
    """Answer one question in the terminal, streaming the answer.

    Piped input is added as context: `cat app.py | fireside chat "explain this"`. When the
    current project has an index (`fireside index`), the most relevant code chunks go into
    the prompt too, and the answer cites them as path:lines (`--no-context`: none).

    The model may call tools; each call and a short result are shown on stderr (all of it
    in `--json` as tool_steps). A call that reaches the network (or is set to "ask") is asked
    about on a terminal (y/N) and refused otherwise, unless `--allow-web` allows web tools;
    `--no-tools` offers none. Small local models get no tools ([tools] offer).
    """
    from assistant.config import load_settings
    from assistant.hosted import with_hosted_model
    from assistant.orchestrator import Orchestrator
    from assistant.store import open_store

    piped = _read_stdin()
    if prompt is None or not prompt.strip():
        if piped is None:
            raise fail('give a question: fireside chat "…" (or pipe text in)')
        prompt, piped = piped, None
    model = model or (ctx.obj or {}).get("model")
    try:
        flags = {
            "system_prompt": system,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "seed": seed,
        }
        # An explicit PROVIDER/MODEL sends this chat to that hosted model.
        settings = with_hosted_model(load_settings(**flags), model) or load_settings(
            model=model, **flags
        )
        store = open_store()
        if session is not None:
            session = store.resolve_session_id(session)
        from assistant.agent import default_project_root

        orchestrator = Orchestrator(settings, store, project_root=default_project_root())
        provider = orchestrator.provider  # resolves the model path: a bad one fails here
        if not as_json and not provider.loaded:
            typer.echo(f"loading {provider.name}…", err=True)
        orchestrator.load_model()
        from assistant.context_inspect import add_pin
        from assistant.pins import Pin, parse_pin

        pins: list[Pin] = []
        for spec in add or ():
            pin = parse_pin(spec)
            if Path(pin.path).exists():  # relative to the current folder, as shells complete
                pin = Pin(str(Path(pin.path).resolve()), pin.start_line, pin.end_line)
            pins.append(add_pin(orchestrator, None, pin, pins))
    except FiresideError as exc:
        raise fail(str(exc), exc.exit_code) from None
    project = None
    if not no_context:
        from assistant.project_context import open_context

        project = open_context(settings)
        orchestrator.retriever = project.retriever
        if project.note and not as_json:
            typer.echo(project.note, err=True)
    try:
        code, session = _stream_turn(
            orchestrator, prompt, session, piped, as_json, not no_tools, pins, allow_web
        )
        if show_context:
            from assistant.cli_context import print_last_context

            print_last_context(orchestrator, session)
    finally:
        if project is not None:
            project.close()
    orchestrator.close()
    raise typer.Exit(code)


def _stream_turn(
    orchestrator: Any,
    prompt: str,
    session: str | None,
    context: str | None,
    as_json: bool,
    tools: bool = True,
    pins: list[Any] | None = None,
    allow_web: bool = False,
) -> tuple[int, str | None]:
    """Run the turn; Ctrl+C stops generation (the partial answer is saved). Returns the exit
    code and the session id."""
    from assistant.cli_chat_tools import ToolPrinter, terminal_approver

    cancel = threading.Event()
    printer = ToolPrinter(quiet=as_json)

    def on_sigint(_signum: int, _frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    done: Any = None
    sources: list[Any] = []
    errors: list[str] = []
    out = sys.stdout
    try:
        for event in orchestrator.run_turn(
            prompt, session_id=session, context=context, cancel=cancel, tools=tools,
            approve=terminal_approver(allow_web), pins=pins or (),
        ):
            if event.type == "done":
                session = event.session_id
            if printer.handle(event):
                continue
            if event.type == "token" and not as_json:
                out.write(event.text)
                out.flush()
                printer.text_written(event.text)
            elif event.type == "status" and not as_json:
                typer.echo(event.text, err=True)
            elif event.type == "context":
                shown, sources = sources, list(event.sources)
                if not as_json:
                    _print_context(event, sources, shown)
            elif event.type == "error":
                errors.append(event.message)
            elif event.type == "message_done":
                done = event
    except KeyboardInterrupt:
        typer.echo("\ninterrupted; the partial answer was saved", err=True)
        return 130, session
    finally:
        signal.signal(signal.SIGINT, previous)
    if as_json and done is not None:
        out.write(json.dumps(_json_answer(done, sources, printer.steps), ensure_ascii=False)
                  + "\n")
    elif not as_json:
        out.write("\n")
    out.flush()
    return _exit_code(errors, done), session


def _print_context(event: Any, sources: list[Any], shown: list[Any]) -> None:
    """On stderr: the code chunks this turn's prompt got (when they changed), or why none."""
    if sources and sources != shown:
        cited = ", ".join(s.citation for s in sources)
        typer.secho(f"context: {cited}", err=True, dim=True)
    elif event.left_out and not sources and not shown:
        typer.secho(f"context: no code ({event.left_out} chunk(s) found, not "
                    "relevant to the question)", err=True, dim=True)


def _json_answer(done: Any, sources: list[Any], steps: list[Any]) -> dict[str, Any]:
    """The one JSON object `chat --json` prints for a finished answer."""
    return {
        "session_id": done.session_id,
        "model": done.model,
        "content": done.content,
        "status": done.status,
        "provider": done.provider,
        "cost_usd": done.cost_usd,
        "sources": [dataclasses.asdict(s) for s in sources],
        "tool_steps": steps,
        "usage": {
            "prompt_tokens": done.usage.prompt_tokens,
            "completion_tokens": done.usage.completion_tokens,
        },
        "timings": {
            "ttft_ms": done.timings.ttft_ms,
            "tokens_per_s": done.timings.tokens_per_s,
            "total_ms": done.timings.total_ms,
        },
    }


def _exit_code(errors: list[str], done: Any) -> int:
    """1 after errors (each printed), 130 when the answer was stopped, else 0."""
    if errors:
        for message in errors:
            typer.echo(f"Error: {message}", err=True)
        return 1
    if done is not None and done.status == "cancelled":
        typer.echo(f"stopped; partial answer saved in session {done.session_id}", err=True)
        return 130
    return 0


def _register_subcommands() -> None:
    from assistant.cli_index import index, search
    from assistant.cli_keys import keys_app
    from assistant.cli_mcp import mcp_app
    from assistant.cli_models import models_app
    from assistant.cli_server import serve, token
    from assistant.cli_sessions import sessions_app
    from assistant.cli_tools import fetch, web
    from assistant.doctor import doctor

    app.add_typer(sessions_app, name="sessions")
    app.add_typer(keys_app, name="keys")
    app.add_typer(models_app, name="models")
    app.add_typer(mcp_app, name="mcp")
    app.command()(doctor)
    app.command()(index)
    app.command()(search)
    app.command()(serve)
    app.command()(token)
    app.command()(web)
    app.command()(fetch)


_register_subcommands()


_WRITE_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT}


def run() -> None:
    """Run the CLI; foreseeable problems end as one line on stderr, never a traceback."""
    try:
        app()
    except FiresideError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise SystemExit(exc.exit_code) from None
    except OSError as exc:
        if exc.errno not in _WRITE_ERRNOS:
            raise
        # A read-only or full data folder is foreseeable: one line, not a traceback.
        typer.echo(f"Error: cannot write {exc.filename or 'a file'}: {exc.strerror}", err=True)
        raise SystemExit(1) from None

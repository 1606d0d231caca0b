"""``fireside serve`` (the localhost API) and ``fireside token`` (its bearer token)."""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer

from assistant.cli_exit import exit_for
from assistant.errors import FiresideError


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option("--host", help="Address to listen on (default 127.0.0.1; anything but "
                     "loopback needs --allow-remote)."),
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", "-p", help="Port (default 8765; 0: a free one).",
                                 min=0, max=65535)
    ] = None,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow listening on a non-loopback address.")
    ] = False,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Path to a GGUF model file.")
    ] = None,
    allow_web: Annotated[
        bool, typer.Option("--allow-web", help="Let the model's web_search/fetch_url calls "
                           "run in /api/v1 turns (refused by default: nobody can approve them).")
    ] = False,
) -> None:
    """Serve the OpenAI-compatible API (/v1) and Fireside's API (/api/v1) on localhost.

    Every request needs 'Authorization: Bearer <token>' (`fireside token` prints it);
    editors use http://127.0.0.1:8765/v1 as an OpenAI base URL. See plugins/README.md.
    """
    from assistant.config import load_settings
    from assistant.orchestrator import Orchestrator
    from assistant.server.run import address, bind_socket, check_host, make_context
    from assistant.store import open_store

    model = model or (ctx.obj or {}).get("model")
    sock = None
    try:
        settings = load_settings(model=model)
        if allow_web:
            settings.server.allow_web_tools = True
        host = host or settings.server.host
        port = settings.server.port if port is None else port
        warning = check_host(host, allow_remote)
        if warning:
            typer.echo(warning, err=True)
        sock = bind_socket(host, port)
        port = int(sock.getsockname()[1])
        store = open_store()
        orchestrator = Orchestrator(settings, store)
        typer.echo(f"loading {orchestrator.model_name}…", err=True)
        orchestrator.warm_up()
        from assistant.project_context import open_context

        # Turns through /api/v1 get this folder's code as context, as in `fireside chat`.
        project = open_context(settings)
        orchestrator.retriever = project.retriever
        if project.note:
            typer.echo(project.note, err=True)
        server_ctx = make_context(settings, store, orchestrator, host=host, port=port)
        from assistant.server.run import uvicorn_server

        server = uvicorn_server(server_ctx)
    except FiresideError as exc:
        if sock is not None:
            sock.close()
        raise exit_for(exc) from None
    url = address(host, port)
    typer.echo(f"Fireside API on {url} (OpenAI base URL {url}/v1; token: `fireside token`; "
               "Ctrl+C stops)", err=True)
    try:
        # uvicorn hands Ctrl+C back once it has shut down, or returns when the signal came
        # before its handlers were installed; either way the server stopped on request
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
        typer.echo("stopped", err=True)
    finally:
        if server_ctx.jobs is not None:
            server_ctx.jobs.cancel_all()
        project.close()
        orchestrator.close()
        store.close()


def token(
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Replace the token (clients need the new one).")
    ] = False,
    show_path: Annotated[
        bool, typer.Option("--path", help="Print where the token file is instead.")
    ] = False,
) -> None:
    """Print the API's bearer token (created on first use).

    It lives in the file `api-token` in Fireside's data folder, readable only by you;
    editor plugins read it from there. `fireside token --path` prints the file's path.
    """
    from assistant.server.token import get_token, token_path, write_token

    try:
        if show_path:
            typer.echo(str(token_path()))
            return
        typer.echo(write_token() if rotate else get_token())
    except FiresideError as exc:
        raise exit_for(exc) from None

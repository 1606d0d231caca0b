"""The console-script entry point.

``fireside --version`` and plain ``fireside`` (the TUI) skip typer and the other commands'
imports: start-up time is most of what a user feels of them.
"""

from __future__ import annotations

import sys

from assistant import __version__


def open_tui(model: str | None = None, session: str | None = None) -> int:
    """Run the chat TUI; returns the exit code. Foreseeable problems print one line."""
    from assistant.errors import FiresideError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        sys.stderr.write(
            'Error: the chat TUI needs a terminal; for scripts use: fireside chat "question"\n'
        )
        return 1
    from assistant.config import load_settings
    from tui.app import run_tui

    try:
        run_tui(load_settings(model=model), session_id=session)
    except FiresideError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return exc.exit_code
    _exit_now_if_heavy()
    return 0


def _exit_now_if_heavy() -> None:
    """End the process at once after a clean TUI shutdown when torch is loaded (the
    indexer's embedder): everything is saved and closed by now, and the interpreter's own
    teardown of torch/sentence-transformers took seconds after the screen was gone."""
    if "torch" not in sys.modules:
        return
    import logging
    import os

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def main() -> None:
    args = sys.argv[1:]
    if args in (["--version"], ["-V"]):
        sys.stdout.write(f"fireside {__version__}\n")
        return
    if not args:
        raise SystemExit(open_tui())
    from assistant.cli import run

    run()


if __name__ == "__main__":
    main()

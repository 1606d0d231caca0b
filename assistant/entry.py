"""The console-script entry point. ``fireside --version`` answers before typer loads."""

from __future__ import annotations

import sys

from assistant import __version__


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        sys.stdout.write(f"fireside {__version__}\n")
        return
    from assistant.cli import run

    run()


if __name__ == "__main__":
    main()

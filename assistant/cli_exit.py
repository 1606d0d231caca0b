"""The one way a command stops on a foreseeable problem: one line on stderr, an exit code.

Exports :func:`fail` and :func:`exit_for`.
"""

from __future__ import annotations

import typer

from assistant.errors import FiresideError


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error to stderr and return the Exit to raise."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


def exit_for(exc: FiresideError) -> typer.Exit:
    """:func:`fail` with a FiresideError's text and exit code."""
    return fail(str(exc), exc.exit_code)

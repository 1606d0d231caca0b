"""Fireside's terminal UI (Textual).

Exports :class:`FiresideApp` (the app, built around an Orchestrator) and :func:`run_tui`
(open the store, build the orchestrator, run the app, close everything). The model loads in
a worker thread after the first paint; nothing heavy is imported here.
"""

from tui.app import FiresideApp, run_tui

__all__ = ["FiresideApp", "run_tui"]

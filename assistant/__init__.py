"""Fireside's core: configuration, storage, events, the orchestrator and the CLI.

Public surface: ``__version__``; the rest lives in submodules (``assistant.config``,
``assistant.store``, ``assistant.events``, ``assistant.orchestrator``, ``assistant.errors``).
Importing this package has no side effects and imports nothing heavy.
"""

__version__ = "0.1.0"

"""Hosted models, for front ends: picking one, and what a turn would send to one.

Front ends use these rather than the router (:mod:`providers.router`), which stays the core's
business:

* :func:`with_hosted_model` — settings that send every turn to ``NAME`` or ``NAME/MODEL`` of a
  configured provider (``chat --model PROVIDER/MODEL``, the TUI's model picker), or ``None``.
* :class:`HostedPreview` — what a fallback turn would send to a hosted model, handed to an
  ask-before-sending dialog.
"""

from __future__ import annotations

from providers.router import HostedPreview, with_hosted_model

__all__ = ["HostedPreview", "with_hosted_model"]

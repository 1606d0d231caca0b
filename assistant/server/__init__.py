"""The localhost API (``fireside serve``): OpenAI-compatible ``/v1`` and Fireside's ``/api/v1``.

Modules: ``run`` (bind checks, uvicorn in the foreground or a background thread —
:class:`run.BackgroundServer`, :func:`run.make_context`), ``app`` (the FastAPI app behind
``security``, the pure-ASGI front door), ``openai_routes`` and ``fireside_routes``, what the
routes share (``context``: the server's state and the served model's names; ``responses``:
OpenAI-shaped errors; ``streaming``: a turn as a response), ``reconcile`` (OpenAI message
lists ↔ sessions), ``turns`` (turns in threads, streamed to the event loop), ``index_jobs``,
``token`` (the bearer token file). The model queue (one model, many clients) is
:mod:`assistant.model_queue`, shared with the TUI. FastAPI and uvicorn are imported only when
a server starts; the protocol is documented in ``plugins/README.md``.
"""

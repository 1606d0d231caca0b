"""The localhost API (``fireside serve``): OpenAI-compatible ``/v1`` and Fireside's ``/api/v1``.
FastAPI and uvicorn are imported only when the server starts."""

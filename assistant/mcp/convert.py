"""MCP ⇄ Fireside: tool names, argument models from a tool's JSON schema, and a call's result
as the text the model sees."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from assistant.errors import ToolError

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
NAME_CHARS = 64
DESCRIPTION_CHARS = 1024
ERROR_CHARS = 600


def tool_name(server: str, tool: str) -> str:
    """``server.tool``, the registry's name for an MCP tool (characters other than letters,
    digits, ``-`` and ``_`` become ``_``; a leading digit gets a ``_``)."""
    safe = _UNSAFE.sub("_", tool)[:NAME_CHARS] or "_"
    if safe[0].isdigit() or safe[0] == "-":
        safe = "_" + safe
    return f"{server}.{safe}"


def description(server: str, text: str | None) -> str:
    text = " ".join((text or "").split())
    if len(text) > DESCRIPTION_CHARS:
        text = text[: DESCRIPTION_CHARS - 1] + "…"
    return text or f"A tool of the MCP server {server}."


def args_model(name: str, schema: dict[str, Any] | None) -> type[BaseModel]:
    """A pydantic model whose JSON schema is the tool's ``inputSchema`` and whose validation
    checks arguments against it (jsonschema); the arguments pass through unchanged."""
    schema = dict(schema or {"type": "object", "properties": {}})
    schema.setdefault("type", "object")
    validator = _validator(schema)

    class McpArgs(BaseModel):
        model_config = ConfigDict(extra="allow")

        @model_validator(mode="before")
        @classmethod
        def _check(cls, data: Any) -> Any:
            if data is None:
                data = {}
            if not isinstance(data, dict):
                raise ValueError("arguments must be an object")
            if validator is not None:
                errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
                if errors:
                    raise ValueError("; ".join(_error_text(e) for e in errors[:3]))
            return data

        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return json.loads(json.dumps(schema))  # a copy callers may change

    McpArgs.__name__ = McpArgs.__qualname__ = f"McpArgs_{_UNSAFE.sub('_', name)}"
    return McpArgs


def _validator(schema: dict[str, Any]) -> Any:
    try:
        from jsonschema import validators
        from jsonschema.exceptions import SchemaError
    except ImportError:  # validation is the server's job too; this only gives better errors
        return None
    try:
        cls = validators.validator_for(schema)
        cls.check_schema(schema)
        return cls(schema)
    except (SchemaError, TypeError):
        return None


def _error_text(error: Any) -> str:
    where = ".".join(str(p) for p in error.path)
    return f"{where}: {error.message}" if where else str(error.message)


def result_text(result: Any) -> str:
    """The model's view of a ``CallToolResult``: text blocks, then the structured content
    (unless a text block already says the same), and a one-line note for each image, audio
    or resource block. An ``isError`` result raises ToolError with that text."""
    parts: list[str] = []
    texts: list[str] = []
    for block in result.content or []:
        kind = getattr(block, "type", None)
        if kind == "text":
            texts.append(block.text)
            parts.append(block.text)
        else:
            parts.append(_note(block))
    structured = getattr(result, "structured_content", None)
    if structured is not None and not _said(structured, texts):
        parts.append(json.dumps(structured, ensure_ascii=False, indent=1))
    text = "\n".join(p for p in parts if p)
    if getattr(result, "is_error", False):
        message = " ".join(text.split()) or "the tool reported an error"
        if len(message) > ERROR_CHARS:
            message = message[: ERROR_CHARS - 1] + "…"
        raise ToolError(message)
    return text or "(the tool returned nothing)"


def _said(structured: Any, texts: list[str]) -> bool:
    """Whether a text block already carries ``structured`` (servers often send both; SDK
    servers wrap a plain value as ``{"result": value}``)."""
    wanted = [structured]
    if isinstance(structured, dict) and list(structured) == ["result"]:
        wanted.append(structured["result"])
    for text in texts:
        if text in wanted:
            return True
        try:
            if json.loads(text) in wanted:
                return True
        except ValueError:
            continue
    return False


def _note(block: Any) -> str:
    kind = getattr(block, "type", "content")
    if kind in ("image", "audio"):
        return f"[{kind}: {block.mime_type}, {_size(block.data)}; not shown]"
    if kind == "resource_link":
        return f"[resource link: {block.uri}{_named(block)}]"
    if kind == "resource":
        res = block.resource
        mime = getattr(res, "mime_type", None) or "unknown type"
        size = _size(res.blob) if hasattr(res, "blob") else f"{len(res.text)} characters"
        return f"[resource: {res.uri}, {mime}, {size}; not shown]"
    return f"[{kind} content; not shown]"


def _named(block: Any) -> str:
    name = getattr(block, "name", None)
    return f" ({name})" if name else ""


def _size(data: str) -> str:
    try:
        n = len(base64.b64decode(data, validate=False))
    except (ValueError, TypeError):
        n = len(data) * 3 // 4
    return f"{n / 1024:.0f} kB" if n >= 1024 else f"{n} bytes"

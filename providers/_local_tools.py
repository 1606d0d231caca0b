"""Tool calls for local GGUF models, two ways.

* **Grammar-constrained JSON** (any GGUF): the tools and the reply format are described in
  the system prompt and the model's next message is constrained by llama.cpp's JSON-schema
  grammar to ``{"tool": <name>, "arguments": {...}}`` (the tool's own schema) or
  ``{"answer": "..."}``. :class:`JsonReplyDecoder` streams the answer's text out of the JSON
  string as it is generated and turns a tool reply into a :class:`ToolCall`. Earlier tool
  calls and results are written back into the chat as that JSON and as user messages, so the
  chat stays plain user/assistant turns every template can format.
* **Native** (templates that take ``tools``, e.g. Qwen 2.5 / Hermes): the template renders
  the tools and the calls itself; :class:`NativeCallParser` pulls
  ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` out of the streamed text
  (in :mod:`providers._native_tools`, re-exported here).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from assistant.errors import ProviderError
from providers._native_tools import (
    CLOSE,
    OPEN,
    NativeCallParser,
    native_messages,
    native_tools,
    template_uses_tools,
)
from providers.base import ChatMessage, ToolCall, ToolSpec

__all__ = [
    "CLOSE",
    "OPEN",
    "JsonReplyDecoder",
    "NativeCallParser",
    "asks_for_tool",
    "describe_tools",
    "grammar_for",
    "json_chat",
    "native_messages",
    "native_tools",
    "reply_schema",
    "template_uses_tools",
    "tool_result_text",
    "tools_for",
]

# -- grammar-constrained JSON --------------------------------------------------------------


def reply_schema(tools: tuple[ToolSpec, ...]) -> dict[str, Any]:
    """The JSON schema of one reply: a call to one of ``tools`` or an answer."""
    options: list[dict[str, Any]] = [
        {
            "type": "object",
            "properties": {
                "tool": {"const": tool.name},
                "arguments": _plain_schema(tool.parameters),
            },
            "required": ["tool", "arguments"],
        }
        for tool in tools
    ]
    options.append(
        {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    )
    return {"oneOf": options}


def _plain_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's argument schema without keys that only document it (``title``), and with
    ``additionalProperties: false`` so the grammar does not invent extra arguments."""
    out = {k: v for k, v in schema.items() if k not in ("title", "description")}
    if out.get("type") == "object":
        out.setdefault("additionalProperties", False)
        out["properties"] = {
            name: {k: v for k, v in prop.items() if k != "title"}
            for name, prop in (out.get("properties") or {}).items()
        }
    return out


@lru_cache(maxsize=16)
def _grammar(schema_json: str) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema_json, verbose=False)


def grammar_for(tools: tuple[ToolSpec, ...]) -> Any:
    """llama.cpp's grammar for :func:`reply_schema` (cached per set of tools)."""
    try:
        return _grammar(json.dumps(reply_schema(tools)))
    except (ValueError, RuntimeError, KeyError, NotImplementedError) as exc:
        names = ", ".join(t.name for t in tools)
        raise ProviderError(
            f"cannot build a JSON grammar for the tools {names}: {exc}"
        ) from None


# Words and shapes that show a message asks for a tool (a file, the code, the web, a URL).
# A message without any (a greeting, a general question) is answered without tools on the
# grammar path: a small model offered tools calls them for "hello".
_INTENT = re.compile(
    r"\b(read|open|show|print|cat|contents?|file|files|code|codebase|source|search|find|grep|"
    r"look\s+up|lookup|web|online|internet|google|fetch|download|url|link|page|website|site|"
    r"docs?|documentation|defined|definition|function|method|class|module|project|repo)\b"
    r"|https?://|www\.|[A-Za-z_][\w-]*\.[A-Za-z][\w]{0,4}\b|\w/\w",
    re.IGNORECASE,
)


def asks_for_tool(messages: list[ChatMessage]) -> bool:
    """Whether the latest user message could need a tool (see ``_INTENT``)."""
    for message in reversed(messages):
        if message["role"] == "user":
            return bool(_INTENT.search(message["content"]))
    return False


# When to call Fireside's own tools, in words (no values a model could copy).
WHEN: dict[str, str] = {
    "read_file": " Call it when the user names a file to read, open or show.",
    "code_search": " Call it when the user asks where something is in the code.",
    "web_search": " Call it when the user asks to search the web, online or the internet.",
    "fetch_url": " Call it when the user gives a URL (http or https) to open or fetch.",
}


_POINTS_TO: dict[str, re.Pattern[str]] = {
    "fetch_url": re.compile(r"https?://|www\.", re.IGNORECASE),
    "web_search": re.compile(r"\b(web|online|internet|google|look\s+up|lookup|news)\b",
                             re.IGNORECASE),
    "read_file": re.compile(
        r"[A-Za-z_][\w-]*\.[A-Za-z]\w{0,4}\b|\w/\w|\b(file|contents?)\b", re.IGNORECASE),
    "code_search": re.compile(
        r"\b(code|codebase|code\s+base|defined|definition|function|method|class|module|"
        r"where)\b", re.IGNORECASE),
}


def tools_for(messages: list[ChatMessage], tools: tuple[ToolSpec, ...]) -> tuple[ToolSpec, ...]:
    """The tools a small model on the grammar path is offered for this message: none for a
    greeting or general question (:func:`asks_for_tool`); else the built-in tools its words
    point to (a URL: fetch_url; "web": web_search; a file name: read_file; "code", "where",
    "function": code_search) plus any other tool; all of them when no word points to one.
    Fewer choices, fewer wrong calls (``bench/tool_calls.py``)."""
    if not asks_for_tool(messages):
        return ()
    text = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    rest = re.sub(r"https?://\S+|www\.\S+", " ", text)  # a URL's parts are no file name
    pointed = {name for name, pattern in _POINTS_TO.items()
               if pattern.search(text if name == "fetch_url" else rest)}
    if not pointed & {t.name for t in tools}:
        return tools
    return tuple(t for t in tools if t.name in pointed or t.name not in _POINTS_TO)


def describe_tools(tools: tuple[ToolSpec, ...]) -> str:
    """The system prompt section: each tool with the first sentence of its description and
    its argument names, then the reply format. No example values: small models copy them
    (SmolLM2-135M called read_file(path="docs/setup.md") for "hello"), and answering without
    a tool is stated as the usual case (measured by ``bench/tool_calls.py``)."""
    lines = ["Tools:"]
    for tool in tools:
        first = tool.description.split(". ")[0].rstrip(".")
        when = WHEN.get(tool.name, "")
        lines.append(f"- {tool.name}: {first}.{when} Arguments: {_argument_names(tool)}.")
    lines.append(
        "Reply with JSON only. Most messages need no tool: greetings, general questions and "
        'explanations get a JSON object whose "answer" key holds your reply. Only when the '
        "user asks to read a file, search the code, search the web or open a URL, reply "
        'with a JSON object with "tool" (its name) and "arguments". When a tool result is '
        'in the chat, put what it says in "answer".'
    )
    return "\n".join(lines)


def _argument_names(tool: ToolSpec) -> str:
    props = tool.parameters.get("properties") or {}
    required = set(tool.parameters.get("required") or ())
    names = [name + ("" if name in required else " (optional)") for name in props]
    return ", ".join(names) or "none"


def tool_result_text(message: ChatMessage, detail: bool = True) -> str:
    """A tool result as the user message a plain chat template shows the model. A failure
    gives its reason only while the model may fix the call (``detail``): a final answer
    should not repeat refusal messages."""
    name = message.get("name") or "tool"
    if message.get("is_error"):
        why = f" ({message['content']})" if detail else ""
        return (f"The tool {name} could not be used{why}.\n"
                "Answer the user without it, in plain words.")
    return (f"The tool {name} returned:\n{message['content']}\n"
            "Now answer the user with this result.")


def json_chat(messages: list[ChatMessage], tools: tuple[ToolSpec, ...]) -> list[ChatMessage]:
    """``messages`` as plain turns for the grammar path: the tool section appended to the
    system prompt, assistant turns as reply JSON, tool results as user messages (joined
    with a user message next to them so roles still alternate). Without ``tools``: just
    the tool steps as plain turns (calls as JSON, answers as they are)."""
    section = describe_tools(tools) if tools else ""
    out: list[ChatMessage] = []
    for m in messages:
        role = m["role"]
        if role == "system":
            out.append({"role": "system", "content": f"{m['content']}\n\n{section}".strip()})
            continue
        if role == "assistant":
            calls = m.get("tool_calls") or []
            if calls and tools:
                call = calls[0]
                content = json.dumps({"tool": call.name, "arguments": call.arguments},
                                     ensure_ascii=False)
            elif calls:
                # No tools offered now (the answer after the loop stopped): the calls are
                # left out (their results follow as the user's text), so the answer has no
                # call or JSON to imitate.
                if not m["content"]:
                    continue
                content = m["content"]
            elif tools:
                content = json.dumps({"answer": m["content"]}, ensure_ascii=False)
            else:
                content = m["content"]
            if out and out[-1]["role"] == "assistant":
                out[-1] = {"role": "assistant", "content": out[-1]["content"] + "\n" + content}
            else:
                out.append({"role": "assistant", "content": content})
            continue
        text = tool_result_text(m, bool(tools)) if role == "tool" else m["content"]
        if out and out[-1]["role"] == "user":
            out[-1] = {"role": "user", "content": out[-1]["content"] + "\n\n" + text}
        else:
            out.append({"role": "user", "content": text})
    if section and (not out or out[0]["role"] != "system"):
        out.insert(0, {"role": "system", "content": section})
    return out


_HEAD = re.compile(r'\s*\{\s*"(answer|tool)"\s*:\s*("?)')
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
            "t": "\t"}


class JsonReplyDecoder:
    """Reads a grammar-constrained reply as it streams.

    :meth:`feed` returns the answer's text decoded so far (JSON escapes resolved), so an
    answer streams token by token; a tool reply yields no text and :meth:`finish` returns
    its :class:`ToolCall`.
    """

    def __init__(self, call_id: str = "call_0") -> None:
        self.call_id = call_id
        self.raw = ""
        self.kind: str | None = None  # "answer" | "tool" once the first key is read
        self._pos = 0  # where the answer string's undecoded text starts in ``raw``
        self._closed = False
        self.text = ""
        self._head = ""  # the answer's start, held while it is only dots (a copied "...")

    def feed(self, piece: str) -> str:
        self.raw += piece
        if self.kind is None:
            match = _HEAD.match(self.raw)
            if match is None or (match.group(1) == "answer" and not match.group(2)):
                return ""
            self.kind = match.group(1)
            self._pos = match.end()
        if self.kind != "answer" or self._closed:
            return ""
        out = self._decode()
        if not self.text:
            self._head += out
            out = _without_placeholder(self._head)
            if out is None:
                return ""
        self.text += out
        return out

    def _decode(self) -> str:
        raw, i, out = self.raw, self._pos, []
        while i < len(raw):
            ch = raw[i]
            if ch == '"':
                self._closed = True
                i += 1
                break
            if ch != "\\":
                out.append(ch)
                i += 1
                continue
            if i + 1 >= len(raw):
                break  # the escape is not complete yet
            esc = raw[i + 1]
            if esc != "u":
                out.append(_ESCAPES.get(esc, esc))
                i += 2
                continue
            code = _hex(raw[i + 2 : i + 6])
            if code is None:
                if len(raw) - i < 6:
                    break
                out.append(raw[i : i + 2])  # not valid JSON; keep it visible
                i += 2
                continue
            if 0xD800 <= code < 0xDC00:  # a surrogate pair needs the second half
                if len(raw) - i < 12:
                    break
                low = _hex(raw[i + 8 : i + 12]) if raw[i + 6 : i + 8] == "\\u" else None
                if low is not None and 0xDC00 <= low < 0xE000:
                    out.append(chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)))
                    i += 12
                    continue
                out.append("\ufffd")
                i += 6
                continue
            out.append(chr(code))
            i += 6
        self._pos = i
        return "".join(out)

    def finish(self) -> ToolCall | None:
        """The tool call of a tool reply; None for an answer. Raises ProviderError when a
        tool reply is not complete JSON (cut off by the token limit)."""
        if self.kind == "answer":
            return None
        try:
            data = json.loads(self.raw, strict=False)
        except ValueError:
            if self.kind is None and not self.raw.strip().startswith("{"):
                return None  # not JSON at all (no grammar was applied): plain text
            raise ProviderError(
                "the model's tool call was cut off before its JSON was complete "
                "(raise max_tokens or ask again)"
            ) from None
        if isinstance(data, dict) and isinstance(data.get("answer"), str):
            self.kind = "answer"
            self.text = _without_placeholder(data["answer"] + " ") or ""
            self.text = self.text[:-1] if self.text.endswith(" ") else self.text
            return None
        if not isinstance(data, dict) or not isinstance(data.get("tool"), str):
            raise ProviderError("the model replied with JSON that is neither a call nor an answer")
        arguments = data.get("arguments")
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise ProviderError(
                f"the model called {data['tool']!r} with arguments that are not a JSON object"
            )
        return ToolCall(self.call_id, data["tool"], arguments)


def _without_placeholder(head: str) -> str | None:
    """An answer's start without dots copied from a ``"..."`` placeholder (``.2 + 2 = 4``,
    ``...I can help``); None while it is still only dots and spaces. A dot before a letter
    (``.NET``, ``.env``) is kept."""
    body = head.lstrip(" .…")
    if not body:
        return None
    start = head.lstrip(" ")
    if start.startswith(".") and not start.startswith("..") and body[:1].isalpha():
        return start
    return body


def _hex(text: str) -> int | None:
    if len(text) != 4 or not all(c in "0123456789abcdefABCDEF" for c in text):
        return None
    return int(text, 16)

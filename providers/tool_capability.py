"""Can a local model call tools reliably? Judged from its chat template and its family.

A template that renders a ``tools`` variable was written for tool calling (Qwen 2.5, Hermes,
Llama 3.1+, Mistral…): such a model was trained to call tools in that format. Other models
get tools only through a JSON grammar, and small ones misfire (SmolLM2-135M called
``read_file`` for "hello"). :data:`CAPABLE_FAMILIES` lists families known to follow the
grammar format well even when their GGUF's template does not render tools.

``[tools] offer = "auto"`` (the default) offers tools to a local model only when
:func:`calls_tools_reliably` says so; ``"always"`` and ``"never"`` override it.
"""

from __future__ import annotations

import re

# Families that call tools reliably (matched in the model's file or general name, lower
# case, ignoring "-", "_", "." and spaces). Keep this list short and documented in
# docs/privacy-and-tools.md.
CAPABLE_FAMILIES: tuple[str, ...] = (
    "qwen2.5",
    "qwen3",
    "llama3.1",
    "llama3.2",
    "llama3.3",
    "hermes",
    "mistralnemo",
    "mistralsmall",
    "functionary",
    "granite3",
    "phi4",
)

_TAG = re.compile(r"\{%-?(.*?)-?%\}|\{\{-?(.*?)-?\}\}", re.DOTALL)
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", re.DOTALL)
_TOOLS = re.compile(r"(?<![\w.])tools\b")
_PROBE_NAME = "fireside_probe_tool"


def template_renders_tools(template: str) -> bool:
    """True when a Jinja chat template uses a ``tools`` variable in its code (``{% if tools
    %}``, ``{{ tools | tojson }}``…; the word in literal text or inside a string does not
    count) and rendering it with one tool really puts that tool in the prompt. The template
    runs in the sandboxed renderer (templates are untrusted); one that fails to render with a
    tool does not render tools natively."""
    if not template or not _uses_tools(template):
        return False
    from providers import chat_template

    tool = {
        "type": "function",
        "function": {
            "name": _PROBE_NAME,
            "description": "probe",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    }
    try:
        text = chat_template.render(template, [{"role": "user", "content": "hi"}], tools=[tool])
    except Exception:  # a broken or unusual template: not native
        return False
    return _PROBE_NAME in text


def _uses_tools(template: str) -> bool:
    for match in _TAG.finditer(template):
        code = _STRING.sub("''", match.group(1) or match.group(2) or "")
        if _TOOLS.search(code):
            return True
    return False


def _squash(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name.lower())


def capable_family(name: str) -> str | None:
    """The entry of :data:`CAPABLE_FAMILIES` ``name`` belongs to, or None."""
    squashed = _squash(name)
    for family in CAPABLE_FAMILIES:
        if _squash(family) in squashed:
            return family
    return None


def calls_tools_reliably(template: str, *names: str) -> bool:
    """Whether tools should be offered to a local model under ``offer = "auto"``: its
    template renders tools, or one of ``names`` (file name, ``general.name``) is a capable
    family."""
    return template_renders_tools(template) or any(capable_family(n) for n in names if n)

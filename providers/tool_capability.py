"""Whether a GGUF's chat template can put tool definitions into the prompt by itself.

Exports :func:`template_renders_tools`.
"""

from __future__ import annotations

import re

_PROBE_NAME = "fireside_probe_tool"
_MENTIONS_TOOLS = re.compile(r"\btools\b")


def template_renders_tools(template: str) -> bool:
    """True when rendering ``template`` with one tool puts that tool's name in the prompt.

    The template runs in the sandboxed renderer (templates are untrusted); a template that
    fails to render, or ignores ``tools``, does not render tools natively."""
    if not template or not _MENTIONS_TOOLS.search(template):
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
        text = chat_template.render(
            template, [{"role": "user", "content": "hi"}], tools=[tool]
        )
    except Exception:  # a broken or unusual template: not native
        return False
    return _PROBE_NAME in text

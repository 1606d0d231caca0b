"""[tools] offer: tools only for models that can call them. The template check
(providers.tool_capability), the capable families, and the orchestrator: a weak local model
gets no tools but keeps its code context, and is told why once; "always" and "never"."""

from __future__ import annotations

import pytest

from assistant.config import load_settings
from assistant.events import ContextEvent, StatusEvent
from assistant.orchestrator import Orchestrator
from assistant.store import Store
from assistant.tool_offer import WEAK_MODEL
from providers.tool_capability import (
    calls_tools_reliably,
    capable_family,
    template_renders_tools,
)
from tests.support.tool_scripted import UPPER, ToolScriptedProvider, tool_registry

QWEN_LIKE = (
    "{%- if tools %}<|im_start|>system\n# Tools\n{%- for tool in tools %}"
    "{{ tool | tojson }}{%- endfor %}<|im_end|>\n{%- endif %}"
    "{%- for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n"
    "{%- endfor %}"
)
SMOL_LIKE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by "
    "Hugging Face. You can use tools.<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}"
)


def test_a_template_that_uses_tools_renders_them() -> None:
    assert template_renders_tools(QWEN_LIKE)
    assert template_renders_tools("{{ tools|tojson }}")
    assert template_renders_tools(
        "{%- if tools is defined and tools %}{{ tools | tojson }}{% endif %}"
    )
    # Uses the variable but never puts the tools into the prompt: not native.
    assert not template_renders_tools("{%- if tools is defined and tools %}x{% endif %}")


def test_the_word_in_text_or_strings_does_not_count() -> None:
    assert not template_renders_tools(SMOL_LIKE)  # "tools" inside a string literal
    assert not template_renders_tools("You can use tools. {{ messages[0].content }}")
    assert not template_renders_tools("{{ message.tools_used }}{{ x.tools }}")
    assert not template_renders_tools("")


def test_capable_families() -> None:
    assert capable_family("Qwen2.5-7B-Instruct-Q4_K_M") == "qwen2.5"
    assert capable_family("Meta-Llama-3.1-8B-Instruct") == "llama3.1"
    assert capable_family("SmolLM2-135M-Instruct.Q4_1") is None
    assert capable_family("gemma-3-270m") is None
    assert calls_tools_reliably("", "SmolLM2-135M-Instruct.Q4_1") is False
    assert calls_tools_reliably(QWEN_LIKE, "whatever") is True


class WeakProvider(ToolScriptedProvider):
    """A local model that cannot call tools (as LlamaCppProvider says for SmolLM2)."""

    calls_tools_reliably = False


def orchestrator(store: Store, provider: ToolScriptedProvider, **tools: object) -> Orchestrator:
    settings = load_settings(tools=tools)
    return Orchestrator(settings, store, provider_factory=lambda _s: provider,
                        tools=tool_registry(settings, UPPER))


def test_auto_offers_a_weak_model_no_tools_and_says_so_once(store: Store) -> None:
    provider = WeakProvider(["Hello!"])
    orch = orchestrator(store, provider)
    first = list(orch.run_turn("hello"))
    second = list(orch.run_turn("hello again"))
    assert provider.options[0].tools == () and provider.options[1].tools == ()
    notes = [e.text for e in first + second if isinstance(e, StatusEvent)]
    assert notes.count(WEAK_MODEL) == 1
    context = next(e for e in first if isinstance(e, ContextEvent))
    assert context.tools_off == WEAK_MODEL


def test_capable_providers_keep_their_tools(store: Store) -> None:
    provider = ToolScriptedProvider(["Hi."])  # no verdict: hosted or native, tools on
    orch = orchestrator(store, provider)
    events = list(orch.run_turn("hello"))
    assert [t.name for t in provider.options[0].tools] == ["shout"]
    assert not any(isinstance(e, StatusEvent) and "tools off" in e.text for e in events)


@pytest.mark.parametrize(("offer", "offered"), [("always", ["shout"]), ("never", [])])
def test_always_and_never_override_auto(store: Store, offer: str, offered: list[str]) -> None:
    provider = WeakProvider(["Hi."])
    list(orchestrator(store, provider, offer=offer).run_turn("hello"))
    assert [t.name for t in provider.options[0].tools] == offered

"""Chat templates come from model files, so they render in a Jinja sandbox."""

from __future__ import annotations

import jinja2
import pytest
from jinja2.exceptions import SecurityError

from providers import chat_template


def test_chatml_fallback_renders_messages_and_generation_prompt() -> None:
    text = chat_template.render(
        chat_template.CHATML,
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
    )
    assert text == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_template_cannot_reach_python_internals() -> None:
    evil = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    with pytest.raises(SecurityError):
        chat_template.render(evil, [{"role": "user", "content": "x"}])


def test_template_cannot_mutate_its_inputs() -> None:
    evil = "{% set _ = messages.append({'role': 'user', 'content': 'injected'}) %}ok"
    with pytest.raises(SecurityError):
        chat_template.render(evil, [{"role": "user", "content": "x"}])


def test_raise_exception_helper_is_a_template_error() -> None:
    tpl = "{{ raise_exception('roles must alternate') }}"
    with pytest.raises(jinja2.TemplateError, match="roles must alternate"):
        chat_template.render(tpl, [])


class _FakeVocab:
    def token_get_text(self, token_id: int) -> str:
        return {1: "<s>", 2: "</s>"}[token_id]


class _FakeLlama:
    """Just the metadata surface LlamaCppProvider reads from a loaded GGUF."""

    def __init__(self, template: str | None) -> None:
        self.metadata = {"tokenizer.ggml.bos_token_id": "1", "tokenizer.ggml.eos_token_id": "2"}
        if template is not None:
            self.metadata["tokenizer.chat_template"] = template
        self._model = _FakeVocab()

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        return [1] if add_bos else []


def _provider_with(template: str | None):
    from pathlib import Path

    from providers.llama_cpp import LlamaCppProvider

    provider = LlamaCppProvider(Path("model.gguf"), probe=False)
    provider._configure_template(_FakeLlama(template))
    return provider


def test_gguf_template_is_used_with_its_bos_token() -> None:
    provider = _provider_with("{{ bos_token }}{% for m in messages %}[{{ m.content }}]{% endfor %}")
    assert provider.template_note is None
    assert provider.format_prompt([{"role": "user", "content": "hi"}]) == "<s>[hi]"


def test_gguf_without_template_falls_back_to_chatml_and_says_so() -> None:
    provider = _provider_with(None)
    assert "no chat template" in provider.template_note
    assert provider.format_prompt([{"role": "user", "content": "hi"}]).startswith(
        "<|im_start|>user\nhi<|im_end|>"
    )


def test_broken_gguf_template_falls_back_and_says_why() -> None:
    provider = _provider_with("{% for m in messages %}{{ m.content ")
    assert "fails" in provider.template_note
    assert "<|im_start|>" in provider.format_prompt([{"role": "user", "content": "hi"}])

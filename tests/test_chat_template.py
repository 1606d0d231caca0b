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

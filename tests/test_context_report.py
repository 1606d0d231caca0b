"""The context inspector's report (assistant.context_report) and pins (assistant.pins):
parts add up to what the model evaluated, dropped messages are listed, pins are refused
like read_file refuses, saved with the session, re-read each turn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.context_inspect import add_pin, last_report, preview
from assistant.context_report import ContextReport, format_report
from assistant.events import MessageDoneEvent, StatusEvent
from assistant.orchestrator import Orchestrator
from assistant.pins import Pin, PinError, parse_pin
from assistant.store import open_store
from providers.llama_cpp import LlamaCppProvider
from providers.models import default_model_path
from tests.support.scripted import ScriptedProvider


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "app.py").write_text("def main():\n    return 42\n" * 5)
    (root / ".env").write_text("TOKEN=secret\n")
    (root / "big.txt").write_text("word " * 20000)
    (tmp_path / "outside.py").write_text("x = 1\n")
    return root


def _scripted(project: Path, n_ctx: int = 2048, **settings: object) -> Orchestrator:
    provider = ScriptedProvider(["An answer."], context_size=n_ctx)
    base = {"tools": {"enabled": False}}
    base.update(settings)
    return Orchestrator(load_settings(**base), open_store(), provider_factory=lambda _s: provider,
                        project_root=project)


def _done(events: list) -> MessageDoneEvent:
    return next(e for e in events if isinstance(e, MessageDoneEvent))


def test_parse_pin() -> None:
    assert parse_pin("src/a.py") == Pin("src/a.py")
    assert parse_pin("src/a.py:10-20") == Pin("src/a.py", 10, 20)
    assert parse_pin("a.py:7") == Pin("a.py", 7, 7)
    with pytest.raises(PinError):
        parse_pin("a.py:9-3")


@pytest.mark.parametrize(
    ("spec", "reason"),
    [(".env", "secrets"), ("../outside.py", "outside the project"), ("nope.py", "no file"),
     ("big.txt", "tokens")],
)
def test_bad_pins_are_refused(project: Path, spec: str, reason: str) -> None:
    orch = _scripted(project)
    with pytest.raises(PinError, match=reason):
        add_pin(orch, None, parse_pin(spec), [])


def test_a_symlink_to_a_secret_is_refused_like_read_file(project: Path) -> None:
    (project / "innocent.txt").symlink_to(project / ".env")
    orch = _scripted(project)
    with pytest.raises(PinError, match="secrets"):
        add_pin(orch, None, parse_pin("innocent.txt"), [])


def test_pins_are_saved_sent_every_turn_and_re_read(project: Path) -> None:
    orch = _scripted(project)
    provider = orch.provider
    session = orch.store.create_session("x").id
    add_pin(orch, session, parse_pin("app.py:1-2"), [])
    _done(list(orch.run_turn("What does main return?", session_id=session)))
    sent = provider.requests[-1][-1]["content"]
    assert "app.py:1-2" in sent and "return 42" in sent and sent.endswith("What does main return?")
    (project / "app.py").write_text("def main():\n    return 7\n")
    _done(list(orch.run_turn("And now?", session_id=session)))
    assert "return 7" in provider.requests[-1][-1]["content"]
    # History keeps the question as typed; the pin is only in the latest message.
    assert provider.requests[-1][-3]["content"] == "What does main return?"
    assert orch.store.pins(session) == [("app.py", 1, 2)]


def test_a_one_turn_pin_is_not_saved(project: Path) -> None:
    orch = _scripted(project)
    done = _done(list(orch.run_turn("Explain", pins=[Pin("app.py")])))
    assert "return 42" in orch.provider.requests[-1][-1]["content"]
    assert orch.store.pins(done.session_id) == []


def test_the_saved_report_adds_up_and_lists_dropped_messages(project: Path) -> None:
    orch = _scripted(project, 320, max_tokens=32)
    session = orch.store.create_session("x").id
    for i in range(6):
        orch.store.add_message(session, "user", f"question {i} " + "word " * 20)
        orch.store.add_message(session, "assistant", f"answer {i} " + "word " * 20)
    events = list(orch.run_turn("last one", session_id=session, pins=[parse_pin("app.py:1-1")]))
    done = _done(events)
    assert not [e.text for e in events if isinstance(e, StatusEvent) and "pin" in e.text]
    report = last_report(orch, session)
    assert report is not None and report.estimated
    assert report.prompt_tokens == done.usage.prompt_tokens
    kinds = [p.kind for p in report.parts]
    assert "pin" in kinds and "question" in kinds and "system" in kinds
    assert any(not p.kept for p in report.parts)  # dropped history is shown
    text = format_report(report)
    assert "dropped · user: question 0" in text and "(estimated)" in text
    assert ContextReport.from_dict(json.loads(report.to_json())) == report


def test_preview_shows_the_next_turn(project: Path) -> None:
    orch = _scripted(project)
    session = orch.store.create_session("x").id
    add_pin(orch, session, parse_pin("app.py"), [])
    report = preview(orch, session, "what next?")
    assert [p.kind for p in report.parts if p.kept][-2:] == ["question", "pin"]
    assert report.free > 0


@pytest.mark.model
def test_local_counts_add_up_to_what_llama_cpp_evaluated(project: Path) -> None:
    provider = LlamaCppProvider(default_model_path(), context_size=2048, probe=False)
    # SmolLM2 is offered no tools under the default ``[tools] offer = "auto"``; "always" and a
    # question about code put the code tools into the prompt, so their count is checked too.
    settings = load_settings(temperature=0.0, seed=1, max_tokens=16,
                             tools={"offer": "always"})
    orch = Orchestrator(settings, open_store(), provider_factory=lambda _s: provider,
                        project_root=project)
    try:
        first = _done(list(orch.run_turn("Hello there, who are you?", tools=False)))
        session = first.session_id
        add_pin(orch, session, parse_pin("app.py:1-4"), [])
        events = list(orch.run_turn("Where in the code does main return?", session_id=session,
                                    tools=True))
        done = _done(events)
        assert not [e for e in events if isinstance(e, StatusEvent) and "skipped" in e.text]
        report = last_report(orch, session)
        assert report is not None and not report.estimated
        # The evaluated prompt: llama.cpp's prompt tokens of the last generation.
        assert report.prompt_tokens == done.usage.prompt_tokens
        kinds = {p.kind for p in report.parts}
        assert {"system", "message", "question", "pin", "tools"} <= kinds
        assert all(p.tokens > 0 for p in report.parts if p.kind != "template")
    finally:
        orch.close()
        orch.store.close()


def test_sessions_context_prints_the_last_turn(project: Path) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app

    orch = _scripted(project)
    done = _done(list(orch.run_turn("hello", pins=[parse_pin("app.py:1-2")])))
    orch.after_turn.wait()
    runner = CliRunner()
    result = runner.invoke(app, ["sessions", "context", done.session_id])
    assert result.exit_code == 0, result.output
    assert "pinned app.py:1-2" in result.output and "system prompt" in result.output
    result = runner.invoke(app, ["sessions", "context", done.session_id, "--json"])
    data = json.loads(result.output)
    assert data["prompt_tokens"] == done.usage.prompt_tokens
    empty = orch.store.create_session("empty").id
    result = runner.invoke(app, ["sessions", "context", empty])
    assert result.exit_code == 1 and "no saved context report" in result.output

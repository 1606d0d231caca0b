"""The ``fireside`` CLI: chat (with a scripted provider at the model boundary), sessions, doctor.

``providers.models.local_provider`` is the seam: the orchestrator (through
``providers.router.provider_for``) imports it lazily, so replacing it hands the CLI a
:class:`ScriptedProvider` instead of loading llama.cpp. Tests about
model paths use the real ``providers.models``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import providers.models
from assistant.cli import app
from assistant.config import Settings
from assistant.paths import get_paths
from assistant.store import Store
from tests.support.scripted import ScriptedProvider

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> ScriptedProvider:
    scripted = ScriptedProvider(["First answer here.", "Second answer here."])
    created: list[Settings] = []

    def factory(settings: Settings) -> ScriptedProvider:
        created.append(settings)
        return scripted

    monkeypatch.setattr(providers.models, "local_provider", factory)
    scripted.created_with = created  # type: ignore[attr-defined]
    return scripted


def invoke(runner: CliRunner, args: list[str], input: str | None = None) -> Result:
    result = runner.invoke(app, args, input=input)
    # Only clean exits: an escaped exception is a bug, not an error message.
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def one_error_line(result: Result, *, only: bool = True) -> str:
    """The one ``Error:`` line on stderr; with ``only``, stderr holds nothing else."""
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    if only:
        assert lines == errors, result.stderr
    return errors[0]


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


# -- version, entry points --------------------------------------------------------------------


def test_version_in_process(runner: CliRunner) -> None:
    result = invoke(runner, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == "fireside 0.1.0\n"


def test_version_in_a_real_process() -> None:
    proc = run_module("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "fireside 0.1.0\n"


def test_installed_console_script_version() -> None:
    script = Path(sys.executable).parent / "fireside"
    if not script.exists():
        pytest.skip("the fireside console script is not installed next to this python")
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "fireside 0.1.0\n"


def test_unknown_session_in_a_real_process_is_one_line() -> None:
    proc = run_module("sessions", "show", "nope")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "nope" in lines[0]
    assert proc.stdout == ""


# -- chat -------------------------------------------------------------------------------------


def test_chat_streams_the_reply_and_saves_a_session(
    runner: CliRunner, provider: ScriptedProvider, store: Store
) -> None:
    result = invoke(runner, ["chat", "What is WAL?"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "First answer here.\n"
    assert "loading scripted" in result.stderr
    sessions = store.list_sessions()
    assert len(sessions) == 1
    assert sessions[0].title == "What is WAL?"
    messages = store.messages(sessions[0].id)
    assert [(m.role, m.content) for m in messages] == [
        ("user", "What is WAL?"),
        ("assistant", "First answer here."),
    ]
    assert messages[1].model == "scripted"
    assert messages[1].status == "complete"
    # The request the model saw: system prompt, then the question.
    (request,) = provider.requests
    assert request[0]["role"] == "system"
    assert request[-1] == {"role": "user", "content": "What is WAL?"}


def test_chat_options_reach_the_settings(runner: CliRunner, provider: ScriptedProvider) -> None:
    result = invoke(
        runner,
        ["chat", "--system", "Talk like a pirate.", "--max-tokens", "2", "--seed", "7", "hi"],
    )
    assert result.exit_code == 0, result.stderr
    settings = provider.created_with[-1]  # type: ignore[attr-defined]
    assert (settings.system_prompt, settings.max_tokens, settings.seed) == (
        "Talk like a pirate.", 2, 7,
    )
    assert provider.requests[-1][0] == {"role": "system", "content": "Talk like a pirate."}
    assert result.stdout == "First answer\n"  # two words: --max-tokens 2


def test_chat_json_prints_exactly_one_object(
    runner: CliRunner, provider: ScriptedProvider, store: Store
) -> None:
    result = invoke(runner, ["chat", "--json", "q"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    data = json.loads(lines[0])
    assert {"session_id", "model", "content", "usage", "timings"} <= set(data)
    assert set(data["usage"]) == {"prompt_tokens", "completion_tokens"}
    assert set(data["timings"]) == {"ttft_ms", "tokens_per_s", "total_ms"}
    assert data["content"] == "First answer here."
    assert data["model"] == "scripted"
    assert data["usage"]["completion_tokens"] == 3
    assert data["usage"]["prompt_tokens"] > 0
    assert isinstance(data["timings"]["total_ms"], float)
    assert store.get_session(data["session_id"]).message_count == 2
    assert "loading" not in result.stderr  # nothing chatty around the JSON


def test_chat_session_continues_the_conversation(
    runner: CliRunner, provider: ScriptedProvider, store: Store
) -> None:
    first = invoke(runner, ["chat", "--json", "first question"])
    session_id = json.loads(first.stdout)["session_id"]
    second = invoke(runner, ["chat", "--session", session_id[:6], "second question"])
    assert second.exit_code == 0, second.stderr
    assert second.stdout == "Second answer here.\n"
    assert len(provider.requests) == 2
    assert provider.requests[1][1:] == [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "First answer here."},
        {"role": "user", "content": "second question"},
    ]
    assert len(store.list_sessions()) == 1
    assert store.get_session(session_id).message_count == 4


def test_piped_stdin_becomes_context(
    runner: CliRunner, provider: ScriptedProvider, store: Store
) -> None:
    code = "def add(a, b):\n    return a + b\n"
    result = invoke(runner, ["chat", "explain this"], input=code)
    assert result.exit_code == 0, result.stderr
    sent = provider.requests[0][-1]["content"]
    assert sent.startswith("```\ndef add(a, b):")
    assert sent.endswith("explain this")
    assert "return a + b" in sent
    (session,) = store.list_sessions()
    assert session.title == "explain this"
    assert store.messages(session.id)[0].content == sent


def test_piped_stdin_without_a_prompt_becomes_the_prompt(
    runner: CliRunner, provider: ScriptedProvider
) -> None:
    result = invoke(runner, ["chat"], input="what does grep -v do?\n")
    assert result.exit_code == 0, result.stderr
    assert provider.requests[0][-1] == {"role": "user", "content": "what does grep -v do?\n"}


def test_chat_without_prompt_or_stdin_explains_itself(
    runner: CliRunner, provider: ScriptedProvider
) -> None:
    result = invoke(runner, ["chat"])
    assert result.exit_code != 0
    assert "give a question" in one_error_line(result)
    assert provider.requests == []


def test_chat_unknown_session_exits_2(
    runner: CliRunner, provider: ScriptedProvider, store: Store
) -> None:
    result = invoke(runner, ["chat", "--session", "nope", "hello"])
    assert result.exit_code == 2
    assert "nope" in one_error_line(result)
    assert provider.requests == []
    assert store.list_sessions() == []  # nothing saved


def test_chat_provider_failure_is_one_line_and_exit_1(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    failing = ScriptedProvider(["one two three four"], fail_after=2)
    monkeypatch.setattr(providers.models, "local_provider", lambda _s: failing)
    result = invoke(runner, ["chat", "go"])
    assert result.exit_code == 1
    assert "scripted failure" in result.stderr
    assert "Traceback" not in result.output
    (session,) = store.list_sessions()
    answer = store.messages(session.id)[-1]
    assert (answer.status, answer.content) == ("error", "one two")


def test_chat_missing_model_file(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent.gguf"
    result = invoke(runner, ["chat", "--model", str(missing), "hi"])
    assert result.exit_code == 1
    line = one_error_line(result, only=False)  # after a "loading …" progress line
    assert "model file not found" in line
    assert str(missing) in line


def test_chat_model_given_before_the_command(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "global.gguf"
    result = invoke(runner, ["--model", str(missing), "chat", "hi"])
    assert result.exit_code == 1
    assert "model file not found" in one_error_line(result, only=False)


def test_chat_non_gguf_model_file(runner: CliRunner, tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_text("definitely not a model")
    result = invoke(runner, ["chat", "--model", str(fake), "hi"])
    assert result.exit_code == 1
    assert "not a GGUF" in one_error_line(result, only=False)


def test_chat_broken_config_is_one_line(runner: CliRunner, provider: ScriptedProvider) -> None:
    config = get_paths().config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("temperature = = 3\n")
    result = invoke(runner, ["chat", "hi"])
    assert result.exit_code == 1
    line = one_error_line(result)
    assert str(config) in line
    assert provider.requests == []


# -- sessions ---------------------------------------------------------------------------------


@pytest.fixture
def saved(store: Store) -> str:
    """A session with one finished exchange, as chat would save it."""
    s = store.create_session("Parsing TOML")
    store.add_message(s.id, "user", "How do I parse TOML?")
    store.add_message(
        s.id, "assistant", "Use `tomllib`.", model="SmolLM2", prompt_tokens=20,
        completion_tokens=5, ttft_ms=12.0, tokens_per_s=50.0, total_ms=110.0,
    )
    return s.id


def test_sessions_list_empty(runner: CliRunner) -> None:
    result = invoke(runner, ["sessions", "list"])
    assert result.exit_code == 0
    assert "No sessions yet" in result.stdout


def test_sessions_list_shows_sessions(runner: CliRunner, saved: str, store: Store) -> None:
    other = store.create_session("Second topic").id
    result = invoke(runner, ["sessions", "list"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "UPDATED", "MSGS", "TITLE"]
    assert len(lines) == 3
    row = next(line for line in lines if line.startswith(saved))
    assert row.split()[-3:] == ["2", "Parsing", "TOML"]
    assert any(line.startswith(other) for line in lines)

    as_json = invoke(runner, ["sessions", "list", "--json"])
    data = json.loads(as_json.stdout)
    assert {d["id"] for d in data} == {saved, other}


def test_sessions_show(runner: CliRunner, saved: str) -> None:
    result = invoke(runner, ["sessions", "show", saved[:5]])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0] == f"Parsing TOML  ({saved}, 2 messages)"
    assert "How do I parse TOML?" in out
    assert "Use `tomllib`." in out
    assert "SmolLM2" in out and "50.0 tok/s" in out


def test_sessions_show_unknown(runner: CliRunner) -> None:
    result = invoke(runner, ["sessions", "show", "nope"])
    assert result.exit_code == 2
    assert "nope" in one_error_line(result)


def test_sessions_delete(runner: CliRunner, saved: str, store: Store) -> None:
    result = invoke(runner, ["sessions", "delete", saved, "--yes"])
    assert result.exit_code == 0, result.stderr
    assert saved in result.stdout
    assert store.list_sessions() == []
    again = invoke(runner, ["sessions", "delete", saved, "--yes"])
    assert again.exit_code == 2
    one_error_line(again)


def test_sessions_export_markdown(runner: CliRunner, saved: str) -> None:
    result = invoke(runner, ["sessions", "export", saved, "--format", "md"])
    assert result.exit_code == 0, result.stderr
    md = result.stdout
    assert md.startswith("# Parsing TOML\n")
    assert "## User\n\nHow do I parse TOML?" in md
    assert "## Assistant\n\nUse `tomllib`." in md
    assert "*SmolLM2, 20 prompt + 5 tokens, 50.0 tok/s, first token 12 ms*" in md


def test_sessions_export_json(runner: CliRunner, saved: str) -> None:
    result = invoke(runner, ["sessions", "export", saved, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["session"]["id"] == saved
    assert data["session"]["title"] == "Parsing TOML"
    assert [(m["role"], m["content"]) for m in data["messages"]] == [
        ("user", "How do I parse TOML?"),
        ("assistant", "Use `tomllib`."),
    ]
    assert data["messages"][1]["completion_tokens"] == 5


def test_sessions_export_to_a_file(runner: CliRunner, saved: str, tmp_path: Path) -> None:
    target = tmp_path / "export.json"
    result = invoke(runner, ["sessions", "export", saved, "-f", "json", "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert str(target) in result.stderr
    data = json.loads(target.read_text(encoding="utf-8"))
    assert len(data["messages"]) == 2

    md_target = tmp_path / "export.md"
    result = invoke(runner, ["sessions", "export", saved, "-o", str(md_target)])
    assert result.exit_code == 0
    assert md_target.read_text(encoding="utf-8").startswith("# Parsing TOML")


def test_sessions_export_to_an_unwritable_place(
    runner: CliRunner, saved: str, tmp_path: Path
) -> None:
    result = invoke(runner, ["sessions", "export", saved, "-o", str(tmp_path / "no" / "x.md")])
    assert result.exit_code == 1
    assert "cannot write" in one_error_line(result)


def test_sessions_commands_on_a_damaged_database(runner: CliRunner) -> None:
    db = get_paths().database
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"\x00garbage" * 512)
    result = invoke(runner, ["sessions", "list"])
    assert result.exit_code == 1
    assert str(db) in one_error_line(result)


# -- doctor -----------------------------------------------------------------------------------


def test_doctor_with_a_missing_model(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent.gguf"
    result = invoke(runner, ["doctor", "--model", str(missing)])
    assert result.exit_code == 1
    fail_lines = [line for line in result.stdout.splitlines() if "FAIL" in line]
    assert len(fail_lines) == 1, result.stdout
    assert "model file not found" in fail_lines[0]
    assert str(missing) in fail_lines[0]
    assert "Traceback" not in result.output


def test_doctor_with_a_broken_config(runner: CliRunner) -> None:
    config = get_paths().config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[[[\n")
    result = invoke(runner, ["doctor"])
    assert result.exit_code == 1
    assert any("FAIL" in line and str(config) in line for line in result.stdout.splitlines())

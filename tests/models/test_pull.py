"""`fireside models pull` against a real loopback server serving the real embedded GGUF:
hub listing and default quantization, Range resume, a connection dropped mid-body, a wrong
checksum, 404/401, 503 then success, a slow body; then a chat with the pulled model."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.errors import ChecksumMismatchError, ModelPullError
from providers.localmodels.hub import plan_pull
from providers.localmodels.pull import Progress, make_client, pull
from providers.localmodels.pulled import pulled_files
from providers.localmodels.sources import fireside_models_dir
from tests.models.conftest import link_or_copy
from tests.support.gguf_server import GGUFServer

FILE = "tiny-Q4_K_M.gguf"
OTHER = "tiny-Q8_0.gguf"


@pytest.fixture
def server(embedded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[GGUFServer]:
    other = link_or_copy(embedded, tmp_path / "served" / OTHER)
    with GGUFServer({OTHER: other, FILE: embedded}) as srv:
        monkeypatch.setenv("HF_ENDPOINT", srv.url)
        yield srv


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_pull(server: GGUFServer, source: str, *, sha256: str | None = None
             ) -> tuple[list[Path], list[Progress]]:
    events: list[Progress] = []
    with make_client(timeout=5.0) as client:
        plan = plan_pull(client, source, sha256=sha256)
        paths = pull(plan, fireside_models_dir(), client=client, report=events.append,
                     sleep=lambda _s: None)
    return paths, events


def test_pull_a_repo_picks_q4_k_m_verifies_and_records(server: GGUFServer, embedded: Path
                                                       ) -> None:
    result = CliRunner().invoke(app, ["models", "pull", "hf:acme/tiny-GGUF"])
    assert result.exit_code == 0, result.output
    final = fireside_models_dir() / FILE
    assert sha(final) == sha(embedded)
    assert "sha256 verified" in result.output and "models use tiny-Q4_K_M" in result.output
    assert not list(fireside_models_dir().glob("*.part"))
    record = pulled_files()[FILE]
    assert record["verified"] and record["sha256"] == sha(embedded)
    listed = json.loads(CliRunner().invoke(app, ["models", "list", "--json"]).output)
    mine = next(m for m in listed["local"] if m["name"] == "tiny-Q4_K_M")
    assert mine["source"] == "fireside" and mine["pulled"]
    assert mine["quantization"] == "Q4_1"  # what the header says, not the file name


def test_list_shows_the_quantizations(server: GGUFServer) -> None:
    result = CliRunner().invoke(app, ["models", "pull", "hf:acme/tiny-GGUF", "--list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("* " + FILE) for line in lines)
    assert any(line.startswith("  " + OTHER) for line in lines)
    assert not (fireside_models_dir() / FILE).exists()


def test_resume_with_range_downloads_only_the_missing_part(server: GGUFServer,
                                                           embedded: Path) -> None:
    data = embedded.read_bytes()
    half = len(data) // 2
    folder = fireside_models_dir()
    folder.mkdir(parents=True)
    (folder / (FILE + ".part")).write_bytes(data[:half])
    paths, events = run_pull(server, f"hf:acme/tiny-GGUF/{FILE}")
    assert sha(paths[0]) == sha(embedded)
    downloads = [r for r in server.requests if r[0].endswith(FILE)]
    assert downloads == [(f"/acme/tiny-GGUF/resolve/main/{FILE}", f"bytes={half}-")]
    assert server.bytes_sent == len(data) - half
    assert events[0].event == "start" and events[0].bytes == half


def test_a_dropped_connection_resumes_where_it_stopped(server: GGUFServer,
                                                       embedded: Path) -> None:
    server.faults[FILE] = ["drop:0.5"]
    paths, events = run_pull(server, f"hf:acme/tiny-GGUF/{FILE}")
    assert sha(paths[0]) == sha(embedded)
    ranges = [r[1] for r in server.requests if r[0].endswith(FILE)]
    assert ranges[0] is None and ranges[1] is not None and ranges[1].startswith("bytes=")
    size = embedded.stat().st_size
    assert server.bytes_sent - size < 256 << 10  # at most what was in flight, again
    assert any(e.event == "retry" for e in events)


def test_a_server_that_ignores_range_starts_over_cleanly(server: GGUFServer,
                                                         embedded: Path) -> None:
    folder = fireside_models_dir()
    folder.mkdir(parents=True)
    (folder / (FILE + ".part")).write_bytes(b"GGUF" + b"\0" * 1000)
    server.faults[FILE] = ["norange"]
    paths, _ = run_pull(server, f"hf:acme/tiny-GGUF/{FILE}")
    assert sha(paths[0]) == sha(embedded)


def test_a_wrong_checksum_keeps_the_file_aside_and_says_so(server: GGUFServer,
                                                           embedded: Path) -> None:
    server.sha_override[FILE] = "ab" * 32
    result = CliRunner().invoke(app, ["models", "pull", f"hf:acme/tiny-GGUF/{FILE}"])
    assert result.exit_code == 1
    kept = fireside_models_dir() / (FILE + ".sha256-mismatch")
    assert kept.exists() and kept.stat().st_size == embedded.stat().st_size
    assert not (fireside_models_dir() / FILE).exists()
    error = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and "checksum mismatch" in error[0] and str(kept) in error[0]
    assert FILE not in pulled_files()


def test_sha256_flag_is_checked_for_urls(server: GGUFServer, embedded: Path) -> None:
    with pytest.raises(ChecksumMismatchError):
        run_pull(server, server.file_url(FILE), sha256="0" * 64)
    paths, events = run_pull(server, server.file_url(OTHER), sha256=sha(embedded))
    assert sha(paths[0]) == sha(embedded)
    assert any(e.event == "verified" for e in events)


@pytest.mark.parametrize(("fault", "expected"), [
    ("404", "not found (404)"), ("401", "access refused (401)")])
def test_404_and_401_are_one_clear_line(server: GGUFServer, fault: str, expected: str) -> None:
    server.faults[FILE] = [fault]
    result = CliRunner().invoke(app, ["models", "pull", server.file_url(FILE)])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and expected in errors[0]
    assert "Traceback" not in result.output
    assert not list(fireside_models_dir().glob("*.gguf*"))  # no empty .part left either


def test_unknown_repo_file_and_source_are_one_line(server: GGUFServer) -> None:
    result = CliRunner().invoke(app, ["models", "pull", "hf:acme/tiny-GGUF/nope.gguf"])
    assert result.exit_code == 1 and "has no file 'nope.gguf'" in result.output
    result = CliRunner().invoke(app, ["models", "pull", "hf:acme/missing-GGUF"])
    assert result.exit_code == 1 and "not found (404)" in result.output
    result = CliRunner().invoke(app, ["models", "pull", "somewhere"])
    assert result.exit_code == 1 and "unknown source" in result.output


def test_503_then_success_with_json_events(server: GGUFServer, embedded: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import providers.localmodels.pull as pull_module

    monkeypatch.setattr(pull_module.time, "sleep", lambda _s: None)
    server.faults[FILE] = ["503", "503"]
    result = CliRunner().invoke(app, ["models", "pull", f"hf:acme/tiny-GGUF/{FILE}", "--json"])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds.count("retry") == 2 and "HTTP 503" in events[kinds.index("retry")]["message"]
    assert kinds[-2:] == ["verified", "done"]
    assert events[-1]["path"].endswith(FILE)
    assert sha(fireside_models_dir() / FILE) == sha(embedded)


def test_a_server_that_keeps_failing_gives_up_and_keeps_the_part(server: GGUFServer) -> None:
    server.faults[FILE] = ["503"] * 20
    with pytest.raises(ModelPullError, match="giving up .* run the same command to resume"):
        run_pull(server, f"hf:acme/tiny-GGUF/{FILE}")


def test_a_slow_body_arrives_whole_with_progress(server: GGUFServer, embedded: Path) -> None:
    server.faults[FILE] = ["slow"]
    events: list[Progress] = []
    with make_client(timeout=5.0) as client:
        plan = plan_pull(client, f"hf:acme/tiny-GGUF/{FILE}")
        from providers.localmodels.pull import download

        path, digest = download(client, plan.files[0], fireside_models_dir(),
                                report=events.append, every=0.05)
    assert digest == sha(embedded) and sha(path) == digest
    progress = [e for e in events if e.event == "progress"]
    assert len(progress) >= 5
    assert progress[-1].bytes == embedded.stat().st_size
    assert any(e.speed > 0 and e.eta is not None for e in progress[:-1])


def test_two_pulls_of_one_file_do_not_interleave(server: GGUFServer) -> None:
    server.faults[FILE] = ["slow"]
    errors: list[Exception] = []

    def one() -> None:
        try:
            run_pull(server, f"hf:acme/tiny-GGUF/{FILE}")
        except ModelPullError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 1 and "another pull" in str(errors[0])


def test_pulled_model_is_removed_by_rm_and_stops_being_default(server: GGUFServer) -> None:
    assert CliRunner().invoke(app, ["models", "pull", "hf:acme/tiny-GGUF"]).exit_code == 0
    assert CliRunner().invoke(app, ["models", "use", "tiny-Q4_K_M"]).exit_code == 0
    result = CliRunner().invoke(app, ["models", "rm", "tiny-Q4_K_M", "--yes"])
    assert result.exit_code == 0, result.output
    assert "embedded one is the default again" in result.output
    assert not (fireside_models_dir() / FILE).exists() and FILE not in pulled_files()


@pytest.mark.model
def test_chat_with_the_pulled_model(server: GGUFServer, tmp_path_factory: pytest.TempPathFactory
                                    ) -> None:
    from assistant.config import load_settings
    from providers.base import GenerationOptions
    from providers.models import local_provider
    from providers.probe import run_probe

    assert CliRunner().invoke(app, ["models", "pull", "hf:acme/tiny-GGUF"]).exit_code == 0
    assert CliRunner().invoke(app, ["models", "use", "tiny-Q4_K_M"]).exit_code == 0
    settings = load_settings(context_size=1024)
    assert settings.model == "tiny-Q4_K_M"
    provider = local_provider(settings)
    assert provider.model_path == fireside_models_dir() / FILE
    probe = run_probe(provider.model_path)
    if not probe.ok:
        pytest.fail(f"llama.cpp cannot run the pulled model: {probe.message}")
    try:
        pieces = list(provider.stream(
            [{"role": "user", "content": "Say hello."}],
            GenerationOptions(max_tokens=8, temperature=0.0, seed=1),
            threading.Event(),
        ))
    finally:
        provider.close()
    text = "".join(p for p in pieces if isinstance(p, str))
    assert text.strip() and provider.name == "tiny-Q4_K_M"


def test_ctrl_c_keeps_the_part_and_the_same_command_resumes(server: GGUFServer,
                                                            embedded: Path) -> None:
    server.faults[FILE] = ["slow"]
    seen: list[Progress] = []

    def interrupt(progress: Progress) -> None:
        seen.append(progress)
        if progress.event == "progress" and progress.bytes > 0:
            raise KeyboardInterrupt

    with make_client(timeout=5.0) as client, pytest.raises(KeyboardInterrupt):
        plan = plan_pull(client, f"hf:acme/tiny-GGUF/{FILE}")
        pull(plan, fireside_models_dir(), client=client, report=interrupt)
    part = fireside_models_dir() / (FILE + ".part")
    kept = part.stat().st_size
    assert 0 < kept < embedded.stat().st_size
    assert not (fireside_models_dir() / FILE).exists()
    assert not [t for t in threading.enumerate() if t.name == "pull-sha256"]
    paths, _ = run_pull(server, f"hf:acme/tiny-GGUF/{FILE}")
    assert sha(paths[0]) == sha(embedded)
    assert server.requests[-1][1] == f"bytes={kept}-"

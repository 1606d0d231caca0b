"""Discovery in place: Ollama, LM Studio, the hub cache and folders built in a temp home with
real GGUF files (hard links of the embedded model), read from their headers only."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.errors import ModelError, ModelNotFoundError
from providers.localmodels.discovery import discover, find_model
from providers.localmodels.gguf_header import read_header
from providers.models import resolve_model_path
from tests.models.conftest import link_or_copy, write_tiny_gguf

OLLAMA_NAME = "qwen2.5-coder:1.5b"
DIGEST = "0" * 63 + "1"


def build_stores(home: Path, embedded: Path) -> dict[str, Path]:
    """An Ollama store, an LM Studio folder and a hub cache, each holding the real GGUF."""
    ollama = home / ".ollama" / "models"
    blob = link_or_copy(embedded, ollama / "blobs" / f"sha256-{DIGEST}")
    manifest = ollama / "manifests" / "registry.ollama.ai" / "library" / "qwen2.5-coder" / "1.5b"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": [
        {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "2" * 64},
        {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{DIGEST}"},
    ]}))
    lms = link_or_copy(embedded, home / ".lmstudio" / "models" / "pub" / "tiny-GGUF"
                       / "lms-tiny-Q4_1.gguf")
    cache = home / ".cache" / "huggingface" / "hub" / "models--HuggingFaceTB--tiny-GGUF"
    hf_blob = link_or_copy(embedded, cache / "blobs" / "abc123")
    snap = cache / "snapshots" / "rev1" / "hub-tiny-q4_1.gguf"
    snap.parent.mkdir(parents=True)
    snap.symlink_to(Path("../../blobs/abc123"))
    return {"ollama": blob, "lmstudio": lms, "hf": snap, "hf_blob": hf_blob}


def test_the_embedded_header_is_read_without_loading(embedded: Path) -> None:
    header = read_header(embedded)
    assert header.architecture == "llama"
    assert header.context_length == 8192
    assert header.quantization == "Q4_1"
    assert 130_000_000 < header.parameters < 140_000_000
    assert header.chat_template and "im_start" in header.chat_template


def test_every_store_is_found_in_place_with_its_names(home: Path, embedded: Path) -> None:
    paths = build_stores(home, embedded)
    found = {m.name: m for m in discover().models}
    assert found["SmolLM2-135M-Instruct.Q4_1"].source == "embedded"
    ollama = found[OLLAMA_NAME]
    assert (ollama.source, ollama.path) == ("ollama", paths["ollama"])
    assert found["lms-tiny-Q4_1"].source == "lmstudio"
    hub = found["hub-tiny-q4_1"]
    assert (hub.source, hub.repo, hub.path) == ("hf-cache", "HuggingFaceTB/tiny-GGUF",
                                                paths["hf"])
    for model in found.values():  # every fact from the header
        assert (model.architecture, model.quantization, model.context_length) == (
            "llama", "Q4_1", 8192)
        assert model.size == embedded.stat().st_size and model.parameters
        assert model.native_tools is False  # SmolLM2's ChatML template has no tools
    assert not any(p.name.endswith(".part") for p in (home / ".ollama").rglob("*"))


def test_env_vars_move_the_stores(home: Path, embedded: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    build_stores(home, embedded)
    (home / ".ollama" / "models").rename(tmp_path / "elsewhere")
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "elsewhere"))
    (home / ".cache" / "huggingface").rename(tmp_path / "hfhome")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hfhome"))
    names = {m.name for m in discover().models}
    assert {OLLAMA_NAME, "hub-tiny-q4_1"} <= names


def test_split_models_count_once_and_bad_files_are_skipped_with_a_reason(
    tmp_path: Path, embedded: Path
) -> None:
    folder = tmp_path / "mine"
    link_or_copy(embedded, folder / "big-00001-of-00002.gguf")
    write_tiny_gguf(folder / "big-00002-of-00002.gguf", {"split.no": 1, "split.count": 2})
    link_or_copy(embedded, folder / "lonely-00001-of-00003.gguf")
    (folder / "notes.gguf").write_text("these are my notes, not a model")
    (folder / "cut.gguf").write_bytes(embedded.read_bytes()[:3000])
    write_tiny_gguf(folder / "mmproj-vision.gguf", {"general.architecture": "clip"})
    found = discover([str(folder)])
    mine = [m for m in found.models if m.source == "models_dir"]
    assert [(m.name, m.parts) for m in mine] == [("big", 2)]
    assert mine[0].size == sum(p.stat().st_size for p in folder.glob("big-*"))
    reasons = {s.path.name: s.reason for s in found.skipped}
    assert "incomplete split model (1 of 3 parts)" in reasons["lonely-00001-of-00003.gguf"]
    assert "not a GGUF" in reasons["notes.gguf"]
    assert "cut short" in reasons["cut.gguf"]
    assert "vision projector" in reasons["mmproj-vision.gguf"]
    result = CliRunner().invoke(app, ["models", "list", "--all"])
    assert result.exit_code == 0, result.output
    assert "notes.gguf" not in result.output  # the folder is not configured yet
    config = Path(resolve_config_dir()) / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'models_dirs = ["{folder}"]\n')
    result = CliRunner().invoke(app, ["models", "list", "--all"])
    assert "notes.gguf (models_dir): not a GGUF" in result.output
    assert "big" in result.output and "(2 parts)" in result.output


def resolve_config_dir() -> Path:
    from assistant.paths import get_paths

    return get_paths().config_dir


def test_model_names_resolve_for_model_flag(home: Path, embedded: Path) -> None:
    paths = build_stores(home, embedded)
    assert resolve_model_path(OLLAMA_NAME) == paths["ollama"]
    assert resolve_model_path("lms-tiny-Q4_1") == paths["lmstudio"]
    with pytest.raises(ModelNotFoundError, match="no model named 'nope:7b'"):
        resolve_model_path("nope:7b")
    with pytest.raises(ModelNotFoundError, match="model file not found"):
        resolve_model_path("/no/such/file.gguf")


def test_clashing_names_get_the_source(home: Path, embedded: Path, tmp_path: Path) -> None:
    link_or_copy(embedded, home / ".lmstudio" / "models" / "a" / "b" / "same.gguf")
    link_or_copy(embedded, home / ".cache" / "lm-studio" / "models" / "c" / "same.gguf")
    names = [m.name for m in discover().models if m.source == "lmstudio"]
    assert names == ["same", "same@lmstudio"]
    assert find_model("same@lmstudio") is not None


def test_models_use_keeps_a_hand_written_config(home: Path, embedded: Path) -> None:
    build_stores(home, embedded)
    config = resolve_config_dir() / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    original = (
        "# My Fireside settings\n"
        "policy = \"local\"  # never leave the machine\n"
        "temperature = 0.2\n"
        "\n"
        "# the hosted fallback, off for now\n"
        "[providers.acme]\n"
        "kind = \"openai\"   # any OpenAI-compatible endpoint\n"
        "model = \"gpt-4o-mini\"\n"
    )
    config.write_text(original)
    result = CliRunner().invoke(app, ["models", "use", OLLAMA_NAME])
    assert result.exit_code == 0, result.output
    text = config.read_text()
    assert text == original.replace(
        "temperature = 0.2\n", f'temperature = 0.2\nmodel = "{OLLAMA_NAME}"\n')
    assert tomllib.loads(text)["providers"]["acme"]["model"] == "gpt-4o-mini"
    listed = json.loads(CliRunner().invoke(app, ["models", "list", "--json"]).output)
    default = [m["name"] for m in listed["local"] if m["default"]]
    assert default == [OLLAMA_NAME]
    # a second use replaces the value in place; `default` removes it again
    CliRunner().invoke(app, ["models", "use", "lms-tiny-Q4_1"])
    assert 'model = "lms-tiny-Q4_1"' in config.read_text()
    assert "# never leave the machine" in config.read_text()
    CliRunner().invoke(app, ["models", "use", "default"])
    assert config.read_text() == original


def test_models_use_an_unknown_name_is_one_line(home: Path) -> None:
    result = CliRunner().invoke(app, ["models", "use", "nope:1b"])
    assert result.exit_code == 2
    assert result.output.strip() == "Error: no model named 'nope:1b': see `fireside models list`"


def test_rm_never_touches_other_stores(home: Path, embedded: Path) -> None:
    paths = build_stores(home, embedded)
    for name in (OLLAMA_NAME, "lms-tiny-Q4_1", "hub-tiny-q4_1", "SmolLM2-135M-Instruct.Q4_1"):
        result = CliRunner().invoke(app, ["models", "rm", name, "--yes"])
        assert result.exit_code == 1, result.output
        assert "Fireside removes only models it pulled" in result.output
    assert all(p.exists() for p in paths.values())


def test_rm_refuses_a_file_put_in_fireside_folder_by_hand(home: Path, embedded: Path) -> None:
    from providers.localmodels.sources import fireside_models_dir

    mine = link_or_copy(embedded, fireside_models_dir() / "handmade.gguf")
    result = CliRunner().invoke(app, ["models", "rm", "handmade", "--yes"])
    assert result.exit_code == 1 and mine.exists()


def test_memory_check_refuses_with_numbers_and_offers_a_smaller_context(
    embedded: Path,
) -> None:
    from providers.localmodels.memory import check_memory

    assert check_memory(embedded, 32768, available=64 << 30) == 8192  # capped at training
    with pytest.raises(ModelError) as info:
        check_memory(embedded, 8192, available=300 << 20)
    message = str(info.value)
    assert "needs about" in message and "KV cache" in message and "8192 tokens" in message
    assert "only 300 MiB is available" in message
    assert "-token context fits: set context_size =" in message
    with pytest.raises(ModelError, match="choose a smaller model"):
        check_memory(embedded, 8192, available=50 << 20)


def test_template_renders_tools() -> None:
    from providers.chat_template import CHATML
    from providers.tool_capability import template_renders_tools

    qwen_like = (
        "{% if tools %}<tools>{% for t in tools %}{{ t | tojson }}{% endfor %}</tools>"
        "{% endif %}{% for m in messages %}{{ m['content'] }}{% endfor %}"
    )
    assert template_renders_tools(qwen_like)
    assert not template_renders_tools(CHATML)
    assert not template_renders_tools("{# tools are not supported #}{{ messages }}")
    assert not template_renders_tools("{% if tools %}{{ raise_exception('no') }}{% endif %}")


def test_list_is_cached_and_suggested_shows_the_catalog(home: Path, embedded: Path) -> None:
    build_stores(home, embedded)
    first = discover()
    from assistant.paths import get_paths

    assert (get_paths().cache_dir / "model-headers.json").exists()
    assert [m.name for m in discover().models] == [m.name for m in first.models]
    result = CliRunner().invoke(app, ["models", "list", "--suggested"])
    assert "qwen2.5-coder-1.5b" in result.output and "Apache-2.0" in result.output
    data = json.loads(CliRunner().invoke(app, ["models", "list", "--json", "--suggested"]).output)
    assert all(set(s) >= {"repo", "file", "size_gb", "ram_gb", "licence", "native_tools",
                          "sha256"} for s in data["suggested"])

"""``fireside doctor``: what is configured, whether the model runs, where data lives, and
the hosted side (routing policy, each provider and where its key is set, the keyring). It
never contacts a hosted endpoint and never prints a key's value."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from assistant import __version__
from assistant.errors import FiresideError

if TYPE_CHECKING:
    from assistant.config import Settings

# Optional pieces later features use: (import name, what for).
OPTIONAL = [
    ("sentence_transformers", "code index: embeddings"),
    ("chromadb", "code index: vectors"),
    ("watchdog", "code index: watching files"),
    ("tree_sitter_language_pack", "code index: chunking"),
    ("ddgs", "web search tool"),
    ("trafilatura", "fetch tool"),
    ("fastapi", "local HTTP API"),
    ("uvicorn", "local HTTP API"),
    ("keyring", "API keys for hosted models"),
]


def _installed(module: str) -> str | None:
    if importlib.util.find_spec(module) is None:
        return None
    for dist in importlib.metadata.packages_distributions().get(module, []):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "installed"


def _line(ok: bool | None, label: str, detail: str) -> None:
    mark = {True: "ok  ", False: "FAIL", None: "--  "}[ok]
    color = {True: "green", False: "red", None: None}[ok]
    typer.secho(f"[{mark}] ", fg=color, nl=False)
    typer.echo(f"{label}: {detail}")


def _hosted_lines(settings: Settings) -> int:
    """The routing policy, each hosted provider (kind, model, where its key is set) and the
    keyring. Reads configuration only: no network. Returns how many lines failed."""
    from assistant.model_catalog import key_state
    from assistant.secrets import env_var, keyring_status
    from providers.router import resolve_hosted

    failures = 0
    default: tuple[str, str] | None = None
    if settings.policy == "local":
        _line(True, "policy", "local (nothing leaves this machine)")
    else:
        try:
            default = resolve_hosted(settings)
            _line(True, "policy", f"{settings.policy} (hosted model: {'/'.join(default)})")
        except FiresideError as exc:
            failures += 1
            _line(False, "policy", str(exc))
    for name, config in settings.providers.items():
        try:
            key, source = key_state(name, config)
        except FiresideError as exc:
            failures += 1
            _line(False, f"provider {name}", str(exc))
            continue
        detail = f"{config.kind} · {config.model}"
        if key is None:
            _line(True, f"provider {name}", f"{detail} · no key needed")
            continue
        if source == "missing":
            # Only a failure when turns may actually go to this provider.
            needed = default is not None and default[0] == name
            _line(
                False if needed else None,
                f"provider {name}",
                f"{detail} · key {key!r} not set: `fireside keys set {key}` or "
                f"{env_var(key)}",
            )
            failures += needed
        else:
            where = env_var(key) if source == "env" else "the OS keyring"
            _line(True, f"provider {name}", f"{detail} · key {key!r} set in {where}")
    available, backend = keyring_status()
    if available:
        _line(True, "keyring backend", backend)
    else:
        _line(None, "keyring backend", f"{backend}; set keys as FIRESIDE_<NAME>_API_KEY instead")
    return failures


def doctor(
    ctx: typer.Context,
    probe: Annotated[
        bool, typer.Option("--probe", help="Only run the llama.cpp decode probe (used by make).")
    ] = False,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Check this GGUF instead.")
    ] = None,
) -> None:
    """Check the model and llama.cpp build (a tiny decode in a subprocess), data folders,
    config, and which optional pieces are installed."""
    from assistant.buildinfo import cmake_args
    from assistant.config import load_settings
    from assistant.paths import get_paths
    from providers.models import model_name, resolve_model_path
    from providers.probe import build_fingerprint, run_probe

    model = model or (ctx.obj or {}).get("model")
    failures = 0
    if not probe:
        typer.echo(f"fireside {__version__} · Python {platform.python_version()} · {sys.prefix}")
    paths = get_paths()
    try:
        settings = load_settings(model=model)
        if not probe:
            config_state = "found" if paths.config_file.exists() else "not present (defaults)"
            _line(True, "config", f"{paths.config_file} {config_state}")
    except FiresideError as exc:
        _line(False, "config", str(exc))
        raise typer.Exit(1) from None
    if not probe:
        for name, folder in (("data", paths.data_dir), ("cache", paths.cache_dir)):
            read_only = folder.exists() and not os.access(folder, os.W_OK | os.X_OK)
            _line(None, name, f"{folder}" + (" (read-only: reads work, nothing is saved)"
                                             if read_only else ""))
        try:
            from assistant.store import open_store

            store = open_store()
            _line(True, "sessions", f"{store.path} ({len(store.list_sessions())} sessions)")
            store.close()
        except FiresideError as exc:
            failures += 1
            _line(False, "sessions", str(exc))
        failures += _hosted_lines(settings)
        from assistant.session_state import state_dir, usage

        used = usage()
        _line(None, "model state", f"{state_dir()} ({used.files} files, "
              f"{used.bytes / 1e6:,.0f} MB of {settings.state.max_bytes / 1e6:,.0f} MB)")

    llama_version = _installed("llama_cpp")
    if llama_version is None:
        _line(False, "llama.cpp", "llama-cpp-python is not installed; run `make install`")
        raise typer.Exit(1)
    if not probe:
        _line(True, "llama.cpp", f"llama-cpp-python {llama_version} (build {build_fingerprint()})")
        typer.echo(f"       flags for this CPU: {' '.join(cmake_args())}")
    try:
        path = resolve_model_path(settings.model, settings.models_dirs)
    except FiresideError as exc:
        _line(False, "model", str(exc))
        raise typer.Exit(1) from None
    source = "configured" if settings.model else "embedded default"
    if not probe:
        size_mb = path.stat().st_size / 1e6
        _line(True, "model", f"{model_name(path)} ({source}, {size_mb:.0f} MB) {path}")
    result = run_probe(path, use_cache=False)
    if result.ok:
        _line(True, "decode", f"{result.message} in a subprocess ({result.seconds:.1f} s)")
    else:
        failures += 1
        _line(False, "decode", result.message)
    if not probe:
        for module, purpose in OPTIONAL:
            version = _installed(module)
            _line(
                None if version is None else True,
                module,
                f"{version} ({purpose})" if version else f"not installed ({purpose})",
            )
    if failures:
        raise typer.Exit(1)

"""Which models a user can pick: the local one and each configured hosted one.

Shared by ``fireside models list``, ``fireside doctor`` and the TUI's model picker. Reads only
the configuration and where each key is set (never a key's value); contacts no endpoint.

Exports :func:`model_rows`, :func:`local_model_rows` and :func:`key_state`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.errors import FiresideError

if TYPE_CHECKING:
    from assistant.config import HostedProviderConfig, Settings


def key_state(name: str, config: HostedProviderConfig) -> tuple[str | None, str]:
    """``(key name, where it is set)`` for one provider: where is ``"env"``, ``"keyring"``,
    ``"missing"``, or ``"not needed"`` (key name None) for an endpoint that needs no key."""
    from assistant.secrets import check_name, list_keys

    key = name if config.key is None else config.key
    if not key:
        return None, "not needed"
    wanted = check_name(key)
    info = next((k for k in list_keys([key]) if k.name == wanted), None)
    return key, "missing" if info is None else info.source


def model_rows(settings: Settings) -> list[dict[str, Any]]:
    """One row per model: local first, then each provider's models (its default first).

    Each row has ``id`` (what ``--model`` takes; ``local`` for the local row's provider),
    ``provider``, ``kind``, ``where``, ``ready`` and ``note``.
    """
    from providers.models import model_name, resolve_model_path
    from providers.router import resolve_hosted

    rows: list[dict[str, Any]] = []
    try:
        path = resolve_model_path(settings.model, settings.models_dirs)
        local: dict[str, Any] = {"id": model_name(path), "provider": "local", "kind": "llama.cpp",
                                 "where": str(path), "ready": True, "note": ""}
    except FiresideError as exc:
        local = {"id": settings.model or "default", "provider": "local", "kind": "llama.cpp",
                 "where": "", "ready": False, "note": str(exc)}
    rows.append(local)
    default: tuple[str, str] | None = None
    if settings.providers and settings.policy != "local":
        try:
            default = resolve_hosted(settings)
        except FiresideError:
            default = None
    for name, config in settings.providers.items():
        key, source = key_state(name, config)
        if key is None:
            state, ready = "no key needed", True
        else:
            state = f"key {key}: " + ("not set" if source == "missing" else source)
            ready = source != "missing"
        for model in dict.fromkeys([config.model, *config.models]):
            rows.append({
                "id": f"{name}/{model}",
                "provider": name,
                "kind": config.kind,
                "where": config.base_url or "(vendor default)",
                "ready": ready,
                "note": state + (" · hosted default" if default == (name, model) else ""),
            })
    return rows


def local_model_rows(settings: Settings, current_path: str = "") -> list[dict[str, Any]]:
    """The other GGUFs found on this machine (``fireside models list``), as picker rows;
    ``choice`` is ``gguf:NAME``. Reads headers (cached), loads nothing, no network."""
    from providers.localmodels.discovery import discover

    rows: list[dict[str, Any]] = []
    for m in discover(settings.models_dirs).models:
        if str(m.path) == current_path:
            continue
        size = f"{m.size / 1e9:.1f} GB" if m.size >= 1e8 else f"{m.size / 1e6:.0f} MB"
        facts = " · ".join(x for x in (m.source, size, m.quantization,
                                       "native tools" if m.native_tools else "") if x)
        rows.append({"id": m.name, "provider": "local", "kind": "llama.cpp",
                     "where": str(m.path), "ready": True, "note": facts,
                     "choice": f"gguf:{m.name}"})
    return rows

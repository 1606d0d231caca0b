"""Every GGUF model on this machine, described from its header, without loading it.

:func:`discover` returns :class:`LocalModel` rows (and :class:`SkippedFile` rows for files
that are not usable models). Split models (``-00001-of-00003.gguf``) are one row. Header
facts are cached by (path, size, mtime) in the cache folder so a second listing reads
nothing but directory entries. No network, no model load.

Exports :class:`LocalModel`, :class:`SkippedFile`, :class:`Discovery`, :func:`discover`
and :func:`find_model`, :func:`model_files`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import ModelError
from providers.localmodels import sources
from providers.localmodels.sources import Candidate

_SPLIT = re.compile(r"^(?P<stem>.+)-(?P<part>\d{5})-of-(?P<total>\d{5})\.gguf$", re.IGNORECASE)
_CACHE_FILE = "model-headers.json"
_CACHE_VERSION = 1


@dataclass
class LocalModel:
    """One usable model: where it is and what its header says."""

    name: str
    source: str
    path: Path  # the file to load (the first part of a split model)
    size: int
    parts: int = 1
    parameters: int | None = None
    architecture: str | None = None
    quantization: str | None = None
    context_length: int | None = None
    native_tools: bool = False
    repo: str | None = None
    pulled: bool = False
    facts: dict[str, Any] = field(default_factory=dict, repr=False)  # for memory estimates

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data.pop("facts")
        return data


@dataclass
class SkippedFile:
    path: Path
    source: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "source": self.source, "reason": self.reason}


@dataclass
class Discovery:
    models: list[LocalModel]
    skipped: list[SkippedFile]


def discover(models_dirs: list[str] | tuple[str, ...] = (), *, cache: bool = True) -> Discovery:
    """All local models, in store order, with unique names (a clash gets ``@source``)."""
    from providers.localmodels.pulled import pulled_files

    header_cache = _HeaderCache.open() if cache else _HeaderCache({})
    pulled = pulled_files()
    models: list[LocalModel] = []
    skipped: list[SkippedFile] = []
    seen: set[str] = set()
    for group in _groups(sources.all_candidates(models_dirs), skipped):
        first = group[0]
        real = os.path.realpath(first.path)
        if real in seen:
            continue
        seen.add(real)
        try:
            facts = [header_cache.facts(c.path) for c in group]
        except ModelError as exc:
            skipped.append(SkippedFile(first.path, first.source, str(exc)))
            continue
        model = _model(first, group, facts)
        if model.architecture in ("clip", "mmproj") or facts[0].get("type") == "mmproj":
            skipped.append(SkippedFile(first.path, first.source,
                                       "a vision projector, not a chat model"))
            continue
        model.pulled = first.source == "fireside" and first.path.name in pulled
        models.append(model)
    header_cache.save()
    _unique_names(models)
    return Discovery(models, skipped)


def find_model(name: str, models_dirs: list[str] | tuple[str, ...] = ()) -> LocalModel | None:
    """The model listed as ``name`` (also ``name@source``, or a unique case-insensitive
    match), or None."""
    found = discover(models_dirs).models
    for model in found:
        if model.name == name:
            return model
    folded = [m for m in found if m.name.lower() == name.lower()
              or m.name.split("@")[0].lower() == name.lower()]
    return folded[0] if len(folded) == 1 else None


def model_files(model: LocalModel) -> list[Path]:
    """Every file of ``model`` (all parts of a split model)."""
    match = _SPLIT.match(model.path.name)
    if not match:
        return [model.path]
    pattern = f"{match.group('stem')}-*-of-{match.group('total')}.gguf"
    return sorted(p for p in model.path.parent.glob(pattern) if _SPLIT.match(p.name))


def _model(first: Candidate, group: list[Candidate], facts: list[dict[str, Any]]) -> LocalModel:
    head = facts[0]
    stem = first.path.name
    match = _SPLIT.match(stem)
    name = first.name or (match.group("stem") if match else stem[: -len(".gguf")])
    return LocalModel(
        name=name,
        source=first.source,
        path=first.path,
        size=sum(f["size"] for f in facts),
        parts=len(group),
        parameters=sum(f["parameters"] for f in facts) or None,
        architecture=head.get("architecture"),
        quantization=head.get("quantization"),
        context_length=head.get("context_length"),
        native_tools=bool(head.get("native_tools")),
        repo=first.repo,
        facts=head,
    )


def _groups(candidates: Any, skipped: list[SkippedFile]) -> list[list[Candidate]]:
    """Candidates with split parts gathered into one group (first part first)."""
    groups: list[list[Candidate]] = []
    splits: dict[tuple[str, str], list[Candidate | None]] = {}
    for cand in candidates:
        match = _SPLIT.match(cand.path.name)
        if not match:
            groups.append([cand])
            continue
        total = int(match.group("total"))
        key = (str(cand.path.parent), match.group("stem").lower())
        if key not in splits:
            splits[key] = [None] * total
            groups.append(splits[key])  # type: ignore[arg-type]  # filled in place
        parts = splits[key]
        index = int(match.group("part")) - 1
        if 0 <= index < len(parts):
            parts[index] = cand
    result: list[list[Candidate]] = []
    for group in groups:
        present = [c for c in group if c is not None]
        if len(present) < len(group):
            skipped.append(SkippedFile(present[0].path, present[0].source,
                                       f"incomplete split model ({len(present)} of "
                                       f"{len(group)} parts)"))
            continue
        result.append(present)
    return result


def header_facts(path: Path) -> dict[str, Any]:
    """What a listing shows about one file, from its header (raises ModelError)."""
    from providers.localmodels.gguf_header import read_header
    from providers.tool_capability import template_renders_tools

    header = read_header(path)
    template = header.chat_template
    return {
        "size": path.stat().st_size,
        "parameters": header.parameters,
        "architecture": header.architecture,
        "type": header.metadata.get("general.type"),
        "quantization": header.quantization,
        "context_length": header.context_length,
        "native_tools": bool(template and template_renders_tools(template)),
        "has_template": bool(template),
        "block_count": header.arch_value("block_count"),
        "embedding_length": header.arch_value("embedding_length"),
        "head_count": _first(header.arch_value("attention.head_count")),
        "head_count_kv": _first(header.arch_value("attention.head_count_kv")),
        "key_length": header.arch_value("attention.key_length"),
        "value_length": header.arch_value("attention.value_length"),
    }


def _first(value: Any) -> Any:
    """Per-layer lists (some architectures) -> the largest entry."""
    if isinstance(value, list):
        return max((v for v in value if isinstance(v, int)), default=None)
    return value


class _HeaderCache:
    """Header facts by (real path, size, mtime_ns), kept in the cache folder as JSON."""

    def __init__(self, entries: dict[str, Any], path: Path | None = None) -> None:
        self.entries = entries
        self.path = path
        self.changed = False

    @classmethod
    def open(cls) -> _HeaderCache:
        from assistant.paths import get_paths

        path = get_paths().cache_dir / _CACHE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") == _CACHE_VERSION:
                return cls(data.get("entries", {}), path)
        except (OSError, ValueError, AttributeError):
            pass
        return cls({}, path)

    def facts(self, path: Path) -> dict[str, Any]:
        try:
            stat = path.stat()
        except OSError as exc:
            raise ModelError(f"cannot read: {exc.strerror or exc}") from None
        key = f"{os.path.realpath(path)}|{stat.st_size}|{stat.st_mtime_ns}"
        hit = self.entries.get(key)
        if hit is None:
            hit = header_facts(path)
            self.entries[key] = hit
            self.changed = True
        return hit

    def save(self) -> None:
        if not self.changed or self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"version": _CACHE_VERSION, "entries": self.entries}),
                           encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # a cache that cannot be written only costs time


def _unique_names(models: list[LocalModel]) -> None:
    taken: set[str] = set()
    for model in models:
        if model.name in taken:
            model.name = f"{model.name}@{model.source}"
            count = 2
            base = model.name
            while model.name in taken:
                model.name = f"{base}{count}"
                count += 1
        taken.add(model.name)

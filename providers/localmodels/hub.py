"""What ``fireside models pull SOURCE`` fetches: a plan of files with their URLs and sha256.

SOURCE is ``hf:OWNER/REPO`` (a default quantization is picked), ``hf:OWNER/REPO/FILE.gguf``,
a name from the suggested catalog, or an ``https://`` URL. ``HF_ENDPOINT`` replaces the
public hub (a mirror, or a local server in tests). The hub's file list gives each file's size
and its LFS sha256, which the download is checked against.

Exports :class:`HubFile`, :class:`PullPlan`, :func:`plan_pull`, :func:`hub_files`,
:func:`hf_endpoint` and :data:`DEFAULT_QUANT`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from assistant.errors import ModelPullError

DEFAULT_QUANT = "Q4_K_M"
# When the repo has no file of the asked quantization: the next best for a CPU laptop.
_FALLBACK_QUANTS = ("Q4_K_M", "Q4_K_S", "Q4_0", "Q5_K_M", "Q8_0")
_REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_SPLIT = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)


@dataclass(frozen=True)
class HubFile:
    name: str  # path inside the repo
    size: int | None
    sha256: str | None


@dataclass(frozen=True)
class PullFile:
    url: str
    file_name: str  # name in Fireside's models folder
    size: int | None
    sha256: str | None


@dataclass(frozen=True)
class PullPlan:
    source: str
    files: tuple[PullFile, ...]
    repo: str | None = None
    token_host: str | None = None  # the only host the hub token is sent to

    @property
    def total(self) -> int | None:
        sizes = [f.size for f in self.files]
        return None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)


def hf_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def _get_json(client: Any, url: str) -> Any:
    import httpx

    from providers.localmodels.pull import describe_status

    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise ModelPullError(f"cannot reach {urlsplit(url).netloc}: {exc}") from None
    if response.status_code != 200:
        raise ModelPullError(describe_status(response.status_code, url))
    try:
        return response.json()
    except ValueError:
        raise ModelPullError(f"{url} did not answer with JSON") from None


def hub_files(client: Any, repo: str, revision: str = "main") -> list[HubFile]:
    """The repo's ``.gguf`` files with size and LFS sha256 (one API request)."""
    url = f"{hf_endpoint()}/api/models/{repo}/tree/{quote(revision)}?recursive=true"
    entries = _get_json(client, url)
    if not isinstance(entries, list):
        raise ModelPullError(f"unexpected answer listing {repo}")
    files = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("type") != "file":
            continue
        path = str(entry.get("path", ""))
        if not path.lower().endswith(".gguf"):
            continue
        lfs = entry.get("lfs") if isinstance(entry.get("lfs"), dict) else {}
        sha = lfs.get("oid") or lfs.get("sha256")
        size = lfs.get("size", entry.get("size"))
        files.append(HubFile(path, int(size) if size is not None else None,
                             str(sha) if sha else None))
    return files


def _is_model_file(name: str) -> bool:
    base = name.rsplit("/", 1)[-1].lower()
    return not base.startswith("mmproj") and "mmproj" not in base


def choose_quant(files: list[HubFile], quant: str) -> list[HubFile]:
    """The files of one quantization (all parts of a split model), or [] when none."""
    usable = [f for f in files if _is_model_file(f.name)]
    wanted = [quant.upper()] + [q for q in _FALLBACK_QUANTS if q != quant.upper()]
    for q in wanted:
        pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(q)}(?![A-Za-z0-9])", re.IGNORECASE)
        picked = [f for f in usable if pattern.search(f.name.rsplit("/", 1)[-1])]
        if picked:
            first = sorted(picked, key=lambda f: f.name)[0]
            split = _SPLIT.search(first.name)
            if split:  # every part of that split model
                prefix = first.name[: split.start()]
                return sorted((f for f in picked if f.name.startswith(prefix)),
                              key=lambda f: f.name)
            return [first]
        if q == quant.upper() and quant.upper() not in _FALLBACK_QUANTS:
            return []  # an explicit unusual quant: do not silently pick another
    return []


def _hub_plan(client: Any, spec: str, quant: str, sha256: str | None) -> PullPlan:
    rest = spec[3:].strip("/")
    parts = rest.split("/")
    if len(parts) < 2 or not _REPO.match("/".join(parts[:2])):
        raise ModelPullError(f"{spec!r} is not hf:OWNER/REPO or hf:OWNER/REPO/FILE.gguf")
    repo = "/".join(parts[:2])
    files = hub_files(client, repo)
    if len(parts) > 2:
        wanted = "/".join(parts[2:])
        chosen = [f for f in files if f.name == wanted]
        if not chosen:
            raise ModelPullError(f"{repo} has no file {wanted!r} (see `fireside models pull "
                                 f"hf:{repo} --list`)")
    else:
        if not files:
            raise ModelPullError(f"{repo} has no .gguf files")
        chosen = choose_quant(files, quant)
        if not chosen:
            names = ", ".join(f.name for f in files[:8])
            raise ModelPullError(f"{repo} has no {quant} file; choose one with "
                                 f"hf:{repo}/FILE.gguf ({names})")
    endpoint = hf_endpoint()
    pulls = tuple(
        PullFile(f"{endpoint}/{repo}/resolve/main/{quote(f.name)}", f.name.rsplit("/", 1)[-1],
                 f.size, (sha256 if len(chosen) == 1 and sha256 else f.sha256))
        for f in chosen
    )
    return PullPlan(spec, pulls, repo=repo, token_host=urlsplit(endpoint).netloc)


def plan_pull(client: Any, spec: str, *, quant: str = DEFAULT_QUANT,
              sha256: str | None = None) -> PullPlan:
    """Resolve SOURCE to files (asks the hub for ``hf:`` sources); raises ModelPullError."""
    spec = spec.strip()
    if sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
        raise ModelPullError("--sha256 must be 64 hex digits")
    sha256 = sha256.lower() if sha256 else None
    if spec.startswith("hf:"):
        return _hub_plan(client, spec, quant, sha256)
    if spec.startswith(("https://", "http://")):
        parts = urlsplit(spec)
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ModelPullError("use an https:// URL (plain http only for this machine)")
        name = parts.path.rsplit("/", 1)[-1]
        if not name.lower().endswith(".gguf") or not re.fullmatch(r"[\w.+-]+", name):
            raise ModelPullError(f"the URL must end with a .gguf file name: {spec}")
        return PullPlan(spec, (PullFile(spec, name, None, sha256),))
    from providers.localmodels.suggested import find_suggested

    entry = find_suggested(spec)
    if entry is not None:
        return _hub_plan(client, f"hf:{entry.repo}/{entry.file}", quant,
                         sha256 or entry.sha256 or None)
    raise ModelPullError(f"unknown source {spec!r}: use hf:OWNER/REPO, hf:OWNER/REPO/FILE.gguf, "
                         "an https:// URL, or a name from `fireside models list --suggested`")
